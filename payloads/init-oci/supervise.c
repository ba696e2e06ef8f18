/* See supervise.h. */
#include "supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "console.h"
#include "shutdown.h"
#include "spawn.h"

static void handled_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
}

void supervise_block_signals(void)
{
    sigset_t set;
    handled_signals(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

unsigned agent_restart_delay_ms(unsigned previous_ms, long ran_ms)
{
    if (previous_ms == 0 || ran_ms >= AGENT_STABLE_MS)
        return AGENT_RESTART_FIRST_MS;
    if (previous_ms >= AGENT_RESTART_MAX_MS / 2)
        return AGENT_RESTART_MAX_MS;
    return previous_ms * 2;
}

void exit_line_format(int wait_status, char *buf, size_t len)
{
    if (WIFSIGNALED(wait_status))
        snprintf(buf, len, "SUPERMACHINE_EXIT signal=%d", WTERMSIG(wait_status));
    else
        snprintf(buf, len, "SUPERMACHINE_EXIT code=%d", WEXITSTATUS(wait_status));
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

struct agent_state {
    const char *path;
    pid_t pid;        /* -1 while waiting to restart */
    long started_ms;
    long restart_ms;  /* when to restart it */
    unsigned delay_ms;
};

static void agent_start(struct agent_state *a)
{
    a->started_ms = now_ms();
    a->pid = spawn_agent(a->path);
    if (a->pid < 0) {
        a->delay_ms = agent_restart_delay_ms(a->delay_ms, 0);
        a->restart_ms = a->started_ms + a->delay_ms;
        console_warn("fork agent: %s; retrying in %u ms", strerror(errno), a->delay_ms);
        return;
    }
    console_debug("agent started, pid %d", (int)a->pid);
}

static void agent_died(struct agent_state *a, int status)
{
    long now = now_ms();
    a->delay_ms = agent_restart_delay_ms(a->delay_ms, now - a->started_ms);
    a->restart_ms = now + a->delay_ms;
    a->pid = -1;
    if (WIFSIGNALED(status))
        console_warn("agent killed by signal %d; restarting in %u ms",
                     WTERMSIG(status), a->delay_ms);
    else
        console_warn("agent exited with code %d; restarting in %u ms",
                     WEXITSTATUS(status), a->delay_ms);
}

int supervise(const struct image_config *cfg, const char *agent_path)
{
    struct agent_state agent = {.path = agent_path, .pid = -1};
    if (agent_path != NULL)
        agent_start(&agent);

    char err[1100];
    pid_t entry = spawn_entrypoint(cfg, err, sizeof err);
    if (entry < 0)
        shutdown_fatal("%s", err);
    console_debug("entrypoint %s started, pid %d", cfg->argv[0], (int)entry);

    sigset_t set;
    handled_signals(&set);
    for (;;) {
        /* Reap everything: our children and every orphan re-parented to
         * PID 1, which would otherwise stay zombies. */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == entry)
                return status;
            if (pid == agent.pid)
                agent_died(&agent, status);
        }
        long now = now_ms();
        if (agent_path != NULL && agent.pid < 0 && now >= agent.restart_ms) {
            agent_start(&agent);
            continue;
        }
        /* SIGCHLD is blocked, so one that arrived after the waitpid loop is
         * still pending and ends this wait at once: no lost wake-up. */
        siginfo_t info;
        int sig;
        if (agent_path != NULL && agent.pid < 0) {
            long ms = agent.restart_ms - now;
            struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
            sig = sigtimedwait(&set, &info, &ts);
        } else {
            sig = sigwaitinfo(&set, &info);
        }
        if (sig == SIGTERM || sig == SIGINT) {
            console_debug("forwarding signal %d to the entrypoint", sig);
            kill(entry, sig);
        }
    }
}
