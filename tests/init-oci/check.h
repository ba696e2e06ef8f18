/* A minimal check harness for init-oci's host tests: every failed check
 * prints where and what, and CHECK_DONE() prints a summary and gives the
 * process exit status. */
#ifndef INIT_OCI_TEST_CHECK_H
#define INIT_OCI_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_count, check_failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        check_count++;                                                     \
        if (!(cond)) {                                                     \
            check_failed++;                                                \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                  \
    } while (0)

#define CHECK_STR(got, want)                                                \
    do {                                                                    \
        const char *g_ = (got), *w_ = (want);                               \
        check_count++;                                                      \
        if (g_ == NULL || strcmp(g_, w_) != 0) {                            \
            check_failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s\n  got:  %s\n  want: %s\n",     \
                    __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_);      \
        }                                                                   \
    } while (0)

/* got must contain want. */
#define CHECK_HAS(got, want)                                                \
    do {                                                                    \
        const char *g_ = (got), *w_ = (want);                               \
        check_count++;                                                      \
        if (g_ == NULL || strstr(g_, w_) == NULL) {                         \
            check_failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s\n  got:  %s\n  should contain: %s\n", \
                    __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_);      \
        }                                                                   \
    } while (0)

#define CHECK_DONE(name)                                                    \
    (printf("%s: %d checks, %d failed: %s\n", (name), check_count,         \
            check_failed, check_failed ? "FAIL" : "PASS"),                  \
     check_failed ? 1 : 0)

#endif
