'use strict';
// The npm package as a user gets it: the tarball `npm pack` makes
// (SMK_NODE_TARBALL, else packed here from the staged package), what it
// holds, and an install of it into a fresh project, offline and with no C
// compiler on PATH, used from there through require(), import and npx.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { PACKAGE, REPO, workDir, packageManifest, expectedDefaultArch, manifestSet } = require('./helpers');

const NAME = 'supermachine-kernel';
const MAX_TARBALL_BYTES = 6 * 1024 * 1024;
// Every child gets one: an npm that waits for a network it must not need
// fails the test instead of stalling the suite.
const CHILD_TIMEOUT_MS = 120 * 1000;
const MANIFEST = JSON.parse(fs.readFileSync(path.join(REPO, 'payloads', 'manifest.json'), 'utf8'));
// The sets the package embeds (every one of the manifest unless built with
// --arch), and the default one's entries, those of the names without an
// architecture.
const STAGED = packageManifest().assets;
const DEFAULT_ARCH = expectedDefaultArch();
const DEFAULT_SET = manifestSet(MANIFEST, DEFAULT_ARCH);
// Every embedded asset in the CLI's order: the default set first.
const CLI_ORDER = [...DEFAULT_SET, ...STAGED.filter((a) => a.arch !== DEFAULT_ARCH)];
// The prebuilt addons, one per platform (Node's process.platform-arch), and
// the ELF machine each must be built for (readelf -h's words).
const PREBUILDS = { 'linux-arm64': 'AArch64', 'linux-x64': 'Advanced Micro Devices X86-64' };
const addonOf = (platform) => `prebuilds/${platform}/supermachine_kernel.node`;
// The oldest glibc the prebuilt addons load with, as lib/native.js's error
// names it ("for glibc X.Y or later"): the newest GLIBC_ version they need.
const GLIBC_STATED = fs.readFileSync(path.join(PACKAGE, 'lib', 'native.js'), 'utf8').match(/for glibc (\d+\.\d+) or later/);
// What a package must not ask npm to run at install: npm 11.16+ warns about
// these and npm 12 blocks them (and an install must not need a compiler).
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];
const COMPILERS = ['cc', 'gcc', 'c++', 'g++', 'clang', 'cmake', 'make'];

/** MAJOR.MINOR.PATCH of core/include/supermachine_kernel.h, the one place it is written. */
function headerVersion() {
  const text = fs.readFileSync(path.join(REPO, 'core', 'include', 'supermachine_kernel.h'), 'utf8');
  return ['MAJOR', 'MINOR', 'PATCH']
    .map((part) => {
      const m = text.match(new RegExp(`^#define SMK_VERSION_${part} (\\d+)$`, 'm'));
      assert.ok(m, `supermachine_kernel.h: no SMK_VERSION_${part}`);
      return m[1];
    })
    .join('.');
}
const VERSION = headerVersion();

/** The first executable @name in the directories of @pathVar, or null. */
function which(name, pathVar = process.env.PATH || '') {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** Runs a command to its end (or the timeout); asserts exit 0 and returns its output. */
function check(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, ...options });
  const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  assert.ok(
    !r.error && r.status === 0,
    `${cmd} ${args.join(' ')} (in ${options.cwd || process.cwd()}): ${how}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
  );
  return r;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function assertAssetFile(file, asset) {
  const st = fs.lstatSync(file);
  assert.ok(st.isFile(), `${file}: not a regular file`);
  assert.equal(st.size, asset.size, `${file}: size`);
  assert.equal((st.mode & 0o777).toString(8).padStart(4, '0'), asset.mode, `${file}: mode`);
  assert.equal(sha256(file), asset.sha256, `${file}: sha256`);
}

/** The tarball under test: SMK_NODE_TARBALL, or one packed now from the staged package into @dir. */
function tarball(dir) {
  if (process.env.SMK_NODE_TARBALL) return path.resolve(process.env.SMK_NODE_TARBALL);
  // --ignore-scripts: pack exactly the staged files, whatever prepack would do.
  const r = check('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--loglevel=error'], { cwd: PACKAGE });
  return path.join(dir, r.stdout.trim().split('\n').pop());
}

/**
 * A directory to be the whole PATH of the install and of what runs in the
 * project: node, npm and npx, and sh (npx runs a package's bin through
 * `sh -c`), and nothing else; in particular no compiler, no cmake, no make.
 */
function toolsOnly(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  for (const tool of ['npm', 'npx', 'sh']) {
    const found = which(tool);
    assert.ok(found, `${tool}: not on PATH`);
    fs.symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

test('the npm package', async (t) => {
  const tmp = workDir(t);
  const tgz = tarball(tmp);
  const entries = check('tar', ['tzf', tgz]).stdout.split('\n').filter(Boolean);
  const packed = check('tar', ['xzOf', tgz, 'package/package.json']).stdout;
  const pkg = JSON.parse(packed);

  await t.test('the tarball is at most 6 MiB', (st) => {
    const size = fs.statSync(tgz).size;
    const payloads = STAGED.reduce((sum, a) => sum + a.xz_size, 0);
    const archs = [...new Set(STAGED.map((a) => a.arch))].join(', ');
    st.diagnostic(`${path.basename(tgz)}: ${size} bytes (${(size / 1048576).toFixed(2)} MiB), ` +
      `of which payloads ${payloads} (${archs})`);
    assert.ok(size <= MAX_TARBALL_BYTES,
      `${tgz}: ${size} bytes, more than ${MAX_TARBALL_BYTES} (its payloads, ${archs}: ${payloads} bytes)`);
  });

  await t.test('the tarball holds each payload once, the linux-x64 and linux-arm64 addons, NOTICE and the licences', () => {
    const count = (entry) => entries.filter((e) => e === entry).length;
    // Payloads once, at their manifest paths (kernel.xz, x86_64/kernel.xz,
    // ...): the prebuilt addon maps them instead of embedding them.
    assert.deepEqual(STAGED, MANIFEST.assets.filter((a) => STAGED.some((b) => b.arch === a.arch)),
      "the package's manifest: the repository's sets it embeds");
    assert.equal(count('package/payloads/manifest.json'), 1);
    const xz = STAGED.map((a) => `package/payloads/${a.xz}`);
    for (const entry of xz) assert.equal(count(entry), 1, `${entry}: listed ${count(entry)} times`);
    assert.deepEqual(entries.filter((e) => e.endsWith('.xz')).sort(), xz.sort(), '.xz files in the tarball');

    for (const platform of Object.keys(PREBUILDS)) {
      assert.equal(count(`package/${addonOf(platform)}`), 1, `package/${addonOf(platform)}`);
    }
    assert.deepEqual(entries.filter((e) => e.endsWith('.node')).sort(),
      Object.keys(PREBUILDS).map((p) => `package/${addonOf(p)}`).sort(), '.node files in the tarball');
    const licences = fs.readdirSync(REPO).filter((f) => f === 'NOTICE' || f.startsWith('LICENSE-'));
    assert.ok(licences.includes('NOTICE') && licences.length > 1, `NOTICE and LICENSE-* in ${REPO}: ${licences}`);
    for (const f of licences) assert.equal(count(`package/${f}`), 1, `package/${f}`);

    // With a binding.gyp at its root npm gives a package an implicit
    // `node-gyp rebuild` install script, which needs a compiler.
    assert.equal(count('package/binding.gyp'), 0, 'package/binding.gyp');
  });

  await t.test("package.json: the header's version, no dependencies, no install scripts", () => {
    assert.equal(pkg.name, NAME);
    assert.equal(pkg.version, VERSION, 'package.json "version", expected: that of core/include/supermachine_kernel.h');
    // Nothing for npm to fetch: the install works offline.
    for (const key of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies']) {
      assert.ok(!(key in pkg), `package.json has "${key}": ${JSON.stringify(pkg[key])}`);
    }
    for (const script of INSTALL_SCRIPTS) {
      assert.ok(!(script in (pkg.scripts || {})), `package.json has the install script "${script}"`);
    }
    assert.ok(!pkg.gypfile, 'package.json has "gypfile"');
    // The staged package is what was packed.
    assert.equal(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8'), packed, 'staged and packed package.json differ');
  });

  // The project: installed into by the next test, used by the ones after it.
  const project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'smk-packaging-test', version: '0.0.0', private: true }, null, 2)}\n`);
  const bin = toolsOnly(tmp);
  const env = { ...process.env, PATH: bin, npm_config_update_notifier: 'false' };
  const inProject = { cwd: project, env };
  const installed = path.join(project, 'node_modules', NAME);
  let installOk = false;
  // A test of the installed package: skipped, not failed again, when the install failed.
  const usingIt = (name, fn) =>
    t.test(name, (st) => (installOk ? fn(st) : st.skip('the install failed')));

  await t.test('installs from the tarball offline, with no C compiler on PATH', () => {
    for (const tool of COMPILERS) assert.equal(which(tool, bin), null, `${tool} is on the install's PATH`);
    // --offline: with no dependencies nothing is to be fetched, so any
    // fetch is an error rather than a silent download.
    check('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', tgz], inProject);
    const got = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    assert.equal(got.version, VERSION, 'installed version');
    // Only this package came in (.bin and npm's .package-lock.json aside).
    const modules = fs.readdirSync(path.join(project, 'node_modules')).filter((e) => !e.startsWith('.'));
    assert.deepEqual(modules, [NAME], 'node_modules');
    installOk = true;
  });

  await usingIt("require('supermachine-kernel') extracts the kernel", () => {
    const out = path.join(tmp, 'require', 'kernel');
    const script = `
      const smk = require('${NAME}');
      smk.extractKernelToWithParentsSync(process.argv[1]);
      console.log(JSON.stringify({ resolved: require.resolve('${NAME}'), asset: smk.assets()[0], version: smk.version }));
    `;
    const r = JSON.parse(check('node', ['-e', script, out], inProject).stdout);
    assert.ok(r.resolved.startsWith(installed + path.sep), `required ${r.resolved}, not the installed copy`);
    assert.equal(r.version, VERSION);
    const kernel = DEFAULT_SET[0];
    assert.equal(r.asset.name, kernel.name);
    assert.equal(r.asset.sha256, kernel.sha256, "assets()[0].sha256 is not payloads/manifest.json's");
    assertAssetFile(out, kernel);
  });

  await usingIt("import from 'supermachine-kernel' (ESM): default and named exports", () => {
    const out = path.join(tmp, 'import', 'init-oci');
    const script = `
      import smk, { KERNEL_LEN, extractInitOciToWithParents } from '${NAME}';
      import { createRequire } from 'node:module';
      await extractInitOciToWithParents(process.argv[1]);
      console.log(JSON.stringify({
        KERNEL_LEN,
        defaultKernelLen: smk.KERNEL_LEN,
        version: smk.version,
        sameAsRequire: createRequire(import.meta.url)('${NAME}') === smk,
        // import.meta.resolve: Node >= 18.19 / 20.6.
        resolved: import.meta.resolve ? import.meta.resolve('${NAME}') : null,
      }));
    `;
    const r = JSON.parse(check('node', ['--input-type=module', '-e', script, out], inProject).stdout);
    assert.equal(r.KERNEL_LEN, DEFAULT_SET[0].size, 'KERNEL_LEN');
    assert.equal(r.defaultKernelLen, r.KERNEL_LEN, 'smk.KERNEL_LEN');
    assert.equal(r.version, VERSION);
    assert.equal(r.sameAsRequire, true, 'the ESM default export is not the CommonJS module');
    if (r.resolved !== null) {
      const file = new URL(r.resolved).pathname;
      assert.ok(file.startsWith(installed + path.sep), `imported ${file}, not the installed copy`);
    }
    assertAssetFile(out, DEFAULT_SET.find((a) => a.name === 'init_oci'));
  });

  await usingIt('npx --no-install supermachine-kernel info --json', () => {
    const r = check('npx', ['--no-install', NAME, 'info', '--json'], inProject);
    const info = JSON.parse(r.stdout);
    assert.equal(info.version, VERSION);
    assert.equal(info.default_arch, DEFAULT_ARCH);
    assert.deepEqual(
      info.assets.map((a) => [a.arch, a.name, a.sha256]),
      CLI_ORDER.map((a) => [a.arch, a.name, a.sha256]),
      'assets',
    );
    assert.deepEqual(info.kernels.map((k) => k.arch), [...new Set(CLI_ORDER.map((a) => a.arch))], 'kernels');
  });

  await usingIt('npx --no-install supermachine-kernel extract DIR, then verify DIR', () => {
    const dir = path.join(tmp, 'npx-extract');
    const r = check('npx', ['--no-install', NAME, 'extract', dir], inProject);
    assert.equal(r.stdout, '', 'extract prints nothing');
    for (const a of DEFAULT_SET) assertAssetFile(path.join(dir, a.file), a);

    const v = check('npx', ['--no-install', NAME, 'verify', dir], inProject);
    assert.equal(v.stdout, DEFAULT_SET.map((a) => `${path.join(dir, a.file)}: ok\n`).join(''), 'verify');
  });

  await usingIt('npx --no-install supermachine-kernel extract --arch A DIR, for every other set', () => {
    for (const arch of [...new Set(STAGED.map((a) => a.arch))].filter((a) => a !== DEFAULT_ARCH)) {
      const dir = path.join(tmp, `npx-extract-${arch}`);
      check('npx', ['--no-install', NAME, 'extract', '--arch', arch, dir], inProject);
      const set = manifestSet(MANIFEST, arch);
      for (const a of set) assertAssetFile(path.join(dir, a.file), a);
      const v = check('npx', ['--no-install', NAME, 'verify', `--arch=${arch}`, dir], inProject);
      assert.equal(v.stdout, set.map((a) => `${path.join(dir, a.file)}: ok\n`).join(''), `verify --arch ${arch}`);
    }
  });

  await usingIt('the installed addons export only the Node-API entry points', (st) => {
    const nm = which('nm');
    if (!nm) {
      st.skip('no nm on PATH');
      return;
    }
    for (const platform of Object.keys(PREBUILDS)) {
      const r = check(nm, ['-D', '--defined-only', path.join(installed, addonOf(platform))]);
      // "ADDRESS TYPE NAME" lines; a versioned name would read NAME@@VERSION.
      const names = r.stdout.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/).pop().split('@')[0]);
      assert.deepEqual(names.sort(), ['napi_register_module_v1', 'node_api_module_get_api_version_v1'], platform);
    }
  });

  await usingIt("each prebuilt addon is its platform's ELF and needs only the C library, of the glibc stated", (st) => {
    const readelf = which('readelf');
    if (!readelf) {
      st.skip('no readelf on PATH');
      return;
    }
    assert.ok(GLIBC_STATED, 'lib/native.js: no "for glibc X.Y or later" in the no-addon error');
    const newest = [];
    for (const [platform, machine] of Object.entries(PREBUILDS)) {
      const file = path.join(installed, addonOf(platform));
      const header = check(readelf, ['-h', file]).stdout;
      assert.match(header, new RegExp(`Machine:\\s+${machine}\\n`), `${platform}: readelf -h`);
      // liblzma is linked in (liblzma.a), so neither liblzma.so nor
      // anything else but libc and its loader is needed.
      const needed = [...check(readelf, ['-d', file]).stdout.matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]);
      assert.ok(needed.includes('libc.so.6'), `${platform}: NEEDED ${needed}`);
      for (const lib of needed) assert.match(lib, /^(libc\.so\.6|ld-linux-[\w-]+\.so\.\d)$/, `${platform}: NEEDED ${lib}`);
      const versions = [...check(readelf, ['-V', file]).stdout.matchAll(/Name: GLIBC_(\d+)\.(\d+)/g)]
        .map((m) => [Number(m[1]), Number(m[2])]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      assert.ok(versions.length > 0, `${platform}: no GLIBC_ version needed`);
      const top = versions[versions.length - 1].join('.');
      st.diagnostic(`${platform}: ${fs.statSync(file).size} bytes, NEEDED ${needed.join(' ')}, glibc ${top}`);
      newest.push(top);
    }
    // The newest needed across the addons is exactly the one the error
    // states: not more (it would lie), not less (it would understate).
    const newestAll = newest.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop();
    assert.equal(newestAll, GLIBC_STATED[1], 'the newest glibc the prebuilt addons need, and lib/native.js\'s');
  });
});
