/* Sets by architecture: the table (names, order, default, aliases), every
 * asset of every embedded architecture against the manifest, the set-wide
 * calls for each architecture, and each kernel's info against what this
 * test reads from the kernel's own bytes (an arm64 Image header; an ELF
 * vmlinux's program headers and PVH note). */
#include "test_util.h"
#include "expected.h"

#include <stdint.h>

static const char *const aliases[][2] = {
	{ "aarch64", "aarch64" }, { "arm64", "aarch64" },
	{ "x86_64", "x86_64" },   { "amd64", "x86_64" }, { "x64", "x86_64" },
};
/* tests/conformance/cases.json's "unknown" names, and a few more. */
static const char *const unknown[] = {
	"riscv64", "i386", "X86_64", "aarch64 ", "arm", "x86-64", "ARM64",
};

static uint64_t le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* What the test itself reads from an ELF vmlinux. */
struct elf_facts {
	uint64_t entry, pvh_entry, low, high;
};

static int read_elf(const unsigned char *k, size_t len, struct elf_facts *f)
{
	uint64_t phoff = le(k + 32, 8), phnum = le(k + 56, 2);
	memset(f, 0, sizeof *f);
	f->low = UINT64_MAX;
	if (len < 64 || memcmp(k, "\x7f" "ELF", 4) != 0 || k[4] != 2 ||
	    le(k + 18, 2) != 62 /* EM_X86_64 */ || phoff + phnum * 56 > len)
		return -1;
	f->entry = le(k + 24, 8);
	for (uint64_t i = 0; i < phnum; i++) {
		const unsigned char *ph = k + phoff + i * 56;
		uint64_t off = le(ph + 8, 8), paddr = le(ph + 24, 8);
		uint64_t filesz = le(ph + 32, 8), memsz = le(ph + 40, 8);
		if (le(ph, 4) == 1 && memsz) {
			if (paddr < f->low)
				f->low = paddr;
			if (paddr + memsz > f->high)
				f->high = paddr + memsz;
		}
		for (uint64_t pos = off; le(ph, 4) == 4 && pos + 12 <= off + filesz;) {
			uint64_t namesz = le(k + pos, 4), descsz = le(k + pos + 4, 4);
			uint64_t desc = pos + 12 + ((namesz + 3) & ~3ull);
			if (namesz == 4 && memcmp(k + pos + 12, "Xen", 4) == 0 &&
			    le(k + pos + 8, 4) == 18)
				f->pvh_entry = le(k + desc, (int)descsz);
			pos = desc + ((descsz + 3) & ~3ull);
		}
	}
	return 0;
}

static void check_kernel(const char *arch)
{
	int id = smk_asset_find(arch, SMK_ASSET_KERNEL);
	const smk_kernel_info *k = NULL;
	const unsigned char *img = NULL;
	size_t len = 0;

	CHECK_RC(smk_kernel_get_info_for(arch, NULL), -EINVAL);
	CHECK_RC(smk_kernel_get_info_for(arch, &k), 0);
	CHECK(id >= 0);
	CHECK_RC(smk_asset_bytes(&img, &len, (smk_asset)id), 0);
	if (!k || !img)
		return;
	CHECK(strcmp(k->arch, arch) == 0);
	CHECK(strcmp(k->release, expect_assets[id].release) == 0);
	if (strcmp(arch, "aarch64") == 0) {
		CHECK(strcmp(k->format, "Image") == 0);
		CHECK(memcmp(img + 56, "ARM\x64", 4) == 0);
		CHECK(k->text_offset == le(img + 8, 8));
		CHECK(k->image_size == le(img + 16, 8));
		CHECK(k->flags == le(img + 24, 8));
		CHECK(k->entry == 0 && k->pvh_entry == 0 && k->load_address == 0);
	} else {
		struct elf_facts f;
		CHECK(strcmp(k->format, "ELF") == 0);
		CHECK(read_elf(img, len, &f) == 0);
		CHECK(f.pvh_entry != 0); /* the recipe checks the note is there */
		CHECK(k->pvh_entry == f.pvh_entry);
		CHECK(k->entry == f.entry);
		CHECK(k->load_address == f.low);
		CHECK(k->image_size == f.high - f.low);
		CHECK(k->text_offset == 0 && k->flags == 0);
	}
	/* Later calls return the same storage. */
	{
		const smk_kernel_info *again = NULL;
		CHECK_RC(smk_kernel_get_info_for(arch, &again), 0);
		CHECK(again == k);
	}
}

/* A file of dir has an asset's size and mode and holds its bytes. */
static void check_file(const char *dir, smk_asset asset)
{
	const smk_asset_info *info = smk_asset_get_info(asset);
	const unsigned char *data = NULL;
	char *path = test_path(dir, info->file_name);
	struct stat st;
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK((uint64_t)st.st_size == info->size);
	CHECK((unsigned)(st.st_mode & 07777) == info->mode);
	CHECK_RC(smk_asset_bytes(&data, NULL, asset), 0);
	CHECK_RC(smk_verify_file(asset, path), 0);
	free(path);
}

static void check_sets(const char *base)
{
	for (size_t a = 0; a < smk_arch_count(); a++) {
		const char *arch = smk_arch_name(a);
		char *dir = test_path(base, arch);
		int r[SMK_ASSET_COUNT + 1];

		CHECK_RC(smk_extract_set_to(arch, r, SMK_ASSET_COUNT + 1, dir), 0);
		for (int k = 0; k < SMK_ASSET_COUNT; k++) {
			CHECK_RC(r[k], 0);
			check_file(dir, (smk_asset)smk_asset_find(arch, (smk_asset)k));
		}
		CHECK_RC(r[SMK_ASSET_COUNT], SMK_NOT_ATTEMPTED);
		CHECK_RC(smk_verify_set(arch, r, SMK_ASSET_COUNT, dir), 0);
		/* Every other architecture's set refuses these files: the
		 * kernels differ in size. */
		for (size_t o = 0; o < smk_arch_count(); o++) {
			const char *other = smk_arch_name(o);
			if (o == a)
				continue;
			CHECK_RC(smk_verify_set(other, r, SMK_ASSET_COUNT, dir),
			         SMK_ERR_SIZE);
			CHECK_RC(r[SMK_ASSET_KERNEL], SMK_ERR_SIZE);
			/* ensure puts the other set in their place, and back. */
			CHECK_RC(smk_ensure_set(other, r, SMK_ASSET_COUNT, dir), 0);
			CHECK_RC(smk_verify_set(other, NULL, 0, dir), 0);
			CHECK_RC(smk_ensure_set(arch, NULL, 0, dir), 0);
			CHECK_RC(smk_verify_set(arch, NULL, 0, dir), 0);
		}
		/* The default set's calls are the set calls of the default. */
		if (a == 0) {
			CHECK_RC(smk_verify(dir), 0);
			CHECK_RC(smk_ensure_assets(dir), 0);
		} else {
			CHECK_RC(smk_verify(dir), SMK_ERR_SIZE);
		}
		free(dir);
	}
}

static void check_unknown(const char *base)
{
	char *dir = test_path(base, "unknown");
	char buf[256];
	for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
		const char *u = unknown[i];
		const smk_kernel_info *k = NULL;
		int r[SMK_ASSET_COUNT] = { 0, 0, 0 };
		struct stat st;
		CHECK_RC(smk_asset_find(u, SMK_ASSET_KERNEL), SMK_ERR_NO_ARCH);
		CHECK_RC(smk_extract_set_to(u, r, SMK_ASSET_COUNT, dir),
		         SMK_ERR_NO_ARCH);
		for (int j = 0; j < SMK_ASSET_COUNT; j++)
			CHECK_RC(r[j], SMK_NOT_ATTEMPTED);
		CHECK_RC(smk_ensure_set(u, r, SMK_ASSET_COUNT, dir), SMK_ERR_NO_ARCH);
		CHECK_RC(smk_ensure_set(u, NULL, 0, NULL), SMK_ERR_NO_ARCH);
		CHECK_RC(smk_verify_set(u, r, SMK_ASSET_COUNT, dir), SMK_ERR_NO_ARCH);
		CHECK_RC(smk_kernel_get_info_for(u, &k), SMK_ERR_NO_ARCH);
		CHECK_RC(smk_default_dir_for(u, buf, sizeof buf), SMK_ERR_NO_ARCH);
		/* Refused before anything was written. */
		CHECK(lstat(dir, &st) != 0 && errno == ENOENT);
	}
	CHECK(strcmp(smk_strerror(SMK_ERR_NO_ARCH), "unknown error") != 0);
	free(dir);
}

int main(void)
{
	char *base;
	size_t n = smk_arch_count();

	/* The table: as many sets as the build embeds, default first. */
	CHECK(n == EXPECT_ARCH_COUNT);
	CHECK(smk_asset_total() == n * SMK_ASSET_COUNT);
	CHECK(smk_arch_name(n) == NULL);
	CHECK(strcmp(smk_default_arch(), EXPECT_DEFAULT_ARCH) == 0);
	CHECK(strcmp(smk_arch_name(0), EXPECT_DEFAULT_ARCH) == 0);
	for (size_t i = 0; i < smk_asset_total(); i++) {
		const struct expect_asset *e = &expect_assets[i];
		const smk_asset_info *info = smk_asset_get_info((smk_asset)i);
		CHECK(info != NULL);
		if (!info)
			continue;
		CHECK(strcmp(info->arch, e->arch) == 0);
		CHECK(strcmp(info->arch, smk_arch_name(i / SMK_ASSET_COUNT)) == 0);
		CHECK(strcmp(info->name, e->name) == 0);
		CHECK(strcmp(info->file_name, e->file) == 0);
		CHECK(strcmp(info->sha256, e->sha256) == 0);
		CHECK(info->size == e->size);
		CHECK(info->mode == e->mode);
		CHECK(smk_asset_len((smk_asset)i) == e->size);
		CHECK_RC(smk_asset_find(e->arch, (smk_asset)(i % SMK_ASSET_COUNT)),
		         (int)i);
	}
	/* Lookups: NULL and "" are the default; aliases are their arch. */
	for (int k = 0; k < SMK_ASSET_COUNT; k++) {
		CHECK_RC(smk_asset_find(NULL, (smk_asset)k), k);
		CHECK_RC(smk_asset_find("", (smk_asset)k), k);
	}
	CHECK_RC(smk_asset_find(NULL, (smk_asset)SMK_ASSET_COUNT), -EINVAL);
	CHECK_RC(smk_asset_find(NULL, (smk_asset)-1), -EINVAL);
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++) {
		int by_alias = smk_asset_find(aliases[i][0], SMK_ASSET_INIT_OCI);
		int by_name = smk_asset_find(aliases[i][1], SMK_ASSET_INIT_OCI);
		CHECK_RC(by_alias, by_name);
	}

	/* Default directories: the default set's is smk_default_dir(); an
	 * other's is under it, named for the architecture. */
	{
		char d[512], o[512];
		setenv("XDG_CACHE_HOME", "/xdg", 1);
		CHECK(smk_default_dir(d, sizeof d) > 0);
		CHECK(smk_default_dir_for(NULL, o, sizeof o) > 0 && strcmp(d, o) == 0);
		for (size_t a = 1; a < n; a++) {
			char want[600];
			snprintf(want, sizeof want, "%s/%s", d, smk_arch_name(a));
			CHECK(smk_default_dir_for(smk_arch_name(a), o, sizeof o) ==
			      (int)strlen(want));
			CHECK(strcmp(o, want) == 0);
		}
		CHECK_RC(smk_default_dir_for(smk_default_arch(), o, 4), -ERANGE);
		CHECK_RC(smk_default_dir_for(NULL, NULL, 4), -EINVAL);
	}

	for (size_t a = 0; a < n; a++)
		check_kernel(smk_arch_name(a));

	base = test_mkdtemp("arch");
	setenv("XDG_CACHE_HOME", base, 1);
	check_sets(base);
	check_unknown(base);
	/* ensure without a directory: each set in its default directory. */
	for (size_t a = 0; a < n; a++) {
		char d[512];
		CHECK_RC(smk_ensure_set(smk_arch_name(a), NULL, 0, NULL), 0);
		CHECK(smk_default_dir_for(smk_arch_name(a), d, sizeof d) > 0);
		CHECK_RC(smk_verify_set(smk_arch_name(a), NULL, 0, d), 0);
	}
	test_rm_rf(base);
	free(base);
	return test_finish("core.arch");
}
