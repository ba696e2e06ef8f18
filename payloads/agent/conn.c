/* One connection: read bytes, split frames, run requests, write replies. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

/* The power-off rule init-oci uses too. */
#include "../init-oci/poweroff.h"

/* EFBIG is LIMIT only from READ_FILE, where it means "over AGENT_MAX_FILE";
 * anywhere else it is the OS's (e.g. a filesystem's maximum file size). */
static void os_error(struct agent_buf *out, uint32_t id, int rc, const char *msg, bool read_limit)
{
    uint32_t code = read_limit && rc == -EFBIG ? AGENT_E_LIMIT : AGENT_E_OS;
    agent_encode_error(out, id, code, -rc, msg);
}

static void decode_error(struct agent_buf *out, uint32_t id, int rc)
{
    agent_encode_error(out, id, (uint32_t)rc, 0,
                       rc == AGENT_E_LIMIT      ? "a field exceeds its limit"
                       : rc == AGENT_E_INTERNAL ? "out of memory"
                                                : "malformed payload");
}

static void do_hello(struct agent_buf *out, uint32_t id, const char *transport)
{
    static const char agent[] = AGENT_NAME " " AGENT_RELEASE;
    struct agent_hello_reply r = {
        .version = AGENT_PROTO_VERSION,
        .max_payload = AGENT_MAX_PAYLOAD,
        .max_file = AGENT_MAX_FILE,
        .max_stdin = AGENT_MAX_STDIN,
        .max_output = AGENT_MAX_OUTPUT,
        .max_argv = AGENT_MAX_ARGV,
        .max_env = AGENT_MAX_ENV,
        .agent = agent,
        .agent_len = sizeof agent - 1,
        .transport = transport,
        .transport_len = (uint32_t)strlen(transport),
    };
    agent_encode_hello_reply(out, id, &r);
}

/* Returns true when the client went away while the command ran. */
static bool do_exec(struct agent_buf *out, uint32_t id, const uint8_t *p, size_t n,
                    const int conn[2])
{
    struct agent_exec_req req;
    int rc = agent_decode_exec(p, n, &req);
    if (rc) {
        decode_error(out, id, rc);
        return false;
    }
    struct agent_exec_result res;
    char msg[AGENT_MAX_MESSAGE + 1];
    rc = agent_exec(&req, conn, &res, msg, sizeof msg);
    bool gone = !rc && res.abandoned;
    if (rc)
        os_error(out, id, rc, msg, false);
    else if (!gone)
        agent_encode_exec_reply(out, id, &res.reply);
    agent_exec_result_free(&res);
    agent_exec_req_free(&req);
    return gone;
}

static void do_file(struct agent_buf *out, const struct agent_hdr *h, const uint8_t *p, size_t n)
{
    char msg[AGENT_MAX_MESSAGE + 1];
    int rc;
    if (h->type == AGENT_T_WRITE_FILE) {
        struct agent_write_req req;
        rc = agent_decode_write(p, n, &req);
        if (!rc && (rc = agent_write_file(&req, msg, sizeof msg)) == 0)
            agent_encode_empty(out, AGENT_T_REPLY | AGENT_T_WRITE_FILE, h->id);
    } else if (h->type == AGENT_T_READ_FILE) {
        struct agent_path_req req;
        uint8_t *data = NULL;
        uint32_t len = 0;
        rc = agent_decode_path(p, n, &req);
        if (!rc && (rc = agent_read_file(req.path, &data, &len, msg, sizeof msg)) == 0)
            agent_encode_data_reply(out, h->id, data, len);
        free(data);
    } else {
        struct agent_stat_req req;
        struct agent_stat_reply st;
        rc = agent_decode_stat(p, n, &req);
        if (!rc && (rc = agent_stat(&req, &st, msg, sizeof msg)) == 0)
            agent_encode_stat_reply(out, h->id, &st);
    }
    if (rc > 0)
        decode_error(out, h->id, rc);
    else if (rc < 0)
        os_error(out, h->id, rc, msg, h->type == AGENT_T_READ_FILE);
}

enum after { NEXT, SHUTDOWN, GONE };

/* SHUTDOWN: the request was SHUTDOWN and its reply is queued; GONE: the
 * client went away during the request, which gets no reply. */
static enum after dispatch(struct agent_buf *out, const struct agent_event *ev,
                           const char *transport, const int conn[2])
{
    const struct agent_hdr *h = &ev->hdr;
    size_t n = h->len;
    switch (h->type) {
    case AGENT_T_HELLO:
    case AGENT_T_SHUTDOWN: {
        int rc = agent_decode_empty(ev->payload, n);
        if (rc)
            decode_error(out, h->id, rc);
        else if (h->type == AGENT_T_HELLO)
            do_hello(out, h->id, transport);
        else
            agent_encode_empty(out, AGENT_T_REPLY | AGENT_T_SHUTDOWN, h->id);
        return !rc && h->type == AGENT_T_SHUTDOWN ? SHUTDOWN : NEXT;
    }
    case AGENT_T_EXEC:
        return do_exec(out, h->id, ev->payload, n, conn) ? GONE : NEXT;
    case AGENT_T_WRITE_FILE:
    case AGENT_T_READ_FILE:
    case AGENT_T_STAT:
        do_file(out, h, ev->payload, n);
        return NEXT;
    default: {
        char msg[64];
        snprintf(msg, sizeof msg, "unknown message type 0x%02x", h->type);
        agent_encode_error(out, h->id, AGENT_E_UNKNOWN_TYPE, 0, msg);
        return NEXT;
    }
    }
}

static void framing_error(struct agent_buf *out, const struct agent_event *ev)
{
    char msg[128];
    switch (ev->code) {
    case AGENT_E_BAD_MAGIC:
        snprintf(msg, sizeof msg, "bad magic: input discarded up to the next frame header");
        break;
    case AGENT_E_BAD_HEADER:
        snprintf(msg, sizeof msg, "bad header checksum: input discarded up to the next frame header");
        break;
    case AGENT_E_OVERSIZED:
        snprintf(msg, sizeof msg, "payload of %u bytes exceeds the limit of %u; discarded",
                 ev->detail, AGENT_MAX_PAYLOAD);
        break;
    case AGENT_E_BAD_VERSION:
        snprintf(msg, sizeof msg, "protocol version %u not supported; this agent speaks %u",
                 ev->detail, AGENT_PROTO_VERSION);
        break;
    default:
        snprintf(msg, sizeof msg, "reserved header flags 0x%x set", ev->detail);
        break;
    }
    agent_encode_error(out, ev->hdr.id, ev->code, 0, msg);
}

static int flush(int wfd, struct agent_buf *out)
{
    int rc = 0;
    if (out->oom) {
        agent_log("out of memory building a reply");
        rc = -ENOMEM;
    } else if (out->len) {
        rc = agent_write_all(wfd, out->p, out->len);
    }
    agent_buf_free(out);
    return rc;
}

/* One request at a time: the next is parsed (and more input read) only once
 * the reply to the last is written whole. A client that does not read its
 * replies therefore stops the agent reading, which bounds the memory to one
 * frame in and one reply out, and keeps replies in request order. */
enum agent_conn_end agent_serve(int rfd, int wfd, const char *transport)
{
    const int conn[2] = {rfd, wfd};
    struct agent_stream s;
    if (agent_stream_init(&s, AGENT_MAX_PAYLOAD) < 0)
        return AGENT_CONN_ERROR;
    enum agent_conn_end end = AGENT_CONN_ERROR;
    for (;;) {
        struct agent_event ev;
        enum agent_ev kind;
        while ((kind = agent_stream_next(&s, &ev)) != AGENT_EV_NEED_MORE) {
            struct agent_buf out = {0};
            enum after after = NEXT;
            if (kind == AGENT_EV_FRAME)
                after = dispatch(&out, &ev, transport, conn);
            else
                framing_error(&out, &ev);
            if (after == GONE) {
                /* What the client left unanswered goes with it. */
                agent_buf_free(&out);
                end = AGENT_CONN_EOF;
                goto done;
            }
            if (out.oom) {
                /* Every request gets a reply: a short error may still fit
                 * where the real reply (up to 16 MiB) did not. */
                agent_buf_free(&out);
                agent_encode_error(&out, ev.hdr.id, AGENT_E_INTERNAL, 0,
                                   "out of memory building the reply");
            }
            if (flush(wfd, &out) < 0)
                goto done;
            if (after == SHUTDOWN) {
                end = AGENT_CONN_SHUTDOWN;
                goto done;
            }
        }
        size_t room;
        uint8_t *dst = agent_stream_room(&s, &room);
        if (!dst) {
            agent_log("out of memory reading a frame");
            goto done;
        }
        ssize_t r = read(rfd, dst, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            end = r == 0 ? AGENT_CONN_EOF : AGENT_CONN_ERROR;
            goto done;
        }
        agent_stream_commit(&s, (size_t)r);
    }
done:
    agent_stream_free(&s);
    return end;
}

void agent_shutdown(void)
{
    if (!agent_opts.poweroff)
        return;
    agent_log("powering off");
    sync();
    /* On x86_64 without ACPI S5, a restart, which the VMM takes as the
     * guest stopping: ../init-oci/poweroff.h says why. */
    if (reboot(poweroff_reboot_cmd()) < 0)
        agent_log("power off failed: %s", strerror(errno));
}
