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

/* Maps dir/<name> of one payload, name its path relative to the payload
 * directory as the manifest gives it ("kernel.xz", "x86_64/kernel.xz"). */
static int map_payload(const char *dir, const struct smk_payload *p,
                       const char *name, const unsigned char **out,
                       size_t *out_size)
{
	char *path = smk_path_join(dir, name);
	struct stat st;
	void *m;
	int fd, rc = 0;

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
	} else if ((uint64_t)st.st_size != p->info.embedded_size ||
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
	size_t n = smk_payload_count(), i, mapped = 0;
	const unsigned char **data;
	size_t *size;
	int rc = 0;

	if (!dir)
		return -EINVAL;
	data = calloc(n, sizeof *data);
	size = calloc(n, sizeof *size);
	if (!data || !size) {
		free(data);
		free(size);
		return -ENOMEM;
	}
	pthread_mutex_lock(&attach_lock);
	if (attached)
		goto out;
	for (i = 0; i < n && rc == 0; i++) {
		const char *name;
		const struct smk_payload *p = smk_payload_at(i, &name);
		rc = map_payload(dir, p, name, &data[i], &size[i]);
		if (rc == 0)
			mapped++;
	}
	if (rc) {
		for (i = 0; i < mapped; i++)
			munmap((void *)data[i], size[i]);
		goto out;
	}
	for (i = 0; i < n; i++)
		(void)smk_payload_set_data(i, data[i], size[i]);
	/* Release: a thread that sees attached == 1 sees the table filled. */
	__atomic_store_n(&attached, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&attach_lock);
	free(data);
	free(size);
	return rc;
}
#else
/* ISO C wants a declaration in every translation unit. */
typedef int smk_payload_files_unused;
#endif
