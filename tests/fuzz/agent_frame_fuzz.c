/* libFuzzer harness for the agent's frame stream parser and payload
 * decoders (payloads/agent/proto_*.c).
 *
 * Input: one control byte, then either a byte stream fed to the frame
 * parser in chunks (bit 7 clear) or, to reach the decoders without a valid
 * header CRC, one type byte and a raw payload (bit 7 set). Besides memory
 * errors it checks the parser's contract: frames within the limit, only
 * the documented error codes, and decode(p) accepted => encode gives p
 * back byte for byte. */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)     \
    do {               \
        if (!(c))      \
            abort();   \
    } while (0)

static void same_payload(struct agent_buf *b, const uint8_t *p, size_t n)
{
    REQUIRE(!b->oom);
    REQUIRE(b->len == AGENT_HDR_SIZE + n);
    REQUIRE(n == 0 || memcmp(b->p + AGENT_HDR_SIZE, p, n) == 0);
    agent_buf_free(b);
}

static void check_rc(int rc)
{
    REQUIRE(rc == 0 || rc == AGENT_E_MALFORMED || rc == AGENT_E_LIMIT);
}

static void decode_request(uint8_t type, const uint8_t *p, size_t n)
{
    struct agent_buf b = {0};
    int rc;
    switch (type) {
    case AGENT_T_EXEC: {
        struct agent_exec_req r;
        rc = agent_decode_exec(p, n, &r);
        check_rc(rc);
        if (rc == 0) {
            REQUIRE(r.argc >= 1 && r.argv[r.argc] == NULL && r.cwd);
            REQUIRE(!r.has_env ? r.env == NULL : r.env[r.envc] == NULL);
            agent_encode_exec(&b, 1, &r);
            same_payload(&b, p, n);
            agent_exec_req_free(&r);
        }
        break;
    }
    case AGENT_T_WRITE_FILE: {
        struct agent_write_req r;
        rc = agent_decode_write(p, n, &r);
        check_rc(rc);
        if (rc == 0) {
            REQUIRE(r.mode <= 07777 && r.len <= AGENT_MAX_FILE && r.path[0]);
            agent_encode_write(&b, 1, &r);
            same_payload(&b, p, n);
        }
        break;
    }
    case AGENT_T_READ_FILE: {
        struct agent_path_req r;
        rc = agent_decode_path(p, n, &r);
        check_rc(rc);
        if (rc == 0) {
            agent_encode_path(&b, AGENT_T_READ_FILE, 1, r.path);
            same_payload(&b, p, n);
        }
        break;
    }
    case AGENT_T_STAT: {
        struct agent_stat_req r;
        rc = agent_decode_stat(p, n, &r);
        check_rc(rc);
        if (rc == 0) {
            agent_encode_stat(&b, 1, &r);
            same_payload(&b, p, n);
        }
        break;
    }
    default:
        REQUIRE(agent_decode_empty(p, n) == (n ? AGENT_E_MALFORMED : 0));
        break;
    }
}

static void decode_reply(uint8_t type, const uint8_t *p, size_t n)
{
    struct agent_buf b = {0};
    switch (type) {
    case AGENT_T_REPLY | AGENT_T_HELLO: {
        struct agent_hello_reply r;
        if (agent_decode_hello_reply(p, n, &r) == 0) {
            agent_encode_hello_reply(&b, 1, &r);
            same_payload(&b, p, n);
        }
        break;
    }
    case AGENT_T_REPLY | AGENT_T_EXEC: {
        struct agent_exec_reply r;
        if (agent_decode_exec_reply(p, n, &r) == 0) {
            agent_encode_exec_reply(&b, 1, &r);
            same_payload(&b, p, n);
        }
        break;
    }
    case AGENT_T_REPLY | AGENT_T_READ_FILE: {
        const uint8_t *d;
        uint32_t len;
        if (agent_decode_data_reply(p, n, &d, &len) == 0) {
            agent_encode_data_reply(&b, 1, d, len);
            same_payload(&b, p, n);
        }
        break;
    }
    case AGENT_T_REPLY | AGENT_T_STAT: {
        struct agent_stat_reply r;
        if (agent_decode_stat_reply(p, n, &r) == 0) {
            agent_encode_stat_reply(&b, 1, &r);
            same_payload(&b, p, n);
        }
        break;
    }
    default: {
        struct agent_error_reply r;
        if (agent_decode_error(p, n, &r) == 0)
            REQUIRE(r.msg_len <= AGENT_MAX_MESSAGE && r.msg_len + 12 == n);
        break;
    }
    }
}

static void decode_any(uint8_t type, const uint8_t *p, size_t n)
{
    if (type & AGENT_T_REPLY)
        decode_reply(type, p, n);
    else
        decode_request(type, p, n);
}

static void run_stream(const uint8_t *data, size_t size, size_t chunk, uint32_t max)
{
    struct agent_stream s;
    if (agent_stream_init(&s, max) < 0)
        return;
    size_t off = 0;
    for (;;) {
        struct agent_event ev;
        enum agent_ev k;
        while ((k = agent_stream_next(&s, &ev)) != AGENT_EV_NEED_MORE) {
            if (k == AGENT_EV_FRAME) {
                REQUIRE(ev.hdr.len <= max && ev.hdr.version == AGENT_PROTO_VERSION && !ev.hdr.flags);
                REQUIRE(ev.payload >= s.buf && ev.payload + ev.hdr.len <= s.buf + s.end);
                decode_any(ev.hdr.type, ev.payload, ev.hdr.len);
            } else {
                REQUIRE(ev.code == AGENT_E_BAD_MAGIC || ev.code == AGENT_E_BAD_HEADER ||
                        ev.code == AGENT_E_OVERSIZED || ev.code == AGENT_E_BAD_VERSION ||
                        ev.code == AGENT_E_MALFORMED);
            }
        }
        if (off == size)
            break;
        size_t room;
        uint8_t *dst = agent_stream_room(&s, &room);
        if (!dst)
            break;
        REQUIRE(room > 0);
        size_t take = size - off < chunk ? size - off : chunk;
        if (take > room)
            take = room;
        memcpy(dst, data + off, take);
        agent_stream_commit(&s, take);
        off += take;
    }
    agent_stream_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    data++;
    size--;
    if (ctl & 0x80) {
        if (size < 1)
            return 0;
        /* Copy so that ASan sees reads past the payload's exact end. */
        uint8_t *p = malloc(size - 1 ? size - 1 : 1);
        memcpy(p, data + 1, size - 1);
        decode_any(data[0], p, size - 1);
        free(p);
        return 0;
    }
    /* Small limits and chunks reach the oversize and split-read paths. */
    uint32_t max = (ctl & 0x40) ? 64 : AGENT_MAX_PAYLOAD;
    run_stream(data, size, (size_t)(ctl & 0x3F) + 1, max);
    return 0;
}
