/* Names and descriptions of the codes the library returns. */
#include "smk_internal.h"

#include <errno.h>
#include <string.h>

struct code {
	int code;
	const char *name;
	const char *text;
};

static const struct code smk_codes[] = {
	{ 0, "OK", "success" },
	{ SMK_ERR_CORRUPT, "SMK_ERR_CORRUPT",
	  "embedded payload is corrupt (xz data or integrity check)" },
	{ SMK_ERR_SIZE, "SMK_ERR_SIZE", "size differs from the recorded size" },
	{ SMK_ERR_CHECKSUM, "SMK_ERR_CHECKSUM",
	  "content differs from the asset's" },
	{ SMK_ERR_MODE, "SMK_ERR_MODE", "file mode differs from the asset's" },
	{ SMK_ERR_NOT_REGULAR, "SMK_ERR_NOT_REGULAR", "not a regular file" },
	{ SMK_ERR_UNSUPPORTED, "SMK_ERR_UNSUPPORTED",
	  "payload uses an xz feature this liblzma lacks" },
	{ SMK_ERR_NOT_IMAGE, "SMK_ERR_NOT_IMAGE",
	  "kernel payload is neither an arm64 Image nor an ELF vmlinux" },
	{ SMK_ERR_INTERNAL, "SMK_ERR_INTERNAL", "internal error" },
	{ SMK_ERR_NO_ARCH, "SMK_ERR_NO_ARCH",
	  "no guest set embedded for this architecture" },
};

/* The errno values this library itself produces, so their names are known
 * even where the C library cannot name errnos. */
#define E(x) { x, #x, NULL }
static const struct code errno_codes[] = {
	E(EPERM), E(ENOENT), E(EIO), E(EBADF), E(ENOMEM), E(EACCES),
	E(EEXIST), E(EXDEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(EMFILE),
	E(ENFILE), E(EFBIG), E(ENOSPC), E(EROFS), E(EMLINK), E(ERANGE),
	E(ENAMETOOLONG), E(ELOOP), E(EBUSY), E(ETXTBSY), E(EAGAIN),
	E(EINTR), E(EDQUOT), E(EOPNOTSUPP),
};
#undef E

static const struct code *find(const struct code *v, size_t n, int code)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].code == code)
			return &v[i];
	}
	return NULL;
}

const char *smk_strerror(int code)
{
	const struct code *c =
	        find(smk_codes, sizeof smk_codes / sizeof *smk_codes, code);
	if (c)
		return c->text;
	if (code < 0 && code > -4096) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
		/* Constant strings, untranslated and thread-safe. */
		const char *s = strerrordesc_np(-code);
		if (s)
			return s;
#else
		/* Constant for known values on the C libraries we build on. */
		return strerror(-code);
#endif
	}
	return "unknown error";
}

const char *smk_error_name(int code)
{
	const struct code *c =
	        find(smk_codes, sizeof smk_codes / sizeof *smk_codes, code);
	if (c)
		return c->name;
	if (code < 0) {
		c = find(errno_codes, sizeof errno_codes / sizeof *errno_codes,
		         -code);
		if (c)
			return c->name;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
		if (code > -4096)
			return strerrorname_np(-code);
#endif
	}
	return NULL;
}
