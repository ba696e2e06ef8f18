/*
 * Differential test harness: core/src/decode.c and the parser of
 * core/src/kernel_info.c driven with arbitrary xz data, so that
 * TestDifferentialDecode can compare every result code of the C core with
 * this package's.  Built by that test (SMK_C_DIFF=1), with a directory
 * holding a stub smk_payloads.h of one payload (SMK_PAYLOADS(X)
 * X(ONE, ONE, KERNEL)) first on the include path:
 *
 *   cc -std=c99 -I STUBS -I core/include -I core/src testdata/cdecode.c \
 *      core/src/decode.c -llzma -lpthread
 *
 * Reads lines "MODE SIZE XZ_PATH OUT_PATH" from stdin (MODE: mem, file,
 * compare, prefix64, range@OFFSET+LEN or kinfo) and prints one line per
 * case: the code.  mem, prefix64 and range write what they decoded to
 * OUT_PATH; file decodes into it; compare compares with it; kinfo writes
 * the kernel info's fields, "FORMAT TEXT_OFFSET IMAGE_SIZE FLAGS ENTRY
 * PVH_ENTRY LOAD_ADDRESS", in decimal.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "smk_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int smk_payload_check_linked(const struct smk_payload *p)
{
	(void)p;
	return 0;
}

/* What kernel_info.c asks of the payload table: one payload, parsed
 * afresh by each case through its static parse(). */
static const struct smk_payload *current;

int smk_arch_slot(const char *arch, size_t *out_slot)
{
	(void)arch;
	*out_slot = 0;
	return 0;
}

const struct smk_payload *smk_set_payload(size_t slot, int kind)
{
	(void)slot;
	(void)kind;
	return current;
}

size_t smk_payload_index(const struct smk_payload *p)
{
	(void)p;
	return 0;
}

const char *smk_payload_release(const struct smk_payload *p)
{
	(void)p;
	return "";
}

#include "kernel_info.c"

static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				exit(2);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*size = n;
	return buf;
}

static void write_out(const char *path, const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		exit(2);
}

int main(void)
{
	char mode[64], xz[4096], out[4096];
	unsigned long long size, off, len;

	while (scanf("%63s %llu %4095s %4095s", mode, &size, xz, out) == 4) {
		struct smk_payload p;
		struct smk_decode_target t;
		int rc;
		memset(&p, 0, sizeof p);
		memset(&t, 0, sizeof t);
		p.data = read_file(xz, &p.data_size);
		if (!p.data)
			exit(2);
		p.info.size = size;
		p.info.compressed = 1;
		t.payload = &p;
		t.fd = -1;
		if (strcmp(mode, "mem") == 0) {
			t.mode = SMK_DECODE_MEMORY;
			t.mem = malloc(size ? size : 1);
			rc = smk_decode(&t, 1);
			if (rc == 0)
				write_out(out, t.mem, size);
			free(t.mem);
		} else if (strcmp(mode, "file") == 0 || strcmp(mode, "compare") == 0) {
			int cmp = strcmp(mode, "compare") == 0;
			t.mode = cmp ? SMK_DECODE_COMPARE : SMK_DECODE_FILE;
			t.fd = cmp ? open(out, O_RDONLY) : open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (t.fd < 0)
				exit(2);
			rc = smk_decode(&t, 1);
			close(t.fd);
		} else if (strcmp(mode, "prefix64") == 0) {
			unsigned char h[64];
			rc = smk_decode_prefix(&p, h, sizeof h);
			if (rc == 0)
				write_out(out, h, sizeof h);
		} else if (sscanf(mode, "range@%llu+%llu", &off, &len) == 2) {
			unsigned char *buf = malloc(len ? len : 1);
			if (!buf)
				exit(2);
			rc = smk_decode_range(&p, off, buf, len);
			if (rc == 0)
				write_out(out, buf, len);
			free(buf);
		} else if (strcmp(mode, "kinfo") == 0) {
			smk_kernel_info info;
			FILE *f;
			current = &p;
			rc = parse(&p, &info);
			if (rc == 0) {
				f = fopen(out, "w");
				if (!f)
					exit(2);
				fprintf(f, "%s %llu %llu %llu %llu %llu %llu\n", info.format,
				        (unsigned long long)info.text_offset,
				        (unsigned long long)info.image_size,
				        (unsigned long long)info.flags,
				        (unsigned long long)info.entry,
				        (unsigned long long)info.pvh_entry,
				        (unsigned long long)info.load_address);
				if (fclose(f) != 0)
					exit(2);
			}
		} else {
			exit(2);
		}
		free((void *)p.data);
		printf("%d\n", rc);
		fflush(stdout);
	}
	return 0;
}
