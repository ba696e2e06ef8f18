/*
 * Atomic extraction: decode into a temporary file in the destination's
 * directory, verify, set the mode, sync, rename over the destination, sync
 * the directory.  Readers of the destination see the old file or the whole
 * new one, never a mix; every failure removes the temporary.
 *
 * Where the file system supports O_TMPFILE the temporary has no name while
 * it is written, so even a killed process leaves nothing behind; it gets a
 * name (linkat through /proc/self/fd) only when complete, just before the
 * rename.  Elsewhere it is created with O_EXCL under a random name.
 */
#include "smk_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

char *smk_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	int slash = dl > 0 && dir[dl - 1] != '/';
	char *s = malloc(dl + (size_t)slash + nl + 1);
	if (!s)
		return NULL;
	memcpy(s, dir, dl);
	if (slash)
		s[dl] = '/';
	memcpy(s + dl + slash, name, nl + 1);
	return s;
}

int smk_asset_paths(const char *dir, char *paths[SMK_ASSET_COUNT])
{
	memset(paths, 0, sizeof(char *) * SMK_ASSET_COUNT);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		paths[i] = smk_path_join(
		        dir, smk_asset_get_info((smk_asset)i)->file_name);
		if (!paths[i]) {
			smk_free_asset_paths(paths);
			return -ENOMEM;
		}
	}
	return 0;
}

void smk_free_asset_paths(char *paths[SMK_ASSET_COUNT])
{
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		free(paths[i]);
		paths[i] = NULL;
	}
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int smk_mkdir_p(const char *path)
{
	size_t len = strlen(path);
	char *buf;
	int rc = 0;

	if (len == 0)
		return -ENOENT;
	if (is_dir(path))
		return 0;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len && rc == 0; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue; /* repeated slashes */
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0) {
			int err = errno;
			if (err == EEXIST || err == EISDIR) {
				if (!is_dir(buf))
					rc = -ENOTDIR;
			} else if (err == EACCES && is_dir(buf)) {
				/* An existing component we may not write in. */
			} else {
				rc = -err;
			}
		}
		buf[i] = saved;
	}
	free(buf);
	return rc;
}

int smk_mkdir_parents(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (!slash || slash == path)
		return 0; /* the current or the root directory */
	dir = malloc((size_t)(slash - path) + 1);
	if (!dir)
		return -ENOMEM;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	rc = smk_mkdir_p(dir);
	free(dir);
	return rc;
}

/* The checks on a destination that need no file system: 0, or the code
 * extracting to it is bound to fail with.  On 0, *base is its last
 * component. */
static int check_dest_name(const char *dest, const char **base)
{
	size_t len = strlen(dest);
	const char *slash;

	if (len == 0)
		return -ENOENT;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (dest[len - 1] == '/')
		return -EISDIR;
	slash = strrchr(dest, '/');
	*base = slash ? slash + 1 : dest;
	if (strlen(*base) > NAME_MAX)
		return -ENAMETOOLONG;
	if (strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return -EISDIR;
	return 0;
}

/* Splits job->dest into an open directory and a last component. */
static int open_destination_dir(struct smk_extract_job *job)
{
	const char *dest = job->dest;
	const char *slash;
	struct stat st;
	int rc;

	if (!dest)
		return -EINVAL;
	rc = check_dest_name(dest, &job->base);
	if (rc)
		return rc;
	slash = job->base == dest ? NULL : job->base - 1;
	if (!slash) {
		job->dir_path = strdup(".");
	} else if (slash == dest) {
		job->dir_path = strdup("/");
	} else {
		job->dir_path = malloc((size_t)(slash - dest) + 1);
		if (job->dir_path) {
			memcpy(job->dir_path, dest, (size_t)(slash - dest));
			job->dir_path[slash - dest] = '\0';
		}
	}
	if (!job->dir_path)
		return -ENOMEM;

	job->dirfd = open(job->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	job->dir_syncable = job->dirfd >= 0;
#ifdef O_PATH
	if (job->dirfd < 0 && errno == EACCES)
		/* Writable but not readable (mode 0300): still usable for
		 * *at() calls, only not for fsync. */
		job->dirfd = open(job->dir_path,
		                  O_PATH | O_DIRECTORY | O_CLOEXEC);
#endif
	if (job->dirfd < 0)
		return -errno;

	/* Fail before decoding anything if the rename is bound to. */
	if (fstatat(job->dirfd, job->base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return -EISDIR;
	return 0;
}

static void random_name(char *out, size_t size)
{
	static unsigned long counter;
	struct timespec ts;
	unsigned long long x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (unsigned long long)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^
	    (unsigned long long)ts.tv_sec ^
	    ((unsigned long long)getpid() << 32) ^
	    (unsigned long long)__atomic_add_fetch(&counter, 1,
	                                           __ATOMIC_RELAXED) *
	            0xBF58476D1CE4E5B9ull;
	x ^= x >> 31;
	x *= 0x94D049BB133111EBull;
	x ^= x >> 29;
	snprintf(out, size, ".smk-tmp.%016llx", x);
}

static int create_temp(struct smk_extract_job *job)
{
#ifdef O_TMPFILE
	job->fd = openat(job->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
	                 0600);
	if (job->fd >= 0) {
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", job->fd);
		if (access(proc, F_OK) == 0) {
			job->named_tmp = 0;
			return 0;
		}
		/* No /proc to give it a name by later: use a named file. */
		close(job->fd);
		job->fd = -1;
	}
	/* Unsupported here (EOPNOTSUPP, EISDIR, EINVAL) or refused: the named
	 * path below reports the refusal in its own words. */
#endif
	for (int attempt = 0; attempt < 100; attempt++) {
		random_name(job->tmp_name, sizeof job->tmp_name);
		job->fd = openat(job->dirfd, job->tmp_name,
		                 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		                         O_NOFOLLOW,
		                 0600);
		if (job->fd >= 0) {
			job->named_tmp = 1;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static void discard_temp(struct smk_extract_job *job)
{
	if (job->fd >= 0) {
		close(job->fd);
		job->fd = -1;
	}
	if (job->named_tmp) {
		unlinkat(job->dirfd, job->tmp_name, 0);
		job->named_tmp = 0;
	}
}

/* Gives an unnamed temporary a random name in the directory. */
static int name_temp(struct smk_extract_job *job)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", job->fd);
	for (int attempt = 0; attempt < 100; attempt++) {
		random_name(job->tmp_name, sizeof job->tmp_name);
		if (linkat(AT_FDCWD, proc, job->dirfd, job->tmp_name,
		           AT_SYMLINK_FOLLOW) == 0) {
			job->named_tmp = 1;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int fsync_retry(int fd)
{
	while (fsync(fd) != 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int commit(struct smk_extract_job *job)
{
	int rc;

	if (fchmod(job->fd, (mode_t)job->payload->info.mode) != 0)
		return -errno;
	rc = fsync_retry(job->fd);
	if (rc)
		return rc;
	if (!job->named_tmp) {
		rc = name_temp(job);
		if (rc)
			return rc;
	}
	if (renameat(job->dirfd, job->tmp_name, job->dirfd, job->base) != 0)
		return -errno;
	job->named_tmp = 0; /* it is the destination now */
	if (fstat(job->fd, &job->st) != 0)
		return -errno;
	close(job->fd);
	job->fd = -1;
	if (job->dir_syncable) {
		rc = fsync_retry(job->dirfd);
		/* Some file systems cannot sync directories; the rename is
		 * done all the same. */
		if (rc == -EINVAL || rc == -EROFS)
			rc = 0;
	}
	return rc;
}

int smk_extract_jobs(struct smk_extract_job *jobs, size_t count)
{
	struct smk_decode_target *targets;
	size_t *target_job;
	size_t ntargets = 0;
	int first = 0;

	targets = calloc(count ? count : 1, sizeof *targets);
	target_job = calloc(count ? count : 1, sizeof *target_job);
	if (!targets || !target_job) {
		free(targets);
		free(target_job);
		for (size_t i = 0; i < count; i++)
			jobs[i].result = -ENOMEM;
		return count ? -ENOMEM : 0;
	}

	for (size_t i = 0; i < count; i++) {
		struct smk_extract_job *job = &jobs[i];
		job->result = 0;
		job->dirfd = -1;
		job->fd = -1;
		job->named_tmp = 0;
		job->dir_path = NULL;
		memset(&job->st, 0, sizeof job->st);
		if (!job->payload) {
			job->result = -EINVAL;
			continue;
		}
		job->result = open_destination_dir(job);
		if (job->result == 0)
			job->result = create_temp(job);
		if (job->result)
			continue;
		targets[ntargets].payload = job->payload;
		targets[ntargets].mode = SMK_DECODE_FILE;
		targets[ntargets].fd = job->fd;
		target_job[ntargets] = i;
		ntargets++;
	}

	smk_decode(targets, ntargets);

	for (size_t t = 0; t < ntargets; t++) {
		struct smk_extract_job *job = &jobs[target_job[t]];
		job->result = targets[t].result;
		if (job->result == 0)
			job->result = commit(job);
	}
	for (size_t i = 0; i < count; i++) {
		struct smk_extract_job *job = &jobs[i];
		discard_temp(job);
		if (job->dirfd >= 0)
			close(job->dirfd);
		job->dirfd = -1;
		free(job->dir_path);
		job->dir_path = NULL;
		if (job->result && !first)
			first = job->result;
	}
	free(targets);
	free(target_job);
	return first;
}

int smk_asset_extract_to(smk_asset asset, const char *dest)
{
	struct smk_extract_job job;
	memset(&job, 0, sizeof job);
	job.payload = smk_payload_get(asset);
	job.dest = dest;
	if (!job.payload || !dest)
		return -EINVAL;
	return smk_extract_jobs(&job, 1);
}

int smk_asset_extract_to_with_parents(smk_asset asset, const char *dest)
{
	const char *base;
	int rc;
	if (!smk_payload_get(asset) || !dest)
		return -EINVAL;
	/* Fail before creating any directory if the extraction would. */
	rc = check_dest_name(dest, &base);
	if (rc)
		return rc;
	rc = smk_mkdir_parents(dest);
	if (rc)
		return rc;
	return smk_asset_extract_to(asset, dest);
}

void smk_fill_results(int *out_results, size_t count, int value)
{
	for (size_t i = 0; i < count; i++)
		out_results[i] = value;
}

void smk_copy_results(int *out_results, size_t count,
                      const int results[SMK_ASSET_COUNT])
{
	for (size_t i = 0; i < count && i < SMK_ASSET_COUNT; i++)
		out_results[i] = results[i];
}

int smk_extract_all_to_each(int *out_results, size_t count, const char *dir)
{
	struct smk_extract_job jobs[SMK_ASSET_COUNT];
	int results[SMK_ASSET_COUNT];
	char *paths[SMK_ASSET_COUNT];
	int rc;

	if (!out_results && count)
		return -EINVAL;
	smk_fill_results(out_results, count, SMK_NOT_ATTEMPTED);
	if (!dir)
		return -EINVAL;
	rc = smk_mkdir_p(dir);
	if (rc)
		return rc;
	rc = smk_asset_paths(dir, paths);
	if (rc)
		return rc;
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		jobs[i].payload = smk_payload_get((smk_asset)i);
		jobs[i].dest = paths[i];
	}
	rc = smk_extract_jobs(jobs, SMK_ASSET_COUNT);
	for (int i = 0; i < SMK_ASSET_COUNT; i++)
		results[i] = jobs[i].result;
	smk_copy_results(out_results, count, results);
	smk_free_asset_paths(paths);
	return rc;
}

int smk_extract_all_to(const char *dir)
{
	return smk_extract_all_to_each(NULL, 0, dir);
}
