/*
 * Benchmark of the core: prints figures, asserts nothing (ctest builds it
 * but never runs it).
 *
 *   core_bench [RUNS]
 *
 * For the embedded payloads, in one run: cold extraction of all three by
 * the library and by the CLI, warm smk_ensure_assets, smk_verify of a
 * complete directory (every byte compared with the decoded payloads), the
 * first *_bytes() calls, peak RSS during extraction and during verify, and
 * the same decoding by `xz -dc` and `xz -T0 -dc`.  Whole process against whole process, median of paired,
 * interleaved runs, each writing into a fresh directory; ours fsync, xz
 * does not.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supermachine_kernel.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SMK_BENCH_CLI
#define SMK_BENCH_CLI "supermachine-kernel"
#endif
#ifndef SMK_BENCH_PAYLOADS
#define SMK_BENCH_PAYLOADS "payloads"
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double run_shell(const char *cmd)
{
	double t0 = now();
	if (system(cmd) != 0)
		fprintf(stderr, "failed: %s\n", cmd);
	return now() - t0;
}

/* kB of a /proc/self/status field. */
static long status_kb(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, field, strlen(field)) == 0)
			v = atol(line + strlen(field) + 1);
	}
	if (f)
		fclose(f);
	return v;
}

/* Runs fn in a child process and returns the double it reports. */
static double in_child(double (*fn)(const char *), const char *arg)
{
	int fds[2];
	double v = -1;
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		double r = fn(arg);
		if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &v, sizeof v) != (ssize_t)sizeof v)
		v = -1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return v;
}

static double lib_extract(const char *dir)
{
	double t0 = now();
	int rc = smk_extract_all_to(dir);
	if (rc)
		fprintf(stderr, "%s: %s\n", dir, smk_strerror(rc));
	return now() - t0;
}

static double first_bytes(const char *unused)
{
	(void)unused;
	double t0 = now();
	if (!smk_kernel_bytes() || !smk_init_oci_bytes() ||
	    !smk_supermachine_agent_bytes())
		fprintf(stderr, "bytes failed\n");
	return now() - t0;
}

static double lib_verify(const char *dir)
{
	double t0 = now();
	int rc = smk_verify(dir);
	if (rc)
		fprintf(stderr, "verify %s: %s\n", dir, smk_strerror(rc));
	return now() - t0;
}

static void reset_peak_rss(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	if (fd >= 0) {
		/* "5" resets the peak RSS (VmHWM) to the current RSS. */
		if (write(fd, "5", 1) != 1)
			fprintf(stderr, "cannot reset VmHWM\n");
		close(fd);
	}
}

static double verify_peak_rss_extra_mib(const char *dir)
{
	long base;
	reset_peak_rss();
	base = status_kb("VmRSS:");
	smk_verify(dir);
	return (double)(status_kb("VmHWM:") - base) / 1024.0;
}

static double peak_rss_extra_mib(const char *dir)
{
	long base;
	reset_peak_rss();
	base = status_kb("VmRSS:");
	smk_extract_all_to(dir);
	return (double)(status_kb("VmHWM:") - base) / 1024.0;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	char root[] = "/tmp/smk-bench-XXXXXX";
	char dir[512], cmd[4096], xzlist[2048] = "";
	double *cli, *xz1, *xzt, *lib, *pair, *ver;
	double warm[51];

	if (runs < 1)
		runs = 1;
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	for (int a = 0; a < SMK_ASSET_COUNT; a++) {
		const smk_asset_info *i = smk_asset_get_info((smk_asset)a);
		size_t n = strlen(xzlist);
		snprintf(xzlist + n, sizeof xzlist - n, " %s", i->file_name);
	}
	cli = calloc((size_t)runs, sizeof *cli);
	xz1 = calloc((size_t)runs, sizeof *xz1);
	xzt = calloc((size_t)runs, sizeof *xzt);
	lib = calloc((size_t)runs, sizeof *lib);
	pair = calloc((size_t)runs, sizeof *pair);
	ver = calloc((size_t)runs, sizeof *ver);
	if (!cli || !xz1 || !xzt || !lib || !pair || !ver)
		return 1;

	for (int r = 0; r < runs; r++) {
		snprintf(dir, sizeof dir, "%s/cli%d", root, r);
		snprintf(cmd, sizeof cmd, "'%s' extract '%s'", SMK_BENCH_CLI, dir);
		cli[r] = run_shell(cmd);
		for (int t = 0; t < 2; t++) {
			snprintf(dir, sizeof dir, "%s/xz%d-%d", root, t, r);
			snprintf(cmd, sizeof cmd,
			         "mkdir -p '%s' && for f in%s; do xz %s -dc '%s'/$f.xz > '%s'/$f; done",
			         dir, xzlist, t ? "-T0" : "-T1", SMK_BENCH_PAYLOADS, dir);
			(t ? xzt : xz1)[r] = run_shell(cmd);
		}
		snprintf(dir, sizeof dir, "%s/lib%d", root, r);
		lib[r] = in_child(lib_extract, dir);
		ver[r] = in_child(lib_verify, dir);
		pair[r] = cli[r] / xzt[r];
	}

	snprintf(dir, sizeof dir, "%s/ensured", root);
	smk_ensure_assets(dir);
	for (int w = 0; w < 51; w++) {
		double t0 = now();
		smk_ensure_assets(dir);
		warm[w] = now() - t0;
	}
	double warm_med = median(warm, 51);
	double bytes_first = in_child(first_bytes, NULL);
	snprintf(dir, sizeof dir, "%s/rss", root);
	double rss = in_child(peak_rss_extra_mib, dir);
	double vrss = in_child(verify_peak_rss_extra_mib, dir);

	double m_cli = median(cli, runs), m_xz1 = median(xz1, runs);
	double m_xzt = median(xzt, runs), m_lib = median(lib, runs);
	double m_pair = median(pair, runs), m_ver = median(ver, runs);

	printf("supermachine-kernel %s, %d paired runs, medians\n",
	       smk_version_string(), runs);
	printf("  cold extract, CLI process   %8.1f ms   %.2fx xz -T0 -dc (paired)\n",
	       m_cli * 1e3, m_pair);
	printf("  cold extract, library call  %8.1f ms\n", m_lib * 1e3);
	printf("  xz -dc (one thread)         %8.1f ms\n", m_xz1 * 1e3);
	printf("  xz -T0 -dc                  %8.1f ms\n", m_xzt * 1e3);
	printf("  warm ensure                 %8.3f ms   1/%.0f of cold library extraction\n",
	       warm_med * 1e3, m_lib / warm_med);
	printf("  verify of a complete dir    %8.1f ms\n", m_ver * 1e3);
	printf("  first *_bytes() of all three%8.1f ms\n", bytes_first * 1e3);
	printf("  peak RSS during extraction  %8.1f MiB above baseline\n", rss);
	printf("  peak RSS during verify      %8.1f MiB above baseline\n", vrss);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return 0;
}
