/* What checking files costs, counted through the linker: this program
 * links the static library with `ld --wrap` on the calls the core makes to
 * liblzma's decoders, pread, mmap and the allocator.  It shows that
 *  - verify and ensure fail a file of the wrong size or mode without
 *    starting a decoder or reading a byte of it, and smk_verify does not
 *    decode later assets once an earlier one has the wrong size;
 *  - ensure re-extracts a file of the wrong size without comparing it first;
 *  - a check holds no whole asset in memory: no mapping, no allocation
 *    beyond a decode chunk (1 MiB), whatever the asset's size. */
#include "test_util.h"

#include <lzma.h>
#include <stdint.h>
#include <sys/mman.h>

static long decoders, preads, mmaps;
static size_t biggest;

static void reset(void)
{
	__atomic_store_n(&decoders, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&preads, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&mmaps, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&biggest, 0, __ATOMIC_SEQ_CST);
}

static void note_size(size_t n)
{
	size_t seen = __atomic_load_n(&biggest, __ATOMIC_RELAXED);
	while (n > seen &&
	       !__atomic_compare_exchange_n(&biggest, &seen, n, 0,
	                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

lzma_ret __real_lzma_block_decoder(lzma_stream *strm, lzma_block *block);
lzma_ret __wrap_lzma_block_decoder(lzma_stream *strm, lzma_block *block);
lzma_ret __wrap_lzma_block_decoder(lzma_stream *strm, lzma_block *block)
{
	__atomic_add_fetch(&decoders, 1, __ATOMIC_SEQ_CST);
	return __real_lzma_block_decoder(strm, block);
}

lzma_ret __real_lzma_stream_decoder(lzma_stream *strm, uint64_t memlimit,
                                    uint32_t flags);
lzma_ret __wrap_lzma_stream_decoder(lzma_stream *strm, uint64_t memlimit,
                                    uint32_t flags);
lzma_ret __wrap_lzma_stream_decoder(lzma_stream *strm, uint64_t memlimit,
                                    uint32_t flags)
{
	__atomic_add_fetch(&decoders, 1, __ATOMIC_SEQ_CST);
	return __real_lzma_stream_decoder(strm, memlimit, flags);
}

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	__atomic_add_fetch(&preads, 1, __ATOMIC_SEQ_CST);
	return __real_pread(fd, buf, n, off);
}

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
                  off_t off)
{
	__atomic_add_fetch(&mmaps, 1, __ATOMIC_SEQ_CST);
	return __real_mmap(addr, len, prot, flags, fd, off);
}

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
	note_size(n);
	return __real_malloc(n);
}

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
	note_size(n * size);
	return __real_calloc(n, size);
}

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n)
{
	note_size(n);
	return __real_realloc(p, n);
}

#define CHUNK ((size_t)1 << 20)

static ino_t inode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

int main(void)
{
	const smk_asset_info *ki = smk_asset_get_info(SMK_ASSET_KERNEL);
	char *root = test_mkdtemp("verifycost");
	char *k = test_path(root, "kernel");
	char *s = test_path(root, "supermachine-agent");
	off_t ksize = (off_t)ki->size;
	ino_t before;

	CHECK_RC(smk_extract_all_to(root), 0);

	/* A full check of the whole directory: decoded in chunks, compared
	 * with pread, nothing mapped or allocated whole. */
	reset();
	CHECK_RC(smk_verify(root), 0);
	if (ki->compressed)
		CHECK(decoders > 0);
	CHECK(preads > 0);
	CHECK(mmaps == 0);
	CHECK(biggest <= CHUNK);
	printf("full verify: %ld decoders, %ld preads, largest allocation %zu bytes\n",
	       decoders, preads, biggest);

	/* A byte flipped: found, still in chunks. */
	{
		int fd = open(s, O_RDWR);
		unsigned char c = 0;
		CHECK(fd >= 0 && pread(fd, &c, 1, 0) == 1);
		c ^= 1;
		CHECK(pwrite(fd, &c, 1, 0) == 1);
		c ^= 1;
		reset();
		CHECK_RC(smk_verify_file(SMK_ASSET_SUPERMACHINE_AGENT, s),
		         SMK_ERR_CHECKSUM);
		CHECK(mmaps == 0 && biggest <= CHUNK);
		CHECK(pwrite(fd, &c, 1, 0) == 1);
		close(fd);
		CHECK_RC(smk_verify_file(SMK_ASSET_SUPERMACHINE_AGENT, s), 0);
	}

	/* Wrong size: fails before any decoding or reading, alone or as the
	 * first asset of a directory (the others are not decoded either). */
	CHECK(truncate(k, ksize > 0 ? ksize - 1 : 1) == 0);
	reset();
	CHECK_RC(smk_verify_file(SMK_ASSET_KERNEL, k), SMK_ERR_SIZE);
	CHECK(decoders == 0 && preads == 0);
	reset();
	CHECK_RC(smk_verify(root), SMK_ERR_SIZE);
	CHECK(decoders == 0 && preads == 0);
	CHECK(truncate(k, ksize + 4096) == 0);
	reset();
	CHECK_RC(smk_verify(root), SMK_ERR_SIZE);
	CHECK(decoders == 0 && preads == 0);

	/* Wrong mode: the same. */
	CHECK_RC(smk_extract_kernel_to(k), 0);
	chmod(k, 0600);
	reset();
	CHECK_RC(smk_verify(root), SMK_ERR_MODE);
	CHECK(decoders == 0 && preads == 0);

	/* ensure: a file of the wrong size is re-extracted without being
	 * compared first; a touched one is compared, and kept. */
	CHECK_RC(smk_ensure_assets(root), 0);
	CHECK(test_is_asset(k, SMK_ASSET_KERNEL));
	CHECK(truncate(k, 100) == 0);
	reset();
	CHECK_RC(smk_ensure_assets(root), 0);
	CHECK(preads == 0);
	CHECK(mmaps == 0);
	CHECK(test_is_asset(k, SMK_ASSET_KERNEL));
	before = inode_of(k);
	CHECK(utimensat(AT_FDCWD, k, NULL, 0) == 0);
	reset();
	CHECK_RC(smk_ensure_assets(root), 0);
	CHECK(preads > 0);
	CHECK(mmaps == 0 && biggest <= CHUNK);
	CHECK(inode_of(k) == before);

	test_rm_rf(root);
	free(k);
	free(s);
	free(root);
	return test_finish("core.verify_cost");
}
