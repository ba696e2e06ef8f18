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

/** tests/conformance/cases.json, and the manifest it names. */
function cases() {
  const data = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'cases.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, data.manifest), 'utf8'));
  return { ...data, manifestData: manifest };
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

module.exports = { REPO, PACKAGE, CONFORMANCE, load, cases, workDir, unprivileged, camel, casePath, under };
