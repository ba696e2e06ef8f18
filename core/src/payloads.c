/* The table of embedded assets, filled from the generated header: one set
 * of SMK_ASSET_COUNT payloads per architecture, in the header's order
 * (SMK_PAYLOADS), and the mapping from smk_asset values onto it (the
 * default architecture's set first). */
#include "smk_internal.h"
#include "smk_payloads.h"

#include <errno.h>
#include <string.h>

#if SMK_PAYLOAD_COUNT != SMK_PAYLOAD_ARCH_COUNT * SMK_ASSET_COUNT
#error "smk_payloads.h: every architecture needs a complete set"
#endif

#define SMK_PAYLOAD_INFO(ID)                                               \
	{ SMK_PAYLOAD_##ID##_NAME, SMK_PAYLOAD_##ID##_FILE,                 \
	  SMK_PAYLOAD_##ID##_ARCH, SMK_PAYLOAD_##ID##_SHA256,               \
	  SMK_PAYLOAD_##ID##_SIZE, SMK_PAYLOAD_##ID##_MODE,                 \
	  SMK_PAYLOAD_##ID##_COMPRESSED, SMK_PAYLOAD_##ID##_EMBEDDED_SIZE }

/* The architectures in table order; index i's set is payloads[i*COUNT..]. */
#define SMK_ARCH_NAME(ARCH, name) name,
static const char *const arch_names[SMK_PAYLOAD_ARCH_COUNT] = {
	SMK_PAYLOAD_ARCHS(SMK_ARCH_NAME)
};

/* The releases of the kernels, one per architecture ("" elsewhere). */
#define SMK_RELEASE(ID, ARCH, KIND) SMK_PAYLOAD_##ID##_RELEASE,
static const char *const releases[SMK_PAYLOAD_COUNT] = {
	SMK_PAYLOADS(SMK_RELEASE)
};

#ifndef SMK_PAYLOADS_EXTERNAL
#define SMK_BLOB_DECL(ID, ARCH, KIND)                                     \
	extern SMK_HIDDEN const unsigned char smk_blob_##ID[];             \
	extern SMK_HIDDEN const unsigned char smk_blob_##ID##_end[];
SMK_PAYLOADS(SMK_BLOB_DECL)

#define SMK_PAYLOAD_ENTRY(ID, ARCH, KIND)                                  \
	{ SMK_PAYLOAD_INFO(ID), smk_blob_##ID,                              \
	  SMK_PAYLOAD_##ID##_EMBEDDED_SIZE },
static const struct smk_payload payloads[SMK_PAYLOAD_COUNT] = {
	SMK_PAYLOADS(SMK_PAYLOAD_ENTRY)
};

/* The linker's view of each blob's length, to catch a generated header
 * that does not match the file the assembler embedded. */
#define SMK_LINKED_SIZE(ID, ARCH, KIND)                                    \
	(size_t)(smk_blob_##ID##_end - smk_blob_##ID),
static size_t linked_size(size_t index)
{
	const size_t sizes[SMK_PAYLOAD_COUNT] = {
		SMK_PAYLOADS(SMK_LINKED_SIZE)
	};
	return sizes[index];
}
#else
/* External payloads: the bytes are in files beside the binary, mapped by
 * smk_payloads_attach_dir() (payload_files.c) before first use; until
 * then data is NULL and every decode fails with SMK_ERR_INTERNAL. */
#define SMK_PAYLOAD_ENTRY(ID, ARCH, KIND)                                  \
	{ SMK_PAYLOAD_INFO(ID), NULL, 0 },
static struct smk_payload payloads[SMK_PAYLOAD_COUNT] = {
	SMK_PAYLOADS(SMK_PAYLOAD_ENTRY)
};

#define SMK_EMBEDDED_NAME(ID, ARCH, KIND) SMK_PAYLOAD_##ID##_EMBEDDED_NAME,
static const char *const embedded_names[SMK_PAYLOAD_COUNT] = {
	SMK_PAYLOADS(SMK_EMBEDDED_NAME)
};

static size_t linked_size(size_t index)
{
	return (size_t)payloads[index].info.embedded_size;
}

size_t smk_payload_count(void)
{
	return SMK_PAYLOAD_COUNT;
}

const struct smk_payload *smk_payload_at(size_t index, const char **name)
{
	if (index >= SMK_PAYLOAD_COUNT)
		return NULL;
	*name = embedded_names[index];
	return &payloads[index];
}

int smk_payload_set_data(size_t index, const unsigned char *data,
                         size_t size)
{
	if (index >= SMK_PAYLOAD_COUNT)
		return -EINVAL;
	if (size != linked_size(index))
		return SMK_ERR_CORRUPT;
	payloads[index].data_size = size;
	payloads[index].data = data;
	return 0;
}
#endif

/* ---- Architectures -------------------------------------------------------
 * The default architecture is the compiler's target when its set is
 * embedded, else the table's first.  smk_asset value a*COUNT+k is kind k of
 * "arch slot" a: slot 0 is the default architecture, slots 1.. the others
 * in table order. */
#if defined(__x86_64__) || defined(_M_X64)
#  define SMK_TARGET_ARCH "x86_64"
#elif defined(__aarch64__) || defined(_M_ARM64)
#  define SMK_TARGET_ARCH "aarch64"
#else
#  define SMK_TARGET_ARCH ""
#endif

static size_t default_index(void)
{
	static size_t cached = SMK_PAYLOAD_ARCH_COUNT; /* not yet known */
	size_t d = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (d == SMK_PAYLOAD_ARCH_COUNT) {
		d = 0;
		for (size_t i = 0; i < SMK_PAYLOAD_ARCH_COUNT; i++)
			if (strcmp(arch_names[i], SMK_TARGET_ARCH) == 0)
				d = i;
		__atomic_store_n(&cached, d, __ATOMIC_RELAXED);
	}
	return d;
}

/* Table index of arch slot @slot. */
static size_t arch_of_slot(size_t slot)
{
	size_t d = default_index();
	if (slot == 0)
		return d;
	return slot <= d ? slot - 1 : slot;
}

static size_t slot_of_arch(size_t index)
{
	size_t d = default_index();
	if (index == d)
		return 0;
	return index < d ? index + 1 : index;
}

/* Canonical names and the other names the ecosystems give them. */
static const char *canonical_arch(const char *arch)
{
	static const char *const aliases[][2] = {
		{ "aarch64", "aarch64" }, { "arm64", "aarch64" },
		{ "x86_64", "x86_64" },   { "amd64", "x86_64" },
		{ "x64", "x86_64" },
	};
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(arch, aliases[i][0]) == 0)
			return aliases[i][1];
	return arch;
}

int smk_arch_slot(const char *arch, size_t *out_slot)
{
	if (!arch || !arch[0]) {
		*out_slot = 0;
		return 0;
	}
	arch = canonical_arch(arch);
	for (size_t i = 0; i < SMK_PAYLOAD_ARCH_COUNT; i++) {
		if (strcmp(arch_names[i], arch) == 0) {
			*out_slot = slot_of_arch(i);
			return 0;
		}
	}
	return SMK_ERR_NO_ARCH;
}

size_t smk_arch_count(void)
{
	return SMK_PAYLOAD_ARCH_COUNT;
}

const char *smk_arch_name(size_t index)
{
	if (index >= SMK_PAYLOAD_ARCH_COUNT)
		return NULL;
	return arch_names[arch_of_slot(index)];
}

const char *smk_default_arch(void)
{
	return smk_arch_name(0);
}

size_t smk_asset_total(void)
{
	return SMK_PAYLOAD_COUNT;
}

int smk_asset_find(const char *arch, smk_asset kind)
{
	size_t slot;
	int rc;
	if ((unsigned)kind >= SMK_ASSET_COUNT)
		return -EINVAL;
	rc = smk_arch_slot(arch, &slot);
	if (rc)
		return rc;
	return (int)(slot * SMK_ASSET_COUNT + (size_t)kind);
}

/* Table index of an smk_asset value, or SMK_PAYLOAD_COUNT if invalid. */
static size_t table_index(smk_asset asset)
{
	size_t v = (size_t)(unsigned)asset;
	if ((unsigned)asset >= SMK_PAYLOAD_COUNT)
		return SMK_PAYLOAD_COUNT;
	return arch_of_slot(v / SMK_ASSET_COUNT) * SMK_ASSET_COUNT +
	       v % SMK_ASSET_COUNT;
}

const struct smk_payload *smk_payload_get(smk_asset asset)
{
	size_t i = table_index(asset);
	return i < SMK_PAYLOAD_COUNT ? &payloads[i] : NULL;
}

const struct smk_payload *smk_set_payload(size_t slot, int kind)
{
	return smk_payload_get((smk_asset)(slot * SMK_ASSET_COUNT + (size_t)kind));
}

size_t smk_payload_index(const struct smk_payload *p)
{
	return (size_t)(p - payloads);
}

const char *smk_payload_release(const struct smk_payload *p)
{
	return releases[p - payloads];
}

int smk_payload_check_linked(const struct smk_payload *p)
{
	if (!p->data)
		return SMK_ERR_INTERNAL; /* external payloads never attached */
	return linked_size((size_t)(p - payloads)) == p->data_size
	               ? 0 : SMK_ERR_CORRUPT;
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
	return smk_payload_release(smk_payload_get(SMK_ASSET_KERNEL));
}

unsigned int smk_version_number(void)
{
	return SMK_VERSION_NUMBER;
}

const char *smk_version_string(void)
{
	return SMK_VERSION_STRING;
}
