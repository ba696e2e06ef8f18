/* Extraction in a hostile or constrained directory: stale temporaries of
 * killed extractions removed, and only those (not one in use, not one of
 * another user, not one with another name, nor one that is not ours in
 * name or kind); over-long directories refused before anything is
 * created; append-only directories refused before writing; verify never
 * disturbed by a concurrent re-extraction of the same bytes; a low
 * RLIMIT_NOFILE only slowing extraction down. */
#include "test_util.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#if defined(__linux__)
#include <linux/fs.h>
#endif

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

/* Entries of dir other than "." and "..". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static int exists(const char *dir, const char *name, mode_t type)
{
	char *p = test_path(dir, name);
	struct stat st;
	int ok = lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == type;
	free(p);
	return ok;
}

/* ---- 4. Stale temporaries ----------------------------------------------- */

/* Removed: ours, regular, one link, nobody holding them. */
static const char *const stale[] = {
	".smk-tmp.0123456789abcdef",
	".smk-tmp.aaaaaaaaaaaaaaaa",
};
/* Kept for their names: not ".smk-tmp." and 16 lowercase hex digits. */
static const char *const misnamed[] = {
	".smk-tmp.xyz",
	".smk-tmp.0123456789ABCDEF",
	".smk-tmp.0123456789abcdef0",
	".smk-tmp.0123456789abcde",
	".smk-tmp.0123456789abcdeg",
};
#define HELD ".smk-tmp.bbbbbbbbbbbbbbbb"     /* a writer holds its lock */
#define FOREIGN ".smk-tmp.dddddddddddddddd"  /* another user's (root only) */
#define LINKED ".smk-tmp.eeeeeeeeeeeeeeee"   /* has a second name */
#define SYMLINK ".smk-tmp.ffffffffffffffff"  /* a symlink to a victim */
#define SUBDIR ".smk-tmp.1111111111111111"   /* a directory */
#define NSTALE (sizeof stale / sizeof stale[0])
#define NMISNAMED (sizeof misnamed / sizeof misnamed[0])

struct planted {
	int held_fd;
	int foreign;
	char *link2, *victim;
};

static void plant_file(const char *dir, const char *name)
{
	char *p = test_path(dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "left behind\n", 12) != 12) {
		perror(p);
		abort();
	}
	close(fd);
	free(p);
}

static void plant_temps(const char *root, const char *dir, const char *tag,
                        struct planted *pl)
{
	char *p;
	char other[64];

	for (size_t n = 0; n < NSTALE; n++)
		plant_file(dir, stale[n]);
	for (size_t n = 0; n < NMISNAMED; n++)
		plant_file(dir, misnamed[n]);

	plant_file(dir, HELD);
	p = test_path(dir, HELD);
	pl->held_fd = open(p, O_RDONLY | O_CLOEXEC);
	CHECK(pl->held_fd >= 0 && flock(pl->held_fd, LOCK_EX | LOCK_NB) == 0);
	free(p);

	pl->foreign = geteuid() == 0;
	if (pl->foreign) {
		plant_file(dir, FOREIGN);
		p = test_path(dir, FOREIGN);
		CHECK(chown(p, NOBODY, NOBODY) == 0);
		free(p);
	}

	plant_file(dir, LINKED);
	p = test_path(dir, LINKED);
	snprintf(other, sizeof other, "second-name-%s", tag);
	pl->link2 = test_path(root, other);
	CHECK(link(p, pl->link2) == 0);
	free(p);

	snprintf(other, sizeof other, "symlink-victim-%s", tag);
	pl->victim = test_path(root, other);
	test_write_file(pl->victim, "victim\n");
	p = test_path(dir, SYMLINK);
	CHECK(symlink(pl->victim, p) == 0);
	free(p);

	p = test_path(dir, SUBDIR);
	CHECK(mkdir(p, 0700) == 0);
	free(p);
}

static void check_temps(const char *dir, struct planted *pl, const char *what)
{
	int failures = test_failures;
	int kept = (int)NMISNAMED + 4 + (pl->foreign ? 1 : 0);
	struct stat st;
	size_t len = 0;
	unsigned char *c;

	for (size_t n = 0; n < NSTALE; n++) {
		if (exists(dir, stale[n], S_IFREG)) {
			fprintf(stderr, "%s: stale %s kept\n", what, stale[n]);
			test_failures++;
		}
	}
	for (size_t n = 0; n < NMISNAMED; n++) {
		if (!exists(dir, misnamed[n], S_IFREG)) {
			fprintf(stderr, "%s: %s removed\n", what, misnamed[n]);
			test_failures++;
		}
	}
	CHECK(exists(dir, HELD, S_IFREG));
	if (pl->foreign)
		CHECK(exists(dir, FOREIGN, S_IFREG));
	CHECK(exists(dir, LINKED, S_IFREG));
	CHECK(lstat(pl->link2, &st) == 0 && st.st_nlink == 2);
	CHECK(exists(dir, SYMLINK, S_IFLNK));
	c = test_read_file(pl->victim, &len);
	CHECK(c && strcmp((char *)c, "victim\n") == 0);
	free(c);
	CHECK(exists(dir, SUBDIR, S_IFDIR));
	/* And nothing else of the kind: the call left no temporary. */
	CHECK(test_count_temps(dir) == kept);
	if (test_failures != failures)
		fprintf(stderr, "  (stale temporaries, %s)\n", what);

	close(pl->held_fd);
	free(pl->link2);
	free(pl->victim);
}

static void test_stale_temporaries(const char *root)
{
	char *ext = test_path(root, "stale-extract");
	char *ens = test_path(root, "stale-ensure");
	struct planted pl;

	if (geteuid() != 0)
		skip("a stale temporary of another user", "needs root (chown)");
	CHECK(mkdir(ext, 0755) == 0);
	plant_temps(root, ext, "extract", &pl);
	CHECK_RC(smk_extract_all_to(ext), 0);
	CHECK_RC(smk_verify(ext), 0);
	check_temps(ext, &pl, "smk_extract_all_to");

	/* A fresh directory: ensure's slow path cleans it too. */
	CHECK(mkdir(ens, 0755) == 0);
	plant_temps(root, ens, "ensure", &pl);
	CHECK_RC(smk_ensure_assets(ens), 0);
	CHECK_RC(smk_verify(ens), 0);
	check_temps(ens, &pl, "smk_ensure_assets");

	/* One stale temporary, the only thing in it. */
	test_rm_rf(ens);
	CHECK(mkdir(ens, 0755) == 0);
	plant_file(ens, stale[0]);
	CHECK_RC(smk_ensure_assets(ens), 0);
	CHECK(test_count_temps(ens) == 0);
	CHECK_RC(smk_verify(ens), 0);

	free(ext);
	free(ens);
}

/* ---- 7. Over-long directories ------------------------------------------- */

/* @base followed by components of at most 200 bytes, @len bytes in all. */
static char *long_path(const char *base, size_t len)
{
	char *p = malloc(len + 1);
	size_t at = strlen(base);
	char c = 'a';
	if (!p || at + 2 > len)
		abort();
	memcpy(p, base, at);
	while (at < len) {
		size_t room = len - at - 1; /* after the slash */
		size_t n = room > 200 ? 200 : room;
		if (room > 200 && room - 200 < 2)
			n = 150; /* leave room for one more "/x" */
		p[at++] = '/';
		memset(p + at, c, n);
		at += n;
		c = c == 'z' ? 'a' : (char)(c + 1);
	}
	p[at] = '\0';
	return p;
}

static void test_too_long(const char *root)
{
	char *base = test_path(root, "long");
	char *p;
	char *comp;

	CHECK(mkdir(base, 0755) == 0);

	p = long_path(base, PATH_MAX - 5);
	CHECK(strlen(p) == PATH_MAX - 5);
	CHECK_RC(smk_extract_all_to(p), -ENAMETOOLONG);
	CHECK_RC(smk_ensure_assets(p), -ENAMETOOLONG);
	CHECK(count_entries(base) == 0);
	free(p);

	/* The longest directory whose paths of ours (assets, temporaries,
	 * ensure's stamp, the longest name) still fit in PATH_MAX (with its
	 * NUL) works, ensure included; one byte more does not. */
	{
		size_t room = strlen("/") + strlen(".supermachine-kernel.stamp");
		p = long_path(base, PATH_MAX - 1 - room + 1);
		CHECK_RC(smk_extract_all_to(p), -ENAMETOOLONG);
		CHECK_RC(smk_ensure_assets(p), -ENAMETOOLONG);
		CHECK(count_entries(base) == 0);
		free(p);
		p = long_path(base, PATH_MAX - 1 - room);
		CHECK_RC(smk_extract_all_to(p), 0);
		CHECK_RC(smk_ensure_assets(p), 0);
		CHECK_RC(smk_verify(p), 0);
		CHECK(test_count_temps(p) == 0);
		free(p);
		test_rm_rf(base);
		CHECK(mkdir(base, 0755) == 0);
	}

	/* One component longer than NAME_MAX, last or not. */
	comp = malloc(NAME_MAX + 2);
	if (!comp)
		abort();
	memset(comp, 'y', NAME_MAX + 1);
	comp[NAME_MAX + 1] = '\0';
	p = test_path(base, comp);
	CHECK_RC(smk_extract_all_to(p), -ENAMETOOLONG);
	CHECK_RC(smk_ensure_assets(p), -ENAMETOOLONG);
	CHECK(count_entries(base) == 0);
	{
		char *deeper = test_path(p, "sub");
		CHECK_RC(smk_extract_all_to(deeper), -ENAMETOOLONG);
		CHECK_RC(smk_ensure_assets(deeper), -ENAMETOOLONG);
		CHECK(count_entries(base) == 0);
		free(deeper);
	}
	free(p);
	free(comp);
	free(base);
}

/* ---- 8. Append-only directories ----------------------------------------- */
static void test_append_only(const char *root)
{
#if defined(__linux__) && defined(FS_IOC_SETFLAGS) && defined(FS_APPEND_FL)
	char *dir = test_path(root, "append-only");
	char *x = test_path(dir, "x");
	int fd, flags = 0;

	CHECK(mkdir(dir, 0755) == 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
		skip("append-only directory", "FS_IOC_GETFLAGS not supported");
		goto out;
	}
	flags |= FS_APPEND_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) {
		int err = errno;
		if (err == EOPNOTSUPP || err == ENOTTY || err == EPERM ||
		    err == EINVAL) {
			skip("append-only directory", strerror(err));
			goto out;
		}
		fprintf(stderr, "FS_IOC_SETFLAGS: %s\n", strerror(err));
		test_failures++;
		goto out;
	}

	CHECK_RC(smk_asset_extract_to(SMK_ASSET_INIT_OCI, x), -EPERM);
	CHECK(count_entries(dir) == 0);
	CHECK_RC(smk_extract_all_to(dir), -EPERM);
	CHECK(count_entries(dir) == 0);
	/* ensure neither: no lock, no stamp temporary left for good. */
	CHECK_RC(smk_ensure_assets(dir), -EPERM);
	CHECK_RC(smk_ensure_assets(dir), -EPERM);
	CHECK(count_entries(dir) == 0);

	flags &= ~FS_APPEND_FL;
	CHECK(ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0);
out:
	if (fd >= 0)
		close(fd);
	free(x);
	free(dir);
#else
	(void)root;
	skip("append-only directory", "no FS_IOC_SETFLAGS here");
#endif
}

/* ---- 9. verify while the same bytes are extracted again ----------------- */
#define REEXTRACTIONS 200
static const char *race_path;
static volatile int race_done;
static int race_extract_rc;

static void *reextract(void *arg)
{
	(void)arg;
	for (int n = 0; n < REEXTRACTIONS; n++) {
		int rc = smk_asset_extract_to(SMK_ASSET_INIT_OCI, race_path);
		if (rc && !race_extract_rc)
			race_extract_rc = rc;
	}
	__atomic_store_n(&race_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_verify_during_reextraction(const char *root)
{
	char *path = test_path(root, "init-oci-race");
	pthread_t t;
	long verifies = 0, bad = 0;
	int first_bad = 0;

	CHECK_RC(smk_asset_extract_to(SMK_ASSET_INIT_OCI, path), 0);
	race_path = path;
	race_done = 0;
	race_extract_rc = 0;
	CHECK(pthread_create(&t, NULL, reextract, NULL) == 0);
	while (!__atomic_load_n(&race_done, __ATOMIC_SEQ_CST)) {
		int rc = smk_verify_file(SMK_ASSET_INIT_OCI, path);
		verifies++;
		if (rc) {
			bad++;
			if (!first_bad)
				first_bad = rc;
		}
	}
	pthread_join(t, NULL);
	printf("verify during %d re-extractions: %ld verifies, %ld failed (%s)\n",
	       REEXTRACTIONS, verifies, bad,
	       first_bad ? smk_error_name(first_bad) : "none");
	CHECK_RC(race_extract_rc, 0);
	CHECK_RC(first_bad, 0);
	CHECK(verifies > 0);
	CHECK_RC(smk_verify_file(SMK_ASSET_INIT_OCI, path), 0);
	CHECK(test_count_temps(root) == 0);
	free(path);
}

/* ---- 10. A low RLIMIT_NOFILE -------------------------------------------- */

/* In a child with only descriptors 0-2 open and RLIMIT_NOFILE @limit,
 * runs @fn(@dir); returns its code (1 if the child could not be set up). */
static int with_nofile(int limit, int (*fn)(const char *), const char *dir)
{
	int status = 0;
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)limit, (rlim_t)limit };
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(100);
		int rc = fn(dir);
		if (rc)
			fprintf(stderr, "RLIMIT_NOFILE %d: %s\n", limit,
			        smk_error_name(rc) ? smk_error_name(rc) : "?");
		_exit(rc == 0 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_low_nofile(const char *root)
{
	char *ext = test_path(root, "nofile-extract");
	char *ens = test_path(root, "nofile-ensure");

	/* 0-2 and three more: one asset's directory and temporary at a time
	 * (and the descriptors a clean-up of stale temporaries needs). */
	CHECK(with_nofile(6, smk_extract_all_to, ext) == 0);
	CHECK_RC(smk_verify(ext), 0);
	CHECK(test_count_temps(ext) == 0);

	/* ensure's slow path holds the lock as well. */
	CHECK(with_nofile(6, smk_ensure_assets, ens) == 0);
	CHECK_RC(smk_verify(ens), 0);
	CHECK(test_count_temps(ens) == 0);
	free(ext);
	free(ens);
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
	char *root = test_mkdtemp("hostile-extract");
	double t0 = now_s();

	if (argc > 1)
		only = argv[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	run("stale temporaries", test_stale_temporaries, root);
	run("over-long directories", test_too_long, root);
	run("append-only directory", test_append_only, root);
	run("verify during re-extraction", test_verify_during_reextraction, root);
	run("low RLIMIT_NOFILE", test_low_nofile, root);

	printf("core.hostile_extract: %.1f s, %d skipped\n", now_s() - t0, skipped);
	test_rm_rf(root);
	free(root);
	return test_finish("core.hostile_extract");
}
