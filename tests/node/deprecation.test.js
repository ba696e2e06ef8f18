'use strict';
// The seed's deprecated names still work, and each warns once, with a code.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('child_process');
const path = require('path');
const { PACKAGE, load, workDir } = require('./helpers');

const kernel = load().assets()[0];

const DEPRECATED = [
  ['extractTo', 'extractKernelTo', 'SMK_DEP0001', true],
  ['extractToSync', 'extractKernelToSync', 'SMK_DEP0002', false],
  ['extractToWithParents', 'extractKernelToWithParents', 'SMK_DEP0003', true],
  ['extractToWithParentsSync', 'extractKernelToWithParentsSync', 'SMK_DEP0004', false],
];

for (const [old, current, code, isAsync] of DEPRECATED) {
  test(`${old}() warns once (${code}) and writes the kernel as ${current}() does`, (t) => {
    const dir = workDir(t);
    // A child of its own: util.deprecate warns once per process.
    const program = `
      const smk = require(${JSON.stringify(PACKAGE)});
      const crypto = require('crypto'), fs = require('fs'), path = require('path');
      const warnings = [];
      process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }));
      (async () => {
        for (const name of ['a', 'b', 'c']) {
          const dest = path.join(${JSON.stringify(dir)}, 'sub', name);
          const r = smk.${old}(dest);
          if (${isAsync} !== (r instanceof Promise)) throw new Error('wrong kind of result');
          await r;
        }
        await new Promise((resolve) => setImmediate(resolve));
        const digest = crypto.createHash('sha256')
          .update(fs.readFileSync(path.join(${JSON.stringify(dir)}, 'sub', 'c'))).digest('hex');
        console.log(JSON.stringify({ warnings, digest }));
      })();
    `;
    if (!old.includes('WithParents')) require('fs').mkdirSync(path.join(dir, 'sub'));
    const out = JSON.parse(execFileSync(process.execPath, ['-e', program], { encoding: 'utf8', timeout: 60000 }));
    assert.deepEqual(out.warnings, [{
      name: 'DeprecationWarning', code, message: `${old}() is deprecated; use ${current}()`,
    }]);
    assert.equal(out.digest, kernel.sha256);
  });
}
