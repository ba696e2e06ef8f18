/*
 * smk_ensure_assets: make a directory hold every asset, cheaply when it
 * already does.
 *
 * The warm path must cost a small fraction of an extraction, so it does not
 * read the files.  Instead, whenever a file is extracted or fully checked
 * (compared byte for byte with the payload), its identity is recorded in a
 * stamp file: device, inode, size, mode, mtime and ctime (nanoseconds),
 * with the asset's SHA-256 as the build recorded it, which names the
 * content the file was checked against (so a stamp left by a build with
 * other payloads vouches for nothing).  The warm path lstat()s each file
 * and compares.  Every change made through the file system moves the
 * ctime, which no caller can set, or replaces the inode; so an unchanged
 * identity means unchanged content, short of writes that bypass the file
 * system or land within the same timestamp tick as our own last change.
 * smk_verify() is the full check.
 *
 * The slow path holds an exclusive flock on a lock file in the directory,
 * so concurrent callers (threads open their own descriptions, so they
 * exclude each other too) do the work once; the second re-reads the stamp
 * under the lock and finds it done.
 *
 * Both files are only optimisations, and are handled as hostile input: the
 * assets' own atomic extraction is what keeps the directory right.
 *   - Neither is ever opened in a way that follows a link or blocks (a FIFO
 *     planted at their names), and nothing is written into an inode we did
 *     not create: the stamp is written to a fresh temporary (O_EXCL) and
 *     renamed into place.
 *   - The lock is waited for only so long (LOCK_WAIT_MS): someone else
 *     holding it (any user who can open it can flock it) or a lock that is
 *     not a regular file only costs the work being done twice, unlocked,
 *     which is still correct.
 *   - A stamp is trusted only if it is a regular file of this user in a
 *     directory of this user or root: a stamp another user could write
 *     could vouch for files of their choosing.
 *   - Failing to write the stamp fails nothing: the next call takes the
 *     slow path again.
 */
#include "smk_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STAMP_NAME SMK_STAMP_NAME
#define LOCK_NAME SMK_LOCK_NAME
/* How long the slow path waits for another holder of the lock before
 * doing the work without it. */
#define LOCK_WAIT_MS 5000
#define STAMP_MAGIC "supermachine-kernel-stamp 1"

struct identity {
	int valid;
	char sha256[65]; /* the asset's recorded digest: names its content */
	unsigned long long dev, ino, size, mode;
	long long mtime_s, mtime_ns, ctime_s, ctime_ns;
};

static void identity_of(struct identity *id, const smk_asset_info *info,
                        const struct stat *st)
{
	id->valid = 1;
	snprintf(id->sha256, sizeof id->sha256, "%s", info->sha256);
	id->dev = (unsigned long long)st->st_dev;
	id->ino = (unsigned long long)st->st_ino;
	id->size = (unsigned long long)st->st_size;
	id->mode = (unsigned long long)st->st_mode;
	id->mtime_s = (long long)SMK_MTIME(st).tv_sec;
	id->mtime_ns = (long long)SMK_MTIME(st).tv_nsec;
	id->ctime_s = (long long)SMK_CTIME(st).tv_sec;
	id->ctime_ns = (long long)SMK_CTIME(st).tv_nsec;
}

/* A file another user (root aside) owns is never one of ours, whatever it
 * holds: its owner could rewrite it in place at any moment after the check
 * (a copy planted in a shared directory such as /tmp).  ensure replaces
 * it, or fails where it may not (a sticky directory: EPERM). */
static int owned_by_us(const struct stat *st)
{
	return st->st_uid == geteuid() || st->st_uid == 0;
}

/* Does the file as it is now still have the identity we recorded, and is
 * that identity one of a correct file? */
static int still_good(const struct identity *rec, const smk_asset_info *info,
                      const struct stat *st)
{
	struct identity now;
	if (!rec->valid || !S_ISREG(st->st_mode) || !owned_by_us(st) ||
	    (unsigned)(st->st_mode & 07777) != info->mode ||
	    (uint64_t)st->st_size != info->size ||
	    strcmp(rec->sha256, info->sha256) != 0)
		return 0;
	identity_of(&now, info, st);
	return now.dev == rec->dev && now.ino == rec->ino &&
	       now.size == rec->size && now.mode == rec->mode &&
	       now.mtime_s == rec->mtime_s && now.mtime_ns == rec->mtime_ns &&
	       now.ctime_s == rec->ctime_s && now.ctime_ns == rec->ctime_ns;
}

/* May a stamp in this directory be trusted at all?  Only if no other user
 * (root aside) owns the directory, and so could plant one. */
static int dir_trusted(const char *dir)
{
	struct stat st;
	return stat(dir, &st) == 0 &&
	       (st.st_uid == geteuid() || st.st_uid == 0);
}

/* Reads the stamp; missing, unreadable or untrustworthy records stay
 * invalid. */
static void read_stamp(const char *dir, size_t slot,
                       struct identity ids[SMK_ASSET_COUNT])
{
	char line[512];
	char *path = smk_path_join(dir, STAMP_NAME);
	struct stat st;
	FILE *f;
	int fd;

	memset(ids, 0, sizeof(struct identity) * SMK_ASSET_COUNT);
	if (!path)
		return;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	                        O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	/* Ours, and writable by nobody else. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
	    !(f = fdopen(fd, "r"))) {
		close(fd);
		return;
	}
	if (!fgets(line, sizeof line, f) ||
	    strncmp(line, STAMP_MAGIC "\n", sizeof STAMP_MAGIC) != 0) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof line, f)) {
		char name[64];
		struct identity id;
		memset(&id, 0, sizeof id);
		if (sscanf(line,
		           "%63s %64s %llu %llu %llu %llo %lld %lld %lld %lld",
		           name, id.sha256, &id.dev, &id.ino, &id.size, &id.mode,
		           &id.mtime_s, &id.mtime_ns, &id.ctime_s,
		           &id.ctime_ns) != 10)
			continue;
		for (int i = 0; i < SMK_ASSET_COUNT; i++) {
			if (strcmp(name, smk_set_payload(slot, i)->info.name) == 0) {
				id.valid = 1;
				ids[i] = id;
			}
		}
	}
	fclose(f);
}

/* Replaces the stamp, through a fresh temporary renamed into place.  Not
 * synced: a stamp lost in a crash only sends the next call down the slow
 * path, and the files it describes were synced before it.  Best effort:
 * on failure the temporary is removed and the old stamp (if any) stays,
 * and any stamp is only ever a hint. */
static void write_stamp(const char *dir, size_t slot,
                        const struct identity ids[SMK_ASSET_COUNT])
{
	char tmp[40];
	FILE *f = NULL;
	int dirfd, fd, ok;

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	fd = smk_create_temp(dirfd, tmp, sizeof tmp, 0644);
	if (fd < 0) {
		close(dirfd);
		return;
	}
	/* The umask may have narrowed it; the reader wants exactly this. */
	ok = fchmod(fd, 0644) == 0 && (f = fdopen(fd, "w")) != NULL;
	if (!f)
		close(fd);
	if (ok) {
		fprintf(f, "%s\n", STAMP_MAGIC);
		for (int i = 0; i < SMK_ASSET_COUNT; i++) {
			const struct identity *id = &ids[i];
			if (!id->valid)
				continue;
			fprintf(f, "%s %s %llu %llu %llu %llo %lld %lld %lld %lld\n",
			        smk_set_payload(slot, i)->info.name, id->sha256,
			        id->dev, id->ino, id->size, id->mode, id->mtime_s,
			        id->mtime_ns, id->ctime_s, id->ctime_ns);
		}
		ok = !ferror(f);
		/* Renamed before the close, which drops the writer's lock: a
		 * cleaner never sees it named and unlocked. */
		fflush(f);
		ok = ok && !ferror(f) &&
		     renameat(dirfd, tmp, dirfd, STAMP_NAME) == 0;
		if (fclose(f) != 0)
			ok = 0;
	}
	if (!ok)
		unlinkat(dirfd, tmp, 0);
	close(dirfd);
}

/* Which assets are good according to the stamp (bit i set = good). */
static unsigned good_by_stamp(const char *dir, size_t slot,
                              char *paths[SMK_ASSET_COUNT],
                              struct identity ids[SMK_ASSET_COUNT])
{
	unsigned good = 0;
	read_stamp(dir, slot, ids);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		struct stat st;
		if (ids[i].valid && lstat(paths[i], &st) == 0 &&
		    still_good(&ids[i], &smk_set_payload(slot, i)->info, &st))
			good |= 1u << i;
	}
	return good;
}

/* -EPERM for an append-only or immutable dir: nothing could be replaced
 * there, and the lock and the stamp's temporary would stay for good. */
static int dir_append_only(const char *dir)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (dirfd >= 0) {
		rc = smk_check_not_append_only(dirfd);
		close(dirfd);
	}
	return rc;
}

/* Removes what killed extractions left in dir (smk_clean_stale_temporaries). */
static void clean_dir(const char *dir)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd >= 0) {
		smk_clean_stale_temporaries(dirfd);
		close(dirfd);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Takes the directory's lock, waiting at most LOCK_WAIT_MS for another
 * holder.  0 with *out_fd the lock (or -1: proceed without one, the lock
 * being unusable or held too long); -EACCES, -EROFS, -EPERM when the
 * directory cannot be written; another -errno. */
static int lock_dir(const char *dir, int *out_fd)
{
	char *path = smk_path_join(dir, LOCK_NAME);
	struct stat st;
	long waited = 0, step = 1;
	int fd = -1, creating = 0;

	*out_fd = -1;
	if (!path)
		return -ENOMEM;
	/* An existing lock is opened read-only (flock needs no more), so a
	 * FIFO or device planted there is never opened for writing; a new
	 * one is created exclusively, 0600: a lock other users cannot open
	 * is one they cannot hold. */
	for (int attempt = 0; attempt < 3; attempt++) {
		creating = 0;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		                        O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		creating = 1;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		                        O_NOCTTY | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	free(path);
	if (fd < 0) {
		int err = errno;
		/* Not allowed to create one: the directory cannot be written.
		 * Any other failure (someone else's 0600 lock, a link, a
		 * directory...): go without. */
		if (creating && (err == EACCES || err == EROFS || err == EPERM))
			return -err;
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= LOCK_WAIT_MS) {
			close(fd);
			return 0;
		}
		sleep_ms(step);
		waited += step;
		if (step < 50)
			step *= 2;
	}
	*out_fd = fd;
	return 0;
}

/* results[i] receives asset i's outcome (SMK_NOT_ATTEMPTED until known). */
static int ensure_in(const char *dir, size_t slot,
                     int results[SMK_ASSET_COUNT])
{
	char *paths[SMK_ASSET_COUNT];
	struct identity ids[SMK_ASSET_COUNT];
	struct smk_verify_job checks[SMK_ASSET_COUNT];
	struct smk_extract_job jobs[SMK_ASSET_COUNT];
	size_t nchecks = 0, njobs = 0;
	int check_asset[SMK_ASSET_COUNT], job_asset[SMK_ASSET_COUNT];
	unsigned good;
	int lockfd = -1, trusted;
	int rc = 0;

	rc = smk_asset_paths(dir, slot, paths);
	if (rc)
		return rc;

	trusted = dir_trusted(dir);
	if (trusted) {
		good = good_by_stamp(dir, slot, paths, ids);
	} else {
		memset(ids, 0, sizeof ids);
		good = 0;
	}
	if (good == (1u << SMK_ASSET_COUNT) - 1) {
		smk_fill_results(results, SMK_ASSET_COUNT, 0);
		goto out;
	}

	rc = dir_append_only(dir);
	if (rc == 0)
		rc = lock_dir(dir, &lockfd);
	if (rc == -EACCES || rc == -EROFS || rc == -EPERM) {
		/* The directory cannot be written: fine if every file is
		 * already right; a wrong one fails for want of the lock. */
		int lock_rc = rc;
		rc = smk_verify_paths(slot, paths, results);
		for (int i = 0; i < SMK_ASSET_COUNT; i++) {
			struct stat st;
			if (results[i] == 0 &&
			    (lstat(paths[i], &st) != 0 || !owned_by_us(&st)))
				results[i] = lock_rc;
			if (results[i])
				rc = results[i] = lock_rc;
		}
		goto out;
	}
	if (rc)
		goto out;
	clean_dir(dir);

	/* Someone may have finished the work while we waited. */
	if (trusted)
		good = good_by_stamp(dir, slot, paths, ids);
	else
		memset(ids, 0, sizeof ids);
	/* The others may be right but unknown to the stamp (copied,
	 * touched, stamp lost): comparing them with the payloads, all at
	 * once, costs no writes, and one of the wrong size costs nothing. */
	memset(checks, 0, sizeof checks);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		results[i] = 0;
		if (good & (1u << i))
			continue;
		checks[nchecks].payload = smk_set_payload(slot, i);
		checks[nchecks].path = paths[i];
		check_asset[nchecks] = i;
		nchecks++;
	}
	smk_verify_jobs(checks, nchecks, 0);
	memset(jobs, 0, sizeof jobs);
	for (size_t c = 0; c < nchecks; c++) {
		int i = check_asset[c];
		if (checks[c].result == 0 && owned_by_us(&checks[c].st)) {
			identity_of(&ids[i], &smk_set_payload(slot, i)->info,
			            &checks[c].st);
			continue;
		}
		ids[i].valid = 0;
		jobs[njobs].payload = smk_set_payload(slot, i);
		jobs[njobs].dest = paths[i];
		job_asset[njobs] = i;
		njobs++;
	}
	if (njobs) {
		rc = smk_extract_jobs(jobs, njobs);
		for (size_t j = 0; j < njobs; j++) {
			int i = job_asset[j];
			results[i] = jobs[j].result;
			if (jobs[j].result == 0)
				identity_of(&ids[i], &smk_set_payload(slot, i)->info,
				            &jobs[j].st);
		}
	}
	if (trusted)
		write_stamp(dir, slot, ids);

out:
	if (lockfd >= 0)
		close(lockfd); /* releases the lock */
	smk_free_asset_paths(paths);
	return rc;
}

/* $HOME, else the password database's idea of it. */
static const char *home_dir(char *buf, size_t size)
{
	const char *home = getenv("HOME");
	struct passwd pw, *found = NULL;

	if (home && home[0] == '/')
		return home;
	if (getpwuid_r(getuid(), &pw, buf, size, &found) == 0 && found &&
	    found->pw_dir && found->pw_dir[0] == '/')
		return found->pw_dir;
	return NULL;
}

/* The default directory of slot @slot's set: smk_default_dir() for slot
 * 0, with "/<arch>" appended for the others. */
static int default_dir_of(size_t slot, char *out, size_t out_size)
{
	char pwbuf[4096];
	const char *base = getenv("XDG_CACHE_HOME");
	const char *suffix = "";
	const char *arch = slot ? smk_arch_name(slot) : NULL;
	int n;

	if (!out)
		return -EINVAL;
	/* The XDG spec says to ignore relative values. */
	if (!base || base[0] != '/') {
		base = home_dir(pwbuf, sizeof pwbuf);
		if (!base)
			return -ENOENT;
		suffix = "/.cache";
	}
	n = snprintf(out, out_size, "%s%s/supermachine-kernel/%s%s%s", base,
	             suffix, SMK_VERSION_STRING, arch ? "/" : "",
	             arch ? arch : "");
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= out_size) {
		if (out_size)
			out[0] = '\0';
		return -ERANGE;
	}
	return n;
}

int smk_default_dir(char *out, size_t out_size)
{
	return default_dir_of(0, out, out_size);
}

int smk_default_dir_for(const char *arch, char *out, size_t out_size)
{
	size_t slot;
	int rc;
	if (!out)
		return -EINVAL;
	rc = smk_arch_slot(arch, &slot);
	if (rc)
		return rc;
	return default_dir_of(slot, out, out_size);
}

int smk_ensure_set(const char *arch, int *out_results, size_t count,
                   const char *dir)
{
	char buf[4096];
	int results[SMK_ASSET_COUNT];
	struct stat st;
	size_t slot;
	int rc;

	if (!out_results && count)
		return -EINVAL;
	smk_fill_results(out_results, count, SMK_NOT_ATTEMPTED);
	rc = smk_arch_slot(arch, &slot);
	if (rc)
		return rc;
	if (!dir) {
		rc = default_dir_of(slot, buf, sizeof buf);
		if (rc < 0)
			return rc;
		dir = buf;
	}
	rc = smk_check_dir_name(dir);
	if (rc)
		return rc;
	/* Cheapest case first: the directory exists. */
	if (stat(dir, &st) != 0) {
		rc = smk_mkdir_p(dir);
		if (rc)
			return rc;
	} else if (!S_ISDIR(st.st_mode)) {
		return -ENOTDIR;
	}
	smk_fill_results(results, SMK_ASSET_COUNT, SMK_NOT_ATTEMPTED);
	rc = ensure_in(dir, slot, results);
	smk_copy_results(out_results, count, results);
	return rc;
}

int smk_ensure_assets_each(int *out_results, size_t count, const char *dir)
{
	return smk_ensure_set(NULL, out_results, count, dir);
}

int smk_ensure_assets(const char *dir)
{
	return smk_ensure_assets_each(NULL, 0, dir);
}
