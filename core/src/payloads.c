/* The table of embedded assets, filled from the generated header. */
#include "smk_internal.h"
#include "smk_payloads.h"

#include <errno.h>

#define SMK_PAYLOAD_INFO(ID, name)                                         \
	{ name, SMK_PAYLOAD_##ID##_FILE, SMK_PAYLOAD_##ID##_ARCH,            \
	  SMK_PAYLOAD_##ID##_SHA256, SMK_PAYLOAD_##ID##_SIZE,                \
	  SMK_PAYLOAD_##ID##_MODE, SMK_PAYLOAD_##ID##_COMPRESSED,            \
	  SMK_PAYLOAD_##ID##_EMBEDDED_SIZE }

#ifndef SMK_PAYLOADS_EXTERNAL
#define SMK_BLOB(sym)                                    \
	extern SMK_HIDDEN const unsigned char sym[];      \
	extern SMK_HIDDEN const unsigned char sym##_end[]

SMK_BLOB(smk_blob_kernel);
SMK_BLOB(smk_blob_init_oci);
SMK_BLOB(smk_blob_supermachine_agent);

#define SMK_PAYLOAD_ENTRY(ID, name, blob)                                  \
	{ SMK_PAYLOAD_INFO(ID, name), blob, SMK_PAYLOAD_##ID##_EMBEDDED_SIZE }

static const struct smk_payload payloads[SMK_ASSET_COUNT] = {
	SMK_PAYLOAD_ENTRY(KERNEL, "kernel", smk_blob_kernel),
	SMK_PAYLOAD_ENTRY(INIT_OCI, "init_oci", smk_blob_init_oci),
	SMK_PAYLOAD_ENTRY(SUPERMACHINE_AGENT, "supermachine_agent",
	                  smk_blob_supermachine_agent),
};

/* The linker's view of each blob's length, to catch a generated header
 * that does not match the file the assembler embedded. */
static size_t linked_size(smk_asset asset)
{
	switch (asset) {
	case SMK_ASSET_KERNEL:
		return (size_t)(smk_blob_kernel_end - smk_blob_kernel);
	case SMK_ASSET_INIT_OCI:
		return (size_t)(smk_blob_init_oci_end - smk_blob_init_oci);
	case SMK_ASSET_SUPERMACHINE_AGENT:
		return (size_t)(smk_blob_supermachine_agent_end -
		                smk_blob_supermachine_agent);
	}
	return 0;
}
#else
/* External payloads: the bytes are in files beside the binary, mapped by
 * smk_payloads_attach_dir() (payload_files.c) before first use; until
 * then data is NULL and every decode fails with SMK_ERR_INTERNAL. */
#define SMK_PAYLOAD_ENTRY(ID, name) { SMK_PAYLOAD_INFO(ID, name), NULL, 0 }

static struct smk_payload payloads[SMK_ASSET_COUNT] = {
	SMK_PAYLOAD_ENTRY(KERNEL, "kernel"),
	SMK_PAYLOAD_ENTRY(INIT_OCI, "init_oci"),
	SMK_PAYLOAD_ENTRY(SUPERMACHINE_AGENT, "supermachine_agent"),
};

static size_t linked_size(smk_asset asset)
{
	return (size_t)payloads[asset].info.embedded_size;
}

int smk_payload_set_data(smk_asset asset, const unsigned char *data,
                         size_t size)
{
	if ((unsigned)asset >= SMK_ASSET_COUNT)
		return -EINVAL;
	if (size != linked_size(asset))
		return SMK_ERR_CORRUPT;
	payloads[asset].data_size = size;
	payloads[asset].data = data;
	return 0;
}
#endif

const struct smk_payload *smk_payload_get(smk_asset asset)
{
	if ((unsigned)asset >= SMK_ASSET_COUNT)
		return NULL;
	return &payloads[asset];
}

int smk_payload_check_linked(const struct smk_payload *p)
{
	smk_asset asset = (smk_asset)(p - payloads);
	if (!p->data)
		return SMK_ERR_INTERNAL; /* external payloads never attached */
	return linked_size(asset) == p->data_size ? 0 : SMK_ERR_CORRUPT;
}

const smk_asset_info *smk_asset_get_info(smk_asset asset)
{
	const struct smk_payload *p = smk_payload_get(asset);
	return p ? &p->info : NULL;
}

size_t smk_asset_len(smk_asset asset)
{
	const struct smk_payload *p = smk_payload_get(asset);
	return p ? (size_t)p->info.size : 0;
}

const char *smk_kernel_release(void)
{
	return SMK_PAYLOAD_KERNEL_RELEASE;
}

unsigned int smk_version_number(void)
{
	return SMK_VERSION_NUMBER;
}

const char *smk_version_string(void)
{
	return SMK_VERSION_STRING;
}
