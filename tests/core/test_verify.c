/* smk_verify_file / smk_verify: the verify cases of cases.json, for every
 * asset; a one-byte change anywhere (first, last, inside every MiB, so in
 * every xz block, and at block edges) and a size one byte off; directory
 * checks, including which asset's code wins. */
#include "test_util.h"
#include "cases.h"

/* Flips the lowest bit of the byte at @off. */
static void flip_at(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;
	if (fd < 0 || pread(fd, &c, 1, off) != 1) {
		perror(path);
		abort();
	}
	c ^= 0x01;
	if (pwrite(fd, &c, 1, off) != 1) {
		perror(path);
		abort();
	}
	close(fd);
}

/* Every byte is compared: one flipped bit anywhere is SMK_ERR_CHECKSUM, and
 * flipping it back makes the file right again. */
static void check_every_block(smk_asset asset)
{
	const smk_asset_info *info = smk_asset_get_info(asset);
	const off_t mib = 1 << 20;
	off_t size = (off_t)info->size, offs[64];
	size_t n = 0;
	char *root = test_mkdtemp("verifybytes");
	char *path = test_path(root, info->file_name);

	if (size == 0)
		goto out;
	offs[n++] = 0;
	offs[n++] = size - 1;
	offs[n++] = size / 2;
	/* Inside every MiB; either side of the first and the last MiB
	 * boundary. */
	for (off_t b = 0; b < size && n + 3 <= sizeof offs / sizeof *offs; b += mib) {
		if (b + mib / 2 < size)
			offs[n++] = b + mib / 2;
		if (b > 0 && (b == mib || b + mib >= size)) {
			offs[n++] = b - 1;
			offs[n++] = b;
		}
	}
	CHECK_RC(smk_asset_extract_to(asset, path), 0);
	for (size_t i = 0; i < n; i++) {
		int rc;
		flip_at(path, offs[i]);
		rc = smk_verify_file(asset, path);
		if (rc != SMK_ERR_CHECKSUM) {
			fprintf(stderr, "%s: byte %lld flipped: got %s, want SMK_ERR_CHECKSUM\n",
			        info->name, (long long)offs[i],
			        smk_error_name(rc) ? smk_error_name(rc) : "?");
			test_failures++;
		}
		flip_at(path, offs[i]);
	}
	CHECK_RC(smk_verify_file(asset, path), 0);

	/* One byte too many or too few; empty. */
	CHECK(truncate(path, size + 1) == 0);
	CHECK_RC(smk_verify_file(asset, path), SMK_ERR_SIZE);
	CHECK(truncate(path, size - 1) == 0);
	CHECK_RC(smk_verify_file(asset, path), SMK_ERR_SIZE);
	CHECK(truncate(path, 0) == 0);
	CHECK_RC(smk_verify_file(asset, path), SMK_ERR_SIZE);
out:
	test_rm_rf(root);
	free(path);
	free(root);
}

static void apply(const char *path, const char *change, const char *root)
{
	if (strcmp(change, "delete") == 0) {
		unlink(path);
	} else if (strcmp(change, "truncate") == 0) {
		struct stat st;
		if (stat(path, &st) == 0 && truncate(path, st.st_size / 2) != 0)
			perror(path);
	} else if (strcmp(change, "flip-last-byte") == 0) {
		int fd = open(path, O_RDWR);
		struct stat st;
		unsigned char c;
		if (fd >= 0 && fstat(fd, &st) == 0 &&
		    pread(fd, &c, 1, st.st_size - 1) == 1) {
			c ^= 0x01;
			if (pwrite(fd, &c, 1, st.st_size - 1) != 1)
				perror(path);
		}
		if (fd >= 0)
			close(fd);
	} else if (strcmp(change, "chmod-0600") == 0) {
		chmod(path, 0600);
	} else if (strcmp(change, "replace-with-symlink") == 0) {
		char *aside = test_path(root, "aside");
		if (rename(path, aside) != 0 || symlink(aside, path) != 0)
			perror(path);
		free(aside);
	}
}

int main(void)
{
	for (int a = 0; a < SMK_ASSET_COUNT; a++) {
		smk_asset asset = (smk_asset)a;
		for (size_t i = 0; i < sizeof verify_cases / sizeof *verify_cases; i++) {
			const struct verify_case *c = &verify_cases[i];
			char *root = test_mkdtemp("verify");
			char *rel = strdup(c->dir);
			char *dir = c->dir[0] ? test_path(root, c->bytes ? test_unpercent(rel) : rel)
			                      : strdup(root);
			char *path = test_path(dir, smk_asset_get_info(asset)->file_name);
			int rc;
			CHECK_RC(smk_asset_extract_to_with_parents(asset, path), 0);
			apply(path, c->change, root);
			rc = smk_verify_file(asset, path);
			if (rc != test_code_of(c->error)) {
				fprintf(stderr, "verify case %s (%s): got %s, want %s\n",
				        c->id, smk_asset_get_info(asset)->name,
				        smk_error_name(rc) ? smk_error_name(rc) : "?",
				        c->error[0] ? c->error : "success");
				test_failures++;
			}
			test_rm_rf(root);
			free(root);
			free(rel);
			free(dir);
			free(path);
		}
	}

	for (int a = 0; a < SMK_ASSET_COUNT; a++)
		check_every_block((smk_asset)a);

	/* A whole directory: the first asset (in smk_asset order) that is
	 * wrong gives the code, whether its content or its metadata is. */
	{
		char *root = test_mkdtemp("verifyorder");
		char *k = test_path(root, "kernel");
		char *i = test_path(root, "init-oci");
		char *s = test_path(root, "supermachine-agent");
		struct stat st;
		CHECK_RC(smk_extract_all_to(root), 0);
		CHECK_RC(smk_verify(root), 0);
		CHECK_RC(smk_verify(""), -ENOENT);
		/* Content of the last asset. */
		CHECK(stat(s, &st) == 0);
		flip_at(s, st.st_size / 2);
		CHECK_RC(smk_verify(root), SMK_ERR_CHECKSUM);
		/* A missing init-oci comes before it. */
		unlink(i);
		CHECK_RC(smk_verify(root), -ENOENT);
		/* A kernel with a wrong byte comes before the missing file. */
		flip_at(k, 0);
		CHECK_RC(smk_verify(root), SMK_ERR_CHECKSUM);
		/* A kernel of the wrong size too. */
		CHECK(truncate(k, 1) == 0);
		CHECK_RC(smk_verify(root), SMK_ERR_SIZE);
		CHECK_RC(smk_extract_all_to(root), 0);
		CHECK_RC(smk_verify(root), 0);
		test_rm_rf(root);
		free(k);
		free(i);
		free(s);
		free(root);
	}

	/* A whole directory: good, then one asset damaged. */
	{
		char *root = test_mkdtemp("verifydir");
		char *agent = test_path(root, "supermachine-agent");
		CHECK_RC(smk_verify(root), -ENOENT);
		CHECK_RC(smk_extract_all_to(root), 0);
		CHECK_RC(smk_verify(root), 0);
		chmod(agent, 0700);
		CHECK_RC(smk_verify(root), SMK_ERR_MODE);
		CHECK_RC(smk_verify(NULL), -EINVAL);
		CHECK_RC(smk_verify_file(SMK_ASSET_KERNEL, NULL), -EINVAL);
		CHECK_RC(smk_verify_file((smk_asset)9, agent), -EINVAL);
		CHECK_RC(smk_verify_file(SMK_ASSET_KERNEL, root), SMK_ERR_NOT_REGULAR);
		test_rm_rf(root);
		free(agent);
		free(root);
	}
	return test_finish("core.verify");
}
