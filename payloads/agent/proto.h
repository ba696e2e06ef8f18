/* supermachine-agent wire protocol: constants, message structs and the pure
 * (no I/O) encoders, decoders and frame stream parser. PROTOCOL.md is the
 * specification; this header must agree with it. */
#ifndef SMK_AGENT_PROTO_H
#define SMK_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_PROTO_VERSION 1u
/* "SMAG" read as a little-endian u32. */
#define AGENT_MAGIC 0x47414D53u
#define AGENT_HDR_SIZE 20u

/* Limits (PROTOCOL.md, "Limits"). */
#define AGENT_MAX_PAYLOAD (16u << 20)
#define AGENT_MAX_FILE (8u << 20)
#define AGENT_MAX_STDIN (8u << 20)
#define AGENT_MAX_OUTPUT (4u << 20)
#define AGENT_MAX_ARGV 1024u
#define AGENT_MAX_ENV 1024u
/* The kernel's MAX_ARG_STRLEN (32 pages of 4 KiB) counts the terminating
 * NUL: a longer string would be accepted here only to fail exec with E2BIG. */
#define AGENT_MAX_STRING 131071u
#define AGENT_MAX_PATH 4095u
/* Room for "<step> <path>: <strerror>" with a path of AGENT_MAX_PATH bytes,
 * so error messages name the path whole. */
#define AGENT_MAX_MESSAGE 8192u

enum agent_type {
    AGENT_T_HELLO = 0x01,
    AGENT_T_EXEC = 0x02,
    AGENT_T_WRITE_FILE = 0x03,
    AGENT_T_READ_FILE = 0x04,
    AGENT_T_STAT = 0x05,
    AGENT_T_SHUTDOWN = 0x06,
    AGENT_T_REPLY = 0x80, /* a reply's type is AGENT_T_REPLY | request type */
    AGENT_T_ERROR = 0xFF,
};

enum agent_err {
    AGENT_E_MALFORMED = 1,
    AGENT_E_OVERSIZED = 2,
    AGENT_E_UNKNOWN_TYPE = 3,
    AGENT_E_BAD_VERSION = 4,
    AGENT_E_BAD_MAGIC = 5,
    AGENT_E_BAD_HEADER = 6,
    AGENT_E_OS = 7,
    AGENT_E_LIMIT = 8,
    AGENT_E_INTERNAL = 9,
};

enum agent_ftype {
    AGENT_F_UNKNOWN = 0,
    AGENT_F_REG = 1,
    AGENT_F_DIR = 2,
    AGENT_F_LNK = 3,
    AGENT_F_CHR = 4,
    AGENT_F_BLK = 5,
    AGENT_F_FIFO = 6,
    AGENT_F_SOCK = 7,
};

#define AGENT_EXEC_TIMED_OUT 0x01u
#define AGENT_EXEC_STDOUT_TRUNCATED 0x02u
#define AGENT_EXEC_STDERR_TRUNCATED 0x04u

struct agent_hdr {
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint32_t id;
    uint32_t len;
};

/* Decoded requests own their strings (one allocation each, freed by the
 * matching *_free); byte fields point into the payload they came from. */
struct agent_exec_req {
    uint32_t timeout_ms;
    uint32_t argc;
    char **argv;  /* argc entries + NULL */
    bool has_env; /* false: inherit the agent's environment */
    uint32_t envc;
    char **env;   /* envc entries + NULL, or NULL when !has_env */
    char *cwd;    /* "" means the agent's working directory */
    const uint8_t *stdin_data;
    uint32_t stdin_len;
    void *mem;
};

struct agent_path_req {
    char path[AGENT_MAX_PATH + 1];
};

struct agent_write_req {
    char path[AGENT_MAX_PATH + 1];
    uint32_t mode;
    const uint8_t *data;
    uint32_t len;
};

struct agent_stat_req {
    char path[AGENT_MAX_PATH + 1];
    bool follow;
};

struct agent_hello_reply {
    uint32_t version, max_payload, max_file, max_stdin, max_output;
    uint32_t max_argv, max_env;
    const char *agent;     /* views: NUL-free, not NUL-terminated */
    uint32_t agent_len;
    const char *transport;
    uint32_t transport_len;
};

struct agent_exec_reply {
    uint8_t signaled; /* 0: status is an exit code; 1: a signal number */
    uint8_t flags;    /* AGENT_EXEC_* */
    uint32_t status;
    uint32_t duration_ms;
    const uint8_t *out;
    uint32_t out_len;
    const uint8_t *err;
    uint32_t err_len;
};

struct agent_stat_reply {
    uint8_t type; /* enum agent_ftype */
    uint32_t mode;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t uid, gid;
};

struct agent_error_reply {
    uint32_t code;
    int32_t os_errno;
    const char *msg;
    uint32_t msg_len;
};

/* Growable output buffer; encoders append whole frames to it. A failed
 * allocation sets oom and later appends do nothing, so callers check once. */
struct agent_buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
};

void agent_buf_free(struct agent_buf *b);
void agent_buf_put(struct agent_buf *b, const void *p, size_t n);
void agent_buf_u8(struct agent_buf *b, uint8_t v);
void agent_buf_u32(struct agent_buf *b, uint32_t v);
void agent_buf_u64(struct agent_buf *b, uint64_t v);
void agent_buf_bytes(struct agent_buf *b, const void *p, uint32_t n);
void agent_buf_str(struct agent_buf *b, const char *s);
/* Start a frame (header with a placeholder length); end it once the payload
 * is appended, which fills in the length and the header checksum. */
size_t agent_frame_begin(struct agent_buf *b, uint8_t type, uint32_t id);
void agent_frame_end(struct agent_buf *b, size_t start);

/* Bounds-checked little-endian reader over one payload. Any short read
 * sets bad; decoders test it once at the end. */
struct agent_rd {
    const uint8_t *p;
    size_t n;
    bool bad;
    bool over; /* the first failure: a length within the payload but above its limit */
};

uint8_t agent_rd_u8(struct agent_rd *r);
uint32_t agent_rd_u32(struct agent_rd *r);
uint64_t agent_rd_u64(struct agent_rd *r);
/* A u32 length then that many bytes; fails (and sets over) above max. */
const uint8_t *agent_rd_bytes(struct agent_rd *r, uint32_t max, uint32_t *len);

uint32_t agent_crc32(const uint8_t *p, size_t n);
void agent_hdr_encode(uint8_t out[AGENT_HDR_SIZE], const struct agent_hdr *h);
/* Decode a complete header; false if magic or checksum is wrong. */
bool agent_hdr_decode(const uint8_t in[AGENT_HDR_SIZE], struct agent_hdr *h);

/* Request decoders: 0 or an AGENT_E_* code (MALFORMED or LIMIT). */
int agent_decode_exec(const uint8_t *p, size_t n, struct agent_exec_req *out);
void agent_exec_req_free(struct agent_exec_req *r);
int agent_decode_path(const uint8_t *p, size_t n, struct agent_path_req *out);
int agent_decode_write(const uint8_t *p, size_t n, struct agent_write_req *out);
int agent_decode_stat(const uint8_t *p, size_t n, struct agent_stat_req *out);
int agent_decode_empty(const uint8_t *p, size_t n);

/* Request encoders (for clients and tests). */
void agent_encode_exec(struct agent_buf *b, uint32_t id, const struct agent_exec_req *r);
void agent_encode_path(struct agent_buf *b, uint8_t type, uint32_t id, const char *path);
void agent_encode_write(struct agent_buf *b, uint32_t id, const struct agent_write_req *r);
void agent_encode_stat(struct agent_buf *b, uint32_t id, const struct agent_stat_req *r);
void agent_encode_empty(struct agent_buf *b, uint8_t type, uint32_t id);

/* Reply encoders and decoders (decoders return 0 or AGENT_E_MALFORMED). */
void agent_encode_hello_reply(struct agent_buf *b, uint32_t id, const struct agent_hello_reply *r);
void agent_encode_exec_reply(struct agent_buf *b, uint32_t id, const struct agent_exec_reply *r);
void agent_encode_data_reply(struct agent_buf *b, uint32_t id, const uint8_t *p, uint32_t n);
void agent_encode_stat_reply(struct agent_buf *b, uint32_t id, const struct agent_stat_reply *r);
void agent_encode_error(struct agent_buf *b, uint32_t id, uint32_t code, int32_t os_errno,
                        const char *msg);
int agent_decode_hello_reply(const uint8_t *p, size_t n, struct agent_hello_reply *out);
int agent_decode_exec_reply(const uint8_t *p, size_t n, struct agent_exec_reply *out);
int agent_decode_data_reply(const uint8_t *p, size_t n, const uint8_t **data, uint32_t *len);
int agent_decode_stat_reply(const uint8_t *p, size_t n, struct agent_stat_reply *out);
int agent_decode_error(const uint8_t *p, size_t n, struct agent_error_reply *out);

/* Frame stream: turns an arbitrary byte stream into frames and framing
 * errors, resynchronising after garbage (PROTOCOL.md, "Errors"). */
enum agent_ev { AGENT_EV_NEED_MORE, AGENT_EV_FRAME, AGENT_EV_ERROR };

struct agent_event {
    struct agent_hdr hdr;   /* FRAME; for ERROR, hdr.id names the request */
    const uint8_t *payload; /* FRAME: valid until the next agent_stream_room */
    uint32_t code;          /* ERROR: AGENT_E_* */
    uint32_t detail;        /* ERROR: offending version or length */
};

struct agent_stream {
    uint8_t *buf;
    size_t cap, start, end;
    size_t want;            /* bytes needed at start: a header, or a whole frame */
    struct agent_hdr hdr;   /* the checked header, when want covers a payload */
    uint32_t max_payload;
    uint64_t skip; /* payload bytes of a rejected frame still to discard */
    struct agent_event pending;
    bool has_pending;
    bool discarding; /* inside garbage: report it once, not per byte */
};

int agent_stream_init(struct agent_stream *s, uint32_t max_payload);
void agent_stream_free(struct agent_stream *s);
/* Forget buffered input, e.g. when a serial peer disconnects. */
void agent_stream_reset(struct agent_stream *s);
/* Writable space for the next input bytes; NULL when out of memory. */
uint8_t *agent_stream_room(struct agent_stream *s, size_t *n);
void agent_stream_commit(struct agent_stream *s, size_t n);
enum agent_ev agent_stream_next(struct agent_stream *s, struct agent_event *ev);

#endif
