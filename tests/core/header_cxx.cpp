// The public header alone, as strict C++ (-Wall -Wextra -pedantic -Werror)
// at several standards.
#include "supermachine_kernel.h"
#include <cstdio>

int main()
{
	const smk_asset_info *info = smk_asset_get_info(SMK_ASSET_SUPERMACHINE_AGENT);
	const smk_kernel_info *k = 0;
	const unsigned char *data = 0;
	size_t len = 0;
	if (info == 0) {
		(void)smk_asset_bytes(&data, &len, SMK_ASSET_KERNEL);
		(void)smk_kernel_get_info(&k);
	}
	std::printf("%s %s\n", smk_version_string(), info ? info->file_name : "?");
	return smk_version_number() == SMK_VERSION_NUMBER ? 0 : 1;
}
