/*
 * supermachine_kernel.h - the guest side of a microVM, embedded in a library.
 *
 * The library carries sets of three guest artifacts, compressed with xz:
 * a Linux kernel, the init-oci PID 1 and the supermachine-agent, one set
 * per guest architecture it embeds (aarch64: an arm64 Image; x86_64: a
 * PVH vmlinux).  It decodes them on demand, either into memory
 * (smk_*_bytes) or into files (smk_extract_*, smk_ensure_assets), and
 * checks files already on disk (smk_verify).  Nothing is decoded when the
 * library is loaded.
 *
 * Architectures.  Under KVM a guest must match its host, so the names
 * without an architecture (smk_kernel_bytes, SMK_ASSET_KERNEL,
 * smk_ensure_assets...) mean the set of the default architecture: the one
 * this library was compiled for when it embeds that set, else the first
 * it embeds (smk_default_arch()).  Every embedded set stays reachable:
 * smk_asset_find() gives the smk_asset value of any architecture's asset,
 * usable wherever an smk_asset is taken, and the *_set functions work on
 * a whole set.
 *
 * Errors.  Every fallible function returns 0 on success or a negative code:
 * -errno (for example -ENOENT) when the operating system refused something,
 * or one of the SMK_ERR_* codes below, which lie outside the errno range.
 * smk_strerror() and smk_error_name() describe any code.  No error state is
 * kept anywhere else, so every function may be called from any thread.
 *
 * Files are never written partially: extraction decodes into a temporary
 * file in the destination's directory, checks it, syncs it, sets its mode
 * and renames it over the destination.
 *
 * Stability.  Everything declared here is stable within an ABI major (the
 * shared library's soname).  Structures are only ever returned by pointer
 * to storage the library owns, so fields can be appended without breaking
 * callers; never allocate or copy them by value.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SUPERMACHINE_KERNEL_H
#define SUPERMACHINE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ----------------------------------------------------------
 * The one place the version is written.  Build files and bindings read it
 * from here.  The ABI major (the soname) is SMK_VERSION_MAJOR. */
#define SMK_VERSION_MAJOR 0
#define SMK_VERSION_MINOR 3
#define SMK_VERSION_PATCH 0

#define SMK_VERSION_NUMBER \
	(SMK_VERSION_MAJOR * 10000 + SMK_VERSION_MINOR * 100 + SMK_VERSION_PATCH)
#define SMK_STRINGIFY_(x) #x
#define SMK_STRINGIFY(x) SMK_STRINGIFY_(x)
#define SMK_VERSION_STRING                                       \
	SMK_STRINGIFY(SMK_VERSION_MAJOR) "." SMK_STRINGIFY(SMK_VERSION_MINOR) \
	"." SMK_STRINGIFY(SMK_VERSION_PATCH)

/* ---- Export and deprecation markers ----------------------------------- */
#ifndef SMK_API
#  if defined(SMK_STATIC_DEFINE)
#    define SMK_API
#  elif defined(_WIN32)
#    ifdef SMK_BUILDING_LIBRARY
#      define SMK_API __declspec(dllexport)
#    else
#      define SMK_API __declspec(dllimport)
#    endif
#  elif defined(__GNUC__) && __GNUC__ >= 4
#    define SMK_API __attribute__((visibility("default")))
#  else
#    define SMK_API
#  endif
#endif

#ifndef SMK_DEPRECATED
#  if defined(__cplusplus) && __cplusplus >= 201402L
#    define SMK_DEPRECATED(msg) [[deprecated(msg)]]
#  elif defined(__GNUC__) && (__GNUC__ > 4 || (__GNUC__ == 4 && __GNUC_MINOR__ >= 5))
#    define SMK_DEPRECATED(msg) __attribute__((deprecated(msg)))
#  elif defined(__clang__)
#    define SMK_DEPRECATED(msg) __attribute__((deprecated(msg)))
#  elif defined(_MSC_VER)
#    define SMK_DEPRECATED(msg) __declspec(deprecated(msg))
#  else
#    define SMK_DEPRECATED(msg)
#  endif
#endif

/* ---- Error codes -------------------------------------------------------
 * Negative, and below -4095 so they never collide with -errno. */

/** An embedded payload is damaged: malformed xz data, a failed integrity
 *  check (CRC64) of a block, or a truncated stream.  Since 0.1.0. */
#define SMK_ERR_CORRUPT (-10001)
/** A size differs from the one recorded at build time (a decoded payload,
 *  or a file checked by smk_verify).  Since 0.1.0. */
#define SMK_ERR_SIZE (-10002)
/** A file's content differs from the asset's: smk_verify, comparing it
 *  byte for byte with the embedded payload, found a byte that differs, or
 *  the file was written while it was being compared.  Since 0.1.0. */
#define SMK_ERR_CHECKSUM (-10003)
/** A file's permission bits differ from the asset's mode.  Since 0.1.0. */
#define SMK_ERR_MODE (-10004)
/** A path that should be an asset is not a regular file (a symlink, a
 *  directory, a device...).  Since 0.1.0. */
#define SMK_ERR_NOT_REGULAR (-10005)
/** The payload uses an xz feature this liblzma does not support.
 *  Since 0.1.0. */
#define SMK_ERR_UNSUPPORTED (-10006)
/** The kernel payload is not a kernel this library can describe: neither
 *  an arm64 Linux Image (header magic) nor a 64-bit little-endian ELF
 *  vmlinux with its program headers within reach.  Since 0.1.0 (ELF since
 *  0.3.0). */
#define SMK_ERR_NOT_IMAGE (-10007)
/** An internal invariant failed (a bug in this library or liblzma).
 *  Since 0.1.0. */
#define SMK_ERR_INTERNAL (-10008)
/** The library embeds no assets for the architecture asked for (or the
 *  name is not one of an architecture).  Since 0.3.0. */
#define SMK_ERR_NO_ARCH (-10009)

/* ---- Assets ------------------------------------------------------------ */

/** The kinds of asset, each the default architecture's asset of that
 *  kind.  Values are stable.  Since 0.1.0. */
typedef enum smk_asset {
	SMK_ASSET_KERNEL = 0,             /**< Linux kernel, mode 0644 */
	SMK_ASSET_INIT_OCI = 1,           /**< init-oci PID 1, mode 0755 */
	SMK_ASSET_SUPERMACHINE_AGENT = 2  /**< supermachine-agent, mode 0755 */
} smk_asset;

/** Number of asset kinds, the size of one architecture's set.  The
 *  values 0 .. SMK_ASSET_COUNT-1 are the default architecture's assets;
 *  the other architectures' follow (smk_asset_total(), smk_asset_find()).
 *  Since 0.1.0. */
#define SMK_ASSET_COUNT 3

/** Number of architectures whose sets the library embeds (at least 1).
 *  Since 0.3.0. */
SMK_API size_t smk_arch_count(void);

/**
 * Name of an embedded architecture: "aarch64" or "x86_64".  Index 0 is the
 * default architecture; the others follow in the build's order.
 * @return a static string, or NULL if @p index >= smk_arch_count().
 * @since 0.3.0
 */
SMK_API const char *smk_arch_name(size_t index);

/**
 * The default architecture, whose set the names without an architecture
 * mean: the architecture this library was compiled for ("x86_64" on
 * x86_64, "aarch64" on aarch64) when the build embeds its set, else the
 * first architecture the build embeds.  Same as smk_arch_name(0).
 * @since 0.3.0
 */
SMK_API const char *smk_default_arch(void);

/**
 * Number of embedded assets over every architecture, smk_arch_count() *
 * SMK_ASSET_COUNT: valid smk_asset values are 0 .. smk_asset_total()-1.
 * Value a * SMK_ASSET_COUNT + k is the asset of kind k of architecture
 * smk_arch_name(a).  Since 0.3.0.
 */
SMK_API size_t smk_asset_total(void);

/**
 * The smk_asset value of one architecture's asset of a kind.
 *
 * @param arch  "aarch64" or "x86_64" (also "arm64", and "amd64" or "x64":
 *              the names Go and Node give them); NULL or "" for the
 *              default architecture.
 * @param kind  SMK_ASSET_KERNEL, SMK_ASSET_INIT_OCI or
 *              SMK_ASSET_SUPERMACHINE_AGENT.
 * @return the value (>= 0), usable wherever an smk_asset is taken;
 *         -EINVAL if @p kind is not an asset kind; SMK_ERR_NO_ARCH if the
 *         library embeds no set for @p arch.
 * @since 0.3.0
 */
SMK_API int smk_asset_find(const char *arch, smk_asset kind);

/** What the build recorded about one asset.  Owned by the library, valid
 *  for the life of the process.  Fields may be appended in later minor
 *  versions.  Since 0.1.0. */
typedef struct smk_asset_info {
	const char *name;      /**< "kernel", "init_oci", "supermachine_agent" */
	const char *file_name; /**< "kernel", "init-oci", "supermachine-agent",
	                            for every architecture */
	const char *arch;      /**< guest architecture, "aarch64" or "x86_64" */
	const char *sha256;    /**< SHA-256 of the raw bytes, 64 lowercase hex,
	                            as the build recorded it (the library never
	                            computes one at run time) */
	uint64_t size;         /**< raw (decoded) size in bytes */
	unsigned int mode;     /**< file mode when extracted: 0644 or 0755 */
	int compressed;        /**< 1: embedded as xz; 0: embedded raw (a
	                            build-time override, see the README) */
	uint64_t embedded_size; /**< bytes the payload takes in the binary */
} smk_asset_info;

/**
 * Describe an asset.  Never decodes.
 *
 * @param asset  an asset: SMK_ASSET_* or a value of smk_asset_find().
 * @return a pointer to library-owned storage, or NULL if @p asset is not a
 *         valid smk_asset.
 * @since 0.1.0
 */
SMK_API const smk_asset_info *smk_asset_get_info(smk_asset asset);

/**
 * Raw size of an asset in bytes.  Never decodes.
 *
 * @param asset  SMK_ASSET_* or a value of smk_asset_find().
 * @return the size, or 0 if @p asset is not valid.
 * @since 0.1.0
 */
SMK_API size_t smk_asset_len(smk_asset asset);

/**
 * Decoded bytes of an asset.  The first call for an asset decodes it (in
 * parallel across xz blocks) into a page-aligned, read-only buffer that
 * lives until the process ends; later calls return the same buffer at once.
 * Thread-safe; a failed decode is retried by the next call.
 *
 * @param out_data  receives the buffer on success; untouched on failure.
 * @param out_len   receives the size on success; may be NULL.
 * @param asset     SMK_ASSET_* or a value of smk_asset_find().
 * @return 0 on success;
 *         -EINVAL if @p asset is invalid or @p out_data is NULL;
 *         -ENOMEM if memory could not be mapped;
 *         SMK_ERR_CORRUPT, SMK_ERR_SIZE, SMK_ERR_UNSUPPORTED if the
 *         embedded payload cannot be decoded.
 * @since 0.1.0
 */
SMK_API int smk_asset_bytes(const unsigned char **out_data, size_t *out_len,
                            smk_asset asset);

/**
 * Write an asset to @p dest atomically, with the asset's mode.
 *
 * The data is decoded into a temporary file in the directory of @p dest
 * (an unnamed one where the file system allows it), every xz block's check
 * and the total size are verified, the file is synced, its mode set, and it
 * is renamed over @p dest; then the directory is synced.  An existing file
 * at @p dest is replaced; a symlink at @p dest is replaced itself, never
 * written through.  On any failure @p dest is left as it was and no
 * temporary file remains.  Once the rename is done the call succeeds: a
 * failure to sync the directory afterwards is not reported (the file is
 * complete and in place; only the rename's durability across a power loss
 * is delayed).  A process killed while decoding leaves no temporary where
 * unnamed ones are supported; one killed between naming the finished
 * temporary and the rename (or anywhere, elsewhere) leaves a ".smk-tmp.*"
 * file, which the next extraction or smk_ensure_assets() in that directory
 * removes (only files of this user that no writer holds).  A directory
 * that is append-only or immutable is refused before anything is written.
 * The parent directory must exist.
 *
 * Writing a file past RLIMIT_FSIZE raises SIGXFSZ, which by default ends
 * the process; ignore that signal to get -EFBIG instead.
 *
 * @param asset  SMK_ASSET_* or a value of smk_asset_find().
 * @param dest   path of the file to create or replace.
 * @return 0 on success;
 *         -EINVAL if @p asset is invalid or @p dest is NULL;
 *         -ENOENT if @p dest is empty or its directory does not exist;
 *         -ENOTDIR if a component of the directory is not a directory;
 *         -EISDIR if @p dest is (or ends with a slash naming) a directory;
 *         -ENAMETOOLONG if @p dest or its last component is too long;
 *         -EACCES, -EPERM, -EROFS if the directory is not writable (-EPERM
 *         also if it is append-only or immutable);
 *         -ENOSPC, -EDQUOT, -EFBIG, -EIO if writing or syncing failed;
 *         -ENOMEM, or another -errno reported by the system;
 *         SMK_ERR_CORRUPT, SMK_ERR_SIZE, SMK_ERR_UNSUPPORTED if the
 *         embedded payload cannot be decoded.
 * @since 0.1.0
 */
SMK_API int smk_asset_extract_to(smk_asset asset, const char *dest);

/**
 * Like smk_asset_extract_to(), but first creates the missing directories
 * leading to @p dest, like `mkdir -p` (mode 0777 less the umask).
 *
 * @return the codes of smk_asset_extract_to(), and -ENOTDIR if an existing
 *         component is not a directory, or the -errno of a failed mkdir.
 * @since 0.1.0
 */
SMK_API int smk_asset_extract_to_with_parents(smk_asset asset,
                                              const char *dest);

/**
 * Extract the default architecture's set into @p dir under the file names
 * ("kernel", "init-oci", "supermachine-agent"), creating @p dir and its
 * parents if
 * missing.  Each file is written atomically as by smk_asset_extract_to();
 * the assets are decoded together so all cores are used.  On failure, files
 * already renamed into place stay (each one complete).
 *
 * @param dir  destination directory.
 * @return 0 on success, or a code of smk_asset_extract_to_with_parents().
 * @since 0.1.0
 */
SMK_API int smk_extract_all_to(const char *dir);

/* ---- The seed's surface: one function per asset ----------------------- */

/** Raw size of the kernel Image; never decodes.  Since 0.1.0. */
SMK_API size_t smk_kernel_len(void);
/** Raw size of init-oci; never decodes.  Since 0.1.0. */
SMK_API size_t smk_init_oci_len(void);
/** Raw size of supermachine-agent; never decodes.  Since 0.1.0. */
SMK_API size_t smk_supermachine_agent_len(void);

/**
 * Decoded kernel Image, as smk_asset_bytes() but returning the buffer
 * (smk_kernel_len() bytes, page-aligned, valid for the life of the process).
 * @return the buffer, or NULL if decoding failed (call smk_asset_bytes() to
 *         learn why).
 * @since 0.1.0
 */
SMK_API const unsigned char *smk_kernel_bytes(void);
/** Decoded init-oci; see smk_kernel_bytes().  Since 0.1.0. */
SMK_API const unsigned char *smk_init_oci_bytes(void);
/** Decoded supermachine-agent; see smk_kernel_bytes().  Since 0.1.0. */
SMK_API const unsigned char *smk_supermachine_agent_bytes(void);

/** Write the kernel Image to @p dest, mode 0644; see
 *  smk_asset_extract_to() for semantics and return codes.  Since 0.1.0. */
SMK_API int smk_extract_kernel_to(const char *dest);
/** As smk_extract_kernel_to(), creating missing parent directories; see
 *  smk_asset_extract_to_with_parents().  Since 0.1.0. */
SMK_API int smk_extract_kernel_to_with_parents(const char *dest);
/** Write init-oci to @p dest, mode 0755; see smk_asset_extract_to().
 *  Since 0.1.0. */
SMK_API int smk_extract_init_oci_to(const char *dest);
/** As smk_extract_init_oci_to(), creating missing parent directories.
 *  Since 0.1.0. */
SMK_API int smk_extract_init_oci_to_with_parents(const char *dest);
/** Write supermachine-agent to @p dest, mode 0755; see
 *  smk_asset_extract_to().  Since 0.1.0. */
SMK_API int smk_extract_supermachine_agent_to(const char *dest);
/** As smk_extract_supermachine_agent_to(), creating missing parent
 *  directories.  Since 0.1.0. */
SMK_API int smk_extract_supermachine_agent_to_with_parents(const char *dest);

/** Deprecated alias of smk_extract_kernel_to(), kept from the kernel-only
 *  layout.  Same return codes.  Since 0.1.0, deprecated since 0.1.0. */
SMK_DEPRECATED("use smk_extract_kernel_to")
SMK_API int smk_extract_to(const char *dest);
/** Deprecated alias of smk_extract_kernel_to_with_parents().  Same return
 *  codes.  Since 0.1.0, deprecated since 0.1.0. */
SMK_DEPRECATED("use smk_extract_kernel_to_with_parents")
SMK_API int smk_extract_to_with_parents(const char *dest);

/* ---- Kernel metadata ---------------------------------------------------- */

/** What a VMM needs to know to load a kernel: for an arm64 Image its
 *  header's fields; for an x86_64 vmlinux its ELF entry points and load
 *  range.  The release is the one recorded at build time.  Owned by the
 *  library; fields may be appended.  Since 0.1.0. */
typedef struct smk_kernel_info {
	uint64_t text_offset; /**< Image: load offset from a 2 MiB aligned
	                           base; ELF: 0 */
	uint64_t image_size;  /**< effective image size, including BSS (ELF:
	                           from the lowest loadable physical address to
	                           the end of the highest segment in memory) */
	uint64_t flags;       /**< Image: bit 0 endianness, bits 1-2 page size,
	                           bit 3 physical placement; ELF: 0 */
	const char *release;  /**< e.g. "6.12.117", as `uname -r` would say */
	/* Since 0.3.0: */
	const char *arch;     /**< "aarch64" or "x86_64" */
	const char *format;   /**< "Image" (arm64 Image) or "ELF" (vmlinux) */
	uint64_t entry;       /**< ELF: e_entry, the 64-bit entry (a virtual
	                           address); Image: 0 (entered at its start) */
	uint64_t pvh_entry;   /**< ELF: the 32-bit physical PVH entry point
	                           (Xen note XEN_ELFNOTE_PHYS32_ENTRY), which
	                           QEMU and Cloud Hypervisor start; 0 if none */
	uint64_t load_address; /**< ELF: the lowest physical address of a
	                            loadable segment; Image: 0 */
} smk_kernel_info;

/**
 * Describe the default architecture's kernel; as
 * smk_kernel_get_info_for(NULL, out).
 * @since 0.1.0
 */
SMK_API int smk_kernel_get_info(const smk_kernel_info **out);

/**
 * Describe an architecture's kernel.  The first call for it decodes the
 * kernel payload's first bytes (an Image's header; a vmlinux's ELF and
 * program headers and its notes, never the whole kernel); later calls
 * return at once.  Thread-safe.
 *
 * @param arch  as for smk_asset_find(); NULL or "" for the default.
 * @param out   receives a pointer to library-owned storage on success.
 * @return 0 on success; -EINVAL if @p out is NULL; SMK_ERR_NO_ARCH;
 *         -ENOMEM; SMK_ERR_CORRUPT or SMK_ERR_UNSUPPORTED if the payload
 *         cannot be decoded; SMK_ERR_NOT_IMAGE if it is neither an arm64
 *         Image nor an ELF vmlinux.
 * @since 0.3.0
 */
SMK_API int smk_kernel_get_info_for(const char *arch,
                                    const smk_kernel_info **out);

/**
 * The default architecture's kernel release recorded at build time
 * ("6.12.117").  Never decodes.  (Other architectures': the release field
 * of smk_kernel_get_info_for().)
 * @return a static string; empty if the build recorded none.
 * @since 0.1.0
 */
SMK_API const char *smk_kernel_release(void);

/* ---- Directories of assets --------------------------------------------- */

/**
 * The default directory of smk_ensure_assets(): 
 * "$XDG_CACHE_HOME/supermachine-kernel/<version>" when XDG_CACHE_HOME is an
 * absolute path, else "$HOME/.cache/supermachine-kernel/<version>" (HOME
 * from the environment, else the password database).
 *
 * @param out       receives the path, NUL-terminated.
 * @param out_size  size of @p out in bytes.
 * @return the path's length (excluding the NUL) on success;
 *         -EINVAL if @p out is NULL;
 *         -ERANGE if @p out_size is too small (nothing useful is written);
 *         -ENOENT if no home directory can be found.
 * @since 0.1.0
 */
SMK_API int smk_default_dir(char *out, size_t out_size);

/**
 * Make @p dir hold the default architecture's set, complete and current
 * (smk_ensure_set() for another's); extract only those
 * missing, truncated, altered or of the wrong mode.  Creates @p dir (with
 * parents) if needed.
 *
 * Idempotent and safe under concurrent callers, threads or processes: the
 * slow path runs under an advisory lock (".supermachine-kernel.lock" in
 * @p dir), waited for at most 5 s; a lock held longer (any user who can
 * open it can hold it) or not a regular file only means the work is done
 * again without it, which is still correct.  After extracting or checking,
 * it records each file's identity (device, inode, size, mtime, ctime, mode)
 * in ".supermachine-kernel.stamp"; a later call that finds every file's
 * identity unchanged trusts it without reading it.  What that trusts,
 * exactly: that no change since the check moved the file's ctime or
 * replaced its inode.  write(), truncate, rename, chmod and touch all do;
 * so does the first write through a shared mapping into a clean page
 * (it updates the times when the page is first dirtied), but a further
 * write into a page already dirty may not, nor does a change that bypasses
 * the file system (a raw device write, media corruption) — smk_verify()
 * reads every byte for those.  A stamp is trusted only if it is a regular
 * file of the caller, writable by no one else, in a directory owned by the
 * caller or root; in any other directory every call takes the slow path.
 * Failing to write the stamp is not an error.  A file whose identity changed is
 * checked as by smk_verify_file() (a wrong size or mode costs no reading)
 * and kept if it still holds the asset's bytes, else re-extracted.
 *
 * @param dir  the directory, or NULL for smk_default_dir().
 * @return 0 on success; the codes of smk_default_dir() (for NULL) and of
 *         smk_asset_extract_to_with_parents(); -ENOTDIR if @p dir is not a
 *         directory; -EACCES/-EROFS if assets are missing or wrong and
 *         @p dir is not writable.
 * @since 0.1.0
 */
SMK_API int smk_ensure_assets(const char *dir);

/**
 * Check one file against an asset: a regular file (not followed if a
 * symlink), of the asset's size and mode, holding exactly the asset's
 * bytes.  Type, size and mode are checked first, from the file's metadata,
 * so a file failing them is not read and nothing is decoded.  Otherwise the
 * whole file is read and compared byte for byte with the embedded payload,
 * decoded in chunks of about a MiB as for extraction (in parallel across
 * xz blocks, every block's check verified).  No digest is computed, and
 * neither the file nor the asset is ever held whole in memory.
 *
 * @param asset  SMK_ASSET_* or a value of smk_asset_find().
 * @param path   the file.
 * @return 0 if it matches; -EINVAL if @p asset is invalid or @p path is
 *         NULL; -ENOENT and other -errno if it cannot be opened or read;
 *         -ENOMEM; SMK_ERR_NOT_REGULAR, SMK_ERR_SIZE, SMK_ERR_MODE,
 *         SMK_ERR_CHECKSUM (a byte differs, or the file was written while
 *         it was being read), checked in that order; SMK_ERR_CORRUPT,
 *         SMK_ERR_UNSUPPORTED if the embedded payload cannot be decoded
 *         (a damaged payload is reported as such, never as a difference
 *         of the file: bytes that differ count only once the block they
 *         came from has passed its check).
 * @since 0.1.0
 */
SMK_API int smk_verify_file(smk_asset asset, const char *path);

/**
 * Check the default architecture's set in @p dir (smk_verify_set() for
 * another's), each asset under its file name, as smk_verify_file().
 * The files' contents are compared together, their xz blocks spread over
 * all cores; none is read unless every asset before it (in smk_asset
 * order) has the right type, size and mode.
 *
 * @param dir  the directory.
 * @return 0 if all match, else the code of the first asset that does not
 *         (in smk_asset order); -EINVAL if @p dir is NULL; -ENOENT if
 *         @p dir is empty; -ENOMEM.
 * @since 0.1.0
 */
SMK_API int smk_verify(const char *dir);

/* ---- Per-asset results --------------------------------------------------
 * The directory-wide calls above answer with one code.  These do the same
 * work and also say how each asset fared, so a caller (a CLI, a binding)
 * can name the file that failed without checking files one by one. */

/** An asset's result when it was not attempted because the operation
 *  failed before reaching it (its directory could not be created, or was
 *  ""): positive, so never mistaken for success or for an error code.
 *  Since 0.2.0. */
#define SMK_NOT_ATTEMPTED 1

/**
 * As smk_extract_all_to(), with each asset's outcome.
 *
 * @param out_results  receives, for each asset i below @p count, 0 if it
 *                     was written, its failure code, or SMK_NOT_ATTEMPTED;
 *                     may be NULL if @p count is 0.  Elements from
 *                     SMK_ASSET_COUNT on are set to SMK_NOT_ATTEMPTED.
 * @param count        number of elements of @p out_results.
 * @param dir          destination directory.
 * @return the codes of smk_extract_all_to(): 0, or the first failure in
 *         smk_asset order; when no asset failed, the failure is the
 *         directory's own (every result is then SMK_NOT_ATTEMPTED).
 *         -EINVAL if @p out_results is NULL and @p count is not 0.
 * @since 0.2.0
 */
SMK_API int smk_extract_all_to_each(int *out_results, size_t count,
                                    const char *dir);

/**
 * As smk_verify(), checking every asset (not stopping at the first that
 * fails) and giving each one's outcome.
 *
 * @param out_results  as for smk_extract_all_to_each(): 0 if asset i's
 *                     file matches, else the code smk_verify_file() gives.
 * @param count        number of elements of @p out_results.
 * @param dir          the directory.
 * @return 0 if all match, else the first failure in smk_asset order;
 *         -ENOENT if @p dir is "" (every result SMK_NOT_ATTEMPTED);
 *         -EINVAL if @p dir is NULL, or @p out_results is NULL and
 *         @p count is not 0.
 * @since 0.2.0
 */
SMK_API int smk_verify_each(int *out_results, size_t count, const char *dir);

/**
 * As smk_ensure_assets(), with each asset's outcome: 0 if its file is
 * right (found so, or extracted), else the code that kept it from being
 * so (for a directory that cannot be written, the lock's -EACCES, -EROFS
 * or -EPERM).
 *
 * @param out_results  as for smk_extract_all_to_each().
 * @param count        number of elements of @p out_results.
 * @param dir          the directory, or NULL for smk_default_dir().
 * @return the codes of smk_ensure_assets(); when no asset failed, the
 *         failure is the directory's own (it, its lock or its stamp) and
 *         the results of assets not reached are SMK_NOT_ATTEMPTED.
 * @since 0.2.0
 */
SMK_API int smk_ensure_assets_each(int *out_results, size_t count,
                                   const char *dir);

/* ---- Whole sets, by architecture ---------------------------------------- */

/**
 * As smk_extract_all_to_each(), for the set of @p arch: its three assets
 * written into @p dir under the plain file names ("kernel", "init-oci",
 * "supermachine-agent").
 *
 * @param arch  as for smk_asset_find(); NULL or "" for the default.
 * @param out_results, count, dir  as for smk_extract_all_to_each(), the
 *              results in kind order (SMK_ASSET_KERNEL first).
 * @return the codes of smk_extract_all_to_each(), and SMK_ERR_NO_ARCH
 *         (then every result is SMK_NOT_ATTEMPTED).
 * @since 0.3.0
 */
SMK_API int smk_extract_set_to(const char *arch, int *out_results,
                               size_t count, const char *dir);

/**
 * As smk_ensure_assets_each(), for the set of @p arch.  With @p dir NULL,
 * the default architecture's set goes to smk_default_dir() and another's
 * to smk_default_dir_for(arch).  A directory keeps one set: ensuring
 * another architecture's set in it replaces the files.
 *
 * @return the codes of smk_ensure_assets_each(), and SMK_ERR_NO_ARCH.
 * @since 0.3.0
 */
SMK_API int smk_ensure_set(const char *arch, int *out_results, size_t count,
                           const char *dir);

/**
 * As smk_verify_each(), against the set of @p arch.
 * @return the codes of smk_verify_each(), and SMK_ERR_NO_ARCH.
 * @since 0.3.0
 */
SMK_API int smk_verify_set(const char *arch, int *out_results, size_t count,
                           const char *dir);

/**
 * The default directory of smk_ensure_set() for @p arch: smk_default_dir()
 * for the default architecture, "<smk_default_dir()>/<arch>" for another
 * (its canonical name, "aarch64" or "x86_64").
 *
 * @return as for smk_default_dir(), and SMK_ERR_NO_ARCH.
 * @since 0.3.0
 */
SMK_API int smk_default_dir_for(const char *arch, char *out, size_t out_size);

/* ---- Errors and version -------------------------------------------------- */

/**
 * Describe a code returned by this library.
 * @param code  0, a negative errno, or an SMK_ERR_* code.
 * @return a static, human-readable string (never NULL); "unknown error" for
 *         codes it does not know.
 * @since 0.1.0
 */
SMK_API const char *smk_strerror(int code);

/**
 * Symbolic name of a code: "OK", "ENOENT", "SMK_ERR_CORRUPT"...
 * Bindings use it to build their own error values.
 * @param code  0, a negative errno, or an SMK_ERR_* code.
 * @return a static string, or NULL for codes it does not know.
 * @since 0.1.0
 */
SMK_API const char *smk_error_name(int code);

/** The library's version as SMK_VERSION_NUMBER (major*10000 + minor*100 +
 *  patch) of the build that produced it.  Since 0.1.0. */
SMK_API unsigned int smk_version_number(void);

/** The library's version as "MAJOR.MINOR.PATCH".  Since 0.1.0. */
SMK_API const char *smk_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* SUPERMACHINE_KERNEL_H */
