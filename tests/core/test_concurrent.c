/* 8 processes extracting to one destination at once: every one succeeds,
 * the destination ends complete, nothing temporary is left.  The same for
 * 8 processes calling smk_ensure_assets on one fresh directory. */
#include "test_util.h"

#include <sys/wait.h>

#define PROCS 8

static int run_all(int (*fn)(const char *), const char *arg)
{
	pid_t pids[PROCS];
	int fds[2], ok = 1;
	char go = 0;
	/* A pipe as a starting gun so the children really overlap. */
	if (pipe(fds) != 0)
		return 0;
	for (int n = 0; n < PROCS; n++) {
		pids[n] = fork();
		if (pids[n] == 0) {
			close(fds[1]);
			if (read(fds[0], &go, 1) < 0)
				_exit(3);
			int rc = fn(arg);
			if (rc)
				fprintf(stderr, "child %d: %s\n", n, smk_strerror(rc));
			_exit(rc == 0 ? 0 : 1);
		}
	}
	close(fds[0]);
	close(fds[1]); /* EOF releases every child at once */
	for (int n = 0; n < PROCS; n++) {
		int status = 0;
		waitpid(pids[n], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	}
	return ok;
}

int main(void)
{
	char *root = test_mkdtemp("concurrent");
	char *dest = test_path(root, "kernel");
	char *ens = test_path(root, "ensured");

	for (int round = 0; round < 3; round++) {
		CHECK(run_all(smk_extract_kernel_to, dest));
		CHECK(test_is_asset(dest, SMK_ASSET_KERNEL));
		CHECK(test_count_temps(root) == 0);
	}
	CHECK(run_all(smk_extract_init_oci_to, dest));
	CHECK(test_is_asset(dest, SMK_ASSET_INIT_OCI));

	CHECK(run_all(smk_ensure_assets, ens));
	CHECK_RC(smk_verify(ens), 0);
	CHECK(test_count_temps(ens) == 0);

	test_rm_rf(root);
	free(dest);
	free(ens);
	free(root);
	return test_finish("core.concurrent");
}
