/* The long-running side: a child process per accepted connection, and a
 * serial server child that is restarted if it dies. */
#include "agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CONNS 16
/* virtio-serial reads return 0 at once while no host is connected. */
#define SERIAL_IDLE_MS 100
#define SERIAL_RETRY_MS 1000

static pid_t conns[MAX_CONNS];
static int nconns;
static pid_t serial_pid = -1;

/* Children die with the supervisor, so a restarted agent never finds the
 * serial port still held by an orphan. */
static pid_t fork_worker(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent || agent_sigchld_init() < 0)
            _exit(1);
    }
    return pid;
}

static _Noreturn void after_shutdown(void)
{
    agent_shutdown();
    _exit(agent_opts.poweroff ? 0 : AGENT_EXIT_SHUTDOWN);
}

/* The host side of the port closed: what it sent that the agent has not read
 * belongs to the session that ended, so drop it. virtio-serial still hands
 * out buffered bytes while the host is away (POLLHUP with POLLIN, read 0 once
 * none is left); stop as soon as POLLHUP clears: a host is back, and what
 * follows is its new session. */
static void discard_session_input(int fd)
{
    char buf[4096];
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    while (poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP) && (pf.revents & POLLIN) &&
           read(fd, buf, sizeof buf) > 0) {
    }
}

static _Noreturn void serial_worker(const struct agent_serial_cfg *cfg, int fd, bool announce)
{
    bool waiting_logged = false;
    for (;;) {
        if (fd < 0) {
            fd = agent_open_serial(cfg->sysdir, cfg->devdir, cfg->name);
            if (fd < 0) {
                if (!waiting_logged)
                    agent_log("waiting for virtio-serial port %s: %s", cfg->name, strerror(-fd));
                waiting_logged = true;
                agent_sleep_ms(SERIAL_RETRY_MS);
                continue;
            }
            agent_log("serving on virtio-serial port %s", cfg->name);
            if (announce)
                agent_log("ready");
            announce = waiting_logged = false;
        }
        enum agent_conn_end end = agent_serve(fd, fd, "serial");
        if (end == AGENT_CONN_SHUTDOWN)
            after_shutdown();
        if (end == AGENT_CONN_EOF) {
            discard_session_input(fd);
            agent_sleep_ms(SERIAL_IDLE_MS);
            continue;
        }
        agent_log("virtio-serial port %s: %s; reopening", cfg->name, strerror(errno));
        close(fd);
        fd = -1;
        agent_sleep_ms(SERIAL_IDLE_MS);
    }
}

static void start_serial(const struct agent_serial_cfg *cfg, int fd, bool announce)
{
    serial_pid = fork_worker();
    if (serial_pid == 0)
        serial_worker(cfg, fd, announce);
    if (serial_pid < 0)
        agent_log("fork: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
}

static void start_conn(int cfd, int listen_fd, const char *transport)
{
    pid_t pid = fork_worker();
    if (pid == 0) {
        close(listen_fd);
        if (agent_serve(cfd, cfd, transport) == AGENT_CONN_SHUTDOWN)
            after_shutdown();
        _exit(0);
    }
    if (pid < 0)
        agent_log("fork: %s", strerror(errno));
    else
        conns[nconns++] = pid;
    close(cfd);
}

/* Returns true once a worker has reported SHUTDOWN in host test mode. */
static bool reap(uint64_t *serial_restart_at)
{
    bool stop = false;
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == AGENT_EXIT_SHUTDOWN)
            stop = true;
        if (pid == serial_pid) {
            serial_pid = -1;
            if (!stop)
                agent_log("serial server ended (status 0x%x); restarting", st);
            *serial_restart_at = agent_now_ms() + SERIAL_RETRY_MS;
            continue;
        }
        for (int i = 0; i < nconns; i++)
            if (conns[i] == pid)
                conns[i] = conns[--nconns];
        if (WIFSIGNALED(st))
            agent_log("connection handler killed by signal %d", WTERMSIG(st));
    }
    return stop;
}

int agent_supervise(int listen_fd, const char *transport, const struct agent_serial_cfg *serial,
                    int serial_fd)
{
    uint64_t serial_restart_at = 0;
    if (serial)
        start_serial(serial, serial_fd, listen_fd < 0 && serial_fd < 0);
    for (;;) {
        if (reap(&serial_restart_at))
            break;
        uint64_t now = agent_now_ms();
        int wait_ms = -1;
        if (serial && serial_pid < 0 && now >= serial_restart_at) {
            start_serial(serial, -1, false);
            serial_restart_at = now + SERIAL_RETRY_MS;
        }
        if (serial && serial_pid < 0)
            wait_ms = (int)(serial_restart_at - now);
        struct pollfd pf[2] = {
            {.fd = agent_sigchld_fd(), .events = POLLIN},
            {.fd = nconns < MAX_CONNS ? listen_fd : -1, .events = POLLIN},
        };
        if (poll(pf, 2, wait_ms) < 0)
            continue;
        if (pf[0].revents)
            agent_sigchld_drain();
        if (pf[1].revents) {
            int cfd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (cfd >= 0) {
                start_conn(cfd, listen_fd, transport);
            } else if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
                agent_log("accept: %s", strerror(errno));
                agent_sleep_ms(SERIAL_IDLE_MS); /* do not spin on a full fd table */
            }
        }
    }
    agent_log("shutdown requested; exiting");
    for (int i = 0; i < nconns; i++)
        kill(conns[i], SIGTERM);
    if (serial_pid > 0)
        kill(serial_pid, SIGTERM);
    return 0;
}
