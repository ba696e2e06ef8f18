/* The public header alone, as strict C99 (-Wall -Wextra -pedantic
 * -Werror), using every declaration once. */
#include "supermachine_kernel.h"
#include <stdio.h>

int main(void)
{
	const smk_asset_info *info = smk_asset_get_info(SMK_ASSET_KERNEL);
	const smk_kernel_info *k = NULL;
	const unsigned char *data = NULL;
	size_t len = 0;
	char dir[64];
	(void)data;
	(void)len;
	(void)k;
	(void)dir;
	if (0) {
		(void)smk_asset_bytes(&data, &len, SMK_ASSET_INIT_OCI);
		(void)smk_kernel_get_info(&k);
		(void)smk_default_dir(dir, sizeof dir);
		(void)smk_ensure_assets(NULL);
		(void)smk_verify("/");
	}
	printf("%s %u %s %d\n", smk_version_string(), smk_version_number(),
	       info ? info->name : "?", SMK_ASSET_COUNT);
	return smk_version_number() == SMK_VERSION_NUMBER ? 0 : 1;
}
