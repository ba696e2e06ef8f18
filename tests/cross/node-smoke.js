'use strict';
// The smoke suite of the installed npm package on an aarch64 Node:
// tests/cross/node-arm64.sh copies it into a project where the tarball is
// installed and runs it with Debian's arm64 node under qemu-user.  It checks
// what only a real arm64 process shows: the linux-arm64 prebuilt addon is
// the one loaded, its default set is aarch64's, and the addon's file work
// (extract, ensure, verify) and errors are right there.  Everything is
// compared with the installed package's payloads/manifest.json.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const NAME = 'supermachine-kernel';
const installed = path.dirname(require.resolve(`${NAME}/package.json`));
const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'payloads', 'manifest.json'), 'utf8'));
const aarch64 = manifest.assets.filter((a) => a.arch === 'aarch64');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smk-node-arm64-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Each aarch64 asset is in dir under its file name, with its size, mode and bytes. */
function assertSet(dir) {
  for (const a of aarch64) {
    const file = path.join(dir, a.file);
    const st = fs.lstatSync(file);
    assert.ok(st.isFile(), `${file}: not a regular file`);
    assert.equal(st.size, a.size, `${file}: size`);
    assert.equal((st.mode & 0o777).toString(8).padStart(4, '0'), a.mode, `${file}: mode`);
    assert.equal(sha256(file), a.sha256, `${file}: sha256`);
  }
}

test('this is an aarch64 Node', () => {
  assert.equal(process.arch, 'arm64');
  assert.equal(os.machine ? os.machine() : 'aarch64', 'aarch64');
});

const smk = require(NAME);

test("require() loads the installed package's linux-arm64 prebuilt addon", () => {
  const addon = path.join(installed, 'prebuilds', 'linux-arm64', 'supermachine_kernel.node');
  const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  assert.deepEqual(addons, [addon], 'the native modules loaded');
  assert.equal(smk.version, require(`${NAME}/package.json`).version);
});

test('the default set is aarch64 (the architecture the addon reports)', () => {
  assert.equal(smk.DEFAULT_ARCH, 'aarch64');
  assert.equal(smk.ARCHS[0], 'aarch64');
  const info = smk.kernelInfo();
  assert.equal(info.arch, 'aarch64');
  assert.equal(info.format, 'Image');
  assert.deepEqual(smk.assets().map((a) => [a.arch, a.name, a.sha256]),
    aarch64.map((a) => [a.arch, a.name, a.sha256]));
  assert.equal(smk.KERNEL_LEN, aarch64[0].size);
});

test('import() gives the same module, with named exports', async () => {
  const esm = await import(NAME);
  assert.equal(esm.default, smk);
  assert.equal(esm.KERNEL_LEN, aarch64[0].size);
  assert.equal(typeof esm.extractAllTo, 'function');
});

test('extractAllTo and extractAllToSync write the aarch64 set', async () => {
  const a = path.join(tmp, 'extract-async');
  const s = path.join(tmp, 'extract-sync');
  fs.mkdirSync(a);
  fs.mkdirSync(s);
  await smk.extractAllTo(a);
  smk.extractAllToSync(s);
  assertSet(a);
  assertSet(s);
});

test('ensureAssets fills a directory, then leaves a current one alone', async () => {
  const dir = path.join(tmp, 'cache', 'deep', 'dir');
  assert.equal(await smk.ensureAssets(dir), dir);
  assertSet(dir);
  const before = aarch64.map((a) => fs.statSync(path.join(dir, a.file)).ino);
  assert.equal(smk.ensureAssetsSync(dir), dir);
  assert.deepEqual(aarch64.map((a) => fs.statSync(path.join(dir, a.file)).ino), before, 'ensure rewrote current files');
});

test('verify accepts the extracted set and refuses a changed byte', async () => {
  const dir = path.join(tmp, 'verify');
  fs.mkdirSync(dir);
  smk.extractAllToSync(dir);
  await smk.verify(dir);
  smk.verifySync(dir);
  const kernel = path.join(dir, aarch64[0].file);
  const fd = fs.openSync(kernel, 'r+');
  fs.writeSync(fd, Buffer.from([fs.readFileSync(kernel)[4096] ^ 0xff]), 0, 1, 4096);
  fs.closeSync(fd);
  await assert.rejects(smk.verify(dir), (err) => {
    assert.equal(err.code, 'SMK_ERR_CHECKSUM');
    assert.equal(err.path, kernel);
    return true;
  });
});

test('errors are clear: a missing directory (ENOENT) and an unknown architecture', async () => {
  const missing = path.join(tmp, 'no-such-dir', 'kernel');
  await assert.rejects(smk.extractKernelTo(missing), (err) => {
    assert.equal(err.code, 'ENOENT');
    assert.equal(err.path, missing);
    assert.ok(err.message.includes(missing), err.message);
    return true;
  });
  assert.throws(() => smk.assets({ arch: 'riscv64' }), (err) => {
    assert.equal(err.code, 'SMK_ERR_NO_ARCH');
    assert.equal(err.arch, 'riscv64');
    assert.match(err.message, /riscv64/);
    return true;
  });
});
