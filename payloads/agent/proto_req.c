/* Request payloads: decoders used by the agent, encoders used by clients
 * and tests. Decoders accept only the canonical encoding (no trailing
 * bytes, flags 0 or 1), so decode-then-encode reproduces the input; the
 * fuzzer checks exactly that. */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

/* Strings end up in C APIs, so an embedded NUL would silently cut them. */
static const uint8_t *rd_str(struct agent_rd *r, uint32_t max, uint32_t *len)
{
    const uint8_t *p = agent_rd_bytes(r, max, len);
    if (p && memchr(p, 0, *len)) {
        r->bad = true;
        return NULL;
    }
    return p;
}

static int rd_result(const struct agent_rd *r)
{
    if (r->bad)
        return r->over ? AGENT_E_LIMIT : AGENT_E_MALFORMED;
    return r->n ? AGENT_E_MALFORMED : 0;
}

/* An entry without '=' or with an empty name is no variable: getenv never
 * finds it, and what the command makes of it is up to its libc. */
static bool env_entry_ok(const uint8_t *e, uint32_t len)
{
    const uint8_t *eq = memchr(e, '=', len);
    return eq && eq != e;
}

/* Copies a string into the exec request's single allocation, or only
 * counts its size when mem is NULL (the first of two passes). */
struct sink {
    char *mem;
    size_t used;
};

static char *sink_put(struct sink *s, const uint8_t *p, uint32_t len)
{
    char *d = NULL;
    if (s->mem) {
        d = s->mem + s->used;
        memcpy(d, p, len);
        d[len] = '\0';
    }
    s->used += (size_t)len + 1;
    return d;
}

static int exec_walk(const uint8_t *p, size_t n, struct agent_exec_req *out, struct sink *s)
{
    struct agent_rd r = {.p = p, .n = n};
    uint32_t len;
    out->timeout_ms = agent_rd_u32(&r);
    out->argc = agent_rd_u32(&r);
    if (r.bad || out->argc == 0)
        return AGENT_E_MALFORMED;
    if (out->argc > AGENT_MAX_ARGV)
        return AGENT_E_LIMIT;
    for (uint32_t i = 0; i < out->argc && !r.bad; i++) {
        const uint8_t *a = rd_str(&r, AGENT_MAX_STRING, &len);
        if (a && s->mem)
            out->argv[i] = sink_put(s, a, len);
        else if (a)
            sink_put(s, a, len);
    }
    uint8_t has_env = agent_rd_u8(&r);
    out->envc = agent_rd_u32(&r);
    if (r.bad)
        return rd_result(&r);
    if (has_env > 1 || (!has_env && out->envc))
        return AGENT_E_MALFORMED;
    if (out->envc > AGENT_MAX_ENV)
        return AGENT_E_LIMIT;
    out->has_env = has_env;
    for (uint32_t i = 0; i < out->envc && !r.bad; i++) {
        const uint8_t *e = rd_str(&r, AGENT_MAX_STRING, &len);
        if (e && !env_entry_ok(e, len))
            r.bad = true; /* MALFORMED: over stays false */
        else if (e && s->mem)
            out->env[i] = sink_put(s, e, len);
        else if (e)
            sink_put(s, e, len);
    }
    const uint8_t *cwd = rd_str(&r, AGENT_MAX_PATH, &len);
    if (cwd) {
        char *c = sink_put(s, cwd, len);
        if (s->mem)
            out->cwd = c;
    }
    out->stdin_data = agent_rd_bytes(&r, AGENT_MAX_STDIN, &out->stdin_len);
    return rd_result(&r);
}

int agent_decode_exec(const uint8_t *p, size_t n, struct agent_exec_req *out)
{
    *out = (struct agent_exec_req){0};
    struct sink s = {0};
    int rc = exec_walk(p, n, out, &s);
    if (rc)
        return rc;
    size_t ptrs = out->argc + 1 + (out->has_env ? out->envc + 1 : 0);
    out->mem = malloc(ptrs * sizeof(char *) + s.used);
    if (!out->mem)
        return AGENT_E_INTERNAL;
    out->argv = out->mem;
    out->env = out->has_env ? out->argv + out->argc + 1 : NULL;
    s = (struct sink){.mem = (char *)(out->argv + ptrs)};
    exec_walk(p, n, out, &s);
    out->argv[out->argc] = NULL;
    if (out->env)
        out->env[out->envc] = NULL;
    return 0;
}

void agent_exec_req_free(struct agent_exec_req *r)
{
    free(r->mem);
    *r = (struct agent_exec_req){0};
}

/* Paths are non-empty: "" would mean the agent's cwd, never intended. */
static void rd_path(struct agent_rd *r, char out[AGENT_MAX_PATH + 1])
{
    uint32_t len;
    const uint8_t *p = rd_str(r, AGENT_MAX_PATH, &len);
    if (p && len == 0)
        r->bad = true;
    if (!p || r->bad) {
        out[0] = '\0';
        return;
    }
    memcpy(out, p, len);
    out[len] = '\0';
}

int agent_decode_path(const uint8_t *p, size_t n, struct agent_path_req *out)
{
    struct agent_rd r = {.p = p, .n = n};
    rd_path(&r, out->path);
    return rd_result(&r);
}

int agent_decode_write(const uint8_t *p, size_t n, struct agent_write_req *out)
{
    struct agent_rd r = {.p = p, .n = n};
    rd_path(&r, out->path);
    out->mode = agent_rd_u32(&r);
    if (!r.bad && out->mode > 07777)
        return AGENT_E_MALFORMED;
    out->data = agent_rd_bytes(&r, AGENT_MAX_FILE, &out->len);
    return rd_result(&r);
}

int agent_decode_stat(const uint8_t *p, size_t n, struct agent_stat_req *out)
{
    struct agent_rd r = {.p = p, .n = n};
    rd_path(&r, out->path);
    uint8_t follow = agent_rd_u8(&r);
    if (!r.bad && follow > 1)
        return AGENT_E_MALFORMED;
    out->follow = follow;
    return rd_result(&r);
}

int agent_decode_empty(const uint8_t *p, size_t n)
{
    (void)p;
    return n ? AGENT_E_MALFORMED : 0;
}

static void put_strv(struct agent_buf *b, char *const *v, uint32_t n)
{
    agent_buf_u32(b, n);
    for (uint32_t i = 0; i < n; i++)
        agent_buf_str(b, v[i]);
}

void agent_encode_exec(struct agent_buf *b, uint32_t id, const struct agent_exec_req *r)
{
    size_t f = agent_frame_begin(b, AGENT_T_EXEC, id);
    agent_buf_u32(b, r->timeout_ms);
    put_strv(b, r->argv, r->argc);
    agent_buf_u8(b, r->has_env);
    put_strv(b, r->env, r->has_env ? r->envc : 0);
    agent_buf_str(b, r->cwd);
    agent_buf_bytes(b, r->stdin_data, r->stdin_len);
    agent_frame_end(b, f);
}

void agent_encode_path(struct agent_buf *b, uint8_t type, uint32_t id, const char *path)
{
    size_t f = agent_frame_begin(b, type, id);
    agent_buf_str(b, path);
    agent_frame_end(b, f);
}

void agent_encode_write(struct agent_buf *b, uint32_t id, const struct agent_write_req *r)
{
    size_t f = agent_frame_begin(b, AGENT_T_WRITE_FILE, id);
    agent_buf_str(b, r->path);
    agent_buf_u32(b, r->mode);
    agent_buf_bytes(b, r->data, r->len);
    agent_frame_end(b, f);
}

void agent_encode_stat(struct agent_buf *b, uint32_t id, const struct agent_stat_req *r)
{
    size_t f = agent_frame_begin(b, AGENT_T_STAT, id);
    agent_buf_str(b, r->path);
    agent_buf_u8(b, r->follow);
    agent_frame_end(b, f);
}

void agent_encode_empty(struct agent_buf *b, uint8_t type, uint32_t id)
{
    agent_frame_end(b, agent_frame_begin(b, type, id));
}
