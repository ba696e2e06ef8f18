/* Frame stream parser: bytes in, frames and framing errors out. Pure: the
 * caller reads into agent_stream_room() and calls agent_stream_next() until
 * it asks for more. */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP (64u << 10)
/* After a big frame, give the memory back once the buffer drains. */
#define SHRINK_ABOVE (1u << 20)

static const uint8_t magic[4] = {'S', 'M', 'A', 'G'};

int agent_stream_init(struct agent_stream *s, uint32_t max_payload)
{
    *s = (struct agent_stream){.max_payload = max_payload, .want = AGENT_HDR_SIZE};
    s->buf = malloc(INITIAL_CAP);
    if (!s->buf)
        return -1;
    s->cap = INITIAL_CAP;
    return 0;
}

void agent_stream_free(struct agent_stream *s)
{
    free(s->buf);
    *s = (struct agent_stream){0};
}

void agent_stream_reset(struct agent_stream *s)
{
    s->start = s->end = s->skip = 0;
    s->want = AGENT_HDR_SIZE;
    s->has_pending = s->discarding = false;
}

uint8_t *agent_stream_room(struct agent_stream *s, size_t *n)
{
    if (s->start == s->end) {
        s->start = s->end = 0;
        if (s->cap > SHRINK_ABOVE && s->want <= INITIAL_CAP) {
            uint8_t *nb = realloc(s->buf, INITIAL_CAP);
            if (nb) {
                s->buf = nb;
                s->cap = INITIAL_CAP;
            }
        }
    }
    /* Unparsed bytes move to the front when the frame they begin would not
     * fit behind them, or when the end of the buffer is reached. */
    if (s->start && (s->end == s->cap || s->want > s->cap - s->start)) {
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
    }
    /* Still full: the buffer holds part of a frame larger than itself (the
     * parser consumes everything else). Grow by doubling as data arrives,
     * so a header alone cannot commit the memory its length claims. */
    if (s->end == s->cap) {
        size_t cap = s->want > s->cap && s->want < s->cap * 2 ? s->want : s->cap * 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb)
            return NULL;
        s->buf = nb;
        s->cap = cap;
    }
    *n = s->cap - s->end;
    return s->buf + s->end;
}

void agent_stream_commit(struct agent_stream *s, size_t n)
{
    s->end += n;
}

/* Length of the leading run that cannot start a frame: the first offset
 * at or after `from` where the bytes match the magic (or a prefix of it,
 * when the input ends there). */
static size_t garbage_len(const uint8_t *p, size_t n, size_t from)
{
    for (size_t i = from; i < n; i++) {
        size_t k = 0;
        while (k < sizeof magic && i + k < n && p[i + k] == magic[k])
            k++;
        if (k == sizeof magic || i + k == n)
            return i;
    }
    return n;
}

static enum agent_ev error(struct agent_event *ev, uint32_t code, uint32_t id, uint32_t detail)
{
    *ev = (struct agent_event){.code = code, .detail = detail};
    ev->hdr.id = id;
    return AGENT_EV_ERROR;
}

/* The header is trusted (checksum passed) but the frame is refused: drop
 * its payload, wherever it ends, and report once it is gone, so the reply
 * follows everything the client sent before the next frame. */
static void reject(struct agent_stream *s, const struct agent_hdr *h, uint32_t code,
                   uint32_t detail)
{
    s->skip = h->len;
    s->has_pending = true;
    error(&s->pending, code, h->id, detail);
}

static enum agent_ev frame(struct agent_stream *s, struct agent_event *ev,
                           const struct agent_hdr *h)
{
    *ev = (struct agent_event){.hdr = *h, .payload = s->buf + s->start + AGENT_HDR_SIZE};
    s->start += AGENT_HDR_SIZE + (size_t)h->len;
    s->want = AGENT_HDR_SIZE;
    return AGENT_EV_FRAME;
}

enum agent_ev agent_stream_next(struct agent_stream *s, struct agent_event *ev)
{
    for (;;) {
        const uint8_t *p = s->buf + s->start;
        size_t avail = s->end - s->start;
        if (s->want > AGENT_HDR_SIZE) {
            /* Its header was checked when the payload was first awaited. */
            if (avail < s->want)
                return AGENT_EV_NEED_MORE;
            return frame(s, ev, &s->hdr);
        }
        if (s->skip) {
            size_t n = avail < s->skip ? avail : (size_t)s->skip;
            s->start += n;
            s->skip -= n;
            if (s->skip)
                return AGENT_EV_NEED_MORE;
        }
        if (s->has_pending) {
            s->has_pending = false;
            *ev = s->pending;
            return AGENT_EV_ERROR;
        }
        if (avail == 0)
            return AGENT_EV_NEED_MORE;

        size_t junk = garbage_len(p, avail, 0);
        uint32_t code = AGENT_E_BAD_MAGIC;
        struct agent_hdr h;
        if (junk == 0) {
            if (avail < AGENT_HDR_SIZE)
                return AGENT_EV_NEED_MORE;
            if (!agent_hdr_decode(p, &h)) {
                junk = garbage_len(p, avail, 1);
                code = AGENT_E_BAD_HEADER;
            }
        }
        if (junk) {
            s->start += junk;
            if (s->discarding)
                continue;
            s->discarding = true;
            return error(ev, code, 0, 0);
        }

        s->discarding = false;
        if (h.len > s->max_payload) {
            s->start += AGENT_HDR_SIZE;
            reject(s, &h, AGENT_E_OVERSIZED, h.len);
            continue;
        }
        if (h.version != AGENT_PROTO_VERSION || h.flags) {
            s->start += AGENT_HDR_SIZE;
            if (h.flags)
                reject(s, &h, AGENT_E_MALFORMED, h.flags);
            else
                reject(s, &h, AGENT_E_BAD_VERSION, h.version);
            continue;
        }
        if (avail - AGENT_HDR_SIZE < h.len) {
            s->want = AGENT_HDR_SIZE + (size_t)h.len;
            s->hdr = h;
            return AGENT_EV_NEED_MORE;
        }
        return frame(s, ev, &h);
    }
}
