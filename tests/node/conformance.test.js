'use strict';
// tests/conformance/cases.json, the cases every binding runs: extraction
// into awkward destinations, and verification of damaged files.  The paths
// of a case with "bytes" (not UTF-8) are passed as Buffers; the error's
// `path` is then a string, the Buffer's UTF-8 decoding, as fs gives it.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { PACKAGE, load, cases, workDir, camel, casePath, under, defaultAsset } = require('./helpers');

const smk = load();
const CASES = cases();
const MANIFEST = CASES.manifestData;
const NOBODY = 65534;

// The names without an architecture write the default architecture's set.
const manifestAsset = (name) => defaultAsset(MANIFEST, name);

function applySetup(root, c) {
  for (const step of c.setup || []) {
    if ('mkdir' in step) {
      const p = under(root, casePath(c, step.mkdir));
      fs.mkdirSync(p, { recursive: true });
      fs.chmodSync(p, parseInt(step.mode || '0755', 8));
    } else if ('file' in step) {
      fs.writeFileSync(under(root, casePath(c, step.file)), step.content);
    } else if ('symlink' in step) {
      fs.symlinkSync(casePath(c, step.to), under(root, casePath(c, step.symlink)));
    } else {
      throw new Error(`unknown setup step ${JSON.stringify(step)}`);
    }
  }
}

function assertAsset(p, name) {
  const a = manifestAsset(name);
  const st = fs.lstatSync(p);
  assert.ok(st.isFile(), `${p}: a regular file`);
  assert.equal((st.mode & 0o7777).toString(8).padStart(4, '0'), a.mode, `${p}: mode`);
  assert.equal(crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'), a.sha256, `${p}: bytes`);
}

function checkAfter(root, c, asset) {
  for (const [rel, state] of Object.entries(c.after || {})) {
    const p = under(root, casePath(c, rel));
    const st = (() => { try { return fs.lstatSync(p); } catch { return null; } })();
    if (state === 'absent') assert.equal(st, null, `${rel}: absent`);
    else if (state === 'directory') assert.ok(st && st.isDirectory(), `${rel}: a directory`);
    else if (state === 'asset') assertAsset(p, asset);
    else if (state.startsWith('content:')) {
      assert.ok(st && st.isFile(), `${rel}: a regular file`);
      assert.equal(fs.readFileSync(p, 'utf8'), state.slice('content:'.length), rel);
    } else throw new Error(`unknown state ${state}`);
  }
}

function temporaries(root) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.smk-tmp')) found.push(path.join(d, e.name));
      if (e.isDirectory()) {
        try { walk(path.join(d, e.name)); } catch { /* unreadable: fine */ }
      }
    }
  };
  walk(root);
  return found;
}

function checkError(err, expected, dest) {
  assert.ok(err, `expected ${expected}, got success`);
  assert.equal(err.code, expected);
  // A Buffer path is named as fs names it: its UTF-8 decoding.
  const shown = dest.toString();
  if (expected.startsWith('SMK_ERR_')) {
    assert.ok(err instanceof smk.PayloadError);
    assert.equal(err.errno, CASES.error_codes[expected]);
  } else {
    assert.equal(err.errno, -os.constants.errno[expected]);
  }
  assert.equal(err.path, shown);
  assert.ok(err.message.endsWith(`'${shown}'`), err.message);
}

/** Runs fn(dest) sync and async as user nobody; returns the errors' codes. */
function asNobody(fnName, dest) {
  const program = `
    const smk = require(${JSON.stringify(PACKAGE)});
    const result = {};
    try { smk.${fnName}Sync(${JSON.stringify(dest)}); } catch (e) { result.sync = { code: e.code, errno: e.errno, path: e.path }; }
    smk.${fnName}(${JSON.stringify(dest)}).catch((e) => ({ code: e.code, errno: e.errno, path: e.path }))
      .then((a) => { result.async = a; console.log(JSON.stringify(result)); });
  `;
  const out = execFileSync(process.execPath, ['-e', program], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  return JSON.parse(out);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

for (const entry of CASES.assets) {
  for (const c of CASES.extract) {
    const fnName = `extract${camel(entry.asset)}To${c.with_parents ? 'WithParents' : ''}`;
    // Unprivileged cases run as user nobody when we are root (permission
    // bits do not apply to root), directly otherwise.
    test(`extract ${c.id} (${fnName})`, async (t) => {
      for (const variant of ['sync', 'async']) {
        const root = workDir(t);
        if (c.unprivileged) fs.chmodSync(root, 0o777);
        applySetup(root, c);
        const dest = c.bytes ? under(root, casePath(c, c.dest)) : c.dest === '' ? '' : `${root}/${c.dest}`;
        let err = null;
        if (c.unprivileged && isRoot) {
          const r = asNobody(fnName, dest)[variant];
          err = r || null;
        } else if (variant === 'sync') {
          try { smk[`${fnName}Sync`](dest); } catch (e) { err = e; }
        } else {
          await smk[fnName](dest).catch((e) => { err = e; });
        }
        if (c.error) {
          if (c.unprivileged && isRoot) {
            assert.ok(err, `expected ${c.error}`);
            assert.deepEqual(err, { code: c.error, errno: -os.constants.errno[c.error], path: dest });
          } else {
            checkError(err, c.error, dest);
          }
        } else {
          assert.equal(err, null, err && err.stack);
        }
        checkAfter(root, c, entry.asset);
        assert.deepEqual(temporaries(root), []);
      }
    });
  }
}

/** Damages a file as cases.json's verify changes say. */
function damage(p, change) {
  switch (change) {
    case 'none': break;
    case 'delete': fs.unlinkSync(p); break;
    case 'truncate': fs.truncateSync(p, Math.floor(fs.statSync(p).size / 2)); break;
    case 'flip-last-byte': {
      const fd = fs.openSync(p, 'r+');
      const size = fs.fstatSync(fd).size;
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, size - 1);
      b[0] ^= 0xff;
      fs.writeSync(fd, b, 0, 1, size - 1);
      fs.closeSync(fd);
      break;
    }
    case 'chmod-0600': fs.chmodSync(p, 0o600); break;
    case 'replace-with-symlink': {
      // p may be a Buffer (a "bytes" case): the names as Buffers then.
      const real = Buffer.concat([Buffer.from(p), Buffer.from('.real')]);
      fs.renameSync(p, real);
      fs.symlinkSync(real.subarray(real.lastIndexOf(0x2f) + 1), p);
      break;
    }
    default: throw new Error(`unknown change ${change}`);
  }
}

for (const entry of CASES.assets) {
  for (const c of CASES.verify) {
    test(`verify ${c.id} (${entry.asset})`, async (t) => {
      const rel = casePath(c, c.dir || '');
      const dir = rel.length ? under(workDir(t), rel) : workDir(t);
      const inDir = (name) => (typeof dir === 'string' ? path.join(dir, name) : Buffer.concat([dir, Buffer.from(`/${name}`)]));
      const p = inDir(entry.file);
      smk[`extract${camel(entry.asset)}ToWithParentsSync`](p);
      damage(p, c.change);
      let syncErr = null;
      let asyncErr = null;
      try { smk.verifyFileSync(entry.asset, p); } catch (e) { syncErr = e; }
      await smk.verifyFile(entry.asset, p).catch((e) => { asyncErr = e; });
      for (const err of [syncErr, asyncErr]) {
        if (c.error) {
          checkError(err, c.error, p);
          if (c.error.startsWith('SMK_ERR_')) assert.equal(err.asset, entry.asset);
        } else {
          assert.equal(err, null, err && err.stack);
        }
      }
      // verify(dir) reports the same error for the same file.
      if (c.change !== 'none') {
        for (const other of CASES.assets) {
          if (other !== entry) smk[`extract${camel(other.asset)}ToSync`](inDir(other.file));
        }
        let dirErr = null;
        await smk.verify(dir).catch((e) => { dirErr = e; });
        if (c.error) checkError(dirErr, c.error, p);
      }
    });
  }
}
