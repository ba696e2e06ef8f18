'use strict';
// A damaged or missing payload file in the package: clear errors that name
// the asset, and nothing written.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { PACKAGE, load, workDir, packageManifest } = require('./helpers');

const smk = load();

/** A copy of the package in a fresh directory, payloads included. */
function copyPackage(t) {
  const dir = path.join(workDir(t), 'supermachine-kernel');
  fs.cpSync(PACKAGE, dir, { recursive: true });
  return dir;
}

/** Runs program in a child with `pkg` bound to the package at dir. */
function runWith(dir, program) {
  return spawnSync(process.execPath, ['-e', `const pkg = ${JSON.stringify(dir)};\n${program}`],
    { encoding: 'utf8', timeout: 60000 });
}

/**
 * An offset inside each region of a single-stream .xz file (the format's
 * stream header and footer are 12 bytes; the footer's backward size gives
 * the index; a block header's first byte its size).
 */
function xzRegions(data) {
  const n = data.length;
  const index = n - 12 - (data.readUInt32LE(n - 8) + 1) * 4;
  const firstData = 12 + (data[12] + 1) * 4;
  return {
    'stream header': 6, 'block header': 14, 'compressed data': firstData + 100,
    'block check': index - 1, index: index + 1, 'stream footer': n - 7,
  };
}

// The package's payload files, as its staged manifest names them: every
// embedded architecture's ("kernel.xz", "x86_64/kernel.xz", ...).
const STAGED = packageManifest().assets;
const DEFAULT_ARCH = smk.DEFAULT_ARCH;

// A flipped byte in each region of each architecture's kernel.xz; the size
// stays, so only the xz integrity checks can tell.
for (const kernel of STAGED.filter((a) => a.name === 'kernel')) {
  const { arch } = kernel;
  const xzFile = path.join(PACKAGE, 'payloads', kernel.xz);
  for (const region of Object.keys(xzRegions(fs.readFileSync(xzFile)))) {
    test(`${kernel.xz} (${arch}) damaged in its ${region}: SMK_ERR_CORRUPT naming the asset, nothing written`, (t) => {
      const pkg = copyPackage(t);
      const xz = path.join(pkg, 'payloads', kernel.xz);
      const data = fs.readFileSync(xz);
      data[xzRegions(data)[region]] ^= 0x55;
      fs.writeFileSync(xz, data);
      const out = workDir(t);
      smk.extractKernelToSync(path.join(out, 'good'), { arch }); // a correct file, from the intact package
      const r = runWith(pkg, `
        const smk = require(pkg);
        const out = ${JSON.stringify(out)};
        const opts = { arch: ${JSON.stringify(arch)} };
        const shape = (e) => ({ name: e.name, code: e.code, errno: e.errno, asset: e.asset, arch: e.arch, path: e.path, message: e.message });
        const result = {};
        try { smk.assetBytes('kernel', opts); } catch (e) { result.bytes = shape(e); }
        try { smk.extractKernelToSync(out + '/k', opts); } catch (e) { result.sync = shape(e); }
        try { smk.verifyFileSync('kernel', out + '/good', opts); } catch (e) { result.verify = shape(e); }
        try { smk.kernelInfo(opts); } catch (e) { result.info = shape(e); }
        if (opts.arch === smk.DEFAULT_ARCH) {
          try { smk.KERNEL_BYTES; } catch (e) { result.getter = shape(e); }
        }
        result.initOci = smk.assetBytes('init_oci', opts).length === smk.assets(opts)[1].size;
        result.others = smk.ARCHS.filter((a) => a !== opts.arch)
          .map((a) => smk.assetBytes('kernel', { arch: a }).length === smk.assets({ arch: a })[0].size);
        smk.extractKernelTo(out + '/k', opts).catch((e) => { result.async = shape(e); })
          .then(() => smk.ensureAssets(out + '/ens', opts)).catch((e) => { result.ensure = shape(e); })
          .then(() => console.log(JSON.stringify(result)));
      `);
      assert.equal(r.status, 0, r.stderr);
      const res = JSON.parse(r.stdout);
      const corrupt = { name: 'PayloadError', code: 'SMK_ERR_CORRUPT', errno: -10001, asset: 'kernel', arch };
      const keys = ['bytes', 'sync', 'async', 'verify', ...(arch === DEFAULT_ARCH ? ['getter'] : [])];
      for (const key of keys) {
        assert.ok(res[key], `${key}: no error`);
        assert.deepEqual({ ...res[key], message: undefined, path: undefined },
          { ...corrupt, message: undefined, path: undefined }, key);
        const named = arch === DEFAULT_ARCH ? "asset 'kernel'" : `asset 'kernel' \\(${arch}\\)`;
        assert.match(res[key].message, new RegExp(`^SMK_ERR_CORRUPT: embedded payload is corrupt .*, ${named}`), key);
      }
      // The kernel's info reads the first block only: damage past it may pass.
      if (res.info) assert.equal(res.info.code, 'SMK_ERR_CORRUPT');
      assert.equal(res.ensure.code, 'SMK_ERR_CORRUPT');
      assert.equal(res.ensure.path, `${out}/ens/kernel`);
      assert.equal(res.initOci, true, 'the other assets of the set still work');
      assert.deepEqual(res.others, res.others.map(() => true), 'the other sets still work');
      assert.deepEqual(fs.readdirSync(out).sort(), ['ens', 'good']);
      assert.deepEqual(fs.readdirSync(path.join(out, 'ens')).filter((e) => e.startsWith('.smk-tmp')), []);
      assert.ok(!fs.existsSync(path.join(out, 'ens', 'kernel')));
    });
  }
}

for (const asset of STAGED) {
  for (const [what, change] of [
    ['missing', (p) => fs.unlinkSync(p)],
    ['truncated', (p) => fs.truncateSync(p, 1000)],
  ]) {
    test(`a ${what} payload file (${asset.xz}, ${asset.arch}): require fails with one clear error`, (t) => {
      const pkg = copyPackage(t);
      change(path.join(pkg, 'payloads', asset.xz));
      const r = runWith(pkg, 'require(pkg)');
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`supermachine-kernel: cannot map the payloads in ${pkg}/payloads: ` +
        `(ENOENT|SMK_ERR_CORRUPT): .* \\(a damaged or incomplete installation\\?\\)`));
    });
  }
}

test('the staged sets are the embedded ones; an extra file in payloads/ is ignored', (t) => {
  // Every staged file is needed (above); one more changes nothing.
  const pkg = copyPackage(t);
  fs.writeFileSync(path.join(pkg, 'payloads', 'riscv64.xz'), 'not a payload');
  const r = runWith(pkg, 'console.log(JSON.stringify(require(pkg).ARCHS))');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), smk.ARCHS);
  assert.deepEqual(new Set(STAGED.map((a) => a.arch)), new Set(smk.ARCHS));
});

test('no addon at all: the error says what was tried and how to build one', (t) => {
  const pkg = copyPackage(t);
  fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true });
  const r = runWith(pkg, 'try { require(pkg) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }');
  const err = JSON.parse(r.stdout);
  assert.equal(err.code, 'SMK_ERR_NO_ADDON');
  const platform = `${process.platform}-${process.arch}`;
  assert.ok(err.message.includes(`no usable addon for ${platform} (prebuilt: none,`), err.message);
  assert.ok(err.message.includes(`prebuilds/${platform}/supermachine_kernel.node: not there`), err.message);
  assert.match(err.message, /npm run build/);
});

test("only other platforms' prebuilt addons: the error names this platform and the ones there are", (t) => {
  const pkg = copyPackage(t);
  const platform = `${process.platform}-${process.arch}`;
  const others = fs.readdirSync(path.join(pkg, 'prebuilds')).filter((p) => p !== platform).sort();
  assert.ok(others.length > 0, `the package has no prebuilt addon but ${platform}'s`);
  fs.rmSync(path.join(pkg, 'prebuilds', platform), { recursive: true });
  const r = runWith(pkg, 'try { require(pkg) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }');
  const err = JSON.parse(r.stdout);
  assert.equal(err.code, 'SMK_ERR_NO_ADDON');
  assert.ok(err.message.includes(`no usable addon for ${platform} (prebuilt: ${others.join(', ')}, for glibc `), err.message);
  assert.ok(err.message.includes(`prebuilds/${platform}/supermachine_kernel.node: not there`), err.message);
  // The other platforms' addons are not tried: loading one would fail with
  // the loader's "wrong ELF class/machine", not say what is missing.
  for (const other of others) assert.ok(!err.message.includes(`prebuilds/${other}/`), err.message);
  assert.match(err.message, /npm run build/);
});

test('no usable addon on a Node without glibc: the error says so', (t) => {
  const pkg = copyPackage(t);
  fs.rmSync(path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`), { recursive: true });
  // A musl Node's report has no glibcVersionRuntime: stand in for one.
  const r = runWith(pkg, `
    const real = process.report.getReport.bind(process.report);
    process.report.getReport = () => { const rep = real(); delete rep.header.glibcVersionRuntime; return rep; };
    try { require(pkg) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`);
  const err = JSON.parse(r.stdout);
  assert.equal(err.code, 'SMK_ERR_NO_ADDON');
  assert.ok(err.message.includes(`no usable addon for ${process.platform}-${process.arch} (not glibc: musl?) (prebuilt: `),
    err.message);
});
