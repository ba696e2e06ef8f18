'use strict';
// Every function of the API, sync and async, against the manifest.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { REPO, load, workDir, cacheHome, cases, camel, expectedDefaultArch, manifestSet, parseKernel } = require('./helpers');

const smk = load();
const { manifestData: manifest } = cases();
const HEADER = fs.readFileSync(path.join(REPO, 'core', 'include', 'supermachine_kernel.h'), 'utf8');
const headerVersion = ['MAJOR', 'MINOR', 'PATCH']
  .map((p) => HEADER.match(new RegExp(`#define SMK_VERSION_${p} (\\d+)`))[1]).join('.');

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// [asset name, CamelName, LEN/BYTES prefix] from the manifest's entries of
// the default architecture (the set of every name without one), so the
// expectations follow the asset table.
const DEFAULT_ARCH = expectedDefaultArch();
const ASSETS = manifestSet(manifest, DEFAULT_ARCH).map((a) => ({
  ...a,
  Name: camel(a.name),
  NAME: a.name.toUpperCase(),
  mode: parseInt(a.mode, 8),
}));

function assertAsset(file, a) {
  const st = fs.lstatSync(file);
  assert.ok(st.isFile(), `${file} is a regular file`);
  assert.equal(st.mode & 0o7777, a.mode, `${file} mode`);
  assert.equal(st.size, a.size, `${file} size`);
  assert.equal(sha256(fs.readFileSync(file)), a.sha256, `${file} sha256`);
}

test('version is the header\'s', () => {
  assert.equal(smk.version, headerVersion);
});

test('assets() describes the manifest\'s assets of the default architecture, in order, frozen', () => {
  const list = smk.assets();
  assert.deepEqual(list.map((a) => [a.name, a.fileName, a.size, a.sha256, a.mode, a.arch]),
    ASSETS.map((a) => [a.name, a.file, a.size, a.sha256, a.mode, a.arch]));
  for (const [i, a] of list.entries()) {
    assert.equal(a.compressed, true);
    assert.equal(a.embeddedSize, ASSETS[i].xz_size);
    assert.ok(Object.isFrozen(a));
  }
  list.pop();
  assert.equal(smk.assets().length, ASSETS.length, 'a caller cannot change the table');
});

test('*_LEN are the sizes, *_BYTES the bytes, decoded once per thread', () => {
  for (const a of ASSETS) {
    assert.equal(smk[`${a.NAME}_LEN`], a.size);
    const bytes = smk[`${a.NAME}_BYTES`];
    assert.ok(Buffer.isBuffer(bytes));
    assert.equal(bytes.length, a.size);
    assert.equal(sha256(bytes), a.sha256);
    assert.equal(smk[`${a.NAME}_BYTES`], bytes, 'the same Buffer on every access');
  }
  assert.ok(!Object.keys(smk).some((k) => k.endsWith('_BYTES')), 'not enumerable');
});

test('kernelInfo() describes the default architecture\'s kernel, as its bytes say', () => {
  const k = smk.kernelInfo();
  const kernel = ASSETS.find((a) => a.name === 'kernel');
  assert.equal(k.arch, DEFAULT_ARCH);
  assert.equal(k.release, kernel.release);
  const format = cases().architectures.known.find((a) => a.arch === DEFAULT_ARCH).kernel_format;
  assert.equal(k.format, format);
  // The Image header's or the ELF headers' fields, read here from the decoded bytes.
  assert.deepEqual({ ...k, arch: undefined, release: undefined },
    { ...parseKernel(smk.KERNEL_BYTES), arch: undefined, release: undefined });
  assert.equal(smk.kernelInfo(), k);
});

for (const a of ASSETS) {
  for (const parents of [false, true]) {
    const fn = `extract${a.Name}To${parents ? 'WithParents' : ''}`;
    test(`${fn} and ${fn}Sync write ${a.file} atomically with its mode`, async (t) => {
      const dir = workDir(t);
      const base = parents ? path.join(dir, 'x', 'y') : dir;
      const p = smk[fn](path.join(base, 'async'));
      assert.ok(p instanceof Promise);
      assert.equal(await p, undefined);
      assertAsset(path.join(base, 'async'), a);
      assert.equal(smk[`${fn}Sync`](path.join(base, 'sync')), undefined);
      assertAsset(path.join(base, 'sync'), a);
      // Replaces what is there, a symlink included, without following it.
      fs.writeFileSync(path.join(dir, 'target'), 'keep');
      fs.symlinkSync('target', path.join(dir, 'link'));
      await smk[fn](path.join(dir, 'link'));
      assertAsset(path.join(dir, 'link'), a);
      assert.equal(fs.readFileSync(path.join(dir, 'target'), 'utf8'), 'keep');
      assert.deepEqual(fs.readdirSync(base).filter((e) => e.startsWith('.smk-tmp')), []);
    });
  }
}

test('paths may be strings, Buffers and file: URLs', async (t) => {
  const dir = workDir(t);
  await smk.extractInitOciTo(Buffer.from(path.join(dir, 'buf')));
  smk.extractInitOciToSync(pathToFileURL(path.join(dir, 'url')));
  await smk.verifyFile('init_oci', pathToFileURL(path.join(dir, 'buf')));
  smk.verifyFileSync('init-oci', Buffer.from(path.join(dir, 'url')));
  assert.equal(await smk.ensureAssets(pathToFileURL(path.join(dir, 'e'))), path.join(dir, 'e'));
  const asBuffer = Buffer.from(path.join(dir, 'e'));
  assert.deepEqual(smk.ensureAssetsSync(asBuffer), asBuffer);
});

test('bad path arguments are TypeErrors, as fs gives them', async () => {
  for (const bad of [42, null, undefined, {}, ['x']]) {
    let fsErr;
    try { fs.openSync(bad, 'r'); } catch (e) { fsErr = e; }
    assert.throws(() => smk.extractKernelToSync(bad), { name: 'TypeError', code: fsErr.code });
    await assert.rejects(smk.extractKernelTo(bad), { name: 'TypeError', code: fsErr.code });
  }
  assert.throws(() => smk.verifySync('a\0b'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => smk.extractKernelToSync(new URL('http://example.com/x')),
    { code: 'ERR_INVALID_URL_SCHEME' });
  await assert.rejects(smk.verifyFile('vmlinux', 'x'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
});

test('extractAllTo and ensureAssets write every asset under its file name', async (t) => {
  const dir = workDir(t);
  await smk.extractAllTo(path.join(dir, 'all'));
  smk.extractAllToSync(path.join(dir, 'all-sync'));
  assert.equal(await smk.ensureAssets(path.join(dir, 'ens')), path.join(dir, 'ens'));
  assert.equal(smk.ensureAssetsSync(path.join(dir, 'ens2')), path.join(dir, 'ens2'));
  for (const d of ['all', 'all-sync', 'ens', 'ens2']) {
    for (const a of ASSETS) assertAsset(path.join(dir, d, a.file), a);
    await smk.verify(path.join(dir, d));
    smk.verifySync(path.join(dir, d));
  }
  // ensure repairs what differs, and only that.
  const kernel = path.join(dir, 'ens', 'kernel');
  const agent = path.join(dir, 'ens', 'supermachine-agent');
  const agentIno = fs.statSync(agent).ino;
  fs.truncateSync(kernel, 100);
  await smk.ensureAssets(path.join(dir, 'ens'));
  assertAsset(kernel, ASSETS[0]);
  assert.equal(fs.statSync(agent).ino, agentIno, 'an intact asset is left alone');
});

test('ensureAssets() without a directory uses defaultDir()', async (t) => {
  const dir = workDir(t);
  cacheHome(t, dir);
  const expected = path.join(dir, 'supermachine-kernel', headerVersion);
  assert.equal(smk.defaultDir(), expected);
  assert.equal(await smk.ensureAssets(), expected);
  assert.equal(smk.ensureAssetsSync(), expected);
  await smk.verify(expected);
});

test('verify names the first file that differs; verifyFile checks one', async (t) => {
  const dir = workDir(t);
  smk.extractAllToSync(dir);
  fs.chmodSync(path.join(dir, 'init-oci'), 0o600);
  fs.truncateSync(path.join(dir, 'supermachine-agent'), 10);
  const expected = {
    name: 'PayloadError', code: 'SMK_ERR_MODE', errno: -10004, asset: 'init_oci',
    path: path.join(dir, 'init-oci'),
  };
  await assert.rejects(smk.verify(dir), expected);
  assert.throws(() => smk.verifySync(dir), expected);
  await assert.rejects(smk.verifyFile('supermachine_agent', path.join(dir, 'supermachine-agent')),
    { code: 'SMK_ERR_SIZE', asset: 'supermachine_agent' });
  await smk.verifyFile('kernel', path.join(dir, 'kernel'));
  await assert.rejects(smk.verifyFile('kernel', path.join(dir, 'init-oci')), (err) => {
    assert.ok(err instanceof smk.PayloadError);
    assert.ok(err instanceof Error);
    assert.match(err.message, /^SMK_ERR_SIZE: .*, asset 'kernel', '.*init-oci'$/);
    return true;
  });
});

test('a rejected promise leaves nothing behind', async (t) => {
  const dir = workDir(t);
  fs.mkdirSync(path.join(dir, 'd'));
  await assert.rejects(smk.extractKernelTo(path.join(dir, 'd')), { code: 'EISDIR' });
  await assert.rejects(smk.extractKernelTo(path.join(dir, 'nope', 'k')), { code: 'ENOENT' });
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  await assert.rejects(smk.extractAllTo(path.join(dir, 'file')), { code: 'ENOTDIR' });
  await assert.rejects(smk.ensureAssets(path.join(dir, 'file', 'sub')), { code: 'ENOTDIR' });
  assert.deepEqual(fs.readdirSync(dir).sort(), ['d', 'file']);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'd')), []);
  assert.equal(fs.readFileSync(path.join(dir, 'file'), 'utf8'), 'x');
});
