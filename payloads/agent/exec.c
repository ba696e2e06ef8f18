/* EXEC: fork/exec with pipes, feed stdin, capture output with limits,
 * enforce the timeout on the whole process group. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Once the command itself has exited, descendants it left behind may still
 * hold its stdout/stderr open; wait this long for them, then return. */
#define GRACE_MS 200
#define CHUNK 65536
/* Error messages name argv[0] or the cwd whole up to the path limit; a
 * longer argv[0] cannot name a program anyway (ENAMETOOLONG). */
#define NAME_IN_MSG ((int)AGENT_MAX_PATH)

enum { STAGE_SETUP = 1, STAGE_CHDIR, STAGE_EXEC };

/* What the child reports through a close-on-exec pipe when it cannot
 * exec; a successful exec closes the pipe with nothing written. */
struct child_error {
    int stage;
    int err;
};

static _Noreturn void child_fail(int fd, int stage, int err)
{
    struct child_error ce = {stage, err};
    ssize_t w = write(fd, &ce, sizeof ce);
    (void)w;
    _exit(127);
}

static const char *path_of(char *const *envp)
{
    for (; envp && *envp; envp++)
        if (strncmp(*envp, "PATH=", 5) == 0)
            return *envp + 5;
    return AGENT_DEFAULT_PATH;
}

/* execvpe, except that PATH comes from the command's environment (glibc
 * takes it from the caller's) and there is no /bin/sh retry on ENOEXEC. */
static _Noreturn void exec_search(char *const *argv, char *const *envp, int status_fd)
{
    const char *file = argv[0];
    /* As execvp: an empty name is no file... */
    if (!*file)
        child_fail(status_fd, STAGE_EXEC, ENOENT);
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        child_fail(status_fd, STAGE_EXEC, errno);
    }
    /* ...and a name no directory entry can have is not searched for. */
    if (strlen(file) > NAME_MAX)
        child_fail(status_fd, STAGE_EXEC, ENAMETOOLONG);
    char buf[PATH_MAX];
    size_t flen = strlen(file);
    bool eacces = false;
    for (const char *d = path_of(envp);; d++) {
        const char *e = strchrnul(d, ':');
        size_t dlen = (size_t)(e - d);
        if (dlen + flen + 2 <= sizeof buf) {
            memcpy(buf, d, dlen);
            buf[dlen] = '/';
            memcpy(buf + dlen + 1, file, flen + 1);
            /* An empty PATH entry means the working directory. */
            execve(dlen ? buf : file, argv, envp);
            switch (errno) {
            case EACCES:
                eacces = true;
                break;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ENODEV:
            case ETIMEDOUT:
                break;
            default:
                child_fail(status_fd, STAGE_EXEC, errno);
            }
        }
        if (!*e)
            break;
        d = e;
    }
    child_fail(status_fd, STAGE_EXEC, eacces ? EACCES : ENOENT);
}

static _Noreturn void child(const struct agent_exec_req *req, char *const *envp, int in, int out,
                            int err, int status_fd)
{
    /* Own process group, so a timeout can kill everything it started. */
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        child_fail(status_fd, STAGE_SETUP, errno);
    if (req->cwd && req->cwd[0] && chdir(req->cwd) < 0)
        child_fail(status_fd, STAGE_CHDIR, errno);
    exec_search(req->argv, envp, status_fd);
}

struct sink {
    int fd;
    uint8_t *buf;
    size_t len, cap;
    bool truncated;
};

/* Read what is there; beyond the limit keep reading but discard, so the
 * command never blocks on a full pipe. */
static void sink_read(struct sink *s)
{
    uint8_t scratch[4096];
    uint8_t *dst = scratch;
    size_t room = sizeof scratch;
    if (s->len < AGENT_MAX_OUTPUT) {
        if (s->cap - s->len < CHUNK && s->cap < AGENT_MAX_OUTPUT) {
            size_t cap = s->cap ? s->cap * 2 : CHUNK;
            if (cap > AGENT_MAX_OUTPUT)
                cap = AGENT_MAX_OUTPUT;
            uint8_t *nb = realloc(s->buf, cap);
            if (nb) {
                s->buf = nb;
                s->cap = cap;
            }
        }
        if (s->cap > s->len) {
            dst = s->buf + s->len;
            room = s->cap - s->len;
        }
    }
    ssize_t n = read(s->fd, dst, room);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        return;
    }
    if (dst == scratch)
        s->truncated = true;
    else
        s->len += (size_t)n;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static const char *stage_name(int stage)
{
    return stage == STAGE_CHDIR ? "chdir" : stage == STAGE_EXEC ? "exec" : "spawn";
}

/* Feed stdin, drain stdout/stderr, reap, enforce the deadline. */
static void pump(const struct agent_exec_req *req, pid_t pid, int in, struct sink o[2],
                 uint64_t t0, struct agent_exec_reply *rep)
{
    uint64_t deadline = req->timeout_ms ? t0 + req->timeout_ms : 0;
    uint64_t reaped_at = 0;
    size_t in_off = 0;
    int wstatus = 0;
    bool reaped = false;
    if (req->stdin_len == 0)
        close_fd(&in);
    for (;;) {
        uint64_t now = agent_now_ms();
        if (!reaped && waitpid(pid, &wstatus, WNOHANG) == pid) {
            reaped = true;
            reaped_at = now;
            rep->duration_ms = (uint32_t)(now - t0);
            close_fd(&in);
        }
        if (reaped && ((o[0].fd < 0 && o[1].fd < 0) || now >= reaped_at + GRACE_MS))
            break;
        if (!reaped && deadline && now >= deadline && !(rep->flags & AGENT_EXEC_TIMED_OUT)) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL); /* in case setpgid lost a race with exec */
            rep->flags |= AGENT_EXEC_TIMED_OUT;
        }
        int wait_ms = -1;
        if (reaped)
            wait_ms = (int)(reaped_at + GRACE_MS - now);
        else if (deadline && !(rep->flags & AGENT_EXEC_TIMED_OUT))
            wait_ms = deadline - now > 3600000u ? 3600000 : (int)(deadline - now); /* fits an int */

        struct pollfd pf[4] = {
            {.fd = agent_sigchld_fd(), .events = POLLIN},
            {.fd = in, .events = POLLOUT},
            {.fd = o[0].fd, .events = POLLIN},
            {.fd = o[1].fd, .events = POLLIN},
        };
        if (poll(pf, 4, wait_ms) < 0)
            continue;
        if (pf[0].revents)
            agent_sigchld_drain();
        if (in >= 0 && pf[1].revents) {
            size_t left = req->stdin_len - in_off;
            ssize_t w = write(in, req->stdin_data + in_off, left < CHUNK ? left : CHUNK);
            if (w > 0)
                in_off += (size_t)w;
            /* EPIPE: the command does not want the rest of its input. */
            if (in_off == req->stdin_len || (w < 0 && errno != EAGAIN && errno != EINTR))
                close_fd(&in);
        }
        for (int i = 0; i < 2; i++)
            if (o[i].fd >= 0 && pf[2 + i].revents)
                sink_read(&o[i]);
    }
    close_fd(&in);
    if (WIFSIGNALED(wstatus)) {
        rep->signaled = 1;
        rep->status = (uint32_t)WTERMSIG(wstatus);
    } else {
        rep->status = (uint32_t)WEXITSTATUS(wstatus);
    }
}

int agent_exec(const struct agent_exec_req *req, struct agent_exec_result *res, char *msg,
               size_t msglen)
{
    *res = (struct agent_exec_result){0};
    int p[4][2] = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}}; /* stdin, stdout, stderr, status */
    int rc = 0;
    for (int i = 0; i < 4 && !rc; i++)
        if (pipe2(p[i], O_CLOEXEC) < 0)
            rc = -errno;
    pid_t pid = -1;
    if (!rc && (pid = fork()) < 0)
        rc = -errno;
    if (rc) {
        snprintf(msg, msglen, "spawn %.*s: %s", NAME_IN_MSG, req->argv[0], strerror(-rc));
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 2; k++)
                close_fd(&p[i][k]);
        return rc;
    }
    uint64_t t0 = agent_now_ms();
    if (pid == 0)
        child(req, req->has_env ? req->env : environ, p[0][0], p[1][1], p[2][1], p[3][1]);
    setpgid(pid, pid);
    close_fd(&p[0][0]);
    close_fd(&p[1][1]);
    close_fd(&p[2][1]);
    close_fd(&p[3][1]);

    struct child_error ce;
    ssize_t n;
    do
        n = read(p[3][0], &ce, sizeof ce);
    while (n < 0 && errno == EINTR);
    close_fd(&p[3][0]);
    if (n == (ssize_t)sizeof ce) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 2; k++)
                close_fd(&p[i][k]);
        snprintf(msg, msglen, "%s %.*s: %s", stage_name(ce.stage), NAME_IN_MSG,
                 ce.stage == STAGE_CHDIR ? req->cwd : req->argv[0], strerror(ce.err));
        return -ce.err;
    }

    set_nonblock(p[0][1]);
    set_nonblock(p[1][0]);
    set_nonblock(p[2][0]);
    struct sink o[2] = {{.fd = p[1][0]}, {.fd = p[2][0]}};
    pump(req, pid, p[0][1], o, t0, &res->reply);
    for (int i = 0; i < 2; i++) {
        close_fd(&o[i].fd);
        if (o[i].truncated)
            res->reply.flags |= i ? AGENT_EXEC_STDERR_TRUNCATED : AGENT_EXEC_STDOUT_TRUNCATED;
    }
    res->out = o[0].buf;
    res->err = o[1].buf;
    res->reply.out = o[0].buf;
    res->reply.out_len = (uint32_t)o[0].len;
    res->reply.err = o[1].buf;
    res->reply.err_len = (uint32_t)o[1].len;
    return 0;
}

void agent_exec_result_free(struct agent_exec_result *res)
{
    free(res->out);
    free(res->err);
    *res = (struct agent_exec_result){0};
}
