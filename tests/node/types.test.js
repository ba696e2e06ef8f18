'use strict';
// The type test of the package's hand-written declarations (index.d.ts,
// lib/index.d.mts), against the staged package resolved as
// 'supermachine-kernel', as a user's project would see it:
//
//   - types/ok.{cts,mts,cjs} use every export correctly and must compile;
//   - each types/fail-*.* must fail with one diagnostic, the one its
//     `// expected: TSnnnn` line names, so that a program failing for
//     another reason is caught;
//   - the declared values of each entry point are exactly what it exports
//     at run time, nothing missing and nothing extra.
//
// tsc is tests/node/node_modules' (typescript and @types/node, pinned by
// tests/node/package-lock.json).

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PACKAGE } = require('./helpers');

const PROGRAMS = path.join(__dirname, 'types');
const TOOLS = path.join(__dirname, 'node_modules');
const TSC = path.join(TOOLS, '.bin', 'tsc');

if (!fs.existsSync(TSC)) {
  throw new Error(`no ${TSC}: run \`npm ci --ignore-scripts\` in tests/node (or tests/node/run.sh)`);
}

/**
 * A project directory: the programs, and a node_modules where
 * 'supermachine-kernel' is the staged package and @types the suite's.
 */
function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smk-types-'));
  fs.cpSync(PROGRAMS, dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(PACKAGE, path.join(dir, 'node_modules', 'supermachine-kernel'), 'dir');
  fs.symlinkSync(path.join(TOOLS, '@types'), path.join(dir, 'node_modules', '@types'), 'dir');
  return dir;
}

/** Runs a command in dir; resolves to its exit status and output. */
function run(dir, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: dir, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ status, output: `${stdout}${stderr}` });
    });
  });
}

function tsc(dir, project) {
  return run(dir, [TSC, '-p', project, '--pretty', 'false']);
}

/** tsc's diagnostics, `file(line,col): error TSnnnn: ...`, as {file, line, code}. */
function diagnostics(output) {
  const found = [];
  for (const m of output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): /gm)) {
    found.push({ file: m[1], line: Number(m[2]), code: m[3] });
  }
  return found;
}

/** The diagnostic a must-fail program names: its `// expected: TSnnnn` line. */
function expected(file) {
  const lines = fs.readFileSync(path.join(PROGRAMS, file), 'utf8').split('\n');
  const marked = lines.flatMap((text, i) => {
    const m = text.match(/\/\/ expected: (TS\d+)\s*$/);
    return m ? [{ file, line: i + 1, code: m[1] }] : [];
  });
  assert.equal(marked.length, 1, `${file}: name one expected diagnostic`);
  return marked[0];
}

let dir;
test.before(() => {
  dir = workspace();
});
test.after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the must-compile programs compile (tsconfig.json: ok.cts, ok.mts, ok.cjs)', async () => {
  const { status, output } = await tsc(dir, 'tsconfig.json');
  assert.equal(status, 0, `tsc failed:\n${output}`);
});

// As many tsc at a time as there are CPUs: each is a second or two of one.
const concurrency = os.availableParallelism ? os.availableParallelism() : os.cpus().length;

test('each must-fail program fails with its expected diagnostic', { concurrency }, async (t) => {
  const files = fs.readdirSync(PROGRAMS).filter((f) => f.startsWith('fail-')).sort();
  assert.ok(files.length > 0, 'no fail-* programs');
  await Promise.all(files.map((file) => t.test(file, async () => {
    const want = expected(file);
    // One project per program, so that each is compiled alone.  The
    // declarations themselves are checked by the must-compile run, so
    // skipLibCheck here only saves time.
    const project = `tsconfig.${file}.json`;
    fs.writeFileSync(path.join(dir, project), JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { skipLibCheck: true },
      files: [file],
    }));
    const { status, output } = await tsc(dir, project);
    assert.notEqual(status, 0, `${file} compiled, but must not`);
    assert.deepEqual(diagnostics(output), [want], `tsc said:\n${output}`);
  })));
});

// ---- the declared surface against the run-time one --------------------

/** The value exports each entry point declares, by the TypeScript API. */
function declaredExports() {
  const ts = require(path.join(TOOLS, 'typescript'));
  const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  });
  const program = ts.createProgram(config.fileNames, config.options);
  const checker = program.getTypeChecker();
  // The module 'supermachine-kernel' as the first import of a program sees it.
  const exportsSeenBy = (file) => {
    const source = program.getSourceFile(path.join(dir, file));
    const first = source.statements.find((s) => ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s));
    const specifier = ts.isImportDeclaration(first) ? first.moduleSpecifier : first.moduleReference.expression;
    const module = checker.getSymbolAtLocation(specifier);
    return checker.getExportsOfModule(module)
      .filter((s) => {
        const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        return target.flags & ts.SymbolFlags.Value;
      })
      .map((s) => s.name)
      .sort();
  };
  return { require: exportsSeenBy('ok.cts'), import: exportsSeenBy('ok.mts') };
}

/** What require() and import give at run time, resolved from the workspace. */
async function runtimeExports() {
  const cjs = await run(dir, ['-e',
    "console.log(JSON.stringify(Object.getOwnPropertyNames(require('supermachine-kernel'))))"]);
  const esm = await run(dir, ['--input-type=module', '-e',
    "import * as m from 'supermachine-kernel'; console.log(JSON.stringify(Object.keys(m)))"]);
  assert.equal(cjs.status, 0, cjs.output);
  assert.equal(esm.status, 0, esm.output);
  return { require: JSON.parse(cjs.output).sort(), import: JSON.parse(esm.output).sort() };
}

test('the declarations name exactly the exports of require() and import', async () => {
  const declared = declaredExports();
  const actual = await runtimeExports();
  assert.deepEqual(declared.require, actual.require, 'CommonJS (index.d.ts vs module.exports)');
  assert.deepEqual(declared.import, actual.import, 'ESM (lib/index.d.mts vs lib/index.mjs)');
  // The one difference: the getters are reached through the default export only.
  assert.ok(declared.require.includes('KERNEL_BYTES') && !declared.import.includes('KERNEL_BYTES'));
});
