// Lays out the npm package of bindings/node in a directory, ready for
// `npm pack` (scripts/build-node-package runs it; it is not in the
// package).  The version is read from core/include/supermachine_kernel.h,
// the only place it is written, into the staged package.json.
//
//   node bindings/node/scripts/stage.mjs --addon FILE.node --out DIR
//
// The payloads go in once, as payloads/*.xz with their manifest, shared
// by the prebuilt addon(s) and a source build.
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const node = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(node, '..', '..');
const { values } = parseArgs({
  options: {
    addon: { type: 'string', multiple: true },
    platform: { type: 'string', multiple: true },
    out: { type: 'string' },
  },
});
if (!values.out || !values.addon) {
  console.error('usage: stage.mjs --addon FILE.node [--platform linux-x64] ... --out DIR');
  process.exit(2);
}

function readVersion(header) {
  const text = readFileSync(header, 'utf8');
  const part = (p) => {
    const m = text.match(new RegExp(`^#define SMK_VERSION_${p} (\\d+)$`, 'm'));
    if (!m) throw new Error(`${header}: no SMK_VERSION_${p}`);
    return m[1];
  };
  return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
}

const out = resolve(values.out);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const copy = (from, to = from) => cpSync(join(node, from), join(out, to), { recursive: true });
for (const entry of ['bin', 'lib', 'src', 'index.d.ts', 'README.md', 'CMakeLists.txt']) copy(entry);
mkdirSync(join(out, 'scripts'));
copy('scripts/build.mjs');
chmodSync(join(out, 'bin', 'supermachine-kernel.js'), 0o755);

for (const entry of ['core', 'cmake']) {
  cpSync(join(repo, entry), join(out, entry), { recursive: true });
}
for (const entry of readdirSync(repo)) {
  if (entry === 'NOTICE' || entry.startsWith('LICENSE-')) copyFileSync(join(repo, entry), join(out, entry));
}

const manifest = JSON.parse(readFileSync(join(repo, 'payloads', 'manifest.json'), 'utf8'));
mkdirSync(join(out, 'payloads'));
copyFileSync(join(repo, 'payloads', 'manifest.json'), join(out, 'payloads', 'manifest.json'));
for (const asset of manifest.assets) {
  copyFileSync(join(repo, 'payloads', asset.xz), join(out, 'payloads', asset.xz));
}

const platforms = values.platform || [`${process.platform}-${process.arch}`];
if (platforms.length !== values.addon.length) {
  console.error('stage.mjs: give one --platform per --addon (or none for this machine\'s)');
  process.exit(2);
}
values.addon.forEach((file, i) => {
  const dir = join(out, 'prebuilds', platforms[i]);
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, 'supermachine_kernel.node'));
});

const pkg = JSON.parse(readFileSync(join(node, 'package.json'), 'utf8'));
const version = readVersion(join(repo, 'core', 'include', 'supermachine_kernel.h'));
const staged = { name: pkg.name, version, ...pkg };
writeFileSync(join(out, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
console.log(`${out}: supermachine-kernel ${version}`);
