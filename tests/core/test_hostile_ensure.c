/* smk_ensure_assets (and smk_extract_all_to) against a hostile directory:
 * FIFOs planted at the lock's, the stamp's and a temporary's names (no
 * hang, nothing written into them); hard links planted at the stamp's
 * names (their targets never written); the lock held by someone else (a
 * bounded wait, then the work done unlocked); a stamp that cannot be
 * written (nothing fails); and forged stamps, trusted only when they are
 * this user's in a directory of this user or root. */
#include "test_util.h"

#include <signal.h>
#include <sys/file.h>
#include <time.h>

#define STAMP ".supermachine-kernel.stamp"
#define LOCK ".supermachine-kernel.lock"
#define TEMP ".smk-tmp.0123456789abcdef"
#define NOBODY 65534

static int skipped;

static void skip(const char *what, const char *why)
{
	printf("SKIP %s: %s\n", what, why);
	skipped++;
}

/* ---- A call that hangs fails the test instead of hanging ctest. ------- */
static const char *guarded;

static void on_alarm(int sig)
{
	static const char msg[] = "hung (SIGALRM) in: ";
	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0 ||
	    write(2, guarded, strlen(guarded)) < 0 || write(2, "\n", 1) < 0) {
		/* nothing more to do */
	}
	_exit(2);
}

static void guard(const char *what)
{
	guarded = what;
	alarm(60);
}

static void unguard(void)
{
	alarm(0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_type(const char *path, mode_t type)
{
	struct stat st;
	return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

static char *asset_path(const char *dir, smk_asset a)
{
	return test_path(dir, smk_asset_get_info(a)->file_name);
}

static void make_fifo(const char *dir, const char *name)
{
	char *p = test_path(dir, name);
	if (mkfifo(p, 0666) != 0) {
		perror(p);
		abort();
	}
	free(p);
}

static int fifo_is(const char *dir, const char *name)
{
	char *p = test_path(dir, name);
	int ok = is_type(p, S_IFIFO);
	free(p);
	return ok;
}

/* Holds a FIFO's read end (non-blocking) so that anything written into it
 * stays there to be seen. */
static int fifo_reader(const char *dir, const char *name)
{
	char *p = test_path(dir, name);
	int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		perror(p);
		abort();
	}
	free(p);
	return fd;
}

/* Nothing was ever written into the FIFO and no writer has it open. */
static int fifo_untouched(int fd)
{
	char c;
	ssize_t n = read(fd, &c, 1);
	close(fd);
	return n == 0;
}

static double timed_ensure(const char *dir, int *rc, const char *what)
{
	double t0 = now_s();
	guard(what);
	*rc = smk_ensure_assets(dir);
	unguard();
	return now_s() - t0;
}

/* ---- 1. FIFOs at the stamp's, the lock's and a temporary's names ------ */
static void test_fifos(const char *root)
{
	const char *names[] = { STAMP, LOCK, TEMP };
	char *cold = test_path(root, "fifo-cold");
	char *ext = test_path(root, "fifo-extract");
	char *held = test_path(root, "fifo-held");
	char *base = test_path(root, "fifo-baseline");
	double baseline, t;
	int rc, fds[3];

	/* What a cold ensure costs here, FIFOs aside: the FIFO cases must not
	 * cost the 5 s lock wait on top of it (a FIFO is no lock: go on
	 * without one at once). */
	baseline = timed_ensure(base, &rc, "ensure, baseline");
	CHECK_RC(rc, 0);

	/* ensure on a directory needing everything. */
	CHECK(mkdir(cold, 0755) == 0);
	for (int n = 0; n < 3; n++)
		make_fifo(cold, names[n]);
	t = timed_ensure(cold, &rc, "ensure, FIFOs planted");
	CHECK_RC(rc, 0);
	CHECK(t < baseline + 4.0);
	CHECK_RC(smk_verify(cold), 0);
	CHECK(fifo_is(cold, LOCK));
	CHECK(fifo_is(cold, TEMP));
	{
		/* The stamp was renamed over the FIFO: a regular file now. */
		char *s = test_path(cold, STAMP);
		CHECK(is_type(s, S_IFREG));
		free(s);
	}
	/* Again with a FIFO at the stamp's name over complete files (the slow
	 * path checks them, and writes the stamp again). */
	{
		char *s = test_path(cold, STAMP);
		CHECK(unlink(s) == 0);
		make_fifo(cold, STAMP);
		t = timed_ensure(cold, &rc, "ensure, FIFOs over complete files");
		CHECK_RC(rc, 0);
		CHECK(t < baseline + 4.0);
		CHECK(is_type(s, S_IFREG));
		CHECK(fifo_is(cold, LOCK) && fifo_is(cold, TEMP));
		free(s);
	}
	CHECK_RC(smk_verify(cold), 0);
	/* One ".smk-tmp." name is the planted FIFO; nothing else. */
	CHECK(test_count_temps(cold) == 1);

	/* smk_extract_all_to: the stamp and the lock are not its business,
	 * the FIFO under a temporary's name must not stop it either. */
	CHECK(mkdir(ext, 0755) == 0);
	for (int n = 0; n < 3; n++)
		make_fifo(ext, names[n]);
	guard("smk_extract_all_to, FIFOs planted");
	CHECK_RC(smk_extract_all_to(ext), 0);
	unguard();
	CHECK_RC(smk_verify(ext), 0);
	for (int n = 0; n < 3; n++)
		CHECK(fifo_is(ext, names[n]));
	CHECK(test_count_temps(ext) == 1);

	/* With a reader holding each FIFO: nothing is ever written into one
	 * (an open for writing would no longer block, a write would stay). */
	CHECK(mkdir(held, 0755) == 0);
	for (int n = 0; n < 3; n++) {
		make_fifo(held, names[n]);
		fds[n] = fifo_reader(held, names[n]);
	}
	guard("ensure and extract, FIFOs held open");
	CHECK_RC(smk_ensure_assets(held), 0);
	CHECK_RC(smk_extract_all_to(held), 0);
	unguard();
	CHECK_RC(smk_verify(held), 0);
	for (int n = 0; n < 3; n++) {
		/* The stamp's FIFO was renamed over, but its reader still
		 * holds whatever was written into it before. */
		if (n > 0)
			CHECK(fifo_is(held, names[n]));
		CHECK(fifo_untouched(fds[n]));
	}
	CHECK(test_count_temps(held) == 1);

	free(cold);
	free(ext);
	free(held);
	free(base);
}

/* ---- 2. Hard links at the stamp's names --------------------------------- */
static void test_hard_links(const char *root)
{
	char *dir = test_path(root, "links");
	char *v1 = test_path(root, "victim-one");
	char *v2 = test_path(root, "victim-two");
	char *old_tmp = test_path(dir, STAMP ".tmp");
	char *stamp = test_path(dir, STAMP);
	const char *c1 = "victim one: must not be written\n";
	const char *c2 = "victim two: must not be written\n";
	struct stat st, sv2;
	size_t len = 0;
	unsigned char *got;
	int rc;

	CHECK(mkdir(dir, 0755) == 0);
	test_write_file(v1, c1);
	test_write_file(v2, c2);
	CHECK(link(v1, old_tmp) == 0);
	CHECK(link(v2, stamp) == 0);
	CHECK(lstat(v2, &sv2) == 0);

	timed_ensure(dir, &rc, "ensure, hard links at the stamp's names");
	CHECK_RC(rc, 0);
	CHECK_RC(smk_verify(dir), 0);
	/* And a second time, over the stamp just written. */
	timed_ensure(dir, &rc, "ensure, warm, hard link at the old temp name");
	CHECK_RC(rc, 0);

	got = test_read_file(v1, &len);
	CHECK(got && strcmp((char *)got, c1) == 0);
	free(got);
	got = test_read_file(v2, &len);
	CHECK(got && strcmp((char *)got, c2) == 0);
	free(got);
	/* The old temporary's name is left alone; the stamp's link was
	 * replaced (renamed over), not written through. */
	CHECK(lstat(old_tmp, &st) == 0 && st.st_nlink == 2);
	CHECK(lstat(stamp, &st) == 0 && S_ISREG(st.st_mode) &&
	      st.st_ino != sv2.st_ino && st.st_nlink == 1);
	CHECK(lstat(v2, &st) == 0 && st.st_nlink == 1);
	CHECK(test_count_temps(dir) == 0);

	free(dir);
	free(v1);
	free(v2);
	free(old_tmp);
	free(stamp);
}

/* ---- 3. The lock held by someone else ----------------------------------- */
static void test_lock_held(const char *root)
{
	char *dir = test_path(root, "locked");
	char *lock = test_path(dir, LOCK);
	double t;
	int fd, rc;

	CHECK(mkdir(dir, 0755) == 0);
	/* Our own open file description: flock conflicts with the library's
	 * as with another process's. */
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);

	t = timed_ensure(dir, &rc, "ensure, lock held elsewhere");
	CHECK_RC(rc, 0);
	printf("ensure with the lock held elsewhere: %.2f s\n", t);
	CHECK(t >= 4.0);
	CHECK(t < 30.0);
	CHECK_RC(smk_verify(dir), 0);
	CHECK(test_count_temps(dir) == 0);

	/* The stamp it wrote lets the next call through without the lock. */
	t = timed_ensure(dir, &rc, "ensure, warm, lock held elsewhere");
	CHECK_RC(rc, 0);
	CHECK(t < 2.0);

	close(fd);
	free(lock);
	free(dir);
}

/* ---- 5. A stamp that cannot be written ---------------------------------- */
static void test_stamp_unwritable(const char *root)
{
	char *dir = test_path(root, "stampdir");
	char *stamp = test_path(dir, STAMP);
	int rc;

	CHECK(mkdir(dir, 0755) == 0);
	CHECK(mkdir(stamp, 0755) == 0);
	for (int round = 0; round < 2; round++) {
		timed_ensure(dir, &rc, "ensure, a directory at the stamp's name");
		CHECK_RC(rc, 0);
		CHECK_RC(smk_verify(dir), 0);
		CHECK(is_type(stamp, S_IFDIR));
		CHECK(test_count_temps(dir) == 0);
	}
	free(stamp);
	free(dir);
}

/* ---- 6. Forged stamps ---------------------------------------------------- */

/* A stamp vouching for the files as they are now, in ensure's format,
 * owned by @uid, with mode @mode. */
static void forge_stamp(const char *dir, uid_t uid, mode_t mode)
{
	char *stamp = test_path(dir, STAMP);
	FILE *f;

	unlink(stamp);
	f = fopen(stamp, "w");
	if (!f) {
		perror(stamp);
		abort();
	}
	fprintf(f, "supermachine-kernel-stamp 1\n");
	for (int a = 0; a < SMK_ASSET_COUNT; a++) {
		const smk_asset_info *info = smk_asset_get_info((smk_asset)a);
		char *p = asset_path(dir, (smk_asset)a);
		struct stat st;
		if (lstat(p, &st) != 0) {
			perror(p);
			abort();
		}
		fprintf(f, "%s %s %llu %llu %llu %llo %lld %lld %lld %lld\n",
		        info->name, info->sha256, (unsigned long long)st.st_dev,
		        (unsigned long long)st.st_ino,
		        (unsigned long long)st.st_size,
		        (unsigned long long)st.st_mode, (long long)st.st_mtim.tv_sec,
		        (long long)st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
		        (long long)st.st_ctim.tv_nsec);
		free(p);
	}
	if (fchmod(fileno(f), mode) != 0 ||
	    (uid != geteuid() && fchown(fileno(f), uid, (gid_t)-1) != 0)) {
		perror(stamp);
		abort();
	}
	fclose(f);
	free(stamp);
}

/* Alters one byte of the kernel in place: same inode, size and mode. */
static void flip_kernel_byte(const char *dir)
{
	char *k = asset_path(dir, SMK_ASSET_KERNEL);
	off_t at = (off_t)(smk_asset_len(SMK_ASSET_KERNEL) / 2);
	unsigned char c = 0;
	int fd = open(k, O_RDWR);
	CHECK(fd >= 0 && pread(fd, &c, 1, at) == 1);
	c ^= 0x5a;
	CHECK(pwrite(fd, &c, 1, at) == 1);
	close(fd);
	CHECK_RC(smk_verify_file(SMK_ASSET_KERNEL, k), SMK_ERR_CHECKSUM);
	free(k);
}

/* Ensures @dir (owned by @dir_uid), damages the kernel, forges a stamp
 * owned by @stamp_uid with @stamp_mode vouching for it, ensures again:
 * the kernel must be repaired unless @trusted, when the stamp is believed
 * and the damage stays. */
static void forged_case(const char *root, const char *name, uid_t dir_uid,
                        uid_t stamp_uid, mode_t stamp_mode, int trusted)
{
	char *dir = test_path(root, name);
	char *k = asset_path(dir, SMK_ASSET_KERNEL);
	int rc, failures = test_failures;

	CHECK(mkdir(dir, 0755) == 0);
	if (dir_uid != geteuid())
		CHECK(chown(dir, dir_uid, (gid_t)-1) == 0);
	timed_ensure(dir, &rc, name);
	CHECK_RC(rc, 0);
	CHECK_RC(smk_verify(dir), 0);

	flip_kernel_byte(dir);
	forge_stamp(dir, stamp_uid, stamp_mode);
	timed_ensure(dir, &rc, name);
	CHECK_RC(rc, 0);
	if (trusted) {
		/* The control: the forged stamp is well formed and believed
		 * here, so the cases that must not believe it can fail. */
		CHECK_RC(smk_verify_file(SMK_ASSET_KERNEL, k), SMK_ERR_CHECKSUM);
	} else {
		CHECK_RC(smk_verify_file(SMK_ASSET_KERNEL, k), 0);
		CHECK_RC(smk_verify(dir), 0);
	}
	if (test_failures != failures)
		fprintf(stderr, "  (after forged-stamp case %s)\n", name);
	CHECK(test_count_temps(dir) == 0);
	free(k);
	free(dir);
}

static void test_forged_stamps(const char *root)
{
	uid_t me = geteuid();

	/* The control: this user's stamp, mode 0644, in this user's
	 * directory. */
	forged_case(root, "forged-control", me, me, 0644, 1);
	/* Writable by others: not trusted. */
	forged_case(root, "forged-writable", me, me, 0666, 0);
	if (me != 0) {
		skip("forged stamps of another user", "needs root (chown)");
		return;
	}
	/* In a directory of another user, whoever owns the stamp. */
	forged_case(root, "forged-dir-nobody-stamp-nobody", NOBODY, NOBODY, 0644, 0);
	forged_case(root, "forged-dir-nobody-stamp-root", NOBODY, 0, 0644, 0);
	/* Another user's stamp in our directory. */
	forged_case(root, "forged-dir-root-stamp-nobody", 0, NOBODY, 0644, 0);
}

/* ---- 7. Another user's copies of the right bytes ---------------------------- */
/* A file with the asset's bytes and mode but another user's is replaced:
 * its owner could rewrite it after the check. */
static void test_foreign_copies(const char *root)
{
	char *dir = test_path(root, "foreign");
	struct stat before[SMK_ASSET_COUNT], after;

	if (geteuid() != 0) {
		skip("another user's copies", "needs root (chown)");
		free(dir);
		return;
	}
	CHECK(mkdir(dir, 0755) == 0);
	CHECK_RC(smk_extract_all_to(dir), 0);
	CHECK_RC(smk_ensure_assets(dir), 0); /* a stamp vouching for them */
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		char *p = test_path(dir, smk_asset_get_info((smk_asset)i)->file_name);
		CHECK(lchown(p, NOBODY, NOBODY) == 0);
		CHECK(chmod(p, smk_asset_get_info((smk_asset)i)->mode) == 0);
		CHECK_RC(smk_verify_file((smk_asset)i, p), 0); /* the bytes are right */
		CHECK(lstat(p, &before[i]) == 0);
		free(p);
	}
	CHECK_RC(smk_ensure_assets(dir), 0);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		char *p = test_path(dir, smk_asset_get_info((smk_asset)i)->file_name);
		CHECK(lstat(p, &after) == 0);
		CHECK(after.st_uid == geteuid());
		CHECK(after.st_ino != before[i].st_ino);
		free(p);
	}
	CHECK_RC(smk_verify(dir), 0);
	CHECK(test_count_temps(dir) == 0);
	free(dir);
}

/* Runs one test function, saying how long it took; only those whose name
 * contains the program's argument, if any. */
static const char *only;

static void run(const char *name, void (*fn)(const char *), const char *root)
{
	double t0 = now_s();
	if (only && !strstr(name, only))
		return;
	guard(name);
	fn(root);
	unguard();
	printf("  %-28s %6.2f s\n", name, now_s() - t0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	char *root = test_mkdtemp("hostile-ensure");
	double t0 = now_s();

	if (argc > 1)
		only = argv[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	run("FIFOs", test_fifos, root);
	run("hard links", test_hard_links, root);
	run("lock held elsewhere", test_lock_held, root);
	run("stamp unwritable", test_stamp_unwritable, root);
	run("forged stamps", test_forged_stamps, root);
	run("another user's copies", test_foreign_copies, root);

	printf("core.hostile_ensure: %.1f s, %d skipped\n", now_s() - t0, skipped);
	test_rm_rf(root);
	free(root);
	return test_finish("core.hostile_ensure");
}
