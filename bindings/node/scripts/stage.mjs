// Lays out the npm package of bindings/node in a directory, ready for
// `npm pack` (scripts/build-node-package runs it; it is not in the
// package).  The version is read from core/include/supermachine_kernel.h,
// the only place it is written, into the staged package.json.
//
//   node bindings/node/scripts/stage.mjs --addon FILE.node [--arch ARCH]... --out DIR
//
// The payloads go in once, shared by the prebuilt addon(s) and a source
// build: each .xz at its manifest "xz" path under payloads/ (kernel.xz,
// x86_64/kernel.xz, ...), the path the addon maps, with the manifest.
// --arch (repeatable) stages only those architectures' sets, as an addon
// built with SMK_ARCHS set to them embeds; the staged manifest then lists
// only their entries, so that a source build of the package embeds the
// same.  Without --arch, every set of the manifest.
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const node = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(node, '..', '..');
const { values } = parseArgs({
  options: {
    addon: { type: 'string', multiple: true },
    arch: { type: 'string', multiple: true },
    platform: { type: 'string', multiple: true },
    out: { type: 'string' },
  },
});
if (!values.out || !values.addon) {
  console.error('usage: stage.mjs --addon FILE.node [--platform linux-x64] ... [--arch ARCH] ... --out DIR');
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

const manifestFile = join(repo, 'payloads', 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
if (manifest.format !== 2) {
  console.error(`stage.mjs: ${manifestFile}: format ${manifest.format}, expected 2 (entries by arch and name)`);
  process.exit(1);
}
const manifestArchs = [...new Set(manifest.assets.map((a) => a.arch))];
const archs = values.arch ? [...new Set(values.arch.flatMap((a) => a.split(/[,;]/)).filter(Boolean))] : manifestArchs;
for (const arch of archs) {
  if (!manifestArchs.includes(arch)) {
    console.error(`stage.mjs: --arch ${arch}: the manifest has no such set (${manifestArchs.join(', ')})`);
    process.exit(2);
  }
}
const staged = manifest.assets.filter((a) => archs.includes(a.arch));
mkdirSync(join(out, 'payloads'));
if (staged.length === manifest.assets.length) {
  copyFileSync(manifestFile, join(out, 'payloads', 'manifest.json'));
} else {
  writeFileSync(join(out, 'payloads', 'manifest.json'),
    `${JSON.stringify({ ...manifest, assets: staged }, null, 2)}\n`);
}
for (const asset of staged) {
  const rel = normalize(asset.xz);
  if (isAbsolute(rel) || rel.split(sep).includes('..')) {
    console.error(`stage.mjs: ${manifestFile}: ${asset.arch} ${asset.name}: "xz" ${asset.xz} is not a path inside payloads/`);
    process.exit(1);
  }
  mkdirSync(dirname(join(out, 'payloads', rel)), { recursive: true });
  copyFileSync(join(repo, 'payloads', rel), join(out, 'payloads', rel));
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
const stagedPkg = { name: pkg.name, version, ...pkg };
writeFileSync(join(out, 'package.json'), `${JSON.stringify(stagedPkg, null, 2)}\n`);
console.log(`${out}: supermachine-kernel ${version} (guest sets: ${archs.join(', ')})`);
