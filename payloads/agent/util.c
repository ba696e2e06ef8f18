/* Logging, the SIGCHLD self-pipe and small I/O helpers. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct agent_opts agent_opts;

/* One write() per line, so lines from the agent's processes never
 * interleave on the console. */
void agent_log(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s: ", AGENT_NAME);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    int saved = errno;
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    errno = saved;
}

static int sigchld_pipe[2] = {-1, -1};

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t w = write(sigchld_pipe[1], "c", 1);
    (void)w;
    errno = saved;
}

int agent_sigchld_init(void)
{
    for (int i = 0; i < 2; i++) {
        if (sigchld_pipe[i] >= 0)
            close(sigchld_pipe[i]);
        sigchld_pipe[i] = -1;
    }
    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0)
        return -errno;
    return 0;
}

int agent_sigchld_fd(void)
{
    return sigchld_pipe[0];
}

void agent_sigchld_drain(void)
{
    char b[64];
    while (read(sigchld_pipe[0], b, sizeof b) > 0) {
    }
}

int agent_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        if (w == 0)
            return -EIO;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

uint64_t agent_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void agent_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}
