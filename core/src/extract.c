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
 *
 * A temporary is flock()ed by its writer from creation to the rename, so
 * that a later extraction into the same directory can tell one left by a
 * killed process (a ".smk-tmp.*" file of ours that nobody holds) from one
 * in use, and remove it (smk_clean_stale_temporaries).
 */
#include "smk_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/fs.h>
#include <sys/ioctl.h>
#endif

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

int smk_asset_paths(const char *dir, size_t slot,
                    char *paths[SMK_ASSET_COUNT])
{
	memset(paths, 0, sizeof(char *) * SMK_ASSET_COUNT);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		paths[i] = smk_path_join(
		        dir, smk_set_payload(slot, i)->info.file_name);
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

int smk_check_dir_name(const char *dir)
{
	size_t longest = 0, len = strlen(dir), run = 0;

	if (len == 0)
		return -ENOENT;
	for (size_t i = 0; i < smk_asset_total(); i++) {
		size_t n = strlen(smk_asset_get_info((smk_asset)i)->file_name);
		if (n > longest)
			longest = n;
	}
	/* Room for "/" + the longest name we put there: an asset, a
	 * temporary, ensure's stamp or lock. */
	if (longest < sizeof ".smk-tmp.0123456789abcdef" - 1)
		longest = sizeof ".smk-tmp.0123456789abcdef" - 1;
	if (longest < sizeof SMK_STAMP_NAME - 1)
		longest = sizeof SMK_STAMP_NAME - 1;
	if (longest < sizeof SMK_LOCK_NAME - 1)
		longest = sizeof SMK_LOCK_NAME - 1;
	if (len + 1 + longest >= PATH_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i <= len; i++) {
		if (dir[i] == '/' || dir[i] == '\0') {
			if (run > NAME_MAX)
				return -ENAMETOOLONG;
			run = 0;
		} else {
			run++;
		}
	}
	return 0;
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

/* Refuse, before writing anything, a directory whose entries cannot be
 * removed or replaced (chattr +a): the rename would fail after the whole
 * decode and leave the named temporary behind for good. */
int smk_check_not_append_only(int dirfd)
{
#if defined(__linux__) && defined(FS_IOC_GETFLAGS) && defined(FS_APPEND_FL)
	int flags = 0;
	if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) == 0 &&
	    (flags & (FS_APPEND_FL | FS_IMMUTABLE_FL)))
		return -EPERM;
#else
	(void)dirfd;
#endif
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
	return smk_check_not_append_only(job->dirfd);
}

void smk_random_name(char *out, size_t size, const char *prefix)
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
	snprintf(out, size, "%s%016llx", prefix, x);
}

#define TMP_PREFIX ".smk-tmp."

static void random_name(char *out, size_t size)
{
	smk_random_name(out, size, TMP_PREFIX);
}

/* Takes the writer's lock on a temporary just created (never contended
 * but by smk_clean_stale_temporaries, which holds it only briefly). */
static int lock_temp(int fd)
{
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Is the named temporary still the file open as fd?  A cleaner that took
 * its lock between our O_EXCL create and our flock has removed it.  1:
 * yes; 0: no (the name is gone or another file's); -errno: cannot tell. */
static int still_named(int dirfd, const char *name, int fd)
{
	struct stat a, b;
	if (fstat(fd, &a) != 0)
		return -errno;
	if (fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Is @name one of our temporaries: ".smk-tmp." and 16 hex digits? */
static int is_temp_name(const char *name)
{
	size_t n = sizeof TMP_PREFIX - 1;
	if (strncmp(name, TMP_PREFIX, n) != 0 || strlen(name) != n + 16)
		return 0;
	for (const char *p = name + n; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	}
	return 1;
}

void smk_clean_stale_temporaries(int dirfd)
{
	DIR *d;
	struct dirent *e;
	int fd = dup(dirfd);

	if (fd < 0)
		return;
	d = fdopendir(fd); /* fails for an O_PATH descriptor: nothing done */
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st, now;
		int tfd;
		if (!is_temp_name(e->d_name))
			continue;
		/* Never follow, never block on a FIFO planted under our name. */
		tfd = openat(dirfd, e->d_name,
		             O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		                     O_CLOEXEC);
		if (tfd < 0)
			continue;
		/* Ours only: a regular file of this user with no other name,
		 * that no writer holds. */
		if (fstat(tfd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && st.st_nlink == 1 &&
		    flock(tfd, LOCK_EX | LOCK_NB) == 0 &&
		    fstatat(dirfd, e->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino)
			unlinkat(dirfd, e->d_name, 0);
		close(tfd);
	}
	closedir(d);
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
			int rc = lock_temp(job->fd);
			if (rc) {
				close(job->fd);
				job->fd = -1;
				return rc;
			}
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
	int fd = smk_create_temp(job->dirfd, job->tmp_name,
	                         sizeof job->tmp_name, 0600);
	if (fd < 0)
		return fd;
	job->fd = fd;
	job->named_tmp = 1;
	return 0;
}

int smk_create_temp(int dirfd, char *name, size_t size, unsigned mode)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd, rc;
		random_name(name, size);
		/* O_EXCL: never an inode someone else made (no FIFO, no hard
		 * link written through). */
		fd = openat(dirfd, name,
		            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		            (mode_t)mode);
		if (fd < 0) {
			if (errno != EEXIST)
				return -errno;
			continue;
		}
		rc = lock_temp(fd);
		if (rc) {
			close(fd);
			unlinkat(dirfd, name, 0);
			return rc;
		}
		rc = still_named(dirfd, name, fd);
		if (rc < 0) {
			/* Most likely still ours (a random name we created
			 * and hold): fail without leaving it behind. */
			close(fd);
			unlinkat(dirfd, name, 0);
			return rc;
		}
		if (rc == 0) {
			/* A cleaner took it for a stale one between our
			 * create and our lock: try another name. */
			close(fd);
			continue;
		}
		return fd;
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

/* Everything that can fail happens before the rename: once the file is in
 * place the call has succeeded.  The directory sync after it only makes
 * the rename durable sooner; if it fails the file is complete and in place
 * all the same, so that is not reported (see smk_asset_extract_to). */
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
	/* The identity after the rename, which moves the file's ctime.  If
	 * even fstat fails, the file is in place all the same: record no
	 * identity, so that ensure's stamp vouches for nothing. */
	if (fstat(job->fd, &job->st) != 0)
		memset(&job->st, 0, sizeof job->st);
	close(job->fd); /* releases the writer's lock */
	job->fd = -1;
	if (job->dir_syncable)
		(void)fsync_retry(job->dirfd);
	return 0;
}

/* Is jobs[i]'s directory that of an earlier job (cleaned already)? */
static int same_dir_as_earlier(const struct smk_extract_job *jobs, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (jobs[k].dir_path && strcmp(jobs[k].dir_path, jobs[i].dir_path) == 0)
			return 1;
	}
	return 0;
}

/* Closes and frees what a job holds, removing its temporary if any. */
static void release_job(struct smk_extract_job *job)
{
	discard_temp(job);
	if (job->dirfd >= 0)
		close(job->dirfd);
	job->dirfd = -1;
	free(job->dir_path);
	job->dir_path = NULL;
}

/* Opens jobs from *next on (two descriptors each) and decodes them
 * together.  A job refused for want of descriptors (EMFILE, ENFILE) when
 * others are already open waits for the next batch, so that a low
 * RLIMIT_NOFILE makes extraction slower, never fail. */
static void run_batch(struct smk_extract_job *jobs, size_t count, size_t *next,
                      struct smk_decode_target *targets, size_t *target_job)
{
	size_t first = *next, ntargets = 0, i;

	for (i = first; i < count; i++) {
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
		if (job->result == 0 && !same_dir_as_earlier(jobs + first, i - first))
			smk_clean_stale_temporaries(job->dirfd);
		if (job->result == 0)
			job->result = create_temp(job);
		if ((job->result == -EMFILE || job->result == -ENFILE) &&
		    ntargets > 0) {
			release_job(job);
			break;
		}
		if (job->result)
			continue;
		targets[ntargets].payload = job->payload;
		targets[ntargets].mode = SMK_DECODE_FILE;
		targets[ntargets].fd = job->fd;
		targets[ntargets].mem = NULL;
		target_job[ntargets] = i;
		ntargets++;
	}
	*next = i;

	smk_decode(targets, ntargets);
	for (size_t t = 0; t < ntargets; t++) {
		struct smk_extract_job *job = &jobs[target_job[t]];
		job->result = targets[t].result;
		if (job->result == 0)
			job->result = commit(job);
	}
	for (size_t k = first; k < i; k++)
		release_job(&jobs[k]);
}

int smk_extract_jobs(struct smk_extract_job *jobs, size_t count)
{
	struct smk_decode_target *targets;
	size_t *target_job;
	size_t next = 0;
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
	while (next < count)
		run_batch(jobs, count, &next, targets, target_job);
	for (size_t i = 0; i < count; i++) {
		if (jobs[i].result && !first)
			first = jobs[i].result;
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

int smk_extract_set_to(const char *arch, int *out_results, size_t count,
                       const char *dir)
{
	struct smk_extract_job jobs[SMK_ASSET_COUNT];
	int results[SMK_ASSET_COUNT];
	char *paths[SMK_ASSET_COUNT];
	size_t slot;
	int rc;

	if (!out_results && count)
		return -EINVAL;
	smk_fill_results(out_results, count, SMK_NOT_ATTEMPTED);
	rc = smk_arch_slot(arch, &slot);
	if (rc)
		return rc;
	if (!dir)
		return -EINVAL;
	rc = smk_check_dir_name(dir);
	if (rc == 0)
		rc = smk_mkdir_p(dir);
	if (rc)
		return rc;
	rc = smk_asset_paths(dir, slot, paths);
	if (rc)
		return rc;
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		jobs[i].payload = smk_set_payload(slot, i);
		jobs[i].dest = paths[i];
	}
	rc = smk_extract_jobs(jobs, SMK_ASSET_COUNT);
	for (int i = 0; i < SMK_ASSET_COUNT; i++)
		results[i] = jobs[i].result;
	smk_copy_results(out_results, count, results);
	smk_free_asset_paths(paths);
	return rc;
}

int smk_extract_all_to_each(int *out_results, size_t count, const char *dir)
{
	return smk_extract_set_to(NULL, out_results, count, dir);
}

int smk_extract_all_to(const char *dir)
{
	return smk_extract_all_to_each(NULL, 0, dir);
}
