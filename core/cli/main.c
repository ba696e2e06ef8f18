/*
 * supermachine-kernel: extract, ensure, verify and describe the embedded
 * guest artifacts.  Every failure prints one line naming the path and the
 * cause, and exits non-zero (1 for failures, 2 for usage errors).
 */
#include "supermachine_kernel.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "supermachine-kernel"

static const char usage[] =
	"usage: " PROG " COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  extract DIR     write kernel, init-oci and supermachine-agent into DIR\n"
	"                  (created if missing), replacing what is there\n"
	"  ensure [DIR]    make DIR (default: the per-version cache directory)\n"
	"                  hold all assets, extracting only what is missing or\n"
	"                  wrong; prints the directory\n"
	"  verify DIR      check every asset in DIR: size, mode and every byte\n"
	"  info [--json]   describe the embedded assets and the kernels\n"
	"  --version       print the version\n"
	"  --help          print this help\n"
	"\n"
	"extract, ensure and verify take --arch ARCH (before DIR) for the set\n"
	"of another guest architecture (aarch64, x86_64); without it they work\n"
	"on the host's set (the library's default architecture).\n";

static int fail_path(const char *path, int code)
{
	fprintf(stderr, PROG ": %s: %s\n", path[0] ? path : "''",
	        smk_strerror(code));
	return 1;
}

static int usage_error(const char *what)
{
	fprintf(stderr, PROG ": %s (try '" PROG " --help')\n", what);
	return 2;
}

static char *join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *s = malloc(dl + nl + 2);
	if (!s) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	memcpy(s, dir, dl);
	s[dl] = '/';
	memcpy(s + dl + 1, name, nl + 1);
	if (dl > 0 && dir[dl - 1] == '/')
		memmove(s + dl, s + dl + 1, nl + 1);
	return s;
}

/* Reports the outcome of a directory-wide call from its per-asset results:
 * one line for each asset that failed, naming its file; or, when none did,
 * one line naming the directory.  With @ok_lines, "PATH: ok" on stdout for
 * each asset that passed.  Returns the exit status. */
static int report(const char *dir, int rc, const int results[SMK_ASSET_COUNT],
                  const char *arch, int ok_lines)
{
	int named = 0;
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		int asset = smk_asset_find(arch, (smk_asset)i);
		const smk_asset_info *info = smk_asset_get_info((smk_asset)asset);
		char *path;
		if (results[i] == SMK_NOT_ATTEMPTED || (results[i] == 0 && !ok_lines))
			continue;
		path = join(dir, info->file_name);
		if (results[i] == 0) {
			printf("%s: ok\n", path);
		} else {
			fail_path(path, results[i]);
			named = 1;
		}
		free(path);
	}
	if (rc && !named)
		fail_path(dir, rc);
	return rc ? 1 : 0;
}

/* Takes a leading "--arch ARCH" (or "--arch=ARCH") off the arguments.
 * Returns 0 with *arch NULL (none given) or the architecture, or the exit
 * status of a usage error. */
static int take_arch(int *argc, char ***argv, const char **arch)
{
	char msg[256];
	const char *a = NULL;
	*arch = NULL;
	if (*argc >= 1 && strncmp((*argv)[0], "--arch=", 7) == 0) {
		a = (*argv)[0] + 7;
		*argc -= 1;
		*argv += 1;
	} else if (*argc >= 1 && strcmp((*argv)[0], "--arch") == 0) {
		if (*argc < 2)
			return usage_error("--arch needs an architecture");
		a = (*argv)[1];
		*argc -= 2;
		*argv += 2;
	} else {
		return 0;
	}
	if (!a[0] || smk_asset_find(a, SMK_ASSET_KERNEL) < 0) {
		size_t n = 0;
		n += (size_t)snprintf(msg, sizeof msg,
		                      "--arch '%.64s': no guest set for it here (",
		                      a);
		for (size_t i = 0; i < smk_arch_count() && n < sizeof msg; i++)
			n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s",
			                      i ? ", " : "", smk_arch_name(i));
		if (n < sizeof msg)
			snprintf(msg + n, sizeof msg - n, ")");
		return usage_error(msg);
	}
	*arch = a;
	return 0;
}

static int cmd_extract(int argc, char **argv)
{
	int results[SMK_ASSET_COUNT];
	const char *arch;
	int rc = take_arch(&argc, &argv, &arch);
	if (rc)
		return rc;
	if (argc != 1)
		return usage_error("extract needs exactly one DIR");
	rc = smk_extract_set_to(arch, results, SMK_ASSET_COUNT, argv[0]);
	return report(argv[0], rc, results, arch, 0);
}

static int cmd_ensure(int argc, char **argv)
{
	char buf[4096];
	const char *dir = buf;
	int results[SMK_ASSET_COUNT];
	const char *arch;
	int rc = take_arch(&argc, &argv, &arch);
	if (rc)
		return rc;
	if (argc > 1)
		return usage_error("ensure takes at most one DIR");
	if (argc == 1) {
		dir = argv[0]; /* as given, however long: the core judges it */
	} else {
		rc = smk_default_dir_for(arch, buf, sizeof buf);
		if (rc < 0)
			return fail_path("$XDG_CACHE_HOME or $HOME", rc);
	}
	rc = smk_ensure_set(arch, results, SMK_ASSET_COUNT, dir);
	if (rc)
		return report(dir, rc, results, arch, 0);
	printf("%s\n", dir);
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	int results[SMK_ASSET_COUNT];
	const char *arch;
	int rc = take_arch(&argc, &argv, &arch);
	if (rc)
		return rc;
	if (argc != 1)
		return usage_error("verify needs exactly one DIR");
	rc = smk_verify_set(arch, results, SMK_ASSET_COUNT, argv[0]);
	return report(argv[0], rc, results, arch, 1);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_kernel(const char *arch, int rc, const smk_kernel_info *k)
{
	printf("{\"arch\": ");
	json_string(arch);
	printf(", \"release\": ");
	json_string(rc == 0 ? k->release : "");
	if (rc == 0)
		printf(", \"format\": \"%s\", \"text_offset\": %" PRIu64
		       ", \"image_size\": %" PRIu64 ", \"flags\": %" PRIu64
		       ", \"entry\": %" PRIu64 ", \"pvh_entry\": %" PRIu64
		       ", \"load_address\": %" PRIu64 "}",
		       k->format, k->text_offset, k->image_size, k->flags,
		       k->entry, k->pvh_entry, k->load_address);
	else
		printf(", \"error\": \"%s\"}", smk_error_name(rc));
}

static void text_kernel(const char *arch, int rc, const smk_kernel_info *k)
{
	if (rc) {
		printf("kernel %s: %s\n", arch, smk_strerror(rc));
	} else if (strcmp(k->format, "ELF") == 0) {
		printf("kernel %s: release %s, ELF vmlinux, entry 0x%" PRIx64
		       ", pvh_entry 0x%" PRIx64 ", load_address 0x%" PRIx64
		       ", image_size %" PRIu64 "\n",
		       arch, k->release, k->entry, k->pvh_entry,
		       k->load_address, k->image_size);
	} else {
		printf("kernel %s: release %s, arm64 Image, text_offset 0x%" PRIx64
		       ", image_size %" PRIu64 ", flags 0x%" PRIx64 "\n",
		       arch, k->release, k->text_offset, k->image_size, k->flags);
	}
}

static int cmd_info(int argc, char **argv)
{
	size_t narch = smk_arch_count(), total = smk_asset_total();
	int json = 0, failed = 0;

	if (argc == 1 && strcmp(argv[0], "--json") == 0)
		json = 1;
	else if (argc != 0)
		return usage_error("info takes only --json");

	if (json) {
		printf("{\n  \"version\": \"%s\",\n  \"default_arch\": ",
		       smk_version_string());
		json_string(smk_default_arch());
		printf(",\n  \"assets\": [\n");
		for (size_t i = 0; i < total; i++) {
			const smk_asset_info *a = smk_asset_get_info((smk_asset)i);
			printf("    {\"name\": ");
			json_string(a->name);
			printf(", \"file\": ");
			json_string(a->file_name);
			printf(", \"size\": %" PRIu64 ", \"sha256\": \"%s\", "
			       "\"mode\": \"%04o\", \"arch\": ",
			       a->size, a->sha256, a->mode);
			json_string(a->arch);
			printf(", \"compressed\": %s, \"embedded_size\": %" PRIu64 "}%s\n",
			       a->compressed ? "true" : "false", a->embedded_size,
			       i + 1 < total ? "," : "");
		}
		printf("  ],\n  \"kernels\": [\n");
	} else {
		printf("%-20s %-19s %10s  %-64s  %-4s  %s\n", "ASSET", "FILE", "SIZE",
		       "SHA256", "MODE", "ARCH");
		for (size_t i = 0; i < total; i++) {
			const smk_asset_info *a = smk_asset_get_info((smk_asset)i);
			printf("%-20s %-19s %10" PRIu64 "  %-64s  %04o  %s\n", a->name,
			       a->file_name, a->size, a->sha256, a->mode, a->arch);
		}
		printf("\n");
	}
	/* One kernel per architecture, the default one first. */
	for (size_t i = 0; i < narch; i++) {
		const char *arch = smk_arch_name(i);
		const smk_kernel_info *k = NULL;
		int rc = smk_kernel_get_info_for(arch, &k);
		if (json) {
			printf("    ");
			json_kernel(arch, rc, k);
			printf("%s\n", i + 1 < narch ? "," : "");
		} else {
			text_kernel(arch, rc, k);
		}
		if (rc) {
			fprintf(stderr, PROG ": %s kernel payload: %s\n", arch,
			        smk_strerror(rc));
			failed = 1;
		}
	}
	if (json)
		printf("  ]\n}\n");
	return failed;
}

int main(int argc, char **argv)
{
	const char *cmd;
	/* Past RLIMIT_FSIZE a write then fails with EFBIG, which is reported
	 * naming the file, instead of SIGXFSZ ending us without a word. */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2)
		return usage_error("missing command");
	cmd = argv[1];
	argc -= 2;
	argv += 2;
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf(PROG " %s\n", smk_version_string());
		return 0;
	}
	if (strcmp(cmd, "extract") == 0)
		return cmd_extract(argc, argv);
	if (strcmp(cmd, "ensure") == 0)
		return cmd_ensure(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc, argv);
	if (strcmp(cmd, "info") == 0)
		return cmd_info(argc, argv);
	fprintf(stderr, PROG ": unknown command '%s' (try '" PROG " --help')\n",
	        cmd);
	return 2;
}
