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

  /**
   * A guest architecture the package may embed a set for: `'aarch64'` (an
   * arm64 Linux Image) or `'x86_64'` (a PVH vmlinux).
   */
  type Arch = 'aarch64' | 'x86_64';

  /**
   * The options of every function that works on an asset or a set: which
   * architecture's.  `arch` is an {@link Arch} or one of the other names
   * given to it (`'arm64'`; `'amd64'`, `'x64'`: so `process.arch` works);
   * absent, `undefined` or `null` for {@link DEFAULT_ARCH}.  A name the
   * package embeds no set for (`''` included) is refused, before anything is
   * done, with a {@link PayloadError} `SMK_ERR_NO_ARCH` whose `arch` is the
   * name; a non-string `arch` or non-object options with a TypeError
   * (`ERR_INVALID_ARG_TYPE`).
   */
  interface ArchOptions {
    arch?: string | null;
  }

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
    | 'SMK_ERR_INTERNAL'
    | 'SMK_ERR_NO_ARCH';

  /** What the build recorded about one asset (a frozen object). */
  interface AssetInfo {
    /** `'kernel'`, `'init_oci'` or `'supermachine_agent'`. */
    readonly name: AssetName;
    /** The file name in a directory of assets: `'kernel'`, `'init-oci'`, `'supermachine-agent'`. */
    readonly fileName: AssetFileName;
    /** The guest architecture of the set it belongs to. */
    readonly arch: Arch;
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

  /**
   * What a VMM needs to load a kernel (a frozen object): for an arm64 Image
   * its header's fields, for an x86_64 vmlinux its ELF entry points and
   * load range.  64-bit fields are numbers, exact (every value of the
   * kernels the package embeds is below 2^53).
   */
  interface KernelInfo {
    /** The architecture of the kernel's set. */
    readonly arch: Arch;
    /** `'Image'` (an arm64 Image) or `'ELF'` (a vmlinux with a PVH note). */
    readonly format: 'Image' | 'ELF';
    /** The release, as `uname -r` would say it, e.g. `'6.12.117'`. */
    readonly release: string;
    /** Image: the load offset from a 2 MiB aligned base; ELF: 0. */
    readonly textOffset: number;
    /** The effective image size, including BSS (ELF: from the lowest loadable physical address to the end of the highest segment in memory). */
    readonly imageSize: number;
    /** Image: bit 0 endianness, bits 1-2 page size, bit 3 physical placement; ELF: 0. */
    readonly flags: number;
    /** ELF: the ELF entry point (`e_entry`); Image: 0 (entered at its start). */
    readonly entry: number;
    /** ELF: the 32-bit physical PVH entry point (the Xen note `XEN_ELFNOTE_PHYS32_ENTRY`), 0 if none; Image: 0. */
    readonly pvhEntry: number;
    /** ELF: the lowest physical address of a loadable segment; Image: 0. */
    readonly loadAddress: number;
  }

  /**
   * The embedded payload is damaged (`SMK_ERR_CORRUPT`,
   * `SMK_ERR_UNSUPPORTED`, `SMK_ERR_NOT_IMAGE`), a file does not hold the
   * asset (`SMK_ERR_SIZE`, `SMK_ERR_MODE`, `SMK_ERR_NOT_REGULAR`,
   * `SMK_ERR_CHECKSUM`), the package embeds no set for an architecture
   * asked for (`SMK_ERR_NO_ARCH`, its `arch` the name as given), or the
   * core failed an invariant (`SMK_ERR_INTERNAL`).  The message names the
   * asset, with its architecture when that is not {@link DEFAULT_ARCH}.
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
    /** The architecture of the asset concerned; for `SMK_ERR_NO_ARCH`, the name refused. */
    arch?: string;
    /** The file concerned, when there is one, as a string (a Buffer path's UTF-8 decoding). */
    path?: string;
  }

  // ---- the version and descriptions ------------------------------------

  /** The package's version, the core's (e.g. `'0.2.1'`). */
  const version: string;

  /**
   * The architectures whose sets the package embeds, {@link DEFAULT_ARCH}
   * first (frozen).  Both by default; a package built with
   * `scripts/build-node-package --arch` has those only.
   */
  const ARCHS: readonly Arch[];

  /**
   * The architecture whose set the names without one mean (`KERNEL_LEN`,
   * `extractKernelTo`, `ensureAssets()`...): the host's (`x86_64` on x86_64,
   * `aarch64` on aarch64) when the package embeds it, else `ARCHS[0]`.
   */
  const DEFAULT_ARCH: Arch;

  /**
   * A description of each asset of an architecture's set (default
   * {@link DEFAULT_ARCH}'s), in the core's order: kernel, init_oci,
   * supermachine_agent.  Never decodes; a new array each call, of the same
   * frozen objects.
   * @throws {PayloadError} `SMK_ERR_NO_ARCH`, see {@link ArchOptions}.
   */
  function assets(options?: ArchOptions): AssetInfo[];

  /**
   * The decoded bytes of an asset, named by its name or its file name, of
   * an architecture's set (default {@link DEFAULT_ARCH}'s).  Decoded on the
   * first call in each thread, then the same Buffer: the one the `*_BYTES`
   * getters give for the default set.  Shared: do not modify it.
   * @throws {PayloadError} as {@link KERNEL_BYTES}, or `SMK_ERR_NO_ARCH`;
   *   a TypeError (`ERR_INVALID_ARG_VALUE`) for an unknown asset.
   */
  function assetBytes(asset: AssetName | AssetFileName, options?: ArchOptions): Buffer;

  /**
   * An architecture's kernel (default {@link DEFAULT_ARCH}'s), read on the
   * first call by decoding the first bytes of the kernel payload (an
   * Image's header; a vmlinux's ELF headers and notes; never the whole
   * kernel); the same frozen object after that.
   * @throws {PayloadError} `SMK_ERR_CORRUPT`, `SMK_ERR_UNSUPPORTED` or
   *   `SMK_ERR_NOT_IMAGE` if the payload is damaged; `SMK_ERR_NO_ARCH`.
   */
  function kernelInfo(options?: ArchOptions): KernelInfo;

  /**
   * The default directory of {@link ensureAssets} for an architecture: for
   * {@link DEFAULT_ARCH}, `$XDG_CACHE_HOME/supermachine-kernel/<version>`
   * when XDG_CACHE_HOME is absolute, else
   * `$HOME/.cache/supermachine-kernel/<version>`; for another, that
   * directory's subdirectory named after it (`.../<version>/aarch64`).
   * Creates nothing.
   * @throws an `fs`-like Error (`ENOENT`) if no home directory can be
   *   found; a {@link PayloadError} `SMK_ERR_NO_ARCH`.
   */
  function defaultDir(options?: ArchOptions): string;

  // ---- sizes and bytes ----------------------------------------------------

  /** The decoded size of the kernel (of {@link DEFAULT_ARCH}'s set, as every name without an architecture) in bytes.  Never decodes. */
  const KERNEL_LEN: number;
  /** The decoded size of init-oci in bytes.  Never decodes. */
  const INIT_OCI_LEN: number;
  /** The decoded size of supermachine-agent in bytes.  Never decodes. */
  const SUPERMACHINE_AGENT_LEN: number;

  /**
   * The decoded kernel of {@link DEFAULT_ARCH}'s set ({@link assetBytes}
   * for another's).  A getter: decoded on first access in each
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
   * Writes the kernel (of {@link DEFAULT_ARCH}'s set, or of `options.arch`'s)
   * to `path`, mode 0644, atomically: decoded into
   * a temporary file in the same directory, checked, synced and renamed
   * over `path` (a symlink there is replaced, not followed).  On failure
   * `path` is left as it was.  The directory must exist.  Runs on the libuv
   * thread pool.
   * @returns a Promise that rejects with an `fs`-like Error (`ENOENT` when
   *   the directory is missing, `EISDIR`, `EACCES`, `ENOSPC`...), a
   *   {@link PayloadError} if the payload is damaged (or `SMK_ERR_NO_ARCH`),
   *   or a TypeError for a bad path.
   */
  function extractKernelTo(path: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link extractKernelTo}, synchronously: blocks until written.  @throws as extractKernelTo rejects. */
  function extractKernelToSync(path: PathLike, options?: ArchOptions): void;
  /** {@link extractKernelTo}, first creating the missing directories leading to `path` (as `mkdir -p`).  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelTo's, or with `ENOTDIR`. */
  function extractKernelToWithParents(path: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link extractKernelToWithParents}, synchronously.  @throws as it rejects. */
  function extractKernelToWithParentsSync(path: PathLike, options?: ArchOptions): void;

  /** Writes init-oci to `path`, mode 0755, as {@link extractKernelTo}.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelTo's. */
  function extractInitOciTo(path: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link extractInitOciTo}, synchronously.  @throws as it rejects. */
  function extractInitOciToSync(path: PathLike, options?: ArchOptions): void;
  /** {@link extractInitOciTo}, first creating the missing parent directories.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelToWithParents's. */
  function extractInitOciToWithParents(path: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link extractInitOciToWithParents}, synchronously.  @throws as it rejects. */
  function extractInitOciToWithParentsSync(path: PathLike, options?: ArchOptions): void;

  /** Writes supermachine-agent to `path`, mode 0755, as {@link extractKernelTo}.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelTo's. */
  function extractSupermachineAgentTo(path: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link extractSupermachineAgentTo}, synchronously.  @throws as it rejects. */
  function extractSupermachineAgentToSync(path: PathLike, options?: ArchOptions): void;
  /** {@link extractSupermachineAgentTo}, first creating the missing parent directories.  Runs on the libuv thread pool.  @returns a Promise that rejects as extractKernelToWithParents's. */
  function extractSupermachineAgentToWithParents(path: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link extractSupermachineAgentToWithParents}, synchronously.  @throws as it rejects. */
  function extractSupermachineAgentToWithParentsSync(path: PathLike, options?: ArchOptions): void;

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
   * Writes every asset of an architecture's set (default
   * {@link DEFAULT_ARCH}'s) into `dir` under its plain file name (`kernel`,
   * `init-oci`, `supermachine-agent`, for every architecture), each
   * atomically as
   * {@link extractKernelTo} does, creating `dir` and its parents if
   * missing, replacing what is there.  On failure the files already
   * written stay (each complete).  Runs on the libuv thread pool.
   * @returns a Promise that rejects with the error of the first asset that
   *   failed (its `path` the file's), or of `dir` itself (`syscall`
   *   `'mkdir'`): an `fs`-like Error, a {@link PayloadError} (or
   *   `SMK_ERR_NO_ARCH`, before anything is written) or a TypeError.
   */
  function extractAllTo(dir: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link extractAllTo}, synchronously.  @throws as it rejects. */
  function extractAllToSync(dir: PathLike, options?: ArchOptions): void;

  /**
   * Makes `dir` (default: {@link defaultDir} of the architecture) hold
   * every asset of an architecture's set (default {@link DEFAULT_ARCH}'s),
   * complete and current, extracting only those missing or wrong; creates
   * `dir` with its parents.  A directory holds one set: ensuring another
   * architecture's in it replaces the files.  The options may come alone:
   * `ensureAssets({ arch: 'aarch64' })`.  Safe under concurrent callers (threads or processes): the
   * slow path runs under a lock file in `dir`.  Runs on the libuv thread
   * pool.
   * @returns a Promise of the directory as given: a string for a string, a
   *   URL (converted to its path) or no argument, a Buffer for a Buffer.
   *   It rejects as {@link extractAllTo}'s, or with `ENOTDIR`.
   */
  function ensureAssets(dir?: string | URL, options?: ArchOptions): Promise<string>;
  /** {@link ensureAssets} into the architecture's default directory. */
  function ensureAssets(options: ArchOptions): Promise<string>;
  /** {@link ensureAssets} of a Buffer path: the Promise is of that Buffer. */
  function ensureAssets(dir: Buffer, options?: ArchOptions): Promise<Buffer>;
  /** {@link ensureAssets} of any path: a string, or a Buffer for a Buffer. */
  function ensureAssets(dir?: PathLike, options?: ArchOptions): Promise<string | Buffer>;
  /** {@link ensureAssets}, synchronously: returns the directory.  @throws as it rejects. */
  function ensureAssetsSync(dir?: string | URL, options?: ArchOptions): string;
  /** {@link ensureAssetsSync} into the architecture's default directory. */
  function ensureAssetsSync(options: ArchOptions): string;
  /** {@link ensureAssetsSync} of a Buffer path: returns that Buffer. */
  function ensureAssetsSync(dir: Buffer, options?: ArchOptions): Buffer;
  /** {@link ensureAssetsSync} of any path: a string, or a Buffer for a Buffer. */
  function ensureAssetsSync(dir?: PathLike, options?: ArchOptions): string | Buffer;

  // ---- checking files -------------------------------------------------------

  /**
   * Checks every asset of an architecture's set (default
   * {@link DEFAULT_ARCH}'s) in `dir` under its file name: a regular file (not a
   * symlink) of the asset's size and mode, holding exactly its bytes (every
   * byte compared with the payload).  Runs on the libuv thread pool.
   * @returns a Promise that rejects with the error of the first asset that
   *   does not match, its `path` the file's: a {@link PayloadError}
   *   (`SMK_ERR_NOT_REGULAR`, `SMK_ERR_SIZE`, `SMK_ERR_MODE`,
   *   `SMK_ERR_CHECKSUM`; another architecture's set is refused so, with
   *   `SMK_ERR_SIZE` for its kernel; `SMK_ERR_NO_ARCH`), an `fs`-like Error
   *   (`ENOENT`...), or a TypeError.
   */
  function verify(dir: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link verify}, synchronously.  @throws as it rejects. */
  function verifySync(dir: PathLike, options?: ArchOptions): void;

  /**
   * Checks one file against one asset of an architecture's set (default
   * {@link DEFAULT_ARCH}'s), named by its name or its file name, as
   * {@link verify} checks each.  Runs on the libuv thread pool.
   * @returns a Promise that rejects as verify's, or with a TypeError (code
   *   `ERR_INVALID_ARG_VALUE`) for an unknown asset.
   */
  function verifyFile(asset: AssetName | AssetFileName, path: PathLike, options?: ArchOptions): Promise<void>;
  /** {@link verifyFile}, synchronously.  @throws as it rejects. */
  function verifyFileSync(asset: AssetName | AssetFileName, path: PathLike, options?: ArchOptions): void;
}

export = smk;
