/* Run against a build whose payloads were damaged after the manifest was
 * updated to accept them (tests/core/corrupt/run.py):
 *
 *   corrupt_check OUT_DIR GOOD_DIR DAMAGED_ASSET...
 *
 * Each asset named (by its smk_asset_info name) must fail with
 * SMK_ERR_CORRUPT from every entry point -- the byte accessors, extract,
 * verify of a correct file (GOOD_DIR/<file name>: the file is not blamed
 * for the payload's damage), ensure, extract-all -- and leave no file and
 * no temporary.  Every other asset still extracts and verifies. */
#include "supermachine_kernel.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int failures;
#define CHECK(c, what)                                                        \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, \
			        what, #c);                                    \
			failures++;                                           \
		}                                                             \
	} while (0)

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* Entries of dir that are not "." or "..": assets, temporaries, ours. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

static int named(const char *name, char **list, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096], good[4096], dir[4096];
	int damaged_count = 0, extracted = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: corrupt_check OUT_DIR GOOD_DIR DAMAGED_ASSET...\n");
		return 2;
	}
	for (int a = 3; a < argc; a++) {
		int known = 0;
		for (int i = 0; i < SMK_ASSET_COUNT; i++)
			known |= strcmp(smk_asset_get_info((smk_asset)i)->name, argv[a]) == 0;
		if (!known) {
			fprintf(stderr, "corrupt_check: no asset named '%s'\n", argv[a]);
			return 2;
		}
	}
	snprintf(dir, sizeof dir, "%s/each", argv[1]);
	mkdir(dir, 0755);
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		const smk_asset_info *info = smk_asset_get_info((smk_asset)i);
		const unsigned char *data = NULL;
		int damaged = named(info->name, argv + 3, argc - 3);
		int rc;

		snprintf(path, sizeof path, "%s/%s", dir, info->file_name);
		snprintf(good, sizeof good, "%s/%s", argv[2], info->file_name);
		rc = smk_asset_extract_to((smk_asset)i, path);
		printf("%s %s: extract %s, ", damaged ? "damaged" : "intact", info->name,
		       smk_error_name(rc));
		if (damaged) {
			damaged_count++;
			CHECK(rc == SMK_ERR_CORRUPT, info->name);
			CHECK(!exists(path), info->name);
			CHECK(smk_asset_bytes(&data, NULL, (smk_asset)i) == SMK_ERR_CORRUPT,
			      info->name);
			rc = smk_verify_file((smk_asset)i, good);
			printf("verify of a correct file %s\n", smk_error_name(rc));
			CHECK(rc == SMK_ERR_CORRUPT, info->name);
		} else {
			extracted++;
			CHECK(rc == 0, info->name);
			CHECK(smk_asset_bytes(&data, NULL, (smk_asset)i) == 0 && data != NULL,
			      info->name);
			rc = smk_verify_file((smk_asset)i, path);
			printf("verify %s\n", smk_error_name(rc));
			CHECK(rc == 0, info->name);
		}
	}
	CHECK(entries(dir) == extracted, "no temporary or partial file after the extractions");

	/* The directory operations fail as a whole and leave no damaged
	 * asset's file. */
	for (int op = 0; op < 2; op++) {
		int rc;
		snprintf(dir, sizeof dir, "%s/%s", argv[1], op == 0 ? "ensured" : "all");
		rc = op == 0 ? smk_ensure_assets(dir) : smk_extract_all_to(dir);
		printf("%s: %s\n", op == 0 ? "ensure" : "extract all", smk_error_name(rc));
		CHECK(rc == (damaged_count ? SMK_ERR_CORRUPT : 0), "directory operation");
		for (int i = 0; i < SMK_ASSET_COUNT; i++) {
			const smk_asset_info *info = smk_asset_get_info((smk_asset)i);
			snprintf(path, sizeof path, "%s/%s", dir, info->file_name);
			if (named(info->name, argv + 3, argc - 3))
				CHECK(!exists(path), info->name);
		}
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL)
			CHECK(strncmp(e->d_name, ".smk-tmp", 8) != 0, e->d_name);
		if (d)
			closedir(d);
	}
	if (failures)
		return 1;
	printf("damaged payloads rejected\n");
	return 0;
}
