/* Reply payloads: encoders used by the agent, decoders used by tests (and
 * fuzzed, since a C client would run them on untrusted agent output). */
#include "proto.h"

#include <string.h>

static int rd_done(const struct agent_rd *r)
{
    return r->bad || r->n ? AGENT_E_MALFORMED : 0;
}

void agent_encode_hello_reply(struct agent_buf *b, uint32_t id, const struct agent_hello_reply *r)
{
    size_t f = agent_frame_begin(b, AGENT_T_REPLY | AGENT_T_HELLO, id);
    agent_buf_u32(b, r->version);
    agent_buf_u32(b, r->max_payload);
    agent_buf_u32(b, r->max_file);
    agent_buf_u32(b, r->max_stdin);
    agent_buf_u32(b, r->max_output);
    agent_buf_u32(b, r->max_argv);
    agent_buf_u32(b, r->max_env);
    agent_buf_bytes(b, r->agent, r->agent_len);
    agent_buf_bytes(b, r->transport, r->transport_len);
    agent_frame_end(b, f);
}

int agent_decode_hello_reply(const uint8_t *p, size_t n, struct agent_hello_reply *out)
{
    struct agent_rd r = {.p = p, .n = n};
    out->version = agent_rd_u32(&r);
    out->max_payload = agent_rd_u32(&r);
    out->max_file = agent_rd_u32(&r);
    out->max_stdin = agent_rd_u32(&r);
    out->max_output = agent_rd_u32(&r);
    out->max_argv = agent_rd_u32(&r);
    out->max_env = agent_rd_u32(&r);
    out->agent = (const char *)agent_rd_bytes(&r, AGENT_MAX_MESSAGE, &out->agent_len);
    out->transport = (const char *)agent_rd_bytes(&r, AGENT_MAX_MESSAGE, &out->transport_len);
    return rd_done(&r);
}

void agent_encode_exec_reply(struct agent_buf *b, uint32_t id, const struct agent_exec_reply *r)
{
    size_t f = agent_frame_begin(b, AGENT_T_REPLY | AGENT_T_EXEC, id);
    agent_buf_u8(b, r->signaled);
    agent_buf_u8(b, r->flags);
    agent_buf_u32(b, r->status);
    agent_buf_u32(b, r->duration_ms);
    agent_buf_bytes(b, r->out, r->out_len);
    agent_buf_bytes(b, r->err, r->err_len);
    agent_frame_end(b, f);
}

int agent_decode_exec_reply(const uint8_t *p, size_t n, struct agent_exec_reply *out)
{
    struct agent_rd r = {.p = p, .n = n};
    out->signaled = agent_rd_u8(&r);
    out->flags = agent_rd_u8(&r);
    out->status = agent_rd_u32(&r);
    out->duration_ms = agent_rd_u32(&r);
    out->out = agent_rd_bytes(&r, AGENT_MAX_OUTPUT, &out->out_len);
    out->err = agent_rd_bytes(&r, AGENT_MAX_OUTPUT, &out->err_len);
    if (!r.bad && (out->signaled > 1 || out->flags > 7))
        return AGENT_E_MALFORMED;
    return rd_done(&r);
}

void agent_encode_data_reply(struct agent_buf *b, uint32_t id, const uint8_t *p, uint32_t n)
{
    size_t f = agent_frame_begin(b, AGENT_T_REPLY | AGENT_T_READ_FILE, id);
    agent_buf_bytes(b, p, n);
    agent_frame_end(b, f);
}

int agent_decode_data_reply(const uint8_t *p, size_t n, const uint8_t **data, uint32_t *len)
{
    struct agent_rd r = {.p = p, .n = n};
    *data = agent_rd_bytes(&r, AGENT_MAX_FILE, len);
    return rd_done(&r);
}

void agent_encode_stat_reply(struct agent_buf *b, uint32_t id, const struct agent_stat_reply *r)
{
    size_t f = agent_frame_begin(b, AGENT_T_REPLY | AGENT_T_STAT, id);
    agent_buf_u8(b, r->type);
    agent_buf_u32(b, r->mode);
    agent_buf_u64(b, r->size);
    agent_buf_u64(b, (uint64_t)r->mtime_sec);
    agent_buf_u32(b, r->mtime_nsec);
    agent_buf_u32(b, r->uid);
    agent_buf_u32(b, r->gid);
    agent_frame_end(b, f);
}

int agent_decode_stat_reply(const uint8_t *p, size_t n, struct agent_stat_reply *out)
{
    struct agent_rd r = {.p = p, .n = n};
    out->type = agent_rd_u8(&r);
    out->mode = agent_rd_u32(&r);
    out->size = agent_rd_u64(&r);
    out->mtime_sec = (int64_t)agent_rd_u64(&r);
    out->mtime_nsec = agent_rd_u32(&r);
    out->uid = agent_rd_u32(&r);
    out->gid = agent_rd_u32(&r);
    return rd_done(&r);
}

void agent_encode_error(struct agent_buf *b, uint32_t id, uint32_t code, int32_t os_errno,
                        const char *msg)
{
    size_t len = msg ? strlen(msg) : 0;
    size_t f = agent_frame_begin(b, AGENT_T_ERROR, id);
    agent_buf_u32(b, code);
    agent_buf_u32(b, (uint32_t)os_errno);
    agent_buf_bytes(b, msg, (uint32_t)(len > AGENT_MAX_MESSAGE ? AGENT_MAX_MESSAGE : len));
    agent_frame_end(b, f);
}

int agent_decode_error(const uint8_t *p, size_t n, struct agent_error_reply *out)
{
    struct agent_rd r = {.p = p, .n = n};
    out->code = agent_rd_u32(&r);
    out->os_errno = (int32_t)agent_rd_u32(&r);
    out->msg = (const char *)agent_rd_bytes(&r, AGENT_MAX_MESSAGE, &out->msg_len);
    return rd_done(&r);
}
