// The package as an ES module and as CommonJS: one instance, the same
// surface, and nothing decoded at require or import time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { PACKAGE } = require('./helpers.js');
const cjs = require(PACKAGE);
const esm = await import(pathToFileURL(join(PACKAGE, 'lib', 'index.mjs')).href);
const BYTES = cjs.assets().map((a) => `${a.name.toUpperCase()}_BYTES`);

test('the default export is the CommonJS module itself', () => {
  assert.equal(esm.default, cjs);
});

test('every named ESM export is the CommonJS one; *_BYTES are not named exports', () => {
  const named = Object.keys(esm).filter((k) => k !== 'default');
  for (const k of named) assert.equal(esm[k], cjs[k], k);
  // Everything the CommonJS module exports (but the lazy bytes) is named.
  assert.deepEqual(named.sort(), Object.keys(cjs).sort());
  for (const k of BYTES) assert.equal(k in esm, false, k);
  assert.equal(esm.default.KERNEL_BYTES.length, esm.KERNEL_LEN);
});

test('the package resolves by name to the right entry point in each system', (t) => {
  // "exports": import -> lib/index.mjs, require -> lib/index.js.
  const { workDir } = require('./helpers.js');
  const dir = workDir(t);
  const probe = `
    const cjsPath = require.resolve('supermachine-kernel');
    import('supermachine-kernel').then((m) => console.log(JSON.stringify({
      cjsPath, same: m.default === require('supermachine-kernel'), named: typeof m.extractKernelTo })));
  `;
  const nodeModules = join(dir, 'resolve-probe', 'node_modules');
  require('fs').mkdirSync(nodeModules, { recursive: true });
  require('fs').symlinkSync(PACKAGE, join(nodeModules, 'supermachine-kernel'));
  const out = JSON.parse(execFileSync(process.execPath, ['-e', probe],
    { cwd: join(dir, 'resolve-probe'), encoding: 'utf8' }));
  assert.match(out.cjsPath, /lib\/index\.js$/);
  assert.equal(out.same, true);
  assert.equal(out.named, 'function');
});

// In a fresh process: memory for the decoded assets (8 MiB and more)
// appears on first access to *_BYTES, not at require or import.
for (const how of ['require', 'import']) {
  test(`${how} decodes nothing; the first *_BYTES access does`, () => {
    const load = how === 'require'
      ? `const smk = require(${JSON.stringify(PACKAGE)});`
      : `const smk = (await import(${JSON.stringify(pathToFileURL(join(PACKAGE, 'lib', 'index.mjs')).href)})).default;`;
    const program = `
      const before = process.memoryUsage().arrayBuffers;
      ${load}
      const { KERNEL_LEN, assets } = smk; assets(); smk.kernelInfo();
      const loaded = process.memoryUsage().arrayBuffers - before;
      const bytes = smk.KERNEL_BYTES;
      const decoded = process.memoryUsage().arrayBuffers - before;
      console.log(JSON.stringify({ loaded, decoded, len: KERNEL_LEN }));
    `;
    const type = how === 'require' ? 'commonjs' : 'module';
    const out = JSON.parse(execFileSync(process.execPath, [`--input-type=${type}`, '-e', program],
      { encoding: 'utf8' }));
    assert.ok(out.loaded < 1 << 20, `${out.loaded} bytes of buffers after ${how}`);
    assert.ok(out.decoded >= out.len, `${out.decoded} bytes of buffers after KERNEL_BYTES`);
  });
}
