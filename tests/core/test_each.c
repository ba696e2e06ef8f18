/* The per-asset variants: smk_extract_all_to_each, smk_verify_each and
 * smk_ensure_assets_each report each asset's outcome, agree with their
 * one-code counterparts, and mark assets they never reached with
 * SMK_NOT_ATTEMPTED. */
#include "test_util.h"

static void all_equal(const int *results, size_t n, int want)
{
	for (size_t i = 0; i < n; i++)
		CHECK_RC(results[i], want);
}

static void directory_level_failures(const char *root)
{
	int r[SMK_ASSET_COUNT + 2];
	char *file = test_path(root, "a-file");

	test_write_file(file, "x");
	/* Every slot is written, also those beyond the assets. */
	memset(r, 0, sizeof r);
	CHECK_RC(smk_extract_all_to_each(r, SMK_ASSET_COUNT + 2, file), -ENOTDIR);
	all_equal(r, SMK_ASSET_COUNT + 2, SMK_NOT_ATTEMPTED);
	CHECK_RC(smk_ensure_assets_each(r, SMK_ASSET_COUNT, file), -ENOTDIR);
	all_equal(r, SMK_ASSET_COUNT, SMK_NOT_ATTEMPTED);
	CHECK_RC(smk_extract_all_to_each(r, SMK_ASSET_COUNT, ""), -ENOENT);
	all_equal(r, SMK_ASSET_COUNT, SMK_NOT_ATTEMPTED);
	CHECK_RC(smk_verify_each(r, SMK_ASSET_COUNT, ""), -ENOENT);
	all_equal(r, SMK_ASSET_COUNT, SMK_NOT_ATTEMPTED);
	CHECK_RC(smk_ensure_assets_each(r, SMK_ASSET_COUNT, ""), -ENOENT);
	all_equal(r, SMK_ASSET_COUNT, SMK_NOT_ATTEMPTED);
	CHECK_RC(smk_verify_each(NULL, 1, root), -EINVAL);
	CHECK_RC(smk_verify_each(r, SMK_ASSET_COUNT, NULL), -EINVAL);
	/* A count of 0 takes no array. */
	CHECK_RC(smk_extract_all_to_each(NULL, 0, file), -ENOTDIR);
	free(file);
}

static void per_asset_failures(const char *root)
{
	int r[SMK_ASSET_COUNT];
	char *dir = test_path(root, "d");
	char *kernel = test_path(dir, "kernel");
	char *agent = test_path(dir, "supermachine-agent");

	/* A directory where the kernel should be: only the kernel fails,
	 * the others are written. */
	CHECK(mkdir(dir, 0755) == 0);
	CHECK(mkdir(kernel, 0755) == 0);
	CHECK_RC(smk_extract_all_to_each(r, SMK_ASSET_COUNT, dir), -EISDIR);
	CHECK_RC(r[SMK_ASSET_KERNEL], -EISDIR);
	CHECK_RC(r[SMK_ASSET_INIT_OCI], 0);
	CHECK_RC(r[SMK_ASSET_SUPERMACHINE_AGENT], 0);
	CHECK_RC(smk_extract_all_to(dir), -EISDIR);

	/* verify looks at every asset, not only up to the first failure. */
	CHECK(chmod(agent, 0600) == 0);
	CHECK_RC(smk_verify_each(r, SMK_ASSET_COUNT, dir), SMK_ERR_NOT_REGULAR);
	CHECK_RC(r[SMK_ASSET_KERNEL], SMK_ERR_NOT_REGULAR);
	CHECK_RC(r[SMK_ASSET_INIT_OCI], 0);
	CHECK_RC(r[SMK_ASSET_SUPERMACHINE_AGENT], SMK_ERR_MODE);
	CHECK_RC(smk_verify(dir), SMK_ERR_NOT_REGULAR);

	/* ensure repairs the agent and fails only for the kernel. */
	CHECK_RC(smk_ensure_assets_each(r, SMK_ASSET_COUNT, dir), -EISDIR);
	CHECK_RC(r[SMK_ASSET_KERNEL], -EISDIR);
	CHECK_RC(r[SMK_ASSET_INIT_OCI], 0);
	CHECK_RC(r[SMK_ASSET_SUPERMACHINE_AGENT], 0);
	CHECK(test_is_asset(agent, SMK_ASSET_SUPERMACHINE_AGENT));

	CHECK(rmdir(kernel) == 0);
	CHECK_RC(smk_ensure_assets_each(r, SMK_ASSET_COUNT, dir), 0);
	all_equal(r, SMK_ASSET_COUNT, 0);
	/* The warm path reports every asset good too. */
	memset(r, 0x55, sizeof r);
	CHECK_RC(smk_ensure_assets_each(r, SMK_ASSET_COUNT, dir), 0);
	all_equal(r, SMK_ASSET_COUNT, 0);
	CHECK_RC(smk_verify_each(r, SMK_ASSET_COUNT, dir), 0);
	all_equal(r, SMK_ASSET_COUNT, 0);
	/* A shorter array gets only its own elements. */
	r[1] = 77;
	CHECK_RC(smk_verify_each(r, 1, dir), 0);
	CHECK_RC(r[0], 0);
	CHECK_RC(r[1], 77);
	CHECK_RC(smk_verify_each(NULL, 0, dir), 0);
	free(dir);
	free(kernel);
	free(agent);
}

int main(void)
{
	char *root = test_mkdtemp("each");
	directory_level_failures(root);
	per_asset_failures(root);
	test_rm_rf(root);
	free(root);
	return test_finish("each");
}
