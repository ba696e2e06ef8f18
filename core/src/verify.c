/*
 * Checking files on disk against the assets: type, size and mode from
 * fstat, then every byte against the embedded payload, decoded in compare
 * mode (see decode.c: the blocks of every file checked at once spread over
 * the thread pool, each worker holding a buffer of decoded bytes and one of
 * file bytes).  Nothing is hashed: the comparison is exact, and the only
 * decoder is the one extraction uses.
 */
#include "smk_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The checks that need no reading, in the documented order. */
static int check_stat(const smk_asset_info *info, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return SMK_ERR_NOT_REGULAR;
	if ((uint64_t)st->st_size != info->size)
		return SMK_ERR_SIZE;
	if ((unsigned)(st->st_mode & 07777) != info->mode)
		return SMK_ERR_MODE;
	return 0;
}

/* Opens the job's file and runs the cheap checks on it: on success the
 * file is open in job->fd and job->st is its fstat. */
static int open_checked(struct smk_verify_job *job)
{
	struct stat st;
	int fd, rc;

	/* lstat first: never open a FIFO or follow a symlink.  O_NOFOLLOW
	 * and O_NONBLOCK cover a swap between the lstat and the open. */
	if (lstat(job->path, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return SMK_ERR_NOT_REGULAR;
	fd = open(job->path,
	          O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? SMK_ERR_NOT_REGULAR : -errno;
	if (fstat(fd, &job->st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = check_stat(&job->payload->info, &job->st);
	if (rc) {
		close(fd);
		return rc;
	}
	job->fd = fd;
	return 0;
}

/* After a successful comparison: the file must not have been written while
 * it was read (its mtime would have moved), or a byte read early could
 * have changed since.  The ctime is not compared: it also moves when the
 * file is only renamed over or unlinked (another process re-extracting the
 * same bytes) or linked, none of which changes a byte we read.  The
 * identity returned is the file's as it stands after the check. */
static int unchanged(struct smk_verify_job *job)
{
	struct stat after;
	int rc;

	if (fstat(job->fd, &after) != 0)
		return -errno;
	rc = check_stat(&job->payload->info, &after);
	if (rc)
		return rc;
	if (SMK_MTIME(&after).tv_sec != SMK_MTIME(&job->st).tv_sec ||
	    SMK_MTIME(&after).tv_nsec != SMK_MTIME(&job->st).tv_nsec)
		return SMK_ERR_CHECKSUM; /* written while it was read */
	job->st = after;
	return 0;
}

int smk_verify_jobs(struct smk_verify_job *jobs, size_t count,
                    int first_failure_only)
{
	struct smk_decode_target *targets;
	size_t *target_job;
	size_t ntargets = 0, looked_at = count;
	int first = 0;

	for (size_t i = 0; i < count; i++) {
		jobs[i].result = 0;
		jobs[i].fd = -1;
		memset(&jobs[i].st, 0, sizeof jobs[i].st);
	}
	if (count == 0)
		return 0;
	targets = calloc(count, sizeof *targets);
	target_job = calloc(count, sizeof *target_job);
	if (!targets || !target_job) {
		free(targets);
		free(target_job);
		for (size_t i = 0; i < count; i++)
			jobs[i].result = -ENOMEM;
		return -ENOMEM;
	}

	/* Everything that can fail without decoding fails first. */
	for (size_t i = 0; i < count; i++) {
		struct smk_verify_job *job = &jobs[i];
		job->result = job->payload && job->path ? open_checked(job)
		                                        : -EINVAL;
		if (job->result) {
			if (first_failure_only) {
				/* Its code is the answer unless an earlier
				 * file's bytes differ. */
				looked_at = i + 1;
				break;
			}
			continue;
		}
		targets[ntargets].payload = job->payload;
		targets[ntargets].mode = SMK_DECODE_COMPARE;
		targets[ntargets].fd = job->fd;
		targets[ntargets].mem = NULL;
		target_job[ntargets] = i;
		ntargets++;
	}

	if (ntargets)
		smk_decode(targets, ntargets);
	for (size_t t = 0; t < ntargets; t++) {
		struct smk_verify_job *job = &jobs[target_job[t]];
		job->result = targets[t].result;
		if (job->result == 0)
			job->result = unchanged(job);
	}

	for (size_t i = 0; i < looked_at; i++) {
		struct smk_verify_job *job = &jobs[i];
		if (job->fd >= 0)
			close(job->fd);
		job->fd = -1;
		if (job->result && !first)
			first = job->result;
	}
	free(targets);
	free(target_job);
	return first;
}

int smk_verify_file(smk_asset asset, const char *path)
{
	struct smk_verify_job job;

	memset(&job, 0, sizeof job);
	job.payload = smk_payload_get(asset);
	job.path = path;
	if (!job.payload || !path)
		return -EINVAL;
	return smk_verify_jobs(&job, 1, 1);
}

int smk_verify_paths(size_t slot, char *const paths[SMK_ASSET_COUNT],
                     int results[SMK_ASSET_COUNT])
{
	struct smk_verify_job jobs[SMK_ASSET_COUNT];
	int rc;

	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		jobs[i].payload = smk_set_payload(slot, i);
		jobs[i].path = paths[i];
	}
	/* Only a caller that wants no results may stop at the first
	 * failure. */
	rc = smk_verify_jobs(jobs, SMK_ASSET_COUNT, results == NULL);
	if (results) {
		for (int i = 0; i < SMK_ASSET_COUNT; i++)
			results[i] = jobs[i].result;
	}
	return rc;
}

int smk_verify_set(const char *arch, int *out_results, size_t count,
                   const char *dir)
{
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
	if (!*dir)
		return -ENOENT; /* as open(""), and as extraction into "" */
	rc = smk_asset_paths(dir, slot, paths);
	if (rc)
		return rc;
	rc = smk_verify_paths(slot, paths, count ? results : NULL);
	smk_copy_results(out_results, count, results);
	smk_free_asset_paths(paths);
	return rc;
}

int smk_verify_each(int *out_results, size_t count, const char *dir)
{
	return smk_verify_set(NULL, out_results, count, dir);
}

int smk_verify(const char *dir)
{
	return smk_verify_each(NULL, 0, dir);
}
