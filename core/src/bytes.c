/* Decoding a payload once into memory that lives as long as the process. */
#include "smk_internal.h"
#include "smk_payloads.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct decoded {
	pthread_mutex_t lock;
	const unsigned char *data; /* published with release ordering */
};

/* One per payload, in table order (smk_payload_index). */
#define SMK_DECODED_INIT(ID, ARCH, KIND) { PTHREAD_MUTEX_INITIALIZER, NULL },
static struct decoded decoded[SMK_PAYLOAD_COUNT] = {
	SMK_PAYLOADS(SMK_DECODED_INIT)
};

/* Something to point at for an empty asset, still page-aligned. */
static const unsigned char *empty_page(void)
{
	static const unsigned char *page;
	const unsigned char *p = __atomic_load_n(&page, __ATOMIC_ACQUIRE);
	if (!p) {
		void *m = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		const unsigned char *expected = NULL;
		if (!__atomic_compare_exchange_n(&page, &expected, m, 0,
		                                 __ATOMIC_ACQ_REL,
		                                 __ATOMIC_ACQUIRE)) {
			munmap(m, (size_t)sysconf(_SC_PAGESIZE));
			return expected;
		}
		p = m;
	}
	return p;
}

static int decode_into_new_mapping(const struct smk_payload *p,
                                   const unsigned char **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)p->info.size;
	size_t mapped;
	struct smk_decode_target target;
	void *m;
	int rc;

	if (len == 0) {
		*out = empty_page();
		return *out ? 0 : -ENOMEM;
	}
	/* Embedded raw bytes are already page-aligned and read-only. */
	if (!p->info.compressed &&
	    ((uintptr_t)p->data & (page - 1)) == 0 && p->data_size == len) {
		rc = smk_payload_check_linked(p);
		if (rc == 0)
			*out = p->data;
		return rc;
	}
	mapped = (len + page - 1) / page * page;
	m = mmap(NULL, mapped, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	memset(&target, 0, sizeof target);
	target.payload = p;
	target.mode = SMK_DECODE_MEMORY;
	target.fd = -1;
	target.mem = m;
	rc = smk_decode(&target, 1);
	if (rc) {
		munmap(m, mapped);
		return rc;
	}
	/* Read-only from now on: a stray write faults instead of silently
	 * changing what every other caller sees. */
	(void)mprotect(m, mapped, PROT_READ);
	*out = m;
	return 0;
}

int smk_asset_bytes(const unsigned char **out_data, size_t *out_len,
                    smk_asset asset)
{
	const struct smk_payload *p = smk_payload_get(asset);
	struct decoded *d;
	const unsigned char *data;
	int rc = 0;

	if (!p || !out_data)
		return -EINVAL;
	d = &decoded[smk_payload_index(p)];
	data = __atomic_load_n(&d->data, __ATOMIC_ACQUIRE);
	if (!data) {
		pthread_mutex_lock(&d->lock);
		data = d->data;
		if (!data) {
			rc = decode_into_new_mapping(p, &data);
			if (rc == 0)
				__atomic_store_n(&d->data, data,
				                 __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&d->lock);
		if (rc)
			return rc;
	}
	*out_data = data;
	if (out_len)
		*out_len = (size_t)p->info.size;
	return 0;
}
