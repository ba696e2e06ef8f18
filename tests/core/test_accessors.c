/* Accessors against the manifest: sizes, digests, modes, names, kernel
 * header and release, version, error names; *_bytes() decodes once,
 * thread-safely, into a page-aligned buffer.
 *
 * `core_accessors --dump DIR` instead writes each asset's bytes to
 * DIR/<arch>-<file name>, for run_bytes_digest.cmake to check that their SHA-256
 * is the manifest's (with CMake's hash: the library has none). */
#include "test_util.h"
#include "expected.h"
#include "cases.h"

#include <pthread.h>
#include <stdint.h>

struct expect {
	smk_asset asset;
	const char *name, *file, *sha256;
	unsigned long long size;
	unsigned mode;
	size_t (*len)(void);
	const unsigned char *(*bytes)(void);
};

static const struct expect expects[] = {
	{ SMK_ASSET_KERNEL, EXPECT_KERNEL_NAME, EXPECT_KERNEL_FILE,
	  EXPECT_KERNEL_SHA256, EXPECT_KERNEL_SIZE, EXPECT_KERNEL_MODE,
	  smk_kernel_len, smk_kernel_bytes },
	{ SMK_ASSET_INIT_OCI, EXPECT_INIT_OCI_NAME, EXPECT_INIT_OCI_FILE,
	  EXPECT_INIT_OCI_SHA256, EXPECT_INIT_OCI_SIZE, EXPECT_INIT_OCI_MODE,
	  smk_init_oci_len, smk_init_oci_bytes },
	{ SMK_ASSET_SUPERMACHINE_AGENT, EXPECT_SUPERMACHINE_AGENT_NAME,
	  EXPECT_SUPERMACHINE_AGENT_FILE, EXPECT_SUPERMACHINE_AGENT_SHA256,
	  EXPECT_SUPERMACHINE_AGENT_SIZE, EXPECT_SUPERMACHINE_AGENT_MODE,
	  smk_supermachine_agent_len, smk_supermachine_agent_bytes },
};

/* Writes the decoded bytes of every asset of every architecture into dir
 * as <arch>-<file name> (the seed's *_bytes() for the default set, and
 * smk_asset_bytes() for every value); 0 on success. */
static int dump(const char *dir)
{
	for (size_t i = 0; i < smk_asset_total(); i++) {
		const smk_asset_info *info = smk_asset_get_info((smk_asset)i);
		const unsigned char *data = NULL;
		size_t len = 0, off = 0;
		char name[128], *path;
		int fd, ok;

		if (i < SMK_ASSET_COUNT) {
			data = expects[i].bytes();
			len = expects[i].len();
		} else if (smk_asset_bytes(&data, &len, (smk_asset)i) != 0) {
			data = NULL;
		}
		snprintf(name, sizeof name, "%s-%s", info->arch, info->file_name);
		path = test_path(dir, name);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ok = data != NULL && fd >= 0;
		while (ok && off < len) {
			ssize_t n = write(fd, data + off, len - off);
			ok = n > 0;
			if (ok)
				off += (size_t)n;
		}
		if (fd >= 0 && close(fd) != 0)
			ok = 0;
		if (!ok)
			fprintf(stderr, "%s: cannot dump the asset's bytes\n", path);
		free(path);
		if (!ok)
			return 1;
	}
	return 0;
}

#define THREADS 8
static const unsigned char *seen[THREADS];
static void *grab_kernel(void *arg)
{
	seen[(intptr_t)arg] = smk_kernel_bytes();
	return NULL;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);

	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);

	/* Version: the header's macros and the library agree. */
	CHECK(smk_version_number() == SMK_VERSION_NUMBER);
	CHECK(strcmp(smk_version_string(), SMK_VERSION_STRING) == 0);
	CHECK(SMK_VERSION_NUMBER == SMK_VERSION_MAJOR * 10000 +
	                                    SMK_VERSION_MINOR * 100 +
	                                    SMK_VERSION_PATCH);

	/* Invalid assets. */
	CHECK(smk_asset_get_info((smk_asset)smk_asset_total()) == NULL);
	CHECK(smk_asset_get_info((smk_asset)-1) == NULL);
	CHECK(smk_asset_len((smk_asset)smk_asset_total()) == 0);
	{
		const unsigned char *d = NULL;
		CHECK_RC(smk_asset_bytes(&d, NULL, (smk_asset)(smk_asset_total() + 1)),
		         -EINVAL);
		CHECK_RC(smk_asset_bytes(NULL, NULL, SMK_ASSET_KERNEL), -EINVAL);
	}

	/* Concurrent first calls all get the same buffer. */
	{
		pthread_t t[THREADS];
		for (intptr_t i = 0; i < THREADS; i++)
			pthread_create(&t[i], NULL, grab_kernel, (void *)i);
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < THREADS; i++)
			CHECK(seen[i] != NULL && seen[i] == seen[0]);
	}

	for (size_t i = 0; i < sizeof expects / sizeof *expects; i++) {
		const struct expect *e = &expects[i];
		const smk_asset_info *info = smk_asset_get_info(e->asset);
		const unsigned char *data = NULL, *again = NULL;
		size_t len = 0;

		CHECK(info != NULL);
		if (!info)
			continue;
		CHECK(strcmp(info->name, e->name) == 0);
		CHECK(strcmp(info->file_name, e->file) == 0);
		CHECK(strcmp(info->sha256, e->sha256) == 0);
		CHECK(strcmp(info->arch, EXPECT_DEFAULT_ARCH) == 0);
		CHECK(info->size == e->size);
		CHECK(info->mode == e->mode);
		CHECK(info->embedded_size > 0);
		CHECK(smk_asset_len(e->asset) == e->size);
		CHECK(e->len() == e->size);

		CHECK_RC(smk_asset_bytes(&data, &len, e->asset), 0);
		CHECK(len == e->size);
		CHECK(data != NULL && ((uintptr_t)data % (uintptr_t)page) == 0);
		CHECK(e->bytes() == data);
		CHECK_RC(smk_asset_bytes(&again, NULL, e->asset), 0);
		CHECK(again == data);
		/* Their digest: checked by core.accessors_digest. */
	}

	/* The default kernel's release as recorded, and named by the banner
	 * in its bytes (its header fields: test_arch.c, for every kernel). */
	{
		const smk_kernel_info *k = NULL;
		const unsigned char *img = smk_kernel_bytes();
		CHECK_RC(smk_kernel_get_info(NULL), -EINVAL);
		CHECK_RC(smk_kernel_get_info(&k), 0);
		if (k) {
			CHECK(strcmp(k->release, EXPECT_KERNEL_RELEASE) == 0);
			CHECK(strcmp(k->arch, EXPECT_DEFAULT_ARCH) == 0);
		}
		CHECK(strcmp(smk_kernel_release(), EXPECT_KERNEL_RELEASE) == 0);
		if (img && EXPECT_KERNEL_RELEASE[0]) {
			const char *needle = "Linux version " EXPECT_KERNEL_RELEASE " ";
			CHECK(memmem(img, smk_kernel_len(), needle, strlen(needle)) != NULL);
		}
	}

	/* Error codes: values as in cases.json, outside the errno range,
	 * named and described. */
	for (size_t i = 0; i < sizeof code_cases / sizeof *code_cases; i++) {
		CHECK(code_cases[i].code < -4095);
		CHECK(smk_error_name(code_cases[i].code) != NULL &&
		      strcmp(smk_error_name(code_cases[i].code), code_cases[i].name) == 0);
		CHECK(strcmp(smk_strerror(code_cases[i].code), "unknown error") != 0);
	}
	CHECK(strcmp(smk_error_name(0), "OK") == 0);
	CHECK(strcmp(smk_error_name(-ENOENT), "ENOENT") == 0);
	CHECK(strcmp(smk_strerror(-ENOENT), "No such file or directory") == 0);
	CHECK(strcmp(smk_strerror(-99999), "unknown error") == 0);
	CHECK(smk_error_name(12345) == NULL);

	/* smk_default_dir: XDG_CACHE_HOME when absolute, else HOME/.cache. */
	{
		char buf[512];
		int n;
		setenv("XDG_CACHE_HOME", "/xdg", 1);
		n = smk_default_dir(buf, sizeof buf);
		CHECK(n > 0 && strcmp(buf, "/xdg/supermachine-kernel/" SMK_VERSION_STRING) == 0);
		setenv("XDG_CACHE_HOME", "relative", 1);
		setenv("HOME", "/home/someone", 1);
		n = smk_default_dir(buf, sizeof buf);
		CHECK(n > 0 && strcmp(buf, "/home/someone/.cache/supermachine-kernel/" SMK_VERSION_STRING) == 0);
		CHECK(n == (int)strlen(buf));
		CHECK_RC(smk_default_dir(buf, 5), -ERANGE);
		CHECK_RC(smk_default_dir(NULL, 5), -EINVAL);
	}
	return test_finish("core.accessors");
}
