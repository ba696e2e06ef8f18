/* Run against a build whose kernel payload has one flipped byte and whose
 * agent payload is truncated (the manifest updated so the build accepts
 * them): both fail with SMK_ERR_CORRUPT and leave no file; the intact
 * init-oci still extracts; a correct kernel file (argv[2]) is not blamed
 * for the payload's damage: verify says SMK_ERR_CORRUPT, not that its
 * content differs. */
#include "supermachine_kernel.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int failures;
#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                           \
		}                                                             \
	} while (0)

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || strncmp(e->d_name, ".smk-tmp", 8) == 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	char k[4096], a[4096], i[4096], e[4096];
	const unsigned char *data = NULL;
	const char *dir = argc > 1 ? argv[1] : ".";
	int rc;

	snprintf(k, sizeof k, "%s/kernel", dir);
	snprintf(a, sizeof a, "%s/agent", dir);
	snprintf(i, sizeof i, "%s/init-oci", dir);
	snprintf(e, sizeof e, "%s/ensured", dir);

	rc = smk_extract_kernel_to(k);
	printf("flipped kernel: %s\n", smk_error_name(rc));
	CHECK(rc == SMK_ERR_CORRUPT);
	CHECK(!exists(k));
	rc = smk_extract_supermachine_agent_to(a);
	printf("truncated agent: %s\n", smk_error_name(rc));
	CHECK(rc == SMK_ERR_CORRUPT);
	CHECK(!exists(a));
	CHECK(entries(dir) == 0);

	CHECK(smk_kernel_bytes() == NULL);
	CHECK(smk_asset_bytes(&data, NULL, SMK_ASSET_KERNEL) == SMK_ERR_CORRUPT);
	CHECK(smk_supermachine_agent_bytes() == NULL);
	CHECK(smk_init_oci_bytes() != NULL);

	CHECK(smk_extract_init_oci_to(i) == 0);
	CHECK(smk_verify_file(SMK_ASSET_INIT_OCI, i) == 0);

	rc = smk_ensure_assets(e);
	CHECK(rc == SMK_ERR_CORRUPT);
	snprintf(k, sizeof k, "%s/kernel", e);
	CHECK(!exists(k));
	CHECK(smk_extract_all_to(e) == SMK_ERR_CORRUPT);
	CHECK(!exists(k));
	if (argc > 2) {
		rc = smk_verify_file(SMK_ASSET_KERNEL, argv[2]);
		printf("correct kernel file against the flipped payload: %s\n",
		       smk_error_name(rc));
		CHECK(rc == SMK_ERR_CORRUPT);
	}
	if (failures)
		return 1;
	printf("corrupt payloads rejected\n");
	return 0;
}
