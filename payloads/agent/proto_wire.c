/* Wire primitives: little-endian fields, the frame header and its CRC-32.
 * Pure functions: no I/O, no global state. */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

/* CRC-32/ISO-HDLC, the zlib/Ethernet one, so Python's zlib.crc32 matches.
 * Bitwise: it only ever covers 16 header bytes. */
uint32_t agent_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void put32(uint8_t *o, uint32_t v)
{
    o[0] = (uint8_t)v;
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)(v >> 16);
    o[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *i)
{
    return (uint32_t)i[0] | (uint32_t)i[1] << 8 | (uint32_t)i[2] << 16 | (uint32_t)i[3] << 24;
}

void agent_hdr_encode(uint8_t out[AGENT_HDR_SIZE], const struct agent_hdr *h)
{
    put32(out, AGENT_MAGIC);
    out[4] = h->version;
    out[5] = h->type;
    out[6] = (uint8_t)h->flags;
    out[7] = (uint8_t)(h->flags >> 8);
    put32(out + 8, h->id);
    put32(out + 12, h->len);
    put32(out + 16, agent_crc32(out, 16));
}

bool agent_hdr_decode(const uint8_t in[AGENT_HDR_SIZE], struct agent_hdr *h)
{
    if (get32(in) != AGENT_MAGIC || get32(in + 16) != agent_crc32(in, 16))
        return false;
    h->version = in[4];
    h->type = in[5];
    h->flags = (uint16_t)(in[6] | in[7] << 8);
    h->id = get32(in + 8);
    h->len = get32(in + 12);
    return true;
}

void agent_buf_free(struct agent_buf *b)
{
    free(b->p);
    *b = (struct agent_buf){0};
}

void agent_buf_put(struct agent_buf *b, const void *p, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->oom = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void agent_buf_u8(struct agent_buf *b, uint8_t v)
{
    agent_buf_put(b, &v, 1);
}

void agent_buf_u32(struct agent_buf *b, uint32_t v)
{
    uint8_t o[4];
    put32(o, v);
    agent_buf_put(b, o, 4);
}

void agent_buf_u64(struct agent_buf *b, uint64_t v)
{
    agent_buf_u32(b, (uint32_t)v);
    agent_buf_u32(b, (uint32_t)(v >> 32));
}

void agent_buf_bytes(struct agent_buf *b, const void *p, uint32_t n)
{
    agent_buf_u32(b, n);
    agent_buf_put(b, p, n);
}

void agent_buf_str(struct agent_buf *b, const char *s)
{
    agent_buf_bytes(b, s, s ? (uint32_t)strlen(s) : 0);
}

size_t agent_frame_begin(struct agent_buf *b, uint8_t type, uint32_t id)
{
    size_t start = b->len;
    uint8_t h[AGENT_HDR_SIZE];
    struct agent_hdr hdr = {.version = AGENT_PROTO_VERSION, .type = type, .id = id};
    agent_hdr_encode(h, &hdr);
    agent_buf_put(b, h, sizeof h);
    return start;
}

void agent_frame_end(struct agent_buf *b, size_t start)
{
    if (b->oom)
        return;
    uint8_t *h = b->p + start;
    size_t len = b->len - start - AGENT_HDR_SIZE;
    if (len > UINT32_MAX) {
        b->oom = true;
        return;
    }
    put32(h + 12, (uint32_t)len);
    put32(h + 16, agent_crc32(h, 16));
}

uint8_t agent_rd_u8(struct agent_rd *r)
{
    if (r->bad || r->n < 1) {
        r->bad = true;
        return 0;
    }
    uint8_t v = r->p[0];
    r->p++;
    r->n--;
    return v;
}

uint32_t agent_rd_u32(struct agent_rd *r)
{
    if (r->bad || r->n < 4) {
        r->bad = true;
        return 0;
    }
    uint32_t v = get32(r->p);
    r->p += 4;
    r->n -= 4;
    return v;
}

uint64_t agent_rd_u64(struct agent_rd *r)
{
    uint64_t lo = agent_rd_u32(r);
    return lo | (uint64_t)agent_rd_u32(r) << 32;
}

const uint8_t *agent_rd_bytes(struct agent_rd *r, uint32_t max, uint32_t *len)
{
    uint32_t n = agent_rd_u32(r);
    *len = 0;
    /* The first failure decides LIMIT or MALFORMED: reads after it must not
     * overwrite over, or a string over its limit followed by more fields
     * would be reported as malformed. */
    if (r->bad)
        return NULL;
    if (n > r->n || n > max) {
        r->over = n <= r->n;
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->n -= n;
    *len = n;
    return p;
}
