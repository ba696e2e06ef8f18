/* smk_ensure_assets: cold, warm (nothing rewritten), repair of missing,
 * truncated, altered (same size: only comparing the bytes can tell),
 * re-moded and symlinked files, touched-but-intact and copied-in files
 * kept, the default directory, a read-only directory that is already
 * complete, and concurrent callers in threads. */
#include "test_util.h"

#include <pthread.h>
#include <sys/wait.h>

static char *asset_path(const char *dir, smk_asset a)
{
	return test_path(dir, smk_asset_get_info(a)->file_name);
}

static ino_t inode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static int all_good(const char *dir)
{
	for (int a = 0; a < SMK_ASSET_COUNT; a++) {
		char *p = asset_path(dir, (smk_asset)a);
		int ok = test_is_asset(p, (smk_asset)a);
		free(p);
		if (!ok)
			return 0;
	}
	return 1;
}

#define THREADS 8
static const char *thread_dir;
static int thread_rc[THREADS];
static void *ensure_thread(void *arg)
{
	thread_rc[(intptr_t)arg] = smk_ensure_assets(thread_dir);
	return NULL;
}

int main(void)
{
	char *root = test_mkdtemp("ensure");
	char *dir = test_path(root, "cache/assets");
	char *k = asset_path(dir, SMK_ASSET_KERNEL);
	char *i = asset_path(dir, SMK_ASSET_INIT_OCI);
	char *s = asset_path(dir, SMK_ASSET_SUPERMACHINE_AGENT);
	ino_t ik, ii, is;

	/* Cold: creates the directory and every file. */
	CHECK_RC(smk_ensure_assets(dir), 0);
	CHECK(all_good(dir));
	ik = inode_of(k);
	ii = inode_of(i);
	is = inode_of(s);

	/* Warm: nothing is rewritten. */
	CHECK_RC(smk_ensure_assets(dir), 0);
	CHECK(inode_of(k) == ik && inode_of(i) == ii && inode_of(s) == is);

	/* Missing. */
	unlink(i);
	CHECK_RC(smk_ensure_assets(dir), 0);
	CHECK(all_good(dir));
	CHECK(inode_of(k) == ik);

	/* Truncated in place. */
	CHECK(truncate(k, 100) == 0);
	CHECK_RC(smk_ensure_assets(dir), 0);
	CHECK(all_good(dir));

	/* Altered in place, same size: the identity changed, the bytes are
	 * compared, found wrong, and the file is replaced.  Near the start
	 * and at the very end (the last xz block). */
	{
		ino_t before = inode_of(s);
		int fd = open(s, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, "XX", 2, 10) == 2);
		close(fd);
		CHECK_RC(smk_verify_file(SMK_ASSET_SUPERMACHINE_AGENT, s),
		         SMK_ERR_CHECKSUM);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(all_good(dir));
		CHECK(inode_of(s) != before);
		CHECK_RC(smk_verify(dir), 0);
	}
	{
		ino_t before = inode_of(k);
		struct stat st;
		unsigned char c = 0;
		int fd = open(k, O_RDWR);
		CHECK(fd >= 0 && fstat(fd, &st) == 0 &&
		      pread(fd, &c, 1, st.st_size - 1) == 1);
		c ^= 0x80;
		CHECK(pwrite(fd, &c, 1, st.st_size - 1) == 1);
		close(fd);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(all_good(dir));
		CHECK(inode_of(k) != before);
		/* Fixed for good: the next call trusts the new stamp. */
		before = inode_of(k);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(inode_of(k) == before);
	}

	/* Wrong mode. */
	chmod(i, 0700);
	CHECK_RC(smk_ensure_assets(dir), 0);
	CHECK(all_good(dir));

	/* A symlink to a good copy is replaced by a regular file. */
	{
		char *copy = test_path(root, "copy");
		CHECK_RC(smk_extract_kernel_to(copy), 0);
		unlink(k);
		CHECK(symlink(copy, k) == 0);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(all_good(dir));
		CHECK(test_is_asset(copy, SMK_ASSET_KERNEL));
		free(copy);
	}

	/* Touched but intact: checked, kept, and trusted again afterwards.
	 * Rewritten with its own bytes (identity changed, content not):
	 * kept too. */
	{
		ino_t before = inode_of(k);
		CHECK(utimensat(AT_FDCWD, k, NULL, 0) == 0);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(inode_of(k) == before);
		CHECK(all_good(dir));
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(inode_of(k) == before);

		before = inode_of(i);
		int fd = open(i, O_RDWR);
		unsigned char c = 0;
		CHECK(fd >= 0 && pread(fd, &c, 1, 0) == 1 &&
		      pwrite(fd, &c, 1, 0) == 1);
		close(fd);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(inode_of(i) == before);
		CHECK(all_good(dir));
	}

	/* A correct copy put in place (new inode, unknown to the stamp) is
	 * kept, not rewritten. */
	{
		char *copy = test_path(root, "agent-copy");
		ino_t copied;
		CHECK_RC(smk_extract_supermachine_agent_to(copy), 0);
		copied = inode_of(copy);
		CHECK(rename(copy, s) == 0);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(inode_of(s) == copied);
		CHECK(all_good(dir));
		free(copy);
	}

	/* Stamp lost or garbage: files are checked, not rewritten. */
	{
		char *stamp = test_path(dir, ".supermachine-kernel.stamp");
		ino_t before = inode_of(s);
		test_write_file(stamp, "garbage\n");
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(inode_of(s) == before);
		unlink(stamp);
		CHECK_RC(smk_ensure_assets(dir), 0);
		CHECK(inode_of(s) == before);
		CHECK(all_good(dir));
		free(stamp);
	}

	/* Not a directory. */
	{
		char *f = test_path(root, "plainfile");
		test_write_file(f, "x");
		CHECK_RC(smk_ensure_assets(f), -ENOTDIR);
		CHECK_RC(smk_ensure_assets(""), -ENOENT);
		free(f);
	}

	/* Default directory: under XDG_CACHE_HOME. */
	{
		char *xdg = test_path(root, "xdg");
		char want[1024], got[1024];
		setenv("XDG_CACHE_HOME", xdg, 1);
		CHECK_RC(smk_ensure_assets(NULL), 0);
		snprintf(want, sizeof want, "%s/supermachine-kernel/%s", xdg,
		         SMK_VERSION_STRING);
		CHECK(smk_default_dir(got, sizeof got) > 0 && strcmp(got, want) == 0);
		CHECK(all_good(want));
		free(xdg);
	}

	/* Threads racing on a fresh directory. */
	{
		pthread_t t[THREADS];
		char *race = test_path(root, "race");
		thread_dir = race;
		for (intptr_t n = 0; n < THREADS; n++)
			pthread_create(&t[n], NULL, ensure_thread, (void *)n);
		for (int n = 0; n < THREADS; n++)
			pthread_join(t[n], NULL);
		for (int n = 0; n < THREADS; n++)
			CHECK_RC(thread_rc[n], 0);
		CHECK(all_good(race));
		CHECK(test_count_temps(race) == 0);
		free(race);
	}

	/* A complete directory that cannot be written is fine; an incomplete
	 * one is an error naming the permission problem.  As root, permission
	 * bits only apply to another user, so a child drops to nobody. */
	{
		char *stamp = test_path(dir, ".supermachine-kernel.stamp");
		char *lock = test_path(dir, ".supermachine-kernel.lock");
		int as_root = geteuid() == 0;
		unlink(stamp);
		unlink(lock);
		if (!as_root)
			chmod(dir, 0555);
		for (int round = 0; round < 2; round++) {
			int want = round == 0 ? 0 : -EACCES;
			if (round == 1) {
				chmod(dir, 0755);
				unlink(k);
				if (!as_root)
					chmod(dir, 0555);
			}
			pid_t pid = fork();
			if (pid == 0) {
				if (as_root && (setgid(65534) != 0 || setuid(65534) != 0))
					_exit(3);
				_exit(smk_ensure_assets(dir) == want ? 0 : 1);
			}
			int status = 0;
			waitpid(pid, &status, 0);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "read-only directory, round %d: status %d\n",
				        round, status);
				test_failures++;
			}
		}
		chmod(dir, 0755);
		CHECK_RC(smk_ensure_assets(dir), 0);
		free(stamp);
		free(lock);
	}

	CHECK(test_count_temps(dir) == 0);
	test_rm_rf(root);
	free(k);
	free(i);
	free(s);
	free(dir);
	free(root);
	return test_finish("core.ensure");
}
