'use strict';
// tests/conformance/cases.json's "architectures": for every set the
// package embeds, the descriptions (by the canonical name and each alias),
// extraction and verification of the set, its kernel's info against what
// its bytes say; the default architecture; unknown names refused by every
// call that takes one, before anything is written.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const {
  load, cases, workDir, cacheHome, camel, packageManifest, embeddedArchs, expectedDefaultArch, hostArch,
  manifestSet, parseKernel,
} = require('./helpers');

const smk = load();
const CASES = cases();
const MANIFEST = CASES.manifestData;
const { known, unknown } = CASES.architectures;
const ARCHS = embeddedArchs();
const DEFAULT = expectedDefaultArch(ARCHS);
// The CLI's and the API's order: the default architecture first.
const ORDERED = [DEFAULT, ...ARCHS.filter((a) => a !== DEFAULT)];

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const described = (a) => [a.name, a.fileName, a.size, a.sha256, a.mode, a.arch];
const expected = (m) => [m.name, m.file, m.size, m.sha256, parseInt(m.mode, 8), m.arch];

function assertSetIn(dir, arch) {
  for (const m of manifestSet(MANIFEST, arch)) {
    const file = path.join(dir, m.file);
    const st = fs.lstatSync(file);
    assert.ok(st.isFile(), `${file}: a regular file`);
    assert.equal(st.size, m.size, `${file}: size`);
    assert.equal((st.mode & 0o7777).toString(8).padStart(4, '0'), m.mode, `${file}: mode`);
    assert.equal(sha256(fs.readFileSync(file)), m.sha256, `${file}: sha256 (${arch})`);
  }
}

test('ARCHS: the embedded architectures, the default first; DEFAULT_ARCH the host\'s', () => {
  assert.ok(ARCHS.length >= 1, 'the package embeds no set');
  assert.deepEqual(smk.ARCHS, ORDERED);
  assert.ok(Object.isFrozen(smk.ARCHS));
  assert.equal(smk.DEFAULT_ARCH, DEFAULT);
  assert.equal(smk.ARCHS[0], smk.DEFAULT_ARCH);
  const host = hostArch();
  if (ARCHS.includes(host)) assert.equal(smk.DEFAULT_ARCH, host, 'the host\'s set is embedded: it is the default');
  // The staged manifest is the repository's, less the sets left out.
  assert.deepEqual(packageManifest().assets, MANIFEST.assets.filter((a) => ARCHS.includes(a.arch)));
});

test('the names without an architecture are the default set', () => {
  const set = smk.assets({ arch: DEFAULT });
  assert.deepEqual(smk.assets(), set);
  assert.deepEqual(smk.assets(null), set);
  assert.deepEqual(smk.assets({}), set);
  assert.deepEqual(smk.assets({ arch: null }), set);
  for (const a of set) {
    const NAME = a.name.toUpperCase();
    assert.equal(smk[`${NAME}_LEN`], a.size, `${NAME}_LEN`);
    assert.equal(smk.assetBytes(a.name), smk[`${NAME}_BYTES`], `assetBytes('${a.name}') is ${NAME}_BYTES`);
    assert.equal(smk.assetBytes(a.fileName, { arch: DEFAULT }), smk[`${NAME}_BYTES`]);
  }
  assert.equal(smk.kernelInfo(), smk.kernelInfo({ arch: DEFAULT }));
  assert.equal(smk.defaultDir(), smk.defaultDir({ arch: DEFAULT }));
});

for (const arch of ARCHS) {
  const entry = known.find((k) => k.arch === arch);
  const others = ARCHS.filter((a) => a !== arch);

  test(`${arch}: assets() by ${[arch, ...entry.aliases].join(', ')} are the manifest's ${arch} entries`, () => {
    const want = manifestSet(MANIFEST, arch);
    assert.equal(want.length, 3);
    for (const name of [arch, ...entry.aliases]) {
      const got = smk.assets({ arch: name });
      assert.deepEqual(got.map(described), want.map(expected), name);
      got.forEach((a, i) => {
        assert.ok(Object.isFrozen(a));
        assert.equal(a.compressed, true);
        assert.equal(a.embeddedSize, want[i].xz_size);
      });
      assert.equal(smk.assetBytes('kernel', { arch: name }), smk.assetBytes('kernel', { arch }), 'one Buffer per asset');
      assert.equal(smk.kernelInfo({ arch: name }), smk.kernelInfo({ arch }));
    }
  });

  test(`${arch}: assetBytes() are the manifest's bytes, decoded once`, () => {
    for (const m of manifestSet(MANIFEST, arch)) {
      const bytes = smk.assetBytes(m.name, { arch });
      assert.ok(Buffer.isBuffer(bytes));
      assert.equal(bytes.length, m.size);
      assert.equal(sha256(bytes), m.sha256, `${arch} ${m.name}`);
      assert.equal(smk.assetBytes(m.file, { arch }), bytes);
    }
  });

  test(`${arch}: kernelInfo() is what the kernel's bytes say (${entry.kernel_format})`, () => {
    const k = smk.kernelInfo({ arch });
    const kernel = manifestSet(MANIFEST, arch).find((m) => m.name === 'kernel');
    assert.ok(Object.isFrozen(k));
    assert.equal(k.arch, arch);
    assert.equal(k.format, entry.kernel_format);
    assert.equal(k.release, kernel.release);
    const parsed = parseKernel(smk.assetBytes('kernel', { arch }));
    assert.deepEqual({ ...k, arch: undefined, release: undefined },
      { ...parsed, arch: undefined, release: undefined });
    if (k.format === 'ELF') {
      assert.ok(k.pvhEntry > 0, 'an ELF kernel has a PVH entry');
      assert.ok(k.imageSize > 0 && k.loadAddress > 0);
    }
    for (const field of ['textOffset', 'imageSize', 'flags', 'entry', 'pvhEntry', 'loadAddress']) {
      assert.ok(Number.isSafeInteger(k[field]), `${field}: ${k[field]}`);
    }
  });

  test(`${arch}: extractAllTo and ensureAssets write the set; verify takes it for ${arch} only`, async (t) => {
    const dir = workDir(t);
    await smk.extractAllTo(path.join(dir, 'a'), { arch });
    smk.extractAllToSync(path.join(dir, 's'), { arch });
    assert.equal(await smk.ensureAssets(path.join(dir, 'e'), { arch }), path.join(dir, 'e'));
    assert.equal(smk.ensureAssetsSync(path.join(dir, 'es'), { arch }), path.join(dir, 'es'));
    for (const d of ['a', 's', 'e', 'es']) {
      const sub = path.join(dir, d);
      assertSetIn(sub, arch);
      await smk.verify(sub, { arch });
      smk.verifySync(sub, { arch });
      for (const m of manifestSet(MANIFEST, arch)) {
        await smk.verifyFile(m.name, path.join(sub, m.file), { arch });
        smk.verifyFileSync(m.file, path.join(sub, m.file), { arch });
      }
      for (const other of others) {
        const refused = {
          name: 'PayloadError', code: 'SMK_ERR_SIZE', errno: CASES.error_codes.SMK_ERR_SIZE,
          asset: 'kernel', arch: other, path: path.join(sub, 'kernel'),
        };
        await assert.rejects(smk.verify(sub, { arch: other }), refused);
        assert.throws(() => smk.verifySync(sub, { arch: other }), refused);
        await assert.rejects(smk.verifyFile('kernel', path.join(sub, 'kernel'), { arch: other }), refused);
      }
    }
    // One directory, one set: ensuring another architecture's replaces it.
    for (const other of others) {
      await smk.ensureAssets(path.join(dir, 'e'), { arch: other });
      assertSetIn(path.join(dir, 'e'), other);
      smk.ensureAssetsSync(path.join(dir, 'e'), { arch });
      assertSetIn(path.join(dir, 'e'), arch);
    }
  });

  test(`${arch}: extract<Asset>To writes that set's asset`, async (t) => {
    const dir = workDir(t);
    for (const m of manifestSet(MANIFEST, arch)) {
      const fn = `extract${camel(m.name)}To`;
      await smk[fn](path.join(dir, `${m.file}.async`), { arch });
      smk[`${fn}Sync`](path.join(dir, `${m.file}.sync`), { arch });
      await smk[`${fn}WithParents`](path.join(dir, 'p', m.file), { arch });
      smk[`${fn}WithParentsSync`](path.join(dir, 'ps', m.file), { arch });
      for (const f of [`${m.file}.async`, `${m.file}.sync`, `p/${m.file}`, `ps/${m.file}`]) {
        assert.equal(sha256(fs.readFileSync(path.join(dir, f))), m.sha256, `${arch} ${f}`);
        assert.equal((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8).padStart(4, '0'), m.mode);
      }
    }
  });

  test(`${arch}: defaultDir() and ensureAssets() with no directory`, async (t) => {
    const dir = workDir(t);
    cacheHome(t, dir);
    const base = path.join(dir, 'supermachine-kernel', smk.version);
    const want = arch === DEFAULT ? base : path.join(base, arch);
    for (const name of [arch, ...entry.aliases]) assert.equal(smk.defaultDir({ arch: name }), want, name);
    assert.equal(await smk.ensureAssets({ arch }), want);
    assert.equal(await smk.ensureAssets(undefined, { arch }), want);
    assert.equal(smk.ensureAssetsSync({ arch }), want);
    assertSetIn(want, arch);
  });
}

// Every call that takes an architecture, with `opts` last.
const CALLS = [
  ['assets', (o) => smk.assets(o)],
  ['assetBytes', (o) => smk.assetBytes('kernel', o)],
  ['kernelInfo', (o) => smk.kernelInfo(o)],
  ['defaultDir', (o) => smk.defaultDir(o)],
  ['extractAllTo', (o, d) => smk.extractAllTo(d, o)],
  ['extractAllToSync', (o, d) => smk.extractAllToSync(d, o)],
  ['ensureAssets', (o, d) => smk.ensureAssets(d, o)],
  ['ensureAssetsSync', (o, d) => smk.ensureAssetsSync(d, o)],
  ['ensureAssets (default dir)', (o) => smk.ensureAssets(o)],
  ['ensureAssetsSync (default dir)', (o) => smk.ensureAssetsSync(o)],
  ['verify', (o, d) => smk.verify(d, o)],
  ['verifySync', (o, d) => smk.verifySync(d, o)],
  ['verifyFile', (o, d) => smk.verifyFile('kernel', path.join(d, 'kernel'), o)],
  ['verifyFileSync', (o, d) => smk.verifyFileSync('kernel', path.join(d, 'kernel'), o)],
  ...smk.assets().flatMap((a) => ['', 'Sync', 'WithParents', 'WithParentsSync'].map((v) => {
    const fn = `extract${camel(a.name)}To${v}`;
    return [fn, (o, d) => smk[fn](path.join(d, a.fileName), o)];
  })),
];

/** Calls fn; its error, sync or async (null if none). */
async function errorOf(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return null;
}

for (const name of [...unknown, '']) {
  test(`${JSON.stringify(name)} is refused with SMK_ERR_NO_ARCH by every call, nothing written`, async (t) => {
    const root = workDir(t);
    cacheHome(t, path.join(root, 'cache'));
    for (const [call, fn] of CALLS) {
      const dir = path.join(root, 'd');
      const err = await errorOf(() => fn({ arch: name }, dir));
      assert.ok(err, `${call}: no error`);
      assert.ok(err instanceof smk.PayloadError, `${call}: ${err && err.stack}`);
      assert.equal(err.code, 'SMK_ERR_NO_ARCH', call);
      assert.equal(err.errno, CASES.error_codes.SMK_ERR_NO_ARCH, call);
      assert.equal(err.arch, name, call);
      assert.ok(err.message.includes(`'${name}'`), `${call}: ${err.message}`);
      assert.ok(err.message.includes(smk.ARCHS.join(', ')), `${call}: ${err.message}`);
      assert.deepEqual(fs.readdirSync(root), [], `${call} wrote something`);
    }
  });
}

test('options and arch of the wrong type are TypeErrors', async () => {
  for (const bad of ['x86_64', 42, true]) {
    assert.throws(() => smk.assets(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(smk.extractAllTo('/nonexistent/smk', bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  }
  for (const bad of [42, {}, ['x86_64'], Symbol('x')]) {
    assert.throws(() => smk.kernelInfo({ arch: bad }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(smk.verify('/nonexistent/smk', { arch: bad }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  }
});
