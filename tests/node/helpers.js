'use strict';
// Shared by the Node suite: where the package under test is, the shared
// cases of tests/conformance/, and fresh work directories.
//
// The package under test is the staged npm package (the files `npm pack`
// puts in the tarball): SMK_NODE_PACKAGE, default build/node/package, made
// by scripts/build-node-package (tests/node/run.sh runs it first).

const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..');
const PACKAGE = path.resolve(process.env.SMK_NODE_PACKAGE || path.join(REPO, 'build', 'node', 'package'));
const CONFORMANCE = path.join(REPO, 'tests', 'conformance');

if (!fs.existsSync(path.join(PACKAGE, 'package.json'))) {
  throw new Error(`no package at ${PACKAGE}: run scripts/build-node-package (or tests/node/run.sh)`);
}

/** The package's CommonJS entry point. */
function load() {
  return require(PACKAGE);
}

/**
 * tests/conformance/cases.json, and the manifest it names (format 2: one
 * set per architecture, entries unique by arch and name).
 */
function cases() {
  const data = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'cases.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, data.manifest), 'utf8'));
  if (manifest.format !== 2) throw new Error(`${data.manifest}: format ${manifest.format}, expected 2`);
  return { ...data, manifestData: manifest };
}

/** The staged package's own payloads/manifest.json (its sets only). */
function packageManifest() {
  return JSON.parse(fs.readFileSync(path.join(PACKAGE, 'payloads', 'manifest.json'), 'utf8'));
}

/**
 * The architectures the package under test embeds, in the known order of
 * cases.json: those of its staged manifest (every set of the repository's,
 * unless the package was built with --arch).
 */
function embeddedArchs() {
  const staged = new Set(packageManifest().assets.map((a) => a.arch));
  return cases().architectures.known.map((k) => k.arch).filter((a) => staged.has(a));
}

/**
 * The host's architecture as cases.json's "host" maps it, from uname -m
 * and from process.arch (which must agree), or null if it knows neither.
 */
function hostArch() {
  const { host } = cases().architectures;
  const machine = require('child_process').execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
  const fromUname = host[machine] || null;
  const fromNode = host[process.arch] || null;
  if (fromUname !== fromNode) throw new Error(`uname -m says ${machine}, process.arch ${process.arch}`);
  return fromNode;
}

/** The default architecture a package embedding `archs` must have. */
function expectedDefaultArch(archs = embeddedArchs()) {
  const host = hostArch();
  return archs.includes(host) ? host : archs[0];
}

/** The manifest's entries of one architecture, in order. */
function manifestSet(manifest, arch) {
  return manifest.assets.filter((a) => a.arch === arch);
}

/** The default architecture's entry of the manifest named `name`. */
function defaultAsset(manifest, name) {
  const arch = expectedDefaultArch();
  const found = manifest.assets.find((a) => a.arch === arch && a.name === name);
  if (!found) throw new Error(`manifest: no ${arch} asset ${name}`);
  return found;
}

/**
 * What a kernel's own bytes say, read here without the core: an arm64
 * Image's header (magic "ARM\x64" at 56; text_offset, image_size, flags at
 * 8, 16, 24), or a 64-bit little-endian ELF's entry, its PT_LOAD span in
 * physical memory, and the PVH entry of its Xen note (PT_NOTE, name "Xen",
 * type 18, XEN_ELFNOTE_PHYS32_ENTRY).  Numbers where exact; BigInts
 * are checked to fit.
 */
function parseKernel(buf) {
  const num = (big) => {
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`0x${big.toString(16)} is not exact as a number`);
    return Number(big);
  };
  if (buf.readUInt32LE(56) === 0x644d5241) {
    return {
      format: 'Image',
      textOffset: num(buf.readBigUInt64LE(8)),
      imageSize: num(buf.readBigUInt64LE(16)),
      flags: num(buf.readBigUInt64LE(24)),
      entry: 0,
      pvhEntry: 0,
      loadAddress: 0,
    };
  }
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error('neither an arm64 Image nor an ELF64 LE');
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  let low = null;
  let high = 0n;
  let pvh = 0n;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const type = buf.readUInt32LE(ph);
    const offset = Number(buf.readBigUInt64LE(ph + 8));
    const paddr = buf.readBigUInt64LE(ph + 24);
    const filesz = Number(buf.readBigUInt64LE(ph + 32));
    const memsz = buf.readBigUInt64LE(ph + 40);
    if (type === 1) { // PT_LOAD
      if (low === null || paddr < low) low = paddr;
      if (paddr + memsz > high) high = paddr + memsz;
    } else if (type === 4) { // PT_NOTE: namesz, descsz, type, name, desc (4-byte aligned)
      for (let n = offset; n + 12 <= offset + filesz;) {
        const namesz = buf.readUInt32LE(n);
        const descsz = buf.readUInt32LE(n + 4);
        const ntype = buf.readUInt32LE(n + 8);
        const name = buf.toString('latin1', n + 12, n + 12 + namesz).replace(/\0+$/, '');
        const desc = n + 12 + Math.ceil(namesz / 4) * 4;
        if (name === 'Xen' && ntype === 18) {
          pvh = descsz >= 8 ? buf.readBigUInt64LE(desc) : BigInt(buf.readUInt32LE(desc));
        }
        n = desc + Math.ceil(descsz / 4) * 4;
      }
    }
  }
  if (low === null) throw new Error('ELF without PT_LOAD');
  return {
    format: 'ELF',
    textOffset: 0,
    imageSize: num(high - low),
    flags: 0,
    entry: num(buf.readBigUInt64LE(24)),
    pvhEntry: num(pvh),
    loadAddress: num(low),
  };
}

/** A fresh empty directory, removed when the test ends. */
function workDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smk-node-'));
  t.after(() => {
    // Undo read-only modes the test set, then remove.
    const walk = (p) => {
      let st;
      try { st = fs.lstatSync(p); } catch { return; }
      if (st.isDirectory()) {
        try { fs.chmodSync(p, 0o755); } catch { /* ignore */ }
        for (const e of fs.readdirSync(p)) walk(path.join(p, e));
      }
    };
    walk(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Sets XDG_CACHE_HOME to dir for this test; the old value comes back after it. */
function cacheHome(t, dir) {
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = dir;
  t.after(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });
  return dir;
}

/**
 * A path of a cases.json case: for a case with "bytes", a Buffer of the
 * bytes it stands for (%HH is the byte 0xHH, %% is %, any other character
 * its UTF-8 bytes: JSON cannot hold bytes that are not UTF-8); else the
 * string itself.
 */
function casePath(c, text) {
  if (!c.bytes) return text;
  const parts = [];
  for (let i = 0; i < text.length;) {
    if (text[i] !== '%') {
      const next = text.indexOf('%', i);
      const end = next < 0 ? text.length : next;
      parts.push(Buffer.from(text.slice(i, end)));
      i = end;
    } else if (text[i + 1] === '%') {
      parts.push(Buffer.from('%'));
      i += 2;
    } else {
      const hh = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hh) || hh === '00') throw new Error(`cases.json: bad %-escape in ${text}`);
      parts.push(Buffer.from([parseInt(hh, 16)]));
      i += 3;
    }
  }
  return Buffer.concat(parts);
}

/** root joined with a case's relative path, a Buffer for a Buffer; '' stays ''. */
function under(root, rel) {
  if (typeof rel === 'string') return rel === '' ? '' : path.join(root, rel);
  return rel.length === 0 ? '' : Buffer.concat([Buffer.from(`${root}/`), rel]);
}

/** An asset's name in the API's function names: 'init_oci' -> 'InitOci'. */
const camel = (name) => name.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());

/** Whether permission bits apply to this process (not root). */
const unprivileged = typeof process.getuid === 'function' && process.getuid() !== 0;

module.exports = {
  REPO, PACKAGE, CONFORMANCE, load, cases, workDir, cacheHome, unprivileged, camel, casePath, under,
  packageManifest, embeddedArchs, hostArch, expectedDefaultArch, manifestSet, defaultAsset, parseKernel,
};
