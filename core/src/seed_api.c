/* The seed crate's surface: one function per asset, and the kernel-only
 * aliases it deprecated. */
#include "smk_internal.h"

static const unsigned char *bytes_or_null(smk_asset asset)
{
	const unsigned char *data = NULL;
	return smk_asset_bytes(&data, NULL, asset) == 0 ? data : NULL;
}

size_t smk_kernel_len(void) { return smk_asset_len(SMK_ASSET_KERNEL); }
size_t smk_init_oci_len(void) { return smk_asset_len(SMK_ASSET_INIT_OCI); }
size_t smk_supermachine_agent_len(void)
{
	return smk_asset_len(SMK_ASSET_SUPERMACHINE_AGENT);
}

const unsigned char *smk_kernel_bytes(void)
{
	return bytes_or_null(SMK_ASSET_KERNEL);
}
const unsigned char *smk_init_oci_bytes(void)
{
	return bytes_or_null(SMK_ASSET_INIT_OCI);
}
const unsigned char *smk_supermachine_agent_bytes(void)
{
	return bytes_or_null(SMK_ASSET_SUPERMACHINE_AGENT);
}

int smk_extract_kernel_to(const char *dest)
{
	return smk_asset_extract_to(SMK_ASSET_KERNEL, dest);
}
int smk_extract_kernel_to_with_parents(const char *dest)
{
	return smk_asset_extract_to_with_parents(SMK_ASSET_KERNEL, dest);
}
int smk_extract_init_oci_to(const char *dest)
{
	return smk_asset_extract_to(SMK_ASSET_INIT_OCI, dest);
}
int smk_extract_init_oci_to_with_parents(const char *dest)
{
	return smk_asset_extract_to_with_parents(SMK_ASSET_INIT_OCI, dest);
}
int smk_extract_supermachine_agent_to(const char *dest)
{
	return smk_asset_extract_to(SMK_ASSET_SUPERMACHINE_AGENT, dest);
}
int smk_extract_supermachine_agent_to_with_parents(const char *dest)
{
	return smk_asset_extract_to_with_parents(SMK_ASSET_SUPERMACHINE_AGENT,
	                                         dest);
}

int smk_extract_to(const char *dest)
{
	return smk_asset_extract_to(SMK_ASSET_KERNEL, dest);
}
int smk_extract_to_with_parents(const char *dest)
{
	return smk_asset_extract_to_with_parents(SMK_ASSET_KERNEL, dest);
}
