/*
 * What a VMM needs to know of a kernel payload, read from its first bytes:
 *   - an arm64 Image (Documentation/arch/arm64/booting.rst): a 64-byte
 *     little-endian header with the magic "ARM\x64" at offset 56;
 *   - an x86_64 vmlinux: a 64-bit little-endian ELF whose program headers
 *     give the load range and whose notes carry the PVH entry point (Xen's
 *     XEN_ELFNOTE_PHYS32_ENTRY, type 18, in a "Xen" note).
 * Only the header, the program headers and the note segment are decoded,
 * each from the xz blocks that hold it.
 */
#include "smk_internal.h"
#include "smk_payloads.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_HEADER_SIZE 64
#define IMAGE_MAGIC_OFFSET 56

#define ELF_HEADER_SIZE 64
#define ELF_PHDR_SIZE 56
#define ELF_MAX_PHDRS 64
#define ELF_MAX_NOTES (1u << 20)
#define PT_LOAD 1
#define PT_NOTE 4
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct parsed {
	pthread_mutex_t lock;
	smk_kernel_info info;
	int ready; /* published with release ordering */
};

#define SMK_PARSED_INIT(ID, ARCH, KIND) { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0 },
static struct parsed parsed[SMK_PAYLOAD_COUNT] = {
	SMK_PAYLOADS(SMK_PARSED_INIT)
};

static uint64_t le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int parse_image(const unsigned char *h, smk_kernel_info *info)
{
	info->format = "Image";
	info->text_offset = le(h + 8, 8);
	info->image_size = le(h + 16, 8);
	info->flags = le(h + 24, 8);
	return 0;
}

/* The PVH entry among the notes of [notes, notes+len), or 0. */
static uint64_t pvh_entry_of(const unsigned char *notes, size_t len)
{
	size_t pos = 0;
	while (len - pos >= 12) {
		uint64_t namesz = le(notes + pos, 4);
		uint64_t descsz = le(notes + pos + 4, 4);
		uint64_t type = le(notes + pos + 8, 4);
		uint64_t name_end = 12 + ((namesz + 3) & ~(uint64_t)3);
		uint64_t next = name_end + ((descsz + 3) & ~(uint64_t)3);
		if (next > len - pos)
			break;
		if (namesz == 4 && memcmp(notes + pos + 12, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY && (descsz == 4 || descsz == 8))
			return le(notes + pos + name_end, (int)descsz);
		pos += (size_t)next;
	}
	return 0;
}

static int parse_elf(const struct smk_payload *p, const unsigned char *h,
                     smk_kernel_info *info)
{
	uint64_t phoff = le(h + 32, 8), entsize = le(h + 54, 2);
	uint64_t phnum = le(h + 56, 2), low = UINT64_MAX, high = 0;
	unsigned char phdrs[ELF_MAX_PHDRS * ELF_PHDR_SIZE];
	int rc;

	/* 64-bit (class 2), little-endian (data 1), version 1. */
	if (h[4] != 2 || h[5] != 1 || h[6] != 1 || entsize != ELF_PHDR_SIZE ||
	    phnum == 0 || phnum > ELF_MAX_PHDRS || phoff > p->info.size ||
	    phnum * ELF_PHDR_SIZE > p->info.size - phoff)
		return SMK_ERR_NOT_IMAGE;
	rc = smk_decode_range(p, phoff, phdrs, (size_t)(phnum * ELF_PHDR_SIZE));
	if (rc)
		return rc;
	info->format = "ELF";
	info->entry = le(h + 24, 8);
	for (uint64_t i = 0; i < phnum; i++) {
		const unsigned char *ph = phdrs + i * ELF_PHDR_SIZE;
		uint64_t type = le(ph, 4), offset = le(ph + 8, 8);
		uint64_t paddr = le(ph + 24, 8), filesz = le(ph + 32, 8);
		uint64_t memsz = le(ph + 40, 8);
		if (type == PT_LOAD && memsz > 0) {
			if (paddr + memsz < paddr)
				return SMK_ERR_NOT_IMAGE; /* wraps past 2^64 */
			if (paddr < low)
				low = paddr;
			if (paddr + memsz > high)
				high = paddr + memsz;
		} else if (type == PT_NOTE && !info->pvh_entry && filesz > 0 &&
		           filesz <= ELF_MAX_NOTES && offset <= p->info.size &&
		           filesz <= p->info.size - offset) {
			unsigned char *notes = malloc((size_t)filesz);
			if (!notes)
				return -ENOMEM;
			rc = smk_decode_range(p, offset, notes, (size_t)filesz);
			if (rc == 0)
				info->pvh_entry = pvh_entry_of(notes, (size_t)filesz);
			free(notes);
			if (rc)
				return rc;
		}
	}
	if (low == UINT64_MAX)
		return SMK_ERR_NOT_IMAGE; /* nothing to load */
	info->load_address = low;
	info->image_size = high - low;
	return 0;
}

static int parse(const struct smk_payload *p, smk_kernel_info *info)
{
	unsigned char h[IMAGE_HEADER_SIZE];
	int rc = smk_decode_prefix(p, h, sizeof h);

	if (rc == SMK_ERR_SIZE)
		return SMK_ERR_NOT_IMAGE; /* shorter than a header */
	if (rc)
		return rc;
	memset(info, 0, sizeof *info);
	info->arch = p->info.arch;
	info->release = smk_payload_release(p);
	if (memcmp(h + IMAGE_MAGIC_OFFSET, "ARM\x64", 4) == 0)
		return parse_image(h, info);
	if (memcmp(h, "\x7f" "ELF", 4) == 0)
		return parse_elf(p, h, info);
	return SMK_ERR_NOT_IMAGE;
}

int smk_kernel_get_info_for(const char *arch, const smk_kernel_info **out)
{
	const struct smk_payload *p;
	struct parsed *k;
	size_t slot;
	int rc;

	if (!out)
		return -EINVAL;
	rc = smk_arch_slot(arch, &slot);
	if (rc)
		return rc;
	p = smk_set_payload(slot, SMK_ASSET_KERNEL);
	k = &parsed[smk_payload_index(p)];
	if (!__atomic_load_n(&k->ready, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&k->lock);
		if (!k->ready) {
			smk_kernel_info info;
			rc = parse(p, &info);
			if (rc == 0) {
				k->info = info;
				__atomic_store_n(&k->ready, 1, __ATOMIC_RELEASE);
			}
		}
		pthread_mutex_unlock(&k->lock);
		if (rc)
			return rc;
	}
	*out = &k->info;
	return 0;
}

int smk_kernel_get_info(const smk_kernel_info **out)
{
	return smk_kernel_get_info_for(NULL, out);
}
