/* The arm64 Image header of the kernel payload (Documentation/arch/arm64/
 * booting.rst): 64 bytes, little-endian, magic "ARM\x64" at offset 56. */
#include "smk_internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#define IMAGE_HEADER_SIZE 64
#define IMAGE_MAGIC_OFFSET 56

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static smk_kernel_info info;
static int ready; /* published with release ordering */

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int parse(void)
{
	unsigned char h[IMAGE_HEADER_SIZE];
	int rc = smk_decode_prefix(smk_payload_get(SMK_ASSET_KERNEL), h,
	                           sizeof h);
	if (rc == SMK_ERR_SIZE)
		return SMK_ERR_NOT_IMAGE; /* shorter than a header */
	if (rc)
		return rc;
	if (memcmp(h + IMAGE_MAGIC_OFFSET, "ARM\x64", 4) != 0)
		return SMK_ERR_NOT_IMAGE;
	info.text_offset = le64(h + 8);
	info.image_size = le64(h + 16);
	info.flags = le64(h + 24);
	info.release = smk_kernel_release();
	return 0;
}

int smk_kernel_get_info(const smk_kernel_info **out)
{
	int rc = 0;
	if (!out)
		return -EINVAL;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&lock);
		if (!ready) {
			rc = parse();
			if (rc == 0)
				__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&lock);
		if (rc)
			return rc;
	}
	*out = &info;
	return 0;
}
