/* libFuzzer harness for init-oci's kernel command line parser
 * (payloads/init-oci/cmdline.c).
 *
 * Input: the command line, NUL-terminated in a buffer of exactly its size
 * (as main.c reads /proc/cmdline; an embedded NUL ends it there too). The
 * result is compared with a reading of IMAGE-CONFIG.md's rules written
 * here on its own: words separated by spaces, tabs and newlines, double
 * quotes grouping words and removed, the last occurrence of a parameter
 * winning, a known parameter's value longer than 255 bytes an error on the
 * spot, smk.debug on unless "=0", an unknown smk.* a warning, then only
 * the winners checked (smk.rootdev empty or /dev/..., smk.rootfstype
 * [a-z0-9_]+, smk.config absolute). With short warning and error buffers
 * (down to none) the result is the same and the messages are cut short. */
#include "cmdline.h"

#include "fuzz_common.h"

#define MSG_SIZE 512

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Returns 0 or -1 as boot_params_parse should; *warned if a warning. */
static int oracle(const char *s, struct boot_params *w, int *warned)
{
    char *word = malloc(strlen(s) + 1);
    REQUIRE(word != NULL);
    memset(w, 0, sizeof *w);
    strcpy(w->rootfstype, "ext4");
    strcpy(w->config, "/image/config.json");
    *warned = 0;
    int rc = 0;
    for (;;) {
        while (is_space(*s))
            s++;
        if (*s == '\0')
            break;
        size_t n = 0;
        int quoted = 0;
        for (; *s != '\0' && (quoted || !is_space(*s)); s++) {
            if (*s == '"')
                quoted = !quoted;
            else
                word[n++] = *s;
        }
        word[n] = '\0';
        if (strncmp(word, "smk.", 4) != 0)
            continue;
        char *eq = strchr(word, '=');
        const char *value = eq ? eq + 1 : "";
        size_t keylen = eq ? (size_t)(eq - word) : n;
        char *dest = NULL;
#define KEY(k) (keylen == sizeof k - 1 && memcmp(word, k, keylen) == 0)
        if (KEY("smk.rootdev"))
            dest = w->rootdev;
        else if (KEY("smk.rootfstype"))
            dest = w->rootfstype;
        else if (KEY("smk.config"))
            dest = w->config;
        else if (KEY("smk.debug"))
            w->debug = eq == NULL || strcmp(value, "0") != 0;
        else
            *warned = 1;
#undef KEY
        if (dest == NULL)
            continue;
        if (strlen(value) > 255) {
            rc = -1;
            goto out;
        }
        strcpy(dest, value);
    }
    if (w->rootdev[0] != '\0' && strncmp(w->rootdev, "/dev/", 5) != 0)
        rc = -1;
    if (w->rootfstype[0] == '\0' ||
        strspn(w->rootfstype, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(w->rootfstype))
        rc = -1;
    if (w->config[0] != '/')
        rc = -1;
out:
    free(word);
    return rc;
}

/* A message may quote the line's bytes, control characters included (a
 * quoted word can hold a newline): main.c's shutdown_fatal() replaces them
 * in errors, console_warn() does not in warnings. */
static size_t msg_len(const char *m, size_t size)
{
    size_t n = strnlen(m, size);
    REQUIRE(n < size);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    char *warn = malloc(MSG_SIZE), *err = malloc(MSG_SIZE);
    REQUIRE(line != NULL && warn != NULL && err != NULL);
    if (size > 0)
        memcpy(line, data, size);
    line[size] = '\0';
    memset(warn, 'x', MSG_SIZE);
    memset(err, 0, MSG_SIZE);

    struct boot_params bp, want;
    int warned;
    int rc = boot_params_parse(&bp, line, warn, MSG_SIZE, err, MSG_SIZE);
    fuzz_expect(rc == 0, rc ? err : NULL);
    REQUIRE(rc == 0 || rc == -1);
    REQUIRE(oracle(line, &want, &warned) == rc);
    size_t wlen = msg_len(warn, MSG_SIZE), elen = msg_len(err, MSG_SIZE);
    if (rc == 0) {
        REQUIRE(strcmp(bp.rootdev, want.rootdev) == 0);
        REQUIRE(strcmp(bp.rootfstype, want.rootfstype) == 0);
        REQUIRE(strcmp(bp.config, want.config) == 0);
        REQUIRE(bp.debug == want.debug);
        REQUIRE((wlen > 0) == warned);
        REQUIRE(elen == 0); /* untouched */
    } else {
        REQUIRE(strncmp(err, "kernel parameter smk.", 21) == 0);
    }

    /* Again with short buffers of exactly their sizes. */
    size_t wsmall = size % 11, esmall = size % 29;
    char *warn2 = malloc(wsmall), *err2 = malloc(esmall);
    REQUIRE((warn2 != NULL || wsmall == 0) && (err2 != NULL || esmall == 0));
    if (esmall > 0)
        memset(err2, 0, esmall);
    struct boot_params bp2;
    REQUIRE(boot_params_parse(&bp2, line, warn2, wsmall, err2, esmall) == rc);
    REQUIRE(memcmp(&bp, &bp2, sizeof bp) == 0);
    if (wsmall > 0) {
        size_t n = strnlen(warn2, wsmall);
        REQUIRE(n == (wlen < wsmall - 1 ? wlen : wsmall - 1) && memcmp(warn2, warn, n) == 0);
    }
    if (esmall > 0) {
        size_t n = strnlen(err2, esmall);
        REQUIRE(n == (elen < esmall - 1 ? elen : esmall - 1) && memcmp(err2, err, n) == 0);
    }
    free(warn2);
    free(err2);
    free(warn);
    free(err);
    free(line);
    return 0;
}
