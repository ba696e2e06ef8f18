/* Extraction: every case of tests/conformance/cases.json for every asset,
 * plus modes under any umask, replacing files, extract_all, bad arguments.
 * After every case no temporary file is left anywhere. */
#include "test_util.h"
#include "cases.h"

#include <sys/wait.h>

static int temps_found;
static int count_temp(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (strncmp(path + ftw->base, ".smk-tmp", 8) == 0)
		temps_found++;
	return 0;
}

static int temps_under(const char *root)
{
	temps_found = 0;
	nftw(root, count_temp, 16, FTW_PHYS);
	return temps_found;
}

/* With @bytes, paths (and symlink targets) are %HH-encoded. */
static void run_setup(const char *root, const char *setup, int bytes)
{
	char line[1024];
	const char *p = setup;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char verb[16], a[512], b[512];
		snprintf(line, sizeof line, "%.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
		b[0] = '\0';
		if (sscanf(line, "%15s %511s %511[^\n]", verb, a, b) < 2)
			continue;
		if (bytes) {
			test_unpercent(a);
			if (strcmp(verb, "symlink") == 0)
				test_unpercent(b);
		}
		char *path = test_path(root, a);
		if (strcmp(verb, "mkdir") == 0) {
			mode_t mode = (mode_t)strtoul(b, NULL, 8);
			mkdir(path, 0700);
			chmod(path, mode);
		} else if (strcmp(verb, "file") == 0) {
			test_write_file(path, b);
		} else if (strcmp(verb, "symlink") == 0) {
			if (symlink(b, path) != 0)
				perror(path);
		}
		free(path);
	}
}

static int check_after(const char *root, const char *after, smk_asset asset,
                       const char *id, int bytes)
{
	const char *p = after;
	int ok = 1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024], rel[512], state[512];
		struct stat st;
		snprintf(line, sizeof line, "%.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
		if (sscanf(line, "%511s %511[^\n]", rel, state) != 2)
			continue;
		if (bytes)
			test_unpercent(rel);
		char *path = test_path(root, rel);
		int good;
		if (strcmp(state, "absent") == 0) {
			good = lstat(path, &st) != 0 && errno == ENOENT;
		} else if (strcmp(state, "directory") == 0) {
			good = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
		} else if (strcmp(state, "asset") == 0) {
			good = test_is_asset(path, asset);
		} else if (strncmp(state, "content:", 8) == 0) {
			size_t len = 0;
			unsigned char *c = NULL;
			good = lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			       (c = test_read_file(path, &len)) != NULL &&
			       strcmp((char *)c, state + 8) == 0;
			free(c);
		} else {
			fprintf(stderr, "%s: unknown state %s\n", id, state);
			good = 0;
		}
		if (!good) {
			fprintf(stderr, "case %s (%s): %s is not %s\n", id,
			        smk_asset_get_info(asset)->name, rel, state);
			ok = 0;
		}
		free(path);
	}
	return ok;
}

static int extract(smk_asset asset, const char *dest, int with_parents)
{
	return with_parents ? smk_asset_extract_to_with_parents(asset, dest)
	                    : smk_asset_extract_to(asset, dest);
}

/* Runs the call as an unprivileged user when we are root, so permission
 * bits apply.  Returns the call's code, or 1 if it cannot be arranged. */
static int extract_unprivileged(smk_asset asset, const char *dest,
                                int with_parents)
{
	int fds[2], rc = 1;
	pid_t pid;
	if (geteuid() != 0)
		return extract(asset, dest, with_parents);
	if (pipe(fds) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		int r = 1;
		close(fds[0]);
		if (setgid(65534) == 0 && setuid(65534) == 0)
			r = extract(asset, dest, with_parents);
		if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &rc, sizeof rc) != (ssize_t)sizeof rc)
		rc = 1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return rc;
}

static void run_cases(void)
{
	for (int a = 0; a < SMK_ASSET_COUNT; a++) {
		smk_asset asset = (smk_asset)a;
		for (size_t i = 0; i < sizeof extract_cases / sizeof *extract_cases; i++) {
			const struct extract_case *c = &extract_cases[i];
			char *root = test_mkdtemp("case");
			char *rel = strdup(c->dest);
			char *dest = c->dest[0] ? test_path(root, c->bytes ? test_unpercent(rel) : rel)
			                        : strdup("");
			int want = test_code_of(c->error);
			int rc;

			free(rel);
			run_setup(root, c->setup, c->bytes);
			rc = c->unprivileged
			             ? extract_unprivileged(asset, dest, c->with_parents)
			             : extract(asset, dest, c->with_parents);
			if (rc != want) {
				fprintf(stderr, "case %s (%s): got %d %s, want %s\n",
				        c->id, smk_asset_get_info(asset)->name, rc,
				        smk_error_name(rc) ? smk_error_name(rc) : "?",
				        c->error[0] ? c->error : "success");
				test_failures++;
			}
			if (!check_after(root, c->after, asset, c->id, c->bytes))
				test_failures++;
			if (temps_under(root) != 0) {
				fprintf(stderr, "case %s: temporary file left\n", c->id);
				test_failures++;
			}
			test_rm_rf(root);
			free(root);
			free(dest);
		}
	}
}

int main(void)
{
	char *root = test_mkdtemp("extract");
	char *k = test_path(root, "kernel");
	char *i = test_path(root, "init-oci");
	char *s = test_path(root, "supermachine-agent");
	struct stat st;

	run_cases();

	/* Modes are exact whatever the umask. */
	umask(077);
	CHECK_RC(smk_extract_kernel_to(k), 0);
	CHECK_RC(smk_extract_init_oci_to(i), 0);
	CHECK_RC(smk_extract_supermachine_agent_to(s), 0);
	CHECK(test_is_asset(k, SMK_ASSET_KERNEL));
	CHECK(test_is_asset(i, SMK_ASSET_INIT_OCI));
	CHECK(test_is_asset(s, SMK_ASSET_SUPERMACHINE_AGENT));
	CHECK(stat(k, &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK(stat(i, &st) == 0 && (st.st_mode & 07777) == 0755);
	CHECK(stat(s, &st) == 0 && (st.st_mode & 07777) == 0755);
	umask(022);

	/* Replacing one asset with another changes content and mode. */
	CHECK_RC(smk_extract_init_oci_to(k), 0);
	CHECK(test_is_asset(k, SMK_ASSET_INIT_OCI));
	CHECK_RC(smk_extract_kernel_to(k), 0);
	CHECK(test_is_asset(k, SMK_ASSET_KERNEL));

	/* The per-asset _with_parents functions. */
	{
		char *deep = test_path(root, "x/y/z/init-oci");
		char *deep2 = test_path(root, "x/y/w/supermachine-agent");
		char *deep3 = test_path(root, "x//v/kernel");
		CHECK_RC(smk_extract_init_oci_to_with_parents(deep), 0);
		CHECK_RC(smk_extract_supermachine_agent_to_with_parents(deep2), 0);
		CHECK_RC(smk_extract_kernel_to_with_parents(deep3), 0);
		CHECK(test_is_asset(deep, SMK_ASSET_INIT_OCI));
		CHECK(test_is_asset(deep2, SMK_ASSET_SUPERMACHINE_AGENT));
		CHECK(test_is_asset(deep3, SMK_ASSET_KERNEL));
		free(deep);
		free(deep2);
		free(deep3);
	}

	/* _with_parents refuses a destination no file can have before it
	 * creates a single directory on the way to it. */
	{
		static const struct {
			const char *dest;
			int rc;
		} bad[] = {
			{ "np/a/b/", -EISDIR },
			{ "np/a/b/.", -EISDIR },
			{ "np/a/b/..", -EISDIR },
			{ NULL, -ENAMETOOLONG }, /* a last component of 300 */
		};
		char *np = test_path(root, "np");
		struct stat nst;
		char longname[sizeof "np/a/b/" + 300];
		snprintf(longname, sizeof longname, "np/a/b/%0300d", 0);
		for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
			char *p = test_path(root, bad[b].dest ? bad[b].dest
			                                      : longname);
			CHECK_RC(smk_extract_kernel_to_with_parents(p), bad[b].rc);
			if (lstat(np, &nst) == 0) {
				fprintf(stderr, "%s: directories created\n", p);
				test_failures++;
				test_rm_rf(np);
			}
			free(p);
		}
		free(np);
	}

	/* All at once, into a directory made on the way. */
	{
		char *all = test_path(root, "all/of/them");
		char *p;
		CHECK_RC(smk_extract_all_to(all), 0);
		for (int a = 0; a < SMK_ASSET_COUNT; a++) {
			p = test_path(all, smk_asset_get_info((smk_asset)a)->file_name);
			CHECK(test_is_asset(p, (smk_asset)a));
			free(p);
		}
		CHECK_RC(smk_verify(all), 0);
		CHECK(temps_under(all) == 0);
		/* A file where the directory should be. */
		p = test_path(root, "all/file");
		test_write_file(p, "x");
		CHECK_RC(smk_extract_all_to(p), -ENOTDIR);
		free(p);
		free(all);
	}

	/* Relative destinations work from the current directory. */
	CHECK(chdir(root) == 0);
	CHECK_RC(smk_extract_supermachine_agent_to("relative-agent"), 0);
	CHECK(test_is_asset("relative-agent", SMK_ASSET_SUPERMACHINE_AGENT));

	/* Bad arguments. */
	CHECK_RC(smk_extract_kernel_to(NULL), -EINVAL);
	CHECK_RC(smk_extract_kernel_to_with_parents(NULL), -EINVAL);
	CHECK_RC(smk_asset_extract_to((smk_asset)smk_asset_total(), k), -EINVAL);
	CHECK_RC(smk_asset_extract_to_with_parents((smk_asset)-1, k), -EINVAL);
	CHECK_RC(smk_extract_all_to(NULL), -EINVAL);

	CHECK(temps_under(root) == 0);
	CHECK(chdir("/") == 0);
	test_rm_rf(root);
	free(k);
	free(i);
	free(s);
	free(root);
	return test_finish("core.extract");
}
