/*
 * External payloads (SMK_PAYLOADS_EXTERNAL builds, see smk_internal.h):
 * the payload files of a directory, mapped read-only for the life of the
 * process.  Takes the place of embed.c; both guard themselves, so a build
 * that compiles every C file of core/src (cgo, the README's recipe) gets
 * one.
 */
#include "smk_internal.h"

#ifdef SMK_PAYLOADS_EXTERNAL

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static int attached;

/* Maps dir/<file name>[.xz] of one asset. */
static int map_payload(const char *dir, smk_asset asset,
                       const unsigned char **out, size_t *out_size)
{
	const smk_asset_info *info = smk_asset_get_info(asset);
	size_t len = strlen(info->file_name);
	char *name = malloc(len + 4);
	char *path;
	struct stat st;
	void *m;
	int fd, rc = 0;

	if (!name)
		return -ENOMEM;
	memcpy(name, info->file_name, len + 1);
	if (info->compressed)
		memcpy(name + len, ".xz", 4);
	path = smk_path_join(dir, name);
	free(name);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		rc = SMK_ERR_NOT_REGULAR;
	} else if ((uint64_t)st.st_size != info->embedded_size ||
	           st.st_size == 0) {
		rc = SMK_ERR_CORRUPT;
	} else {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			rc = -errno;
		} else {
			*out = m;
			*out_size = (size_t)st.st_size;
		}
	}
	close(fd);
	return rc;
}

int smk_payloads_attach_dir(const char *dir)
{
	const unsigned char *data[SMK_ASSET_COUNT];
	size_t size[SMK_ASSET_COUNT];
	int rc = 0, i, mapped = 0;

	if (!dir)
		return -EINVAL;
	pthread_mutex_lock(&attach_lock);
	if (attached)
		goto out;
	for (i = 0; i < SMK_ASSET_COUNT && rc == 0; i++) {
		rc = map_payload(dir, (smk_asset)i, &data[i], &size[i]);
		if (rc == 0)
			mapped++;
	}
	if (rc) {
		for (i = 0; i < mapped; i++)
			munmap((void *)data[i], size[i]);
		goto out;
	}
	for (i = 0; i < SMK_ASSET_COUNT; i++)
		(void)smk_payload_set_data((smk_asset)i, data[i], size[i]);
	/* Release: a thread that sees attached == 1 sees the table filled. */
	__atomic_store_n(&attached, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&attach_lock);
	return rc;
}
#else
/* ISO C wants a declaration in every translation unit. */
typedef int smk_payload_files_unused;
#endif
