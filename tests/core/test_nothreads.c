/* No thread can be created (a thread limit, an exhausted address space):
 * decoding falls back to the calling thread alone, and extraction, bytes,
 * verify and ensure all still succeed.  pthread_create is replaced, for
 * the library too, by one that always fails. */
#include "test_util.h"

#include <pthread.h>

static int attempts;

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg)
{
	(void)thread;
	(void)attr;
	(void)start;
	(void)arg;
	__atomic_add_fetch(&attempts, 1, __ATOMIC_RELAXED);
	return EAGAIN;
}

int main(void)
{
	char *root = test_mkdtemp("nothreads");
	char *dir = test_path(root, "assets");
	char *ens = test_path(root, "ensured");
	const unsigned char *data = NULL;
	size_t len = 0;

	CHECK_RC(smk_extract_all_to(dir), 0);
	for (int a = 0; a < SMK_ASSET_COUNT; a++) {
		char *p = test_path(dir, smk_asset_get_info((smk_asset)a)->file_name);
		CHECK(test_is_asset(p, (smk_asset)a));
		free(p);
	}
	CHECK_RC(smk_verify(dir), 0);
	CHECK_RC(smk_ensure_assets(ens), 0);
	CHECK_RC(smk_verify(ens), 0);
	CHECK_RC(smk_asset_bytes(&data, &len, SMK_ASSET_INIT_OCI), 0);
	CHECK(data != NULL && len == smk_init_oci_len());
	CHECK(smk_kernel_bytes() != NULL);
	/* With more than one CPU the library did try to start threads, so
	 * the fallback, not a single-threaded plan, was what ran. */
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		CHECK(attempts > 0);
	CHECK(test_count_temps(dir) == 0);

	test_rm_rf(root);
	free(dir);
	free(ens);
	free(root);
	return test_finish("core.nothreads");
}
