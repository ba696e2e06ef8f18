/* A process killed (SIGKILL) in the middle of an extraction leaves the
 * destination as it was: absent, or a complete earlier copy; never a
 * partial file.  Where unnamed temporaries are supported it leaves no
 * temporary either. */
#include "test_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

int main(void)
{
	char *root = test_mkdtemp("kill");
	char *dest = test_path(root, "kernel");
	long full;
	int killed_mid = 0;

	/* How long one extraction takes here, to aim the kills inside it. */
	{
		long t0 = now_us();
		CHECK_RC(smk_extract_kernel_to(dest), 0);
		full = now_us() - t0;
		unlink(dest);
	}

	for (int round = 0; round < 12; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (;;)
				smk_extract_kernel_to(dest);
		}
		/* Spread the kills over the first extractions. */
		sleep_us(full / 12 * (round % 12) + full / 24 + round * 1000L);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);

		struct stat st;
		if (lstat(dest, &st) == 0) {
			if (!test_is_asset(dest, SMK_ASSET_KERNEL)) {
				fprintf(stderr, "round %d: partial destination\n", round);
				test_failures++;
			}
		} else {
			killed_mid++;
		}
		int temps = test_count_temps(root);
		if (temps) {
			/* Only named temporaries (no O_TMPFILE here) may be
			 * left by a kill; clean them for the next round. */
			fprintf(stderr, "round %d: %d named temporary file(s) left\n",
			        round, temps);
#ifdef O_TMPFILE
			test_failures++;
#endif
		}
	}
	printf("kills while the destination was still absent: %d of 12\n",
	       killed_mid);
	test_rm_rf(root);
	free(dest);
	free(root);
	return test_finish("core.kill");
}
