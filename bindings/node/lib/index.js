'use strict';
// supermachine-kernel: the guest side of a microVM (an aarch64 Linux kernel
// Image, the init-oci PID 1 and the supermachine-agent), shipped inside the
// package as xz and decoded on demand by the C core, straight to a file or
// into memory.  Types and documentation: index.d.ts.
//
// The asset table is the addon's: every per-asset name below (KERNEL_LEN,
// extractKernelTo, ...) is made from it, so a new asset needs no change
// here (only in index.d.ts, which is written by hand).

const util = require('util');
const native = require('./native');
const { toPath, join } = require('./paths');
const { PayloadError, fromCode } = require('./errors');

const { ops } = native;

const ASSETS = Object.freeze(
  Array.from({ length: native.assetCount }, (_, i) => Object.freeze(native.assetInfo(i))),
);
// Asset names ('kernel', 'init_oci', ...) and file names ('init-oci', ...)
// -> the core's asset number.
const ASSET_IDS = new Map();
ASSETS.forEach((a, i) => {
  ASSET_IDS.set(a.name, i);
  ASSET_IDS.set(a.fileName, i);
});

function assetId(asset) {
  const id = typeof asset === 'string' ? ASSET_IDS.get(asset) : undefined;
  if (id === undefined) {
    const err = new TypeError(
      `The argument 'asset' must be one of ${ASSETS.map((a) => `'${a.name}'`).join(', ')}. ` +
        `Received ${util.inspect(asset)}`,
    );
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
  return id;
}

// ---- operations: native.run (this thread) and native.runAsync (the libuv
// pool, a promise) take (op, asset, path) and give the core's code, or
// [code, per-asset codes...] for the directory operations ------------------

/** The error of a single-file operation, or null. */
function fileError(rc, step, path, asset) {
  return rc === 0 ? null : fromCode(rc, step, path, ASSETS[asset].name);
}

/**
 * The error of a directory operation from its [rc, per-asset...] result:
 * that of the first asset that failed (named by its path in dir), or, when
 * none did, the directory's own.
 */
function dirError(result, step, dir) {
  const [rc, ...results] = result;
  if (rc === 0) return null;
  const i = results.findIndex((r) => r < 0);
  if (i < 0) return fromCode(rc, 'mkdir', dir);
  return fromCode(results[i], step, join(dir, ASSETS[i].fileName), ASSETS[i].name);
}

function throwIf(err) {
  if (err) {
    Error.captureStackTrace(err, throwIf);
    throw err;
  }
}

const api = {};

for (const [i, a] of ASSETS.entries()) {
  const NAME = a.name.toUpperCase();
  const Name = a.name.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());

  api[`${NAME}_LEN`] = a.size;

  const variants = [
    [`extract${Name}To`, ops.EXTRACT],
    [`extract${Name}ToWithParents`, ops.EXTRACT_WITH_PARENTS],
  ];
  for (const [fn, op] of variants) {
    api[fn] = {
      async [fn](path) {
        const p = toPath(path);
        throwIf(fileError(await native.runAsync(op, i, p), 'write', p, i));
      },
    }[fn];
    api[`${fn}Sync`] = {
      [`${fn}Sync`](path) {
        const p = toPath(path);
        throwIf(fileError(native.run(op, i, p), 'write', p, i));
      },
    }[`${fn}Sync`];
  }
}

// The decoded bytes: getters, decoded on first access in each thread and
// then kept; not enumerable, so that spreading or logging the module
// decodes nothing.
const decoded = new Array(ASSETS.length);
function assetBytes(i) {
  if (decoded[i] === undefined) {
    const out = native.assetBytes(i);
    if (typeof out === 'number') throwIf(fromCode(out, 'read', undefined, ASSETS[i].name));
    decoded[i] = out;
  }
  return decoded[i];
}

// ---- the deprecated names of the seed ------------------------------------

const deprecations = [
  ['extractTo', 'extractKernelTo', 'SMK_DEP0001'],
  ['extractToSync', 'extractKernelToSync', 'SMK_DEP0002'],
  ['extractToWithParents', 'extractKernelToWithParents', 'SMK_DEP0003'],
  ['extractToWithParentsSync', 'extractKernelToWithParentsSync', 'SMK_DEP0004'],
];
for (const [old, current, code] of deprecations) {
  const target = api[current];
  api[old] = util.deprecate(
    { [old](path) { return target(path); } }[old],
    `${old}() is deprecated; use ${current}()`,
    code,
  );
}

// ---- the whole set ----------------------------------------------------------

async function extractAllTo(dir) {
  const d = toPath(dir, 'dir');
  throwIf(dirError(await native.runAsync(ops.EXTRACT_ALL, 0, d), 'write', d));
}
function extractAllToSync(dir) {
  const d = toPath(dir, 'dir');
  throwIf(dirError(native.run(ops.EXTRACT_ALL, 0, d), 'write', d));
}

function defaultDir() {
  const out = native.defaultDir();
  if (typeof out === 'number') throwIf(fromCode(out, 'mkdir', '$XDG_CACHE_HOME or $HOME'));
  return out;
}

async function ensureAssets(dir) {
  const d = dir === undefined ? defaultDir() : toPath(dir, 'dir');
  throwIf(dirError(await native.runAsync(ops.ENSURE, 0, d), 'write', d));
  return d;
}
function ensureAssetsSync(dir) {
  const d = dir === undefined ? defaultDir() : toPath(dir, 'dir');
  throwIf(dirError(native.run(ops.ENSURE, 0, d), 'write', d));
  return d;
}

async function verify(dir) {
  const d = toPath(dir, 'dir');
  throwIf(dirError(await native.runAsync(ops.VERIFY, 0, d), 'read', d));
}
function verifySync(dir) {
  const d = toPath(dir, 'dir');
  throwIf(dirError(native.run(ops.VERIFY, 0, d), 'read', d));
}

async function verifyFile(asset, path) {
  const i = assetId(asset);
  const p = toPath(path);
  throwIf(fileError(await native.runAsync(ops.VERIFY_FILE, i, p), 'read', p, i));
}
function verifyFileSync(asset, path) {
  const i = assetId(asset);
  const p = toPath(path);
  throwIf(fileError(native.run(ops.VERIFY_FILE, i, p), 'read', p, i));
}

// ---- descriptions --------------------------------------------------------------

function assets() {
  return ASSETS.slice();
}

let kernel;
function kernelInfo() {
  if (kernel === undefined) {
    const out = native.kernelInfo();
    if (typeof out === 'number') throwIf(fromCode(out, 'read', undefined, 'kernel'));
    kernel = Object.freeze(out);
  }
  return kernel;
}

Object.assign(api, {
  version: native.version,
  PayloadError,
  assets,
  kernelInfo,
  defaultDir,
  extractAllTo,
  extractAllToSync,
  ensureAssets,
  ensureAssetsSync,
  verify,
  verifySync,
  verifyFile,
  verifyFileSync,
});
for (const [i, a] of ASSETS.entries()) {
  Object.defineProperty(api, `${a.name.toUpperCase()}_BYTES`, {
    get: () => assetBytes(i),
    enumerable: false,
    configurable: false,
  });
}

module.exports = api;
