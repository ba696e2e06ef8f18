/* EXEC: fork/exec with pipes, feed stdin, capture output with limits,
 * stop the command at its deadline or when the client goes away, and kill
 * whatever it leaves behind. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Once the command itself has exited, background jobs it left may still be
 * writing to its stdout/stderr; read them this long at most, then kill
 * whatever is left. */
#define OUTPUT_GRACE_MS 200
/* Stopping a command: SIGTERM, so it can clean up, then SIGKILL if it is
 * still running this much later. */
#define KILL_GRACE_MS 1000
/* Giving up on finding leftovers: this many 10 ms rounds seeing none while
 * waitpid still reports children (they cannot be seen: no usable /proc). */
#define BLIND_ROUNDS 100
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
    /* Own process group, so that stopping the command signals all of it at
     * once (what leaves the group is found as the agent's children). */
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

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Read what is there, up to the limit. Past it the agent closes its end of
 * the pipe: the command gets EPIPE/SIGPIPE, as when piped into `head -c`,
 * rather than blocking on a full pipe or running on to produce output that
 * would only be thrown away. (Out of memory below the limit ends the same
 * way: the buffer is then full early.) */
static void sink_read(struct sink *s)
{
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
    /* Full: one byte more tells output past the limit from EOF at it. */
    uint8_t spill;
    bool full = s->len == s->cap;
    ssize_t n = read(s->fd, full ? &spill : s->buf + s->len, full ? 1 : s->cap - s->len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0 && !full) {
        s->len += (size_t)n;
        return;
    }
    s->truncated = n > 0;
    close_fd(&s->fd);
}

/* Send sig to every child of the agent. The agent is a child subreaper, so
 * a descendant whose parent died is its child, whatever process group or
 * session it moved to: this reaches daemons that a group kill misses. A pid
 * read here cannot be reused before the agent reaps it. Returns how many
 * were signalled, or -1 if /proc cannot be read. */
static int signal_children(int sig)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    long self = (long)getpid();
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[300], buf[128];
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        /* "pid (comm) state ppid ...": comm may contain spaces and ')'. */
        char *p = strrchr(buf, ')');
        long ppid;
        if (p && sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == self) {
            kill((pid_t)atol(e->d_name), sig);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Signal the command: its process group and every child of the agent (the
 * command itself, and descendants already reparented here). Only while the
 * command is unreaped, so that its group id cannot have been reused. */
static void signal_command(pid_t pid, int sig)
{
    kill(-pid, sig);
    signal_children(sig);
}

/* Kill and reap everything the command left behind. The children of a
 * killed process are reparented to the agent in turn, so repeat until
 * waitpid reports none. */
static void kill_leftovers(void)
{
    for (int blind = 0; blind < BLIND_ROUNDS;) {
        int n = signal_children(SIGKILL);
        pid_t r;
        while ((r = waitpid(-1, NULL, WNOHANG)) > 0) {
        }
        if (r < 0 || n < 0) /* none left (ECHILD), or no way to see them */
            return;
        blind = n ? 0 : blind + 1;
        struct pollfd pf = {.fd = agent_sigchld_fd(), .events = POLLIN};
        poll(&pf, 1, 10);
        agent_sigchld_drain();
    }
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static const char *stage_name(int stage)
{
    return stage == STAGE_CHDIR ? "chdir" : stage == STAGE_EXEC ? "exec" : "spawn";
}

/* Feed stdin, drain stdout/stderr, reap. At the deadline, or once the
 * client is gone (its connection conn[0]/conn[1] reports a hangup or the end
 * of its input), stop the command: SIGTERM, then SIGKILL after the grace. */
static void pump(const struct agent_exec_req *req, pid_t pid, int in, struct sink o[2],
                 uint64_t t0, const int conn[2], struct agent_exec_result *res)
{
    struct agent_exec_reply *rep = &res->reply;
    uint64_t deadline = req->timeout_ms ? t0 + req->timeout_ms : 0;
    uint64_t reaped_at = 0, kill_at = 0; /* kill_at: SIGTERM sent, SIGKILL due then */
    size_t in_off = 0;
    int wstatus = 0;
    bool reaped = false, killed = false;
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
        /* Nobody will read the output of an abandoned command. */
        if (reaped && ((o[0].fd < 0 && o[1].fd < 0) || res->abandoned ||
                       now >= reaped_at + OUTPUT_GRACE_MS))
            break;
        if (!reaped && !kill_at && (res->abandoned || (deadline && now >= deadline))) {
            if (!res->abandoned)
                rep->flags |= AGENT_EXEC_TIMED_OUT;
            signal_command(pid, SIGTERM);
            kill_at = now + KILL_GRACE_MS;
        }
        if (!reaped && kill_at && !killed && now >= kill_at) {
            signal_command(pid, SIGKILL);
            killed = true;
        }
        uint64_t wake = reaped ? reaped_at + OUTPUT_GRACE_MS : kill_at ? (killed ? 0 : kill_at)
                                                                       : deadline;
        int wait_ms = -1;
        if (wake)
            wait_ms = wake - now > 3600000u ? 3600000 : (int)(wake - now); /* fits an int */

        /* POLLRDHUP: a socket peer that closed or shut down its sending
         * side; POLLHUP: a pipe's writer gone, a virtio-serial host side
         * closed; POLLERR: a pipe's reader gone (wfd, when not rfd). */
        bool watch = !res->abandoned;
        struct pollfd pf[6] = {
            {.fd = agent_sigchld_fd(), .events = POLLIN},
            {.fd = in, .events = POLLOUT},
            {.fd = o[0].fd, .events = POLLIN},
            {.fd = o[1].fd, .events = POLLIN},
            {.fd = watch ? conn[0] : -1, .events = POLLRDHUP},
            {.fd = watch && conn[1] != conn[0] ? conn[1] : -1, .events = 0},
        };
        if (poll(pf, 6, wait_ms) < 0)
            continue;
        if ((pf[4].revents | pf[5].revents) & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL))
            res->abandoned = true;
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
    kill_leftovers();
    if (WIFSIGNALED(wstatus)) {
        rep->signaled = 1;
        rep->status = (uint32_t)WTERMSIG(wstatus);
    } else {
        rep->status = (uint32_t)WEXITSTATUS(wstatus);
    }
}

int agent_exec(const struct agent_exec_req *req, const int conn[2], struct agent_exec_result *res,
               char *msg, size_t msglen)
{
    *res = (struct agent_exec_result){0};
    /* Orphans of the command become the agent's children, so that
     * kill_leftovers finds them wherever they moved (no cgroups here). Not
     * inherited by the command itself. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
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
    pump(req, pid, p[0][1], o, t0, conn, res);
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
