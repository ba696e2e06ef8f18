/* Stopping everything and powering off; see shutdown.h. */
#include "shutdown.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

/* Grace period after SIGTERM, then after SIGKILL. Short: the VM is about
 * to disappear, and the host is waiting for the power-off. */
#define TERM_GRACE_MS 1000
#define KILL_GRACE_MS 1000

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reaps until no child is left or the deadline passes. Every user process
 * ends up as our child (orphans are re-parented to PID 1), so ECHILD means
 * nothing is left running. */
static void reap_until_none(long grace_ms)
{
    long deadline = now_ms() + grace_ms;
    for (;;) {
        pid_t pid;
        while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
            ;
        if (pid < 0 && errno == ECHILD)
            return;
        if (now_ms() >= deadline)
            return;
        struct timespec tick = {0, 10 * 1000000L};
        nanosleep(&tick, NULL);
    }
}

_Noreturn void shutdown_power_off(void)
{
    /* Anywhere but in the guest (a host test gone wrong), kill(-1) would
     * take down the caller's whole session: exit instead. */
    if (getpid() != 1) {
        console_warn("not PID 1: exiting instead of powering off");
        _exit(1);
    }
    /* kill(-1) reaches every process but the caller, i.e. all but PID 1. */
    if (kill(-1, SIGTERM) == 0)
        reap_until_none(TERM_GRACE_MS);
    if (kill(-1, SIGKILL) == 0)
        reap_until_none(KILL_GRACE_MS);
    sync();
    reboot(RB_POWER_OFF);
    /* Only reached without a power-off method (no PSCI): halt instead, and
     * never return, which would panic the kernel. */
    console_warn("power off failed: %s; halting", strerror(errno));
    reboot(RB_HALT_SYSTEM);
    for (;;)
        pause();
}

_Noreturn void shutdown_fatal(const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* console_line() replaces control characters: the error stays one
     * line even when it quotes a config string with an escaped newline. */
    console_open(); /* the error may come before /dev is mounted */
    console_line("SUPERMACHINE_ERROR %s", msg);
    shutdown_power_off();
}
