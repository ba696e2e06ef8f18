/* The deprecated kernel-only aliases still work (this file is built with
 * deprecation warnings off; header_deprecation_* check they are reported). */
#include "test_util.h"

int main(void)
{
	char *root = test_mkdtemp("deprecated");
	char *a = test_path(root, "kernel");
	char *b = test_path(root, "deep/er/kernel");
	char *c = test_path(root, "missing/kernel");

	CHECK_RC(smk_extract_to(a), 0);
	CHECK(test_is_asset(a, SMK_ASSET_KERNEL));
	CHECK_RC(smk_extract_to_with_parents(b), 0);
	CHECK(test_is_asset(b, SMK_ASSET_KERNEL));
	CHECK_RC(smk_extract_to(c), -ENOENT);
	CHECK_RC(smk_extract_to(NULL), -EINVAL);
	CHECK_RC(smk_extract_to_with_parents(""), -ENOENT);
	test_rm_rf(root);
	free(a);
	free(b);
	free(c);
	free(root);
	return test_finish("core.deprecated");
}
