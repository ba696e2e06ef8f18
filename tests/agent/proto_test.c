/* Unit tests of the agent's pure protocol code: every message round-trips,
 * every malformed case is refused with the documented code, the stream
 * parser resynchronises and enforces its limits. */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            passed++;                                                                \
        } else {                                                                     \
            failed++;                                                                \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__,     \
                    __func__, #cond);                                                \
        }                                                                            \
    } while (0)

/* Feed bytes to a fresh stream in chunks of `chunk`, collecting events. */
struct events {
    int n;
    struct agent_event ev[16];
    uint8_t *payload[16]; /* copies: the stream's pointers do not last */
};

static void events_free(struct events *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->payload[i]);
}

static void run_stream(const uint8_t *p, size_t n, size_t chunk, uint32_t max,
                       struct events *out)
{
    struct agent_stream s;
    memset(out, 0, sizeof *out);
    if (agent_stream_init(&s, max) < 0)
        abort();
    size_t off = 0;
    for (;;) {
        struct agent_event ev;
        enum agent_ev k;
        while ((k = agent_stream_next(&s, &ev)) != AGENT_EV_NEED_MORE && out->n < 16) {
            out->ev[out->n] = ev;
            if (k == AGENT_EV_FRAME) {
                out->payload[out->n] = malloc(ev.hdr.len + 1);
                memcpy(out->payload[out->n], ev.payload, ev.hdr.len);
            }
            out->n++;
        }
        if (off == n)
            break;
        size_t room;
        uint8_t *dst = agent_stream_room(&s, &room);
        size_t take = n - off < chunk ? n - off : chunk;
        if (take > room)
            take = room;
        memcpy(dst, p + off, take);
        agent_stream_commit(&s, take);
        off += take;
    }
    agent_stream_free(&s);
}

static bool is_frame(const struct events *e, int i, uint8_t type, uint32_t id)
{
    return i < e->n && e->ev[i].code == 0 && e->ev[i].hdr.type == type && e->ev[i].hdr.id == id;
}

static bool is_error(const struct events *e, int i, uint32_t code, uint32_t id)
{
    return i < e->n && e->ev[i].code == code && e->ev[i].hdr.id == id;
}

static const uint8_t *payload_of(const struct agent_buf *b)
{
    return b->p + AGENT_HDR_SIZE;
}

static size_t payload_len(const struct agent_buf *b)
{
    return b->len - AGENT_HDR_SIZE;
}

static void test_crc_and_header(void)
{
    CHECK(agent_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u);
    struct agent_hdr h = {.version = 1, .type = 0x82, .flags = 0, .id = 0xDEADBEEF, .len = 77};
    uint8_t raw[AGENT_HDR_SIZE];
    agent_hdr_encode(raw, &h);
    CHECK(memcmp(raw, "SMAG", 4) == 0);
    struct agent_hdr d;
    CHECK(agent_hdr_decode(raw, &d));
    CHECK(d.version == 1 && d.type == 0x82 && d.id == 0xDEADBEEF && d.len == 77);
    raw[9] ^= 1;
    CHECK(!agent_hdr_decode(raw, &d));
}

static char *argv_ab[] = {"/bin/echo", "a b", NULL};
static char *env_x[] = {"PATH=/bin", "X=1", NULL};

static void test_exec_roundtrip(void)
{
    for (int variant = 0; variant < 2; variant++) {
        struct agent_exec_req r = {
            .timeout_ms = 1234, .argc = 2, .argv = argv_ab,
            .has_env = variant, .envc = variant ? 2 : 0, .env = variant ? env_x : NULL,
            .cwd = variant ? "/tmp" : "", .stdin_data = (const uint8_t *)"in\0put",
            .stdin_len = 6,
        };
        struct agent_buf b = {0};
        agent_encode_exec(&b, 9, &r);
        struct events e;
        run_stream(b.p, b.len, 1, AGENT_MAX_PAYLOAD, &e);
        CHECK(e.n == 1 && is_frame(&e, 0, AGENT_T_EXEC, 9));
        struct agent_exec_req d;
        CHECK(agent_decode_exec(e.payload[0], e.ev[0].hdr.len, &d) == 0);
        CHECK(d.timeout_ms == 1234 && d.argc == 2 && d.argv[2] == NULL);
        CHECK(!strcmp(d.argv[0], "/bin/echo") && !strcmp(d.argv[1], "a b"));
        CHECK(d.has_env == variant && d.envc == (variant ? 2u : 0u));
        if (variant)
            CHECK(!strcmp(d.env[0], "PATH=/bin") && !strcmp(d.env[1], "X=1") && !d.env[2]);
        else
            CHECK(d.env == NULL);
        CHECK(!strcmp(d.cwd, variant ? "/tmp" : ""));
        CHECK(d.stdin_len == 6 && !memcmp(d.stdin_data, "in\0put", 6));
        /* Canonical: re-encoding gives the same bytes. */
        struct agent_buf b2 = {0};
        agent_encode_exec(&b2, 9, &d);
        CHECK(b2.len == b.len && !memcmp(b2.p, b.p, b.len));
        agent_buf_free(&b2);
        agent_exec_req_free(&d);
        events_free(&e);
        agent_buf_free(&b);
    }
}

static void test_file_requests_roundtrip(void)
{
    struct agent_buf b = {0};
    struct agent_write_req w = {.path = "/etc/x", .mode = 0640,
                                .data = (const uint8_t *)"abc", .len = 3};
    agent_encode_write(&b, 1, &w);
    struct agent_write_req wd;
    CHECK(agent_decode_write(payload_of(&b), payload_len(&b), &wd) == 0);
    CHECK(!strcmp(wd.path, "/etc/x") && wd.mode == 0640 && wd.len == 3 && !memcmp(wd.data, "abc", 3));
    agent_buf_free(&b);

    agent_encode_path(&b, AGENT_T_READ_FILE, 2, "/proc/version");
    struct agent_path_req pd;
    CHECK(b.p[5] == AGENT_T_READ_FILE);
    CHECK(agent_decode_path(payload_of(&b), payload_len(&b), &pd) == 0);
    CHECK(!strcmp(pd.path, "/proc/version"));
    agent_buf_free(&b);

    struct agent_stat_req s = {.path = "/", .follow = true};
    agent_encode_stat(&b, 3, &s);
    struct agent_stat_req sd;
    CHECK(agent_decode_stat(payload_of(&b), payload_len(&b), &sd) == 0);
    CHECK(!strcmp(sd.path, "/") && sd.follow);
    agent_buf_free(&b);

    agent_encode_empty(&b, AGENT_T_SHUTDOWN, 4);
    CHECK(b.len == AGENT_HDR_SIZE && agent_decode_empty(payload_of(&b), 0) == 0);
    CHECK(agent_decode_empty((const uint8_t *)"x", 1) == AGENT_E_MALFORMED);
    agent_buf_free(&b);
}

static void test_replies_roundtrip(void)
{
    struct agent_buf b = {0};
    struct agent_hello_reply h = {1, 2, 3, 4, 5, 6, 7, "agent", 5, "vsock", 5};
    agent_encode_hello_reply(&b, 1, &h);
    struct agent_hello_reply hd;
    CHECK(b.p[5] == (AGENT_T_REPLY | AGENT_T_HELLO));
    CHECK(agent_decode_hello_reply(payload_of(&b), payload_len(&b), &hd) == 0);
    CHECK(hd.version == 1 && hd.max_env == 7 && hd.agent_len == 5 && !memcmp(hd.transport, "vsock", 5));
    agent_buf_free(&b);

    struct agent_exec_reply x = {1, AGENT_EXEC_TIMED_OUT | AGENT_EXEC_STDERR_TRUNCATED, 9, 42,
                                 (const uint8_t *)"out", 3, (const uint8_t *)"e", 1};
    agent_encode_exec_reply(&b, 2, &x);
    struct agent_exec_reply xd;
    CHECK(agent_decode_exec_reply(payload_of(&b), payload_len(&b), &xd) == 0);
    CHECK(xd.signaled == 1 && xd.flags == 5 && xd.status == 9 && xd.duration_ms == 42);
    CHECK(xd.out_len == 3 && !memcmp(xd.out, "out", 3) && xd.err_len == 1);
    agent_buf_free(&b);

    agent_encode_data_reply(&b, 3, (const uint8_t *)"data", 4);
    const uint8_t *data;
    uint32_t len;
    CHECK(agent_decode_data_reply(payload_of(&b), payload_len(&b), &data, &len) == 0);
    CHECK(len == 4 && !memcmp(data, "data", 4));
    agent_buf_free(&b);

    struct agent_stat_reply st = {AGENT_F_DIR, 0755, 4096, -5, 999999999, 1000, 1001};
    agent_encode_stat_reply(&b, 4, &st);
    struct agent_stat_reply sd;
    CHECK(agent_decode_stat_reply(payload_of(&b), payload_len(&b), &sd) == 0);
    CHECK(sd.type == AGENT_F_DIR && sd.mode == 0755 && sd.size == 4096 && sd.mtime_sec == -5);
    CHECK(sd.mtime_nsec == 999999999 && sd.uid == 1000 && sd.gid == 1001);
    agent_buf_free(&b);

    agent_encode_error(&b, 5, AGENT_E_OS, 2, "no such file");
    struct agent_error_reply ed;
    CHECK(b.p[5] == AGENT_T_ERROR);
    CHECK(agent_decode_error(payload_of(&b), payload_len(&b), &ed) == 0);
    CHECK(ed.code == AGENT_E_OS && ed.os_errno == 2 && ed.msg_len == 12);
    agent_buf_free(&b);

    /* Long messages are cut to the documented limit. */
    char big[AGENT_MAX_MESSAGE + 1000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = 0;
    agent_encode_error(&b, 6, AGENT_E_OS, 0, big);
    CHECK(agent_decode_error(payload_of(&b), payload_len(&b), &ed) == 0);
    CHECK(ed.msg_len == AGENT_MAX_MESSAGE);
    agent_buf_free(&b);
}

/* Build an exec payload field by field, so single fields can be broken. */
static void exec_payload(struct agent_buf *b, uint32_t argc, uint8_t has_env, uint32_t envc)
{
    agent_buf_u32(b, 0);
    agent_buf_u32(b, argc);
    for (uint32_t i = 0; i < argc && i < 4; i++)
        agent_buf_str(b, "arg");
    agent_buf_u8(b, has_env);
    agent_buf_u32(b, envc);
    for (uint32_t i = 0; i < envc && i < 4; i++)
        agent_buf_str(b, "K=V");
    agent_buf_str(b, "");
    agent_buf_bytes(b, NULL, 0);
}

static int decode_exec_rc(const uint8_t *p, size_t n)
{
    struct agent_exec_req d;
    int rc = agent_decode_exec(p, n, &d);
    if (rc == 0)
        agent_exec_req_free(&d);
    return rc;
}

static void test_exec_malformed(void)
{
    struct agent_buf b = {0};
    exec_payload(&b, 2, 1, 2);
    CHECK(decode_exec_rc(b.p, b.len) == 0);
    /* Every truncation is refused, never read past. */
    int bad = 0;
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.p, n);
        bad += decode_exec_rc(copy, n) == AGENT_E_MALFORMED;
        free(copy);
    }
    CHECK(bad == (int)b.len);
    agent_buf_u8(&b, 0);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_MALFORMED); /* trailing byte */
    agent_buf_free(&b);

    exec_payload(&b, 0, 0, 0);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_MALFORMED); /* argc 0 */
    agent_buf_free(&b);
    exec_payload(&b, 1, 2, 0);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_MALFORMED); /* has_env 2 */
    agent_buf_free(&b);
    exec_payload(&b, 1, 0, 1);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_MALFORMED); /* env without has_env */
    agent_buf_free(&b);
    exec_payload(&b, AGENT_MAX_ARGV + 1, 0, 0);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_LIMIT);
    agent_buf_free(&b);
    exec_payload(&b, 1, 1, AGENT_MAX_ENV + 1);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_LIMIT);
    agent_buf_free(&b);

    /* NUL inside argv[0]. */
    agent_buf_u32(&b, 0);
    agent_buf_u32(&b, 1);
    agent_buf_bytes(&b, "a\0b", 3);
    agent_buf_u8(&b, 0);
    agent_buf_u32(&b, 0);
    agent_buf_str(&b, "");
    agent_buf_bytes(&b, NULL, 0);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_MALFORMED);
    agent_buf_free(&b);

    /* A string over its limit but inside the payload is LIMIT, not MALFORMED. */
    char *longs = malloc(AGENT_MAX_STRING + 2);
    memset(longs, 'x', AGENT_MAX_STRING + 1);
    longs[AGENT_MAX_STRING + 1] = 0;
    agent_buf_u32(&b, 0);
    agent_buf_u32(&b, 1);
    agent_buf_str(&b, longs);
    agent_buf_u8(&b, 0);
    agent_buf_u32(&b, 0);
    agent_buf_str(&b, "");
    agent_buf_bytes(&b, NULL, 0);
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_LIMIT);
    free(longs);
    agent_buf_free(&b);

    /* stdin at the limit is fine, one byte more is LIMIT. */
    uint8_t *in = calloc(1, AGENT_MAX_STDIN + 1);
    for (int extra = 0; extra < 2; extra++) {
        char *argv[] = {"cat", NULL};
        struct agent_exec_req r = {.argc = 1, .argv = argv, .cwd = "",
                                   .stdin_data = in, .stdin_len = AGENT_MAX_STDIN + extra};
        agent_encode_exec(&b, 1, &r);
        CHECK(decode_exec_rc(payload_of(&b), payload_len(&b)) == (extra ? AGENT_E_LIMIT : 0));
        agent_buf_free(&b);
    }
    free(in);
}

/* Decode code of an EXEC request with one argv string, an optional env
 * (NULL: inherit) and a cwd. */
static int exec_rc(const char *arg, char **env, uint32_t envc, const char *cwd)
{
    char *argv[] = {(char *)arg, NULL};
    struct agent_exec_req r = {.argc = 1, .argv = argv, .has_env = env != NULL,
                               .envc = envc, .env = env, .cwd = (char *)cwd};
    struct agent_buf b = {0};
    agent_encode_exec(&b, 1, &r);
    int rc = decode_exec_rc(payload_of(&b), payload_len(&b));
    agent_buf_free(&b);
    return rc;
}

/* A string of n bytes: prefix, then 'x' up to n. */
static char *long_str(const char *prefix, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, 'x', n);
    memcpy(s, prefix, strlen(prefix));
    s[n] = 0;
    return s;
}

static void test_exec_string_limits(void)
{
    /* MAX_ARG_STRLEN (131072) counts the NUL: 131071 is the longest that
     * execve takes, and the value PROTOCOL.md and IMAGE-CONFIG.md give. */
    CHECK(AGENT_MAX_STRING == 131071u);
    for (size_t extra = 0; extra < 2; extra++) {
        int want = extra ? AGENT_E_LIMIT : 0;
        char *arg = long_str("", AGENT_MAX_STRING + extra);
        char *env[] = {long_str("K=", AGENT_MAX_STRING + extra), NULL};
        char *cwd = long_str("/", AGENT_MAX_PATH + extra);
        CHECK(exec_rc(arg, NULL, 0, "") == want);
        /* An env string or cwd is followed by more fields: still LIMIT. */
        CHECK(exec_rc("true", env, 1, "") == want);
        CHECK(exec_rc("true", NULL, 0, cwd) == want);
        free(arg);
        free(env[0]);
        free(cwd);
    }
    /* The first failure decides: LIMIT, then a malformed field after it. */
    char *arg = long_str("", AGENT_MAX_STRING + 1);
    struct agent_buf b = {0};
    agent_buf_u32(&b, 0);
    agent_buf_u32(&b, 1);
    agent_buf_str(&b, arg);
    agent_buf_u8(&b, 7); /* has_env out of range */
    CHECK(decode_exec_rc(b.p, b.len) == AGENT_E_LIMIT);
    agent_buf_free(&b);
    free(arg);
}

static void test_exec_env_entries(void)
{
    char *good[] = {"K=V", "K=", "K==v", "PATH=/bin", NULL};
    CHECK(exec_rc("true", good, 4, "") == 0);
    const char *bad[] = {"NOEQUALS", "=x", "=", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *env[] = {"A=1", (char *)bad[i], NULL};
        CHECK(exec_rc("true", env, 2, "") == AGENT_E_MALFORMED);
    }
}

static void test_file_malformed(void)
{
    struct agent_buf b = {0};
    struct agent_path_req p;
    struct agent_write_req w;
    struct agent_stat_req s;
    agent_buf_str(&b, "");
    CHECK(agent_decode_path(b.p, b.len, &p) == AGENT_E_MALFORMED); /* empty path */
    agent_buf_free(&b);

    char path[AGENT_MAX_PATH + 2];
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = 0;
    agent_buf_str(&b, path);
    CHECK(agent_decode_path(b.p, b.len, &p) == AGENT_E_LIMIT);
    agent_buf_free(&b);
    path[AGENT_MAX_PATH] = 0;
    agent_buf_str(&b, path);
    CHECK(agent_decode_path(b.p, b.len, &p) == 0 && strlen(p.path) == AGENT_MAX_PATH);
    agent_buf_u8(&b, 1);
    CHECK(agent_decode_path(b.p, b.len, &p) == AGENT_E_MALFORMED);
    agent_buf_free(&b);

    /* Over the path limit is LIMIT for every request with a path, even
     * with fields after the path (WRITE_FILE, STAT). */
    path[AGENT_MAX_PATH] = 'p';
    struct agent_write_req wl = {.mode = 0600, .data = (const uint8_t *)"d", .len = 1};
    memcpy(wl.path, path, AGENT_MAX_PATH); /* the struct holds at most the limit */
    wl.path[AGENT_MAX_PATH] = 0;
    agent_buf_str(&b, path);
    agent_buf_u32(&b, wl.mode);
    agent_buf_bytes(&b, wl.data, wl.len);
    CHECK(agent_decode_write(b.p, b.len, &w) == AGENT_E_LIMIT);
    agent_buf_free(&b);
    agent_encode_write(&b, 1, &wl);
    CHECK(agent_decode_write(payload_of(&b), payload_len(&b), &w) == 0);
    agent_buf_free(&b);
    agent_buf_str(&b, path);
    agent_buf_u8(&b, 1);
    CHECK(agent_decode_stat(b.p, b.len, &s) == AGENT_E_LIMIT);
    agent_buf_free(&b);

    agent_buf_str(&b, "/x");
    agent_buf_u32(&b, 010000);
    agent_buf_bytes(&b, "d", 1);
    CHECK(agent_decode_write(b.p, b.len, &w) == AGENT_E_MALFORMED); /* mode */
    agent_buf_free(&b);

    agent_buf_str(&b, "/x");
    agent_buf_u32(&b, 0644);
    agent_buf_u32(&b, 100); /* data length past the end */
    agent_buf_put(&b, "abc", 3);
    CHECK(agent_decode_write(b.p, b.len, &w) == AGENT_E_MALFORMED);
    agent_buf_free(&b);

    uint8_t *big = calloc(1, AGENT_MAX_FILE + 1);
    struct agent_write_req wr = {.path = "/x", .mode = 0600, .data = big, .len = AGENT_MAX_FILE + 1};
    agent_encode_write(&b, 1, &wr);
    CHECK(agent_decode_write(payload_of(&b), payload_len(&b), &w) == AGENT_E_LIMIT);
    free(big);
    agent_buf_free(&b);

    agent_buf_str(&b, "/x");
    agent_buf_u8(&b, 2);
    CHECK(agent_decode_stat(b.p, b.len, &s) == AGENT_E_MALFORMED); /* follow 2 */
    agent_buf_free(&b);
    agent_buf_str(&b, "/x");
    CHECK(agent_decode_stat(b.p, b.len, &s) == AGENT_E_MALFORMED); /* follow missing */
    agent_buf_free(&b);
}

static void test_stream_pipelined_bytewise(void)
{
    struct agent_buf b = {0};
    agent_encode_empty(&b, AGENT_T_HELLO, 1);
    agent_encode_path(&b, AGENT_T_READ_FILE, 2, "/etc/hostname");
    agent_encode_empty(&b, AGENT_T_SHUTDOWN, 3);
    for (size_t chunk = 1; chunk <= b.len; chunk += 7) {
        struct events e;
        run_stream(b.p, b.len, chunk, AGENT_MAX_PAYLOAD, &e);
        CHECK(e.n == 3 && is_frame(&e, 0, AGENT_T_HELLO, 1) &&
              is_frame(&e, 1, AGENT_T_READ_FILE, 2) && is_frame(&e, 2, AGENT_T_SHUTDOWN, 3));
        events_free(&e);
    }
    agent_buf_free(&b);
}

static void test_stream_garbage_resync(void)
{
    struct agent_buf b = {0};
    /* Garbage holding a fake magic and a partial one: one error only. */
    agent_buf_put(&b, "xxSMAGyyyyyyyyyyyyyyyyyyyyyyySMA", 32);
    agent_encode_empty(&b, AGENT_T_HELLO, 7);
    for (size_t chunk = 1; chunk <= b.len; chunk *= 3) {
        struct events e;
        run_stream(b.p, b.len, chunk, AGENT_MAX_PAYLOAD, &e);
        CHECK(e.n == 2 && is_error(&e, 0, AGENT_E_BAD_MAGIC, 0) && is_frame(&e, 1, AGENT_T_HELLO, 7));
        events_free(&e);
    }
    agent_buf_free(&b);

    /* A header with the magic but a wrong CRC, then a good frame. */
    agent_encode_empty(&b, AGENT_T_HELLO, 1);
    b.p[8] ^= 0xFF;
    agent_encode_empty(&b, AGENT_T_HELLO, 2);
    struct events e;
    run_stream(b.p, b.len, 5, AGENT_MAX_PAYLOAD, &e);
    CHECK(e.n == 2 && is_error(&e, 0, AGENT_E_BAD_HEADER, 0) && is_frame(&e, 1, AGENT_T_HELLO, 2));
    events_free(&e);
    agent_buf_free(&b);

    /* Separate garbage runs are reported separately. */
    agent_buf_put(&b, "junk", 4);
    agent_encode_empty(&b, AGENT_T_HELLO, 1);
    agent_buf_put(&b, "junk", 4);
    agent_encode_empty(&b, AGENT_T_HELLO, 2);
    run_stream(b.p, b.len, 64, AGENT_MAX_PAYLOAD, &e);
    CHECK(e.n == 4 && is_error(&e, 0, AGENT_E_BAD_MAGIC, 0) && is_frame(&e, 1, AGENT_T_HELLO, 1) &&
          is_error(&e, 2, AGENT_E_BAD_MAGIC, 0) && is_frame(&e, 3, AGENT_T_HELLO, 2));
    events_free(&e);
    agent_buf_free(&b);

    /* Garbage is reported at once, before any more input arrives. */
    run_stream((const uint8_t *)"Z", 1, 1, AGENT_MAX_PAYLOAD, &e);
    CHECK(e.n == 1 && is_error(&e, 0, AGENT_E_BAD_MAGIC, 0));
    events_free(&e);
    /* A partial header is waited for. */
    run_stream((const uint8_t *)"SMAG\1", 5, 1, AGENT_MAX_PAYLOAD, &e);
    CHECK(e.n == 0);
    events_free(&e);
}

static void test_stream_rejected_frames(void)
{
    struct agent_buf b = {0};
    /* Oversized: 100 payload bytes against a limit of 64. */
    size_t f = agent_frame_begin(&b, AGENT_T_WRITE_FILE, 11);
    for (int i = 0; i < 100; i++)
        agent_buf_u8(&b, (uint8_t)"SMAG"[i % 4]); /* magic inside must not confuse */
    agent_frame_end(&b, f);
    agent_encode_empty(&b, AGENT_T_HELLO, 12);
    /* Exactly at the limit is accepted. */
    f = agent_frame_begin(&b, AGENT_T_EXEC, 13);
    for (int i = 0; i < 64; i++)
        agent_buf_u8(&b, 0);
    agent_frame_end(&b, f);
    for (size_t chunk = 1; chunk < 200; chunk += 50) {
        struct events e;
        run_stream(b.p, b.len, chunk, 64, &e);
        CHECK(e.n == 3 && is_error(&e, 0, AGENT_E_OVERSIZED, 11) && e.ev[0].detail == 100 &&
              is_frame(&e, 1, AGENT_T_HELLO, 12) && is_frame(&e, 2, AGENT_T_EXEC, 13));
        events_free(&e);
    }
    agent_buf_free(&b);

    /* Bad version and reserved flags: the frame is consumed, its id kept. */
    uint8_t raw[AGENT_HDR_SIZE + 3];
    struct agent_hdr h = {.version = 2, .type = AGENT_T_HELLO, .id = 21, .len = 3};
    agent_hdr_encode(raw, &h);
    memcpy(raw + AGENT_HDR_SIZE, "abc", 3);
    agent_buf_put(&b, raw, sizeof raw);
    h = (struct agent_hdr){.version = 1, .type = AGENT_T_HELLO, .flags = 4, .id = 22, .len = 3};
    agent_hdr_encode(raw, &h);
    agent_buf_put(&b, raw, sizeof raw);
    agent_encode_empty(&b, 0x42, 23); /* unknown types are the dispatcher's business */
    struct events e;
    run_stream(b.p, b.len, 4, AGENT_MAX_PAYLOAD, &e);
    CHECK(e.n == 3 && is_error(&e, 0, AGENT_E_BAD_VERSION, 21) && e.ev[0].detail == 2 &&
          is_error(&e, 1, AGENT_E_MALFORMED, 22) && is_frame(&e, 2, 0x42, 23));
    events_free(&e);
    agent_buf_free(&b);
}

static void test_stream_large_frame_and_reset(void)
{
    struct agent_stream s;
    CHECK(agent_stream_init(&s, AGENT_MAX_PAYLOAD) == 0);
    struct agent_buf b = {0};
    uint8_t *data = malloc(AGENT_MAX_FILE);
    for (uint32_t i = 0; i < AGENT_MAX_FILE; i++)
        data[i] = (uint8_t)(i * 7);
    struct agent_write_req w = {.path = "/big", .mode = 0600, .data = data, .len = AGENT_MAX_FILE};
    agent_encode_write(&b, 5, &w);
    agent_encode_empty(&b, AGENT_T_HELLO, 6);
    size_t off = 0;
    int frames = 0;
    bool ok = true;
    while (off < b.len || frames < 2) {
        struct agent_event ev;
        enum agent_ev k;
        while ((k = agent_stream_next(&s, &ev)) == AGENT_EV_FRAME) {
            frames++;
            if (ev.hdr.id == 5) {
                struct agent_write_req d;
                ok = ok && agent_decode_write(ev.payload, ev.hdr.len, &d) == 0 &&
                     d.len == AGENT_MAX_FILE && !memcmp(d.data, data, d.len);
            }
        }
        if (off == b.len)
            break;
        size_t room;
        uint8_t *dst = agent_stream_room(&s, &room);
        size_t take = b.len - off < room ? b.len - off : room;
        if (take > 100000)
            take = 100000;
        memcpy(dst, b.p + off, take);
        agent_stream_commit(&s, take);
        off += take;
    }
    CHECK(frames == 2 && ok);
    /* After a reset, a partial frame is forgotten. */
    size_t room;
    uint8_t *dst = agent_stream_room(&s, &room);
    memcpy(dst, b.p, 10);
    agent_stream_commit(&s, 10);
    struct agent_event ev;
    CHECK(agent_stream_next(&s, &ev) == AGENT_EV_NEED_MORE);
    agent_stream_reset(&s);
    struct agent_buf h = {0};
    agent_encode_empty(&h, AGENT_T_HELLO, 8);
    dst = agent_stream_room(&s, &room);
    CHECK(s.cap == 64u << 10); /* the big frame's memory is given back */
    memcpy(dst, h.p, h.len);
    agent_stream_commit(&s, h.len);
    CHECK(agent_stream_next(&s, &ev) == AGENT_EV_FRAME && ev.hdr.id == 8);
    agent_buf_free(&h);
    agent_buf_free(&b);
    free(data);
    agent_stream_free(&s);
}

int main(void)
{
    test_crc_and_header();
    test_exec_roundtrip();
    test_file_requests_roundtrip();
    test_replies_roundtrip();
    test_exec_malformed();
    test_exec_string_limits();
    test_exec_env_entries();
    test_file_malformed();
    test_stream_pipelined_bytewise();
    test_stream_garbage_resync();
    test_stream_rejected_frames();
    test_stream_large_frame_and_reset();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
