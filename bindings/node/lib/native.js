'use strict';
// Loads the addon and hands it the package's payload files.
//
// Where the addon comes from, first found wins:
//   build/supermachine_kernel.node                 a source build (npm run build)
//   prebuilds/<platform>-<arch>/supermachine_kernel.node   shipped in the tarball
//                                                 (linux-x64, linux-arm64)
// The payloads (payloads/*.xz) are files of the package, shared by every
// addon; the addon maps them read-only here, at require time, and decodes
// nothing until asked.

const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const platform = `${process.platform}-${process.arch}`;
const candidates = [
  path.join(root, 'build', 'supermachine_kernel.node'),
  path.join(root, 'prebuilds', platform, 'supermachine_kernel.node'),
];

/** The platforms of the package's prebuilt addons (prebuilds/<platform>/). */
function prebuilt() {
  try {
    return fs.readdirSync(path.join(root, 'prebuilds'))
      .filter((p) => fs.existsSync(path.join(root, 'prebuilds', p, 'supermachine_kernel.node')))
      .sort();
  } catch {
    return [];
  }
}

/** A note when this Node is not linked with glibc, which every prebuilt addon needs. */
function libcNote() {
  if (process.platform !== 'linux' || !process.report) return '';
  try {
    const header = process.report.getReport().header;
    return header.glibcVersionRuntime ? '' : ' (not glibc: musl?)';
  } catch {
    return '';
  }
}

function load() {
  const failures = [];
  for (const file of candidates) {
    try {
      return require(file);
    } catch (err) {
      if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file)) {
        failures.push(`${file}: not there`);
        continue;
      }
      failures.push(`${file}: ${err && err.message}`);
    }
  }
  const err = new Error(
    `supermachine-kernel: no usable addon for ${platform}${libcNote()} ` +
      `(prebuilt: ${prebuilt().join(', ') || 'none'}, for glibc 2.34 or later). Tried:\n  ${failures.join('\n  ')}\n` +
      'Build one from source in the package directory with `npm install node-api-headers && npm run build` ' +
      '(needs cmake, a C compiler and liblzma).',
  );
  err.code = 'SMK_ERR_NO_ADDON';
  throw err;
}

const native = load();
const payloads = path.join(root, 'payloads');
const rc = native.attachPayloads(payloads);
if (rc !== 0) {
  const err = new Error(
    `supermachine-kernel: cannot map the payloads in ${payloads}: ` +
      `${native.errorName(rc) || rc}: ${native.strerror(rc)} (a damaged or incomplete installation?)`,
  );
  err.code = native.errorName(rc) || 'SMK_ERR_INTERNAL';
  err.errno = rc;
  throw err;
}

module.exports = native;
