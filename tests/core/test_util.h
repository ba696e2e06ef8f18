/* Small helpers shared by the core's tests. */
#ifndef SMK_TEST_UTIL_H
#define SMK_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supermachine_kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_failures;

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n",      \
			        __FILE__, __LINE__, #cond);               \
			test_failures++;                                  \
		}                                                         \
	} while (0)

#define CHECK_RC(expr, want)                                                  \
	do {                                                                  \
		int got_ = (expr);                                            \
		int want_ = (want);                                           \
		if (got_ != want_) {                                          \
			fprintf(stderr, "%s:%d: %s = %d (%s), want %d (%s)\n", \
			        __FILE__, __LINE__, #expr, got_,              \
			        smk_error_name(got_) ? smk_error_name(got_) : "?", \
			        want_,                                        \
			        smk_error_name(want_) ? smk_error_name(want_) : "?"); \
			test_failures++;                                      \
		}                                                             \
	} while (0)

static inline int test_finish(const char *name)
{
	if (test_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

static inline char *test_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* A fresh directory under $TMPDIR (or /tmp), world-traversable so tests
 * that drop privileges can use it. */
static inline char *test_mkdtemp(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *p;
	size_t n;
	if (!base || !*base)
		base = "/tmp";
	n = strlen(base) + strlen(tag) + 32;
	p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/smk-%s-XXXXXX", base, tag);
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		abort();
	}
	chmod(p, 0755);
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return unlink(path);
}

static inline void test_rm_rf(const char *path)
{
	/* Make read-only directories removable first. */
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null", path);
	if (system(cmd) != 0) {
		/* best effort */
	}
	nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

static inline void test_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(content, f);
	fclose(f);
}

/* Whole file into malloc'd memory; NULL if unreadable. */
static inline unsigned char *test_read_file(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[got] = '\0';
	*len = got;
	return buf;
}

/* Entries of dir whose names start with prefix. */
static inline int test_count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static inline int test_count_temps(const char *dir)
{
	return test_count_prefixed(dir, ".smk-tmp");
}

/* Does the file at path hold exactly the asset's bytes and mode? */
static inline int test_is_asset(const char *path, smk_asset asset)
{
	const smk_asset_info *info = smk_asset_get_info(asset);
	const unsigned char *bytes = NULL;
	size_t len = 0, flen = 0;
	struct stat st;
	unsigned char *file;
	int same;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((unsigned)(st.st_mode & 07777) != info->mode)
		return 0;
	if (smk_asset_bytes(&bytes, &len, asset) != 0)
		return 0;
	file = test_read_file(path, &flen);
	same = file && flen == len && memcmp(file, bytes, len) == 0;
	free(file);
	return same;
}

static inline smk_asset test_asset_by_name(const char *name)
{
	for (int i = 0; i < SMK_ASSET_COUNT; i++) {
		if (strcmp(smk_asset_get_info((smk_asset)i)->name, name) == 0)
			return (smk_asset)i;
	}
	fprintf(stderr, "unknown asset %s\n", name);
	abort();
}

static inline int test_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A path of a cases.json case with "bytes": %HH is the byte 0xHH, %% is %,
 * anything else itself (JSON cannot hold bytes that are not UTF-8).
 * Decoded in place (the result is never longer); returns s. */
static inline char *test_unpercent(char *s)
{
	char *out = s;
	for (const char *in = s; *in; in++) {
		int hi, lo;
		if (*in != '%') {
			*out++ = *in;
		} else if (in[1] == '%') {
			*out++ = '%';
			in++;
		} else if ((hi = test_hex_digit(in[1])) >= 0 &&
		           (lo = test_hex_digit(in[2])) >= 0 && hi * 16 + lo != 0) {
			*out++ = (char)(hi * 16 + lo);
			in += 2;
		} else {
			fprintf(stderr, "cases.json: bad %%-escape in a path: %s\n", in);
			abort();
		}
	}
	*out = '\0';
	return s;
}

/* The code for a name in cases.json: errno names and SMK_ERR_* names. */
static inline int test_code_of(const char *name)
{
	if (!name || !*name)
		return 0;
	for (int e = 1; e < 200; e++) {
		const char *n = smk_error_name(-e);
		if (n && strcmp(n, name) == 0)
			return -e;
	}
	for (int c = -10001; c >= -10100; c--) {
		const char *n = smk_error_name(c);
		if (n && strcmp(n, name) == 0)
			return c;
	}
	fprintf(stderr, "unknown error name %s\n", name);
	abort();
}

#endif
