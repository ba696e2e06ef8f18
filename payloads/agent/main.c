/* supermachine-agent: entry point, options, transport selection. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: supermachine-agent [--vsock-port N] [--serial-name NAME] [--no-vsock] [--no-serial]\n"
    "       supermachine-agent --stdio\n"
    "       supermachine-agent --listen-unix PATH\n"
    "Serves the supermachine-agent protocol (PROTOCOL.md). Without --stdio or\n"
    "--listen-unix it is the guest agent: vsock port 1024 and the virtio-serial\n"
    "port org.supermachine.agent, and SHUTDOWN powers the machine off.\n"
    "Test hooks: --sysfs-dir DIR, --dev-dir DIR (where virtio ports are looked\n"
    "up), --exit-on-shutdown (SHUTDOWN exits instead of powering off).\n";

/* Pipes created later must never land on 0-2, or a command's dup2 of its
 * stdio would clobber them. */
static void ensure_stdio(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
            return;
}

static int serve_stdio(void)
{
    agent_log("serving on stdin/stdout");
    agent_log("ready");
    agent_serve(STDIN_FILENO, STDOUT_FILENO, "stdio");
    return 0;
}

static int serve_unix(const char *path)
{
    int fd = agent_listen_unix(path);
    if (fd < 0) {
        agent_log("listen on %s: %s", path, strerror(-fd));
        return 1;
    }
    agent_log("listening on unix socket %s", path);
    agent_log("ready");
    return agent_supervise(fd, "unix", NULL, -1);
}

static int serve_guest(long port, const struct agent_serial_cfg *serial)
{
    int vfd = -1, sfd = -1;
    if (port >= 0) {
        vfd = agent_listen_vsock((unsigned)port);
        if (vfd < 0)
            agent_log("vsock unavailable (%s); serving on virtio-serial only", strerror(-vfd));
        else
            agent_log("listening on vsock port %ld", port);
    }
    if (serial) {
        sfd = agent_open_serial(serial->sysdir, serial->devdir, serial->name);
        if (sfd >= 0)
            agent_log("serving on virtio-serial port %s", serial->name);
    }
    if (vfd < 0 && !serial) {
        agent_log("no transport available");
        return 1;
    }
    if (vfd >= 0 || sfd >= 0)
        agent_log("ready");
    return agent_supervise(vfd, "vsock", serial, sfd);
}

int main(int argc, char **argv)
{
    ensure_stdio();
    signal(SIGPIPE, SIG_IGN);
    const char *unix_path = NULL;
    bool stdio = false, exit_on_shutdown = false, use_serial = true;
    long port = AGENT_DEFAULT_VSOCK_PORT;
    struct agent_serial_cfg serial = {"/sys/class/virtio-ports", "/dev", AGENT_DEFAULT_SERIAL_NAME};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (!strcmp(a, "--stdio"))
            stdio = true, takes = false;
        else if (!strcmp(a, "--no-vsock"))
            port = -1, takes = false;
        else if (!strcmp(a, "--no-serial"))
            use_serial = false, takes = false;
        else if (!strcmp(a, "--exit-on-shutdown"))
            exit_on_shutdown = true, takes = false;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!v)
            takes = false, a = NULL;
        else if (!strcmp(a, "--listen-unix"))
            unix_path = v;
        else if (!strcmp(a, "--vsock-port")) {
            char *end;
            port = strtol(v, &end, 10);
            if (*end || port < 0 || port > 0xFFFFFFFFL)
                a = NULL;
        } else if (!strcmp(a, "--serial-name"))
            serial.name = v;
        else if (!strcmp(a, "--sysfs-dir"))
            serial.sysdir = v;
        else if (!strcmp(a, "--dev-dir"))
            serial.devdir = v;
        else
            a = NULL;
        if (!a) {
            fputs(usage, stderr);
            return 2;
        }
        i += takes;
    }
    if (agent_sigchld_init() < 0) {
        agent_log("cannot set up SIGCHLD handling: %s", strerror(errno));
        return 1;
    }
    agent_opts.poweroff = !stdio && !unix_path && !exit_on_shutdown;
    if (stdio)
        return serve_stdio();
    if (unix_path)
        return serve_unix(unix_path);
    return serve_guest(port, use_serial ? &serial : NULL);
}
