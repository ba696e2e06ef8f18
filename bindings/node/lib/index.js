'use strict';
// supermachine-kernel: the guest side of a microVM (a Linux kernel, the
// init-oci PID 1 and the supermachine-agent, one set per guest
// architecture: aarch64 with an arm64 Image, x86_64 with a PVH vmlinux),
// shipped inside the package as xz and decoded on demand by the C core,
// straight to a file or into memory.  Types and documentation: index.d.ts.
//
// The asset table is the addon's: every per-asset name below (KERNEL_LEN,
// extractKernelTo, ...) is made from it, so a new asset or architecture
// needs no change here (only in index.d.ts, which is written by hand).
// The names without an architecture mean the default architecture's set
// (the host's, when the package embeds it); every function that works on
// a set or an asset takes an options object { arch } last for another's.

const util = require('util');
const native = require('./native');
const { toPath, join, isURL, received, typeError } = require('./paths');
const { PayloadError, fromCode, noArchError } = require('./errors');

const { ops } = native;
const KINDS = native.assetCount; // assets in one architecture's set

/** The embedded architectures, the default one first. */
const ARCHS = Object.freeze(native.archs.slice());
const DEFAULT_ARCH = native.defaultArch;

// Every asset of every set, by the core's asset value: slot s (ARCHS[s])
// holds values s * KINDS .. s * KINDS + KINDS - 1.
const ALL = Array.from({ length: native.assetTotal }, (_, i) => Object.freeze(native.assetInfo(i)));
const SETS = ARCHS.map((_, s) => ALL.slice(s * KINDS, (s + 1) * KINDS));
const ASSETS = SETS[0];
// Asset names ('kernel', 'init_oci', ...) and file names ('init-oci', ...)
// -> the asset's kind (its place in a set), the same in every set.
const KIND_IDS = new Map();
ASSETS.forEach((a, k) => {
  KIND_IDS.set(a.name, k);
  KIND_IDS.set(a.fileName, k);
});

function kindOf(asset) {
  const k = typeof asset === 'string' ? KIND_IDS.get(asset) : undefined;
  if (k === undefined) {
    const err = new TypeError(
      `The argument 'asset' must be one of ${ASSETS.map((a) => `'${a.name}'`).join(', ')}. ` +
        `Received ${util.inspect(asset)}`,
    );
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
  return k;
}

/**
 * The slot of the architecture an options object names: 0 (the default)
 * when it names none; a TypeError for options or an arch of the wrong
 * type; a PayloadError SMK_ERR_NO_ARCH naming it when the package embeds
 * no set for it.  Aliases ('arm64', 'amd64', 'x64': process.arch's names)
 * are the core's.
 */
function slotOf(options) {
  if (options === undefined || options === null) return 0;
  if (typeof options !== 'object') {
    throw typeError('ERR_INVALID_ARG_TYPE',
      `The "options" argument must be of type object. ${received(options)}`);
  }
  const { arch } = options;
  if (arch === undefined || arch === null) return 0;
  if (typeof arch !== 'string') {
    throw typeError('ERR_INVALID_ARG_TYPE',
      `The "options.arch" property must be of type string. ${received(arch)}`);
  }
  // '' is no architecture (the core would take it for the default one).
  const value = arch === '' ? -1 : native.assetFind(arch, 0);
  if (value < 0) throw noArchError(arch, ARCHS);
  return value / KINDS;
}

// ---- operations: native.run (this thread) and native.runAsync (the libuv
// pool, a promise) take (op, asset, path[, arch]) and give the core's code,
// or [code, per-asset codes...] for the directory operations ----------------

/** The error of a single-file operation, or null. */
function fileError(rc, step, path, asset) {
  return rc === 0 ? null : fromCode(rc, step, path, ALL[asset].name, ALL[asset].arch);
}

/**
 * The error of a directory operation from its [rc, per-asset...] result:
 * that of the first asset that failed (named by its path in dir), or, when
 * none did, the directory's own.
 */
function dirError(result, step, dir, slot) {
  const [rc, ...results] = result;
  if (rc === 0) return null;
  const i = results.findIndex((r) => r < 0);
  if (i < 0) return fromCode(rc, 'mkdir', dir);
  const a = SETS[slot][i];
  return fromCode(results[i], step, join(dir, a.fileName), a.name, a.arch);
}

function throwIf(err) {
  if (err) {
    Error.captureStackTrace(err, throwIf);
    throw err;
  }
}

const api = {};

for (const [k, a] of ASSETS.entries()) {
  const NAME = a.name.toUpperCase();
  const Name = a.name.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());

  api[`${NAME}_LEN`] = a.size;

  const variants = [
    [`extract${Name}To`, ops.EXTRACT],
    [`extract${Name}ToWithParents`, ops.EXTRACT_WITH_PARENTS],
  ];
  for (const [fn, op] of variants) {
    api[fn] = {
      async [fn](path, options) {
        const p = toPath(path);
        const i = slotOf(options) * KINDS + k;
        throwIf(fileError(await native.runAsync(op, i, p), 'write', p, i));
      },
    }[fn];
    api[`${fn}Sync`] = {
      [`${fn}Sync`](path, options) {
        const p = toPath(path);
        const i = slotOf(options) * KINDS + k;
        throwIf(fileError(native.run(op, i, p), 'write', p, i));
      },
    }[`${fn}Sync`];
  }
}

// The decoded bytes, by asset value: decoded on first use in each thread
// and then kept, shared by the *_BYTES getters and assetBytes().
const decoded = new Array(ALL.length);
function bytesOf(i) {
  if (decoded[i] === undefined) {
    const out = native.assetBytes(i);
    if (typeof out === 'number') throwIf(fromCode(out, 'read', undefined, ALL[i].name, ALL[i].arch));
    decoded[i] = out;
  }
  return decoded[i];
}

function assetBytes(asset, options) {
  const k = kindOf(asset);
  return bytesOf(slotOf(options) * KINDS + k);
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

// ---- a whole set ------------------------------------------------------------

async function extractAllTo(dir, options) {
  const d = toPath(dir, 'dir');
  const s = slotOf(options);
  throwIf(dirError(await native.runAsync(ops.EXTRACT_ALL, 0, d, ARCHS[s]), 'write', d, s));
}
function extractAllToSync(dir, options) {
  const d = toPath(dir, 'dir');
  const s = slotOf(options);
  throwIf(dirError(native.run(ops.EXTRACT_ALL, 0, d, ARCHS[s]), 'write', d, s));
}

function defaultDirOf(slot) {
  const out = native.defaultDir(ARCHS[slot]);
  if (typeof out === 'number') throwIf(fromCode(out, 'mkdir', '$XDG_CACHE_HOME or $HOME'));
  return out;
}

function defaultDir(options) {
  return defaultDirOf(slotOf(options));
}

/**
 * ensureAssets' arguments: (dir, options), (options) or (): the directory
 * (undefined for the default one) and the slot.  An object that is no
 * path (not a Buffer, Uint8Array or URL) given alone is the options.
 */
function ensureArgs(dir, options) {
  if (options === undefined && dir !== null && typeof dir === 'object' &&
      !(dir instanceof Uint8Array) && !isURL(dir)) {
    return [undefined, slotOf(dir)];
  }
  const s = slotOf(options);
  return [dir === undefined ? undefined : toPath(dir, 'dir'), s];
}

async function ensureAssets(dir, options) {
  const [given, s] = ensureArgs(dir, options);
  const d = given === undefined ? defaultDirOf(s) : given;
  throwIf(dirError(await native.runAsync(ops.ENSURE, 0, d, ARCHS[s]), 'write', d, s));
  return d;
}
function ensureAssetsSync(dir, options) {
  const [given, s] = ensureArgs(dir, options);
  const d = given === undefined ? defaultDirOf(s) : given;
  throwIf(dirError(native.run(ops.ENSURE, 0, d, ARCHS[s]), 'write', d, s));
  return d;
}

async function verify(dir, options) {
  const d = toPath(dir, 'dir');
  const s = slotOf(options);
  throwIf(dirError(await native.runAsync(ops.VERIFY, 0, d, ARCHS[s]), 'read', d, s));
}
function verifySync(dir, options) {
  const d = toPath(dir, 'dir');
  const s = slotOf(options);
  throwIf(dirError(native.run(ops.VERIFY, 0, d, ARCHS[s]), 'read', d, s));
}

async function verifyFile(asset, path, options) {
  const k = kindOf(asset);
  const p = toPath(path);
  const i = slotOf(options) * KINDS + k;
  throwIf(fileError(await native.runAsync(ops.VERIFY_FILE, i, p), 'read', p, i));
}
function verifyFileSync(asset, path, options) {
  const k = kindOf(asset);
  const p = toPath(path);
  const i = slotOf(options) * KINDS + k;
  throwIf(fileError(native.run(ops.VERIFY_FILE, i, p), 'read', p, i));
}

// ---- descriptions --------------------------------------------------------------

function assets(options) {
  return SETS[slotOf(options)].slice();
}

const kernels = new Array(ARCHS.length);
function kernelInfo(options) {
  const s = slotOf(options);
  if (kernels[s] === undefined) {
    const out = native.kernelInfo(ARCHS[s]);
    if (typeof out === 'number') throwIf(fromCode(out, 'read', undefined, 'kernel', ARCHS[s]));
    kernels[s] = Object.freeze(out);
  }
  return kernels[s];
}

Object.assign(api, {
  version: native.version,
  ARCHS,
  DEFAULT_ARCH,
  PayloadError,
  assets,
  assetBytes,
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
for (const [k, a] of ASSETS.entries()) {
  Object.defineProperty(api, `${a.name.toUpperCase()}_BYTES`, {
    get: () => bytesOf(k),
    enumerable: false,
    configurable: false,
  });
}

module.exports = api;
