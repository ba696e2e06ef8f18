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
#include "poweroff.h"

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
    /* RB_POWER_OFF, or on x86_64 without ACPI S5 a restart, which the VMM
     * takes as the guest stopping: poweroff.h says why. */
    int cmd = poweroff_reboot_cmd();
    if (cmd != RB_POWER_OFF)
        console_debug("no ACPI power-off (S5) on this machine: ending the VM with a restart");
    reboot(cmd);
    /* reboot() returns only when the kernel refuses the call (no
     * CAP_SYS_BOOT). A machine without a power-off method never gets here:
     * the kernel halts it instead. Halt as well, and never return, which
     * would panic the kernel. */
    console_warn(cmd == RB_POWER_OFF ? "power off failed: %s; halting"
                                     : "restart failed: %s; halting",
                 strerror(errno));
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
