// Types of supermachine-kernel, written by hand; they describe lib/index.js.
//
// The CommonJS module is one object (module.exports), so it is declared
// with `export =` of a namespace: `require()`, `import x = require()` and
// a default import all get that object, and nothing claims a `default`
// property it lacks.  The ESM entry point (lib/index.mjs) exports less by
// name (no *_BYTES); its own declarations, lib/index.d.mts, re-export these.

import type { Buffer } from 'node:buffer';
import type { URL } from 'node:url';

declare namespace smk {
  // ---- types -------------------------------------------------------------

  /**
   * A path, as `fs` takes it: a string, a Buffer of raw bytes, or a
   * `file:` URL.  A path holding a NUL byte is refused with a TypeError
   * (code `ERR_INVALID_ARG_VALUE`); any other type with a TypeError (code
   * `ERR_INVALID_ARG_TYPE`).
   */
  type PathLike = string | Buffer | URL;

  /** The name of an asset: `AssetInfo.name`. */
  type AssetName = 'kernel' | 'init_oci' | 'supermachine_agent';

  /** The file name of an asset in a directory of assets: `AssetInfo.fileName`. */
  type AssetFileName = 'kernel' | 'init-oci' | 'supermachine-agent';

  /** The codes of a {@link PayloadError}: the core's `SMK_ERR_*` names. */
  type PayloadErrorCode =
    | 'SMK_ERR_CORRUPT'
    | 'SMK_ERR_SIZE'
    | 'SMK_ERR_CHECKSUM'
    | 'SMK_ERR_MODE'
    | 'SMK_ERR_NOT_REGULAR'
    | 'SMK_ERR_UNSUPPORTED'
    | 'SMK_ERR_NOT_IMAGE'
    | 'SMK_ERR_INTERNAL';

  /** What the build recorded about one asset (a frozen object). */
  interface AssetInfo {
    /** `'kernel'`, `'init_oci'` or `'supermachine_agent'`. */
    readonly name: AssetName;
    /** The file name in a directory of assets: `'kernel'`, `'init-oci'`, `'supermachine-agent'`. */
    readonly fileName: AssetFileName;
    /** The target architecture, `'aarch64'`. */
    readonly arch: string;
    /** SHA-256 of the decoded bytes, 64 lowercase hex digits, as the build recorded it. */
    readonly sha256: string;
    /** The decoded size in bytes (the same as the asset's `*_LEN`). */
    readonly size: number;
    /** The file mode when extracted: `0o644` or `0o755`. */
    readonly mode: number;
    /** Whether the payload is embedded as xz (else raw). */
    readonly compressed: boolean;
    /** The bytes the payload takes in the package. */
    readonly embeddedSize: number;
  }

  /** The kernel's arm64 Image header and release (a frozen object). */
  interface KernelInfo {
    /** The image load offset from a 2 MiB aligned base. */
    readonly textOffset: number;
    /** The effective image size, including BSS. */
    readonly imageSize: number;
    /** Bit 0 endianness, bits 1-2 page size, bit 3 physical placement. */
    readonly flags: number;
    /** The release, as `uname -r` would say it, e.g. `'6.12.117'`. */
    readonly release: string;
  }

  /**
   * The embedded payload is damaged (`SMK_ERR_CORRUPT`,
   * `SMK_ERR_UNSUPPORTED`, `SMK_ERR_NOT_IMAGE`), a file does not hold the
   * asset (`SMK_ERR_SIZE`, `SMK_ERR_MODE`, `SMK_ERR_NOT_REGULAR`,
   * `SMK_ERR_CHECKSUM`), or the core failed an invariant
   * (`SMK_ERR_INTERNAL`).
   *
   * Errors of the operating system are not PayloadErrors but `Error`s
   * shaped like those of `fs` (`NodeJS.ErrnoException`): `code` (`'ENOENT'`),
   * `errno` (negative, as libuv's), `syscall` (`'open'`, `'read'`,
   * `'write'` or `'mkdir'`: the step that failed) and `path` (a string:
   * for a Buffer path, its UTF-8 decoding, as `fs` gives it).
   * Bad arguments are TypeErrors with `code` `'ERR_INVALID_ARG_TYPE'` or
   * `'ERR_INVALID_ARG_VALUE'`.
   */
  class PayloadError extends Error {
    /** Only the package makes these: its `code` always matches its `errno`. */
    private constructor();
    /** The core's name of the error. */
    code: PayloadErrorCode;
    /** The core's code, negative and below -4095 (never an errno). */
    errno: number;
    /** The asset concerned, when there is one. */
    asset?: AssetName;
    /** The file concerned, when there is one, as a string (a Buffer path's UTF-8 decoding). */
    path?: string;
  }

  // ---- the version and descriptions ------------------------------------

  /** The package's version, the core's (e.g. `'0.2.1'`). */
  const version: string;

  /** A description of each asset, in the core's order: kernel, init_oci, supermachine_agent.  Never decodes; a new array each call, of the same frozen objects. */
  function assets(): AssetInfo[];

  /**
   * The kernel's Image header, read on the first call by decoding the first
   * bytes of the kernel payload (never the whole of it); the same frozen
   * object after that.
   * @throws {PayloadError} `SMK_ERR_CORRUPT`, `SMK_ERR_UNSUPPORTED` or
   *   `SMK_ERR_NOT_IMAGE` if the payload is damaged.
   */
  function kernelInfo(): KernelInfo;

  /**
   * The default directory of {@link ensureAssets}:
   * `$XDG_CACHE_HOME/supermachine-kernel/<version>` when XDG_CACHE_HOME is
   * absolute, else `$HOME/.cache/supermachine-kernel/<version>`.  Creates
   * nothing.
   * @throws an `fs`-like Error (`ENOENT`) if no home directory can be found.
   */
  function defaultDir(): string;

  // ---- sizes and bytes ----------------------------------------------------

  /** The decoded size of the kernel Image in bytes.  Never decodes. */
  const KERNEL_LEN: number;
  /** The decoded size of init-oci in bytes.  Never decodes. */
  const INIT_OCI_LEN: number;
  /** The decoded size of supermachine-agent in bytes.  Never decodes. */
  const SUPERMACHINE_AGENT_LEN: number;

  /**
   * The decoded kernel Image.  A getter: decoded on first access in each
   * thread (main thread or Worker), then the same Buffer each time in that
   * thread.  It is shared: do not modify it; copy it with `Buffer.from()`
   * to change it.  Not a named ESM export: use the default export
   * (`import smk from 'supermachine-kernel'; smk.KERNEL_BYTES`).
   * @throws {PayloadError} `SMK_ERR_CORRUPT`, `SMK_ERR_SIZE` or
   *   `SMK_ERR_UNSUPPORTED` if the payload cannot be decoded (and again on
   *   the next access, which retries).
   */
  const KERNEL_BYTES: Buffer;
  /** The decoded init-oci; a getter, shared, not a named ESM export, as {@link KERNEL_BYTES}. */
  const INIT_OCI_BYTES: Buffer;
  /** The decoded supermachine-agent; a getter, shared, not a named ESM export, as {@link KERNEL_BYTES}. */
  const SUPERMACHINE_AGENT_BYTES: Buffer;

  // ---- one asset to a file ------------------------------------------------

  /**
   * Writes the kernel Image to `path`, mode 0644, atomically: decoded into
   * a temporary file in the same directory, checked, synced and renamed
   * over `path` (a symlink there is replaced, not followed).  On failure
   * `path` is left as it was.  The directory must exist.  Runs on the libuv
   * thread pool.
   * @returns a Promise that rejects with an `fs`-like Error (`ENOENT` when
   *   the directory is missing, `EISDIR`, `EACCES`, `ENOSPC`...), a
   *   {@link PayloadError} if the payload is damaged, or a TypeError for a
   *   bad path.
   */
  function extractKernelTo(path: PathLike): Promise<void>;
  /** {@link extractKernelTo}, synchronously: blocks until written.  @throws as extractKernelTo rejects. */
  function extractKernelToSync(path: PathLike): void;
  /** {@link extractKernelTo}, first creating the missing directories leading to `path` (as `mkdir -p`).  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelTo's, or with `ENOTDIR`. */
  function extractKernelToWithParents(path: PathLike): Promise<void>;
  /** {@link extractKernelToWithParents}, synchronously.  @throws as it rejects. */
  function extractKernelToWithParentsSync(path: PathLike): void;

  /** Writes init-oci to `path`, mode 0755, as {@link extractKernelTo}.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelTo's. */
  function extractInitOciTo(path: PathLike): Promise<void>;
  /** {@link extractInitOciTo}, synchronously.  @throws as it rejects. */
  function extractInitOciToSync(path: PathLike): void;
  /** {@link extractInitOciTo}, first creating the missing parent directories.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelToWithParents's. */
  function extractInitOciToWithParents(path: PathLike): Promise<void>;
  /** {@link extractInitOciToWithParents}, synchronously.  @throws as it rejects. */
  function extractInitOciToWithParentsSync(path: PathLike): void;

  /** Writes supermachine-agent to `path`, mode 0755, as {@link extractKernelTo}.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelTo's. */
  function extractSupermachineAgentTo(path: PathLike): Promise<void>;
  /** {@link extractSupermachineAgentTo}, synchronously.  @throws as it rejects. */
  function extractSupermachineAgentToSync(path: PathLike): void;
  /** {@link extractSupermachineAgentTo}, first creating the missing parent directories.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelToWithParents's. */
  function extractSupermachineAgentToWithParents(path: PathLike): Promise<void>;
  /** {@link extractSupermachineAgentToWithParents}, synchronously.  @throws as it rejects. */
  function extractSupermachineAgentToWithParentsSync(path: PathLike): void;

  /** @deprecated Use {@link extractKernelTo} (warns once, SMK_DEP0001). */
  function extractTo(path: PathLike): Promise<void>;
  /** @deprecated Use {@link extractKernelToSync} (warns once, SMK_DEP0002). */
  function extractToSync(path: PathLike): void;
  /** @deprecated Use {@link extractKernelToWithParents} (warns once, SMK_DEP0003). */
  function extractToWithParents(path: PathLike): Promise<void>;
  /** @deprecated Use {@link extractKernelToWithParentsSync} (warns once, SMK_DEP0004). */
  function extractToWithParentsSync(path: PathLike): void;

  // ---- all assets in a directory ------------------------------------------

  /**
   * Writes every asset into `dir` under its file name, each atomically as
   * {@link extractKernelTo} does, creating `dir` and its parents if
   * missing, replacing what is there.  On failure the files already
   * written stay (each complete).  Runs on the libuv thread pool.
   * @returns a Promise that rejects with the error of the first asset that
   *   failed (its `path` the file's), or of `dir` itself (`syscall`
   *   `'mkdir'`): an `fs`-like Error, a {@link PayloadError} or a TypeError.
   */
  function extractAllTo(dir: PathLike): Promise<void>;
  /** {@link extractAllTo}, synchronously.  @throws as it rejects. */
  function extractAllToSync(dir: PathLike): void;

  /**
   * Makes `dir` (default: {@link defaultDir}) hold every asset, complete and
   * current, extracting only those missing or wrong; creates `dir` with its
   * parents.  Safe under concurrent callers (threads or processes): the
   * slow path runs under a lock file in `dir`.  Runs on the libuv thread
   * pool.
   * @returns a Promise of the directory as given: a string for a string, a
   *   URL (converted to its path) or no argument, a Buffer for a Buffer.
   *   It rejects as {@link extractAllTo}'s, or with `ENOTDIR`.
   */
  function ensureAssets(dir?: string | URL): Promise<string>;
  /** {@link ensureAssets} of a Buffer path: the Promise is of that Buffer. */
  function ensureAssets(dir: Buffer): Promise<Buffer>;
  /** {@link ensureAssets} of any path: a string, or a Buffer for a Buffer. */
  function ensureAssets(dir?: PathLike): Promise<string | Buffer>;
  /** {@link ensureAssets}, synchronously: returns the directory.  @throws as it rejects. */
  function ensureAssetsSync(dir?: string | URL): string;
  /** {@link ensureAssetsSync} of a Buffer path: returns that Buffer. */
  function ensureAssetsSync(dir: Buffer): Buffer;
  /** {@link ensureAssetsSync} of any path: a string, or a Buffer for a Buffer. */
  function ensureAssetsSync(dir?: PathLike): string | Buffer;

  // ---- checking files -------------------------------------------------------

  /**
   * Checks every asset in `dir` under its file name: a regular file (not a
   * symlink) of the asset's size and mode, holding exactly its bytes (every
   * byte compared with the payload).  Runs on the libuv thread pool.
   * @returns a Promise that rejects with the error of the first asset that
   *   does not match, its `path` the file's: a {@link PayloadError}
   *   (`SMK_ERR_NOT_REGULAR`, `SMK_ERR_SIZE`, `SMK_ERR_MODE`,
   *   `SMK_ERR_CHECKSUM`), an `fs`-like Error (`ENOENT`...), or a TypeError.
   */
  function verify(dir: PathLike): Promise<void>;
  /** {@link verify}, synchronously.  @throws as it rejects. */
  function verifySync(dir: PathLike): void;

  /**
   * Checks one file against one asset, named by its name or its file name,
   * as {@link verify} checks each.  Runs on the libuv thread pool.
   * @returns a Promise that rejects as verify's, or with a TypeError (code
   *   `ERR_INVALID_ARG_VALUE`) for an unknown asset.
   */
  function verifyFile(asset: AssetName | AssetFileName, path: PathLike): Promise<void>;
  /** {@link verifyFile}, synchronously.  @throws as it rejects. */
  function verifyFileSync(asset: AssetName | AssetFileName, path: PathLike): void;
}

export = smk;
