// `npm run build`: build the addon from source with CMake into
// build/supermachine_kernel.node, which lib/native.js prefers to a
// prebuilt one.  Needs cmake, a C compiler, liblzma (liblzma-dev) and the
// node-api-headers package (`npm install node-api-headers`); downloads
// nothing.  Works in the npm package (its CMakeLists.txt is the addon's,
// beside core/) and in the repository's bindings/node (where the core is
// two directories up).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inPackage = existsSync(join(pkg, 'core', 'CMakeLists.txt'));
const source = inPackage ? pkg : resolve(pkg, '..', '..');
const build = join(pkg, 'build', 'cmake');

function run(cmd, args) {
  console.log(`+ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit' });
}

function has(cmd) {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!has('cmake')) {
  console.error('npm run build: cmake not found (apt-get install cmake, or pip install cmake)');
  process.exit(1);
}
const configure = ['-S', source, '-B', build, '-DCMAKE_BUILD_TYPE=Release',
  `-DSMK_NODE_OUTPUT_DIR=${join(pkg, 'build')}`];
if (!inPackage) configure.push('-DSMK_BUILD_NODE=ON', '-DBUILD_TESTING=OFF');
if (has('ninja')) configure.push('-G', 'Ninja');
try {
  run('cmake', configure);
  run('cmake', ['--build', build, '--target', 'smk_node']);
} catch (err) {
  console.error(`npm run build: failed (${err.message})`);
  process.exit(1);
}
console.log(`built ${join(pkg, 'build', 'supermachine_kernel.node')}`);
