/* supermachine-agent internals shared by the I/O side of the agent. */
#ifndef SMK_AGENT_H
#define SMK_AGENT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "proto.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENT_NAME "supermachine-agent"
/* The agent's own release, reported by HELLO; independent of the library
 * version so that a library release does not change the payload bytes. */
#define AGENT_RELEASE "1.0"
#define AGENT_DEFAULT_VSOCK_PORT 1024u
#define AGENT_DEFAULT_SERIAL_NAME "org.supermachine.agent"
#define AGENT_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* A connection handler exits with this after SHUTDOWN in host test mode,
 * telling its parent to stop too. */
#define AGENT_EXIT_SHUTDOWN 3

/* Process-wide settings fixed at startup. */
struct agent_opts {
    bool poweroff; /* SHUTDOWN powers the machine off (guest) or exits (host tests) */
};
extern struct agent_opts agent_opts;

void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SIGCHLD wakes poll() through a self-pipe. Every process that forks
 * (after its own fork, too) calls agent_sigchld_init to get a fresh pipe. */
int agent_sigchld_init(void);
int agent_sigchld_fd(void);
void agent_sigchld_drain(void);

int agent_write_all(int fd, const void *p, size_t n);
uint64_t agent_now_ms(void);
void agent_sleep_ms(unsigned ms);

struct agent_exec_result {
    struct agent_exec_reply reply;
    uint8_t *out, *err; /* owned; reply.out/err point here */
    bool abandoned;     /* the client went away meanwhile: send no reply */
};
/* Run one command for the client on conn (read fd, write fd), which is
 * watched for the client going away. 0 with *res filled, or -errno with msg
 * describing the step that failed (spawn, chdir, exec). */
int agent_exec(const struct agent_exec_req *req, const int conn[2], struct agent_exec_result *res,
               char *msg, size_t msglen);
void agent_exec_result_free(struct agent_exec_result *res);

/* File requests: 0 or -errno, with msg set on failure. read_file returns
 * -EFBIG for files above AGENT_MAX_FILE. */
int agent_write_file(const struct agent_write_req *req, char *msg, size_t msglen);
int agent_read_file(const char *path, uint8_t **data, uint32_t *len, char *msg, size_t msglen);
int agent_stat(const struct agent_stat_req *req, struct agent_stat_reply *out, char *msg,
               size_t msglen);

enum agent_conn_end { AGENT_CONN_EOF, AGENT_CONN_ERROR, AGENT_CONN_SHUTDOWN };
/* Serve requests on one byte stream until EOF, an I/O error or SHUTDOWN. */
enum agent_conn_end agent_serve(int rfd, int wfd, const char *transport);
/* Act on SHUTDOWN once its reply is sent; returns only if powering off
 * failed (guest) -- in host test mode the caller exits. */
void agent_shutdown(void);

/* Transports. */
int agent_listen_vsock(unsigned port);
int agent_listen_unix(const char *path);
/* Find the virtio-serial port by name under sysdir (/sys/class/virtio-ports)
 * and open its node in devdir (/dev). -errno when absent. */
int agent_open_serial(const char *sysdir, const char *devdir, const char *name);

struct agent_serial_cfg {
    const char *sysdir, *devdir, *name;
};
/* Serve connections accepted on listen_fd (-1: none), each in a child
 * process, and supervise the serial server (serial == NULL: none). Returns
 * the process exit status. */
int agent_supervise(int listen_fd, const char *transport, const struct agent_serial_cfg *serial,
                    int serial_fd);

#endif
