'use strict';
// Errors look like those of fs: for the same bad path, fs and we give the
// same code, errno, syscall, path and message.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { load, workDir } = require('./helpers');

const smk = load();

const shape = (e) => ({
  name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message,
});

function fsError(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('fs did not fail');
}

/** The shape of fs.writeFileSync's error for dest. */
function fsWriteError(dest) {
  const expected = shape(fsError(() => fs.writeFileSync(dest, 'x')));
  if (dest.length === 0 && expected.path === undefined) {
    // Node 18's fs leaves an empty path out of the error; later ones (and
    // we) name it.
    expected.path = '';
    expected.message = `${expected.message.replace(/ ''$/, '')} ''`;
  }
  return expected;
}

// [what, setup(dir) -> destination]: paths where creating a file fails.
const BAD = [
  ['a missing parent directory', (dir) => path.join(dir, 'missing', 'kernel')],
  ['a parent that is a file', (dir) => {
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    return path.join(dir, 'file', 'kernel');
  }],
  ['a destination that is a directory', (dir) => {
    fs.mkdirSync(path.join(dir, 'd'));
    return path.join(dir, 'd');
  }],
  ['a name too long', (dir) => path.join(dir, 'n'.repeat(300))],
  ['an empty path', () => ''],
];

for (const [what, setup] of BAD) {
  test(`extraction into ${what} fails as fs.writeFile does`, async (t) => {
    const dest = setup(workDir(t));
    const expected = fsWriteError(dest);
    let got;
    try { smk.extractKernelToSync(dest); } catch (err) { got = err; }
    assert.deepEqual(shape(got), expected);
    assert.ok(got instanceof Error);
    await assert.rejects(smk.extractKernelTo(dest), (err) => {
      assert.deepEqual(shape(err), expected);
      return true;
    });
    // As a Buffer path: err.path is a string, as fs's.
    const asBuffer = Buffer.from(dest);
    const fsBuffer = fsWriteError(asBuffer);
    assert.throws(() => smk.extractInitOciToSync(asBuffer), (err) => {
      assert.deepEqual(shape(err), fsBuffer);
      return true;
    });
  });
}

test('verifying a missing file fails as fs.readFile does', async (t) => {
  const file = path.join(workDir(t), 'kernel');
  const expected = shape(fsError(() => fs.readFileSync(file)));
  await assert.rejects(smk.verifyFile('kernel', file), (err) => {
    assert.deepEqual(shape(err), expected);
    return true;
  });
  // verify(dir) blames the first asset's file.
  assert.throws(() => smk.verifySync(path.dirname(file)), (err) => {
    assert.deepEqual(shape(err), expected);
    return true;
  });
});

test('fs error messages: "CODE: description, syscall \'path\'"', (t) => {
  const dest = path.join(workDir(t), 'no', 'kernel');
  assert.throws(() => smk.extractKernelToSync(dest), {
    message: `ENOENT: no such file or directory, open '${dest}'`,
    code: 'ENOENT', errno: -2, syscall: 'open', path: dest,
  });
});

test('PayloadError: its own code, the asset, the path', (t) => {
  const dir = workDir(t);
  smk.extractKernelToSync(path.join(dir, 'kernel'));
  const f = fs.openSync(path.join(dir, 'kernel'), 'r+');
  fs.writeSync(f, Buffer.from([0xff]), 0, 1, 4096);
  fs.closeSync(f);
  assert.throws(() => smk.verifyFileSync('kernel', path.join(dir, 'kernel')), (err) => {
    assert.ok(err instanceof smk.PayloadError);
    assert.equal(err.name, 'PayloadError');
    assert.equal(err.code, 'SMK_ERR_CHECKSUM');
    assert.equal(err.errno, -10003);
    assert.equal(err.asset, 'kernel');
    assert.equal(err.path, path.join(dir, 'kernel'));
    assert.equal(err.message,
      `SMK_ERR_CHECKSUM: content differs from the asset's, asset 'kernel', '${path.join(dir, 'kernel')}'`);
    assert.match(err.stack, /errors\.test\.js/, 'the stack shows the caller');
    return true;
  });
});
