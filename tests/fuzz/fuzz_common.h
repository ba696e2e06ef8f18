/* Shared by the libFuzzer harnesses of tests/fuzz (not the agent's).
 *
 * REQUIRE() aborts, which libFuzzer reports as a crash and saves the input.
 *
 * SMK_FUZZ_EXPECT: run_fuzz.py runs every generated seed once before
 * fuzzing, with SMK_FUZZ_EXPECT=accept for the seeds that must parse and
 * SMK_FUZZ_EXPECT=refuse for those that must be refused. A harness calls
 * fuzz_expect(accepted) with its parser's verdict; a seed that goes the
 * other way aborts, so a harness that never reaches the parser's success
 * path (or a stale seed generator) fails the test instead of fuzzing
 * nothing. Unset (while fuzzing), fuzz_expect() does nothing. */
#ifndef SMK_FUZZ_COMMON_H
#define SMK_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)                                                       \
    do {                                                                 \
        if (!(c)) {                                                      \
            fprintf(stderr, "%s:%d: REQUIRE(%s) failed\n", __FILE__,     \
                    __LINE__, #c);                                       \
            abort();                                                     \
        }                                                                \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int fuzz_expected = -1; /* -1: no expectation, 1 accept, 0 refuse */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *e = getenv("SMK_FUZZ_EXPECT");
    if (e != NULL && strcmp(e, "accept") == 0)
        fuzz_expected = 1;
    else if (e != NULL && strcmp(e, "refuse") == 0)
        fuzz_expected = 0;
    return 0;
}

/* what: the parser's message (or NULL), printed when the verdict is wrong. */
static void fuzz_expect(int accepted, const char *what)
{
    if (fuzz_expected < 0 || accepted == fuzz_expected)
        return;
    fprintf(stderr, "seed %s, expected it to be %s%s%s\n",
            accepted ? "accepted" : "refused",
            fuzz_expected ? "accepted" : "refused",
            what ? ": " : "", what ? what : "");
    abort();
}

#endif
