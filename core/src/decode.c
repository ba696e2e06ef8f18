/*
 * Decoding payloads, in parallel across xz blocks.
 *
 * The xz files are made with fixed-size blocks whose headers record their
 * sizes, and the stream's index says where each block starts in the
 * compressed and the decoded data.  So each block can be decoded on its own
 * by liblzma's block decoder, by whichever worker thread takes it, and
 * handed on at its own offset: written to a file (pwrite), decoded straight
 * into memory, or compared with a file's bytes at that offset (pread and
 * memcmp; how smk_verify checks files).  This was measured faster than
 * liblzma's own multi-threaded decoder, which also stops running in
 * parallel when handed large output buffers.
 *
 * Anything else that is valid xz (several streams, padding) falls back to
 * one sequential stream decoder.  Integrity: the block decoder verifies each
 * block's check (CRC64 for our payloads) and its sizes against its header
 * and the index; the stream header, footer and index carry CRC32s that
 * liblzma verifies; and the decoded total must equal the recorded size.
 */
#include "smk_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Decoded bytes handed to pwrite (or compared) at a time: small enough to
 * keep memory low and let writeback start early, large enough to amortise
 * syscalls. */
#define SMK_CHUNK ((size_t)1 << 20)
/* File bytes read at a time to compare with decoded ones. */
#define SMK_READ_CHUNK ((size_t)1 << 18)
#define SMK_MAX_THREADS 32

enum item_kind { ITEM_BLOCK, ITEM_STREAM, ITEM_RAW };

struct item {
	struct smk_decode_target *target;
	enum item_kind kind;
	lzma_check check;      /* ITEM_BLOCK */
	uint64_t in_offset;    /* into payload->data */
	uint64_t in_size;      /* ITEM_BLOCK: total size; ITEM_RAW: bytes */
	uint64_t unpadded;     /* ITEM_BLOCK */
	uint64_t out_offset;
	uint64_t out_size;
};

/* A worker's buffers, allocated on first need: decoded output, and file
 * bytes to compare it with. */
struct buffers {
	unsigned char *out; /* SMK_CHUNK */
	unsigned char *in;  /* SMK_READ_CHUNK */
};

struct pool {
	struct item *items;
	size_t count;
	size_t next; /* taken with atomic fetch-add */
};

static int lzma_code_to_error(lzma_ret ret)
{
	switch (ret) {
	case LZMA_OK:
	case LZMA_STREAM_END:
		return 0;
	case LZMA_MEM_ERROR:
	case LZMA_MEMLIMIT_ERROR:
		return -ENOMEM;
	case LZMA_OPTIONS_ERROR:
	case LZMA_UNSUPPORTED_CHECK:
		return SMK_ERR_UNSUPPORTED;
	case LZMA_FORMAT_ERROR:
	case LZMA_DATA_ERROR:
	case LZMA_BUF_ERROR:
		return SMK_ERR_CORRUPT;
	default:
		return SMK_ERR_INTERNAL;
	}
}

static void fail(struct smk_decode_target *t, int code)
{
	int expected = 0;
	__atomic_compare_exchange_n(&t->result, &expected, code, 0,
	                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static int failed(struct smk_decode_target *t)
{
	return __atomic_load_n(&t->result, __ATOMIC_ACQUIRE) != 0;
}

static int write_all_at(int fd, const unsigned char *buf, size_t len,
                        uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Does the file hold @want at @off?  Reads into @buf, SMK_READ_CHUNK
 * bytes at a time. */
static int compare_at(int fd, const unsigned char *want, size_t len,
                      uint64_t off, unsigned char *buf)
{
	while (len > 0) {
		size_t n = len < SMK_READ_CHUNK ? len : SMK_READ_CHUNK;
		ssize_t got = pread(fd, buf, n, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return SMK_ERR_SIZE; /* shorter than the asset */
		if (memcmp(buf, want, (size_t)got) != 0)
			return SMK_ERR_CHECKSUM;
		want += got;
		len -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

/* Hand decoded bytes to a file target: compare them with the file, or
 * write them and start writeback at once so the final fsync has little
 * left to wait for. */
static int emit(struct smk_decode_target *t, const unsigned char *buf,
                size_t len, uint64_t off, const struct buffers *bufs)
{
	int rc;
	if (t->mode == SMK_DECODE_COMPARE)
		return compare_at(t->fd, buf, len, off, bufs->in);
	rc = write_all_at(t->fd, buf, len, off);
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
	if (rc == 0)
		(void)sync_file_range(t->fd, (off_t)off, (off_t)len,
		                      SYNC_FILE_RANGE_WRITE);
#endif
	return rc;
}

/* Run an initialised decoder over all of [in, in+in_size), sending the
 * output to the target from out_offset on.  Returns 0 once the decoder
 * reports the end, having produced exactly out_size bytes, else the
 * payload's or the target's error.
 *
 * In compare mode a difference from the file is not the answer yet: the
 * bytes that differ may be what liblzma made of damaged data before its
 * check caught it.  So the decoder runs on to the end (comparing no more),
 * and *mismatch receives the file's code (SMK_ERR_CHECKSUM, SMK_ERR_SIZE)
 * only if the payload proves sound; a damaged payload is reported as
 * such, never blamed on the file. */
static int run_decoder(lzma_stream *strm, struct smk_decode_target *t,
                       const unsigned char *in, size_t in_size,
                       uint64_t out_offset, uint64_t out_size,
                       const struct buffers *bufs, int *mismatch)
{
	uint64_t produced = 0;
	lzma_ret ret;

	*mismatch = 0;

	strm->next_in = in;
	strm->avail_in = in_size;
	for (;;) {
		unsigned char *out;
		size_t room;
		if (t->mode == SMK_DECODE_MEMORY) {
			/* Straight into memory; one byte of slack beyond the
			 * expected size would be a corrupt block, so give none. */
			out = t->mem + out_offset + produced;
			room = (size_t)(out_size - produced);
		} else {
			out = bufs->out;
			room = SMK_CHUNK;
		}
		strm->next_out = out;
		strm->avail_out = room;
		ret = lzma_code(strm, LZMA_FINISH);
		size_t got = room - strm->avail_out;
		if (got > out_size - produced)
			return SMK_ERR_SIZE;
		if (t->mode != SMK_DECODE_MEMORY && got > 0 && !*mismatch) {
			int rc = emit(t, bufs->out, got, out_offset + produced,
			              bufs);
			if (t->mode == SMK_DECODE_COMPARE &&
			    (rc == SMK_ERR_CHECKSUM || rc == SMK_ERR_SIZE))
				*mismatch = rc;
			else if (rc)
				return rc;
		}
		produced += got;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret != LZMA_OK)
			return lzma_code_to_error(ret);
		if (got == 0 && room != 0 && strm->avail_in == 0)
			return SMK_ERR_CORRUPT; /* input used up: truncated */
		if (room == 0)
			return SMK_ERR_SIZE; /* more output than recorded */
		if (failed(t))
			return 0; /* another part failed; stop early */
	}
	if (produced != out_size)
		return SMK_ERR_SIZE;
	return 0;
}

static void free_filters(lzma_filter *filters)
{
	/* lzma_filters_free() only exists from liblzma 5.3; do it by hand. */
	for (size_t i = 0; i < LZMA_FILTERS_MAX && filters[i].id != LZMA_VLI_UNKNOWN; i++) {
		free(filters[i].options);
		filters[i].options = NULL;
	}
}

static int decode_block(const struct item *it, const struct buffers *bufs)
{
	struct smk_decode_target *t = it->target;
	const unsigned char *p = t->payload->data + it->in_offset;
	lzma_filter filters[LZMA_FILTERS_MAX + 1];
	lzma_block block;
	lzma_stream strm = LZMA_STREAM_INIT;
	lzma_ret ret;
	int rc, mismatch;

	memset(&block, 0, sizeof block);
	filters[0].id = LZMA_VLI_UNKNOWN;
	block.version = 1;
	block.check = it->check;
	block.filters = filters;
	block.header_size = lzma_block_header_size_decode(p[0]);
	if (p[0] == 0 || block.header_size > it->in_size)
		return SMK_ERR_CORRUPT;
	ret = lzma_block_header_decode(&block, NULL, p);
	if (ret != LZMA_OK)
		return lzma_code_to_error(ret);
	ret = lzma_block_compressed_size(&block, it->unpadded);
	if (ret != LZMA_OK) {
		free_filters(filters);
		return lzma_code_to_error(ret);
	}
	if (block.uncompressed_size == LZMA_VLI_UNKNOWN)
		block.uncompressed_size = it->out_size;
	else if (block.uncompressed_size != it->out_size) {
		free_filters(filters);
		return SMK_ERR_CORRUPT;
	}
	ret = lzma_block_decoder(&strm, &block);
	if (ret != LZMA_OK) {
		free_filters(filters);
		return lzma_code_to_error(ret);
	}
	rc = run_decoder(&strm, t, p + block.header_size,
	                 (size_t)(it->in_size - block.header_size),
	                 it->out_offset, it->out_size, bufs, &mismatch);
	/* The block decoder must have consumed padding and check too. */
	if (rc == 0 && !failed(t) && strm.avail_in != 0)
		rc = SMK_ERR_CORRUPT;
	if (rc == 0)
		rc = mismatch;
	lzma_end(&strm);
	free_filters(filters);
	return rc;
}

static int decode_stream(const struct item *it, const struct buffers *bufs)
{
	struct smk_decode_target *t = it->target;
	lzma_stream strm = LZMA_STREAM_INIT;
	lzma_ret ret = lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
	int rc, mismatch;
	if (ret != LZMA_OK)
		return lzma_code_to_error(ret);
	rc = run_decoder(&strm, t, t->payload->data, t->payload->data_size, 0,
	                 it->out_size, bufs, &mismatch);
	lzma_end(&strm);
	return rc ? rc : mismatch;
}

static int copy_raw(const struct item *it, const struct buffers *bufs)
{
	struct smk_decode_target *t = it->target;
	const unsigned char *src = t->payload->data + it->in_offset;
	if (t->mode == SMK_DECODE_MEMORY) {
		memcpy(t->mem + it->out_offset, src, (size_t)it->out_size);
		return 0;
	}
	return emit(t, src, (size_t)it->out_size, it->out_offset, bufs);
}

/* Allocates what the item needs of the worker's buffers. */
static int get_buffers(const struct item *it, struct buffers *bufs)
{
	enum smk_decode_mode mode = it->target->mode;
	if (it->kind != ITEM_RAW && mode != SMK_DECODE_MEMORY && !bufs->out) {
		bufs->out = malloc(SMK_CHUNK);
		if (!bufs->out)
			return -ENOMEM;
	}
	if (mode == SMK_DECODE_COMPARE && !bufs->in) {
		bufs->in = malloc(SMK_READ_CHUNK);
		if (!bufs->in)
			return -ENOMEM;
	}
	return 0;
}

static void *worker(void *arg)
{
	struct pool *pool = arg;
	struct buffers bufs = { NULL, NULL };

	for (;;) {
		size_t i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED);
		if (i >= pool->count)
			break;
		struct item *it = &pool->items[i];
		int rc = 0;
		if (failed(it->target))
			continue;
		rc = get_buffers(it, &bufs);
		if (rc) {
			fail(it->target, rc);
			continue;
		}
		switch (it->kind) {
		case ITEM_BLOCK:
			rc = decode_block(it, &bufs);
			break;
		case ITEM_STREAM:
			rc = decode_stream(it, &bufs);
			break;
		case ITEM_RAW:
			rc = copy_raw(it, &bufs);
			break;
		}
		if (rc)
			fail(it->target, rc);
	}
	free(bufs.out);
	free(bufs.in);
	return NULL;
}

/* Growable array of work items. */
struct items {
	struct item *v;
	size_t n, cap;
};

static int push(struct items *a, const struct item *it)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct item *v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *it;
	return 0;
}

/* Plan the blocks of a single-stream xz payload from its index.  Returns
 * 1 if the payload has another layout (the caller falls back to the stream
 * decoder), 0 when planned, or an error. */
static int plan_blocks(struct smk_decode_target *t, struct items *out)
{
	const struct smk_payload *p = t->payload;
	const unsigned char *data = p->data;
	size_t size = p->data_size;
	lzma_stream_flags header, footer;
	lzma_index *index = NULL;
	lzma_index_iter iter;
	uint64_t memlimit = UINT64_MAX;
	size_t pos, index_start, index_end;
	lzma_ret ret;
	int rc = 0;

	if (size < 2 * LZMA_STREAM_HEADER_SIZE)
		return SMK_ERR_CORRUPT;
	ret = lzma_stream_header_decode(&header, data);
	if (ret != LZMA_OK)
		return lzma_code_to_error(ret);
	ret = lzma_stream_footer_decode(&footer,
	                                data + size - LZMA_STREAM_HEADER_SIZE);
	if (ret != LZMA_OK)
		return 1; /* stream padding, or damage the decoder will name */
	if (lzma_stream_flags_compare(&header, &footer) != LZMA_OK)
		return 1;
	index_end = size - LZMA_STREAM_HEADER_SIZE;
	if (footer.backward_size > index_end - LZMA_STREAM_HEADER_SIZE)
		return SMK_ERR_CORRUPT;
	index_start = index_end - (size_t)footer.backward_size;
	pos = index_start;
	ret = lzma_index_buffer_decode(&index, &memlimit, NULL, data, &pos,
	                               index_end);
	if (ret != LZMA_OK)
		return lzma_code_to_error(ret);
	if (pos != index_end ||
	    LZMA_STREAM_HEADER_SIZE + lzma_index_total_size(index) != index_start) {
		lzma_index_end(index, NULL);
		return 1; /* several streams: not described by this index */
	}
	if (lzma_index_uncompressed_size(index) != p->info.size) {
		lzma_index_end(index, NULL);
		return SMK_ERR_SIZE;
	}
	lzma_index_iter_init(&iter, index);
	while (!lzma_index_iter_next(&iter, LZMA_INDEX_ITER_BLOCK)) {
		struct item it;
		memset(&it, 0, sizeof it);
		it.target = t;
		it.kind = ITEM_BLOCK;
		it.check = header.check;
		it.in_offset = iter.block.compressed_file_offset;
		it.in_size = iter.block.total_size;
		it.unpadded = iter.block.unpadded_size;
		it.out_offset = iter.block.uncompressed_file_offset;
		it.out_size = iter.block.uncompressed_size;
		if (it.in_offset + it.in_size > index_start) {
			rc = SMK_ERR_CORRUPT;
			break;
		}
		rc = push(out, &it);
		if (rc)
			break;
	}
	lzma_index_end(index, NULL);
	return rc;
}

static int plan(struct smk_decode_target *t, struct items *out)
{
	const struct smk_payload *p = t->payload;
	struct item it;
	int rc = smk_payload_check_linked(p);

	if (rc)
		return rc;
	memset(&it, 0, sizeof it);
	it.target = t;
	if (!p->info.compressed) {
		if (p->data_size != p->info.size)
			return SMK_ERR_SIZE;
		it.kind = ITEM_RAW;
		for (uint64_t off = 0; off < p->info.size; off += SMK_CHUNK * 4) {
			uint64_t left = p->info.size - off;
			it.in_offset = it.out_offset = off;
			it.out_size = left < SMK_CHUNK * 4 ? left : SMK_CHUNK * 4;
			rc = push(out, &it);
			if (rc)
				return rc;
		}
		return 0;
	}
	rc = plan_blocks(t, out);
	if (rc <= 0)
		return rc;
	it.kind = ITEM_STREAM;
	it.out_size = p->info.size;
	return push(out, &it);
}

static size_t cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
}

int smk_decode(struct smk_decode_target *targets, size_t count)
{
	struct items items = { NULL, 0, 0 };
	struct pool pool;
	pthread_t threads[SMK_MAX_THREADS];
	size_t nthreads, started = 0;
	int rc = 0;

	for (size_t i = 0; i < count; i++) {
		targets[i].result = 0;
		int planned = plan(&targets[i], &items);
		if (planned)
			targets[i].result = planned;
	}
	pool.items = items.v;
	pool.count = items.n;
	pool.next = 0;

	nthreads = cpu_count();
	if (nthreads > items.n)
		nthreads = items.n;
	if (nthreads > SMK_MAX_THREADS)
		nthreads = SMK_MAX_THREADS;
	/* The calling thread is one of the workers. */
	for (size_t i = 1; i < nthreads; i++) {
		if (pthread_create(&threads[started], NULL, worker, &pool) != 0)
			break; /* fewer threads still finish the work */
		started++;
	}
	worker(&pool);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(items.v);

	for (size_t i = 0; i < count; i++) {
		if (targets[i].result && !rc)
			rc = targets[i].result;
	}
	return rc;
}

int smk_decode_prefix(const struct smk_payload *p, unsigned char *out,
                      size_t len)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	lzma_ret ret;
	int rc = smk_payload_check_linked(p);

	if (rc)
		return rc;
	if (len > p->info.size)
		return SMK_ERR_SIZE;
	if (!p->info.compressed) {
		memcpy(out, p->data, len);
		return 0;
	}
	ret = lzma_stream_decoder(&strm, UINT64_MAX, 0);
	if (ret != LZMA_OK)
		return lzma_code_to_error(ret);
	strm.next_in = p->data;
	strm.avail_in = p->data_size;
	strm.next_out = out;
	strm.avail_out = len;
	while (strm.avail_out > 0) {
		ret = lzma_code(&strm, LZMA_RUN);
		if (ret != LZMA_OK)
			break;
	}
	rc = strm.avail_out == 0 ? 0
	     : ret == LZMA_STREAM_END ? SMK_ERR_SIZE
	     : ret == LZMA_OK ? SMK_ERR_CORRUPT : lzma_code_to_error(ret);
	lzma_end(&strm);
	return rc;
}

/* Copies what @it decodes of [offset, offset+len) into out (which stands
 * for that range), decoding the block alone into a buffer of its own. */
static int decode_block_part(const struct item *it, uint64_t offset,
                             unsigned char *out, size_t len)
{
	struct smk_decode_target t = *it->target;
	struct buffers bufs = { NULL, NULL };
	struct item one = *it;
	uint64_t from = offset > it->out_offset ? offset : it->out_offset;
	uint64_t end = offset + len < it->out_offset + it->out_size
	                       ? offset + len : it->out_offset + it->out_size;
	int rc;

	t.mode = SMK_DECODE_MEMORY;
	t.mem = malloc(it->out_size ? (size_t)it->out_size : 1);
	if (!t.mem)
		return -ENOMEM;
	one.target = &t;
	one.out_offset = 0;
	rc = decode_block(&one, &bufs);
	if (rc == 0 && failed(&t))
		rc = t.result;
	if (rc == 0)
		memcpy(out + (from - offset), t.mem + (from - it->out_offset),
		       (size_t)(end - from));
	free(t.mem);
	return rc;
}

int smk_decode_range(const struct smk_payload *p, uint64_t offset,
                     unsigned char *out, size_t len)
{
	struct smk_decode_target t;
	struct items items = { NULL, 0, 0 };
	int rc;

	if (offset > p->info.size || len > p->info.size - offset)
		return SMK_ERR_SIZE;
	if (offset == 0)
		return smk_decode_prefix(p, out, len);
	memset(&t, 0, sizeof t);
	t.payload = p;
	t.mode = SMK_DECODE_MEMORY;
	rc = plan(&t, &items);
	if (rc == 0 && items.n > 0 && items.v[0].kind == ITEM_BLOCK) {
		for (size_t i = 0; i < items.n && rc == 0; i++) {
			const struct item *it = &items.v[i];
			if (it->out_offset + it->out_size <= offset ||
			    it->out_offset >= offset + len)
				continue;
			rc = decode_block_part(it, offset, out, len);
		}
	} else if (rc == 0) {
		/* Raw, or not laid out in blocks: the prefix, then the part. */
		unsigned char *prefix = malloc((size_t)(offset + len));
		if (!prefix) {
			rc = -ENOMEM;
		} else {
			rc = smk_decode_prefix(p, prefix, (size_t)(offset + len));
			if (rc == 0)
				memcpy(out, prefix + offset, len);
			free(prefix);
		}
	}
	free(items.v);
	return rc;
}
