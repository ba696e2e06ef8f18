/* init-oci: PID 1 of the supermachine guest. Boot sequence:
 *   early mounts -> kernel cmdline -> image config -> network (lo, smk.ip
 *   interfaces, route, host name) -> overlay root with the agent -> switch
 *   root -> /etc/hostname, hosts, resolv.conf -> agent + entrypoint ->
 *   exit line -> power off.
 * Every failure ends in one SUPERMACHINE_ERROR line and a power-off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "console.h"
#include "etcfiles.h"
#include "image_config.h"
#include "mounts.h"
#include "netif.h"
#include "newroot.h"
#include "shutdown.h"
#include "supervise.h"

/* --check-config: parse a config on any machine and show what would run. */
static int check_config(const char *path)
{
    struct image_config cfg;
    char err[1024];
    if (image_config_load(&cfg, path, err, sizeof err) != 0) {
        fprintf(stderr, "init-oci: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < cfg.argc; i++)
        printf("argv[%zu]=%s\n", i, cfg.argv[i]);
    for (size_t i = 0; i < cfg.envc; i++)
        printf("env[%zu]=%s\n", i, cfg.env[i]);
    printf("workdir=%s\nuser=%u:%u\n", cfg.workdir, (unsigned)cfg.uid,
           (unsigned)cfg.gid);
    if (cfg.hostname[0] != '\0')
        printf("hostname=%s\n", cfg.hostname);
    image_config_free(&cfg);
    return 0;
}

static void read_boot_params(struct boot_params *bp)
{
    char cmdline[4096], err[512], warn[512];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        shutdown_fatal("open /proc/cmdline: %s", strerror(errno));
    ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
    if (n < 0)
        shutdown_fatal("read /proc/cmdline: %s", strerror(errno));
    close(fd);
    cmdline[n] = '\0';
    if (boot_params_parse(bp, cmdline, warn, sizeof warn, err, sizeof err) != 0)
        shutdown_fatal("%s", err);
    if (warn[0] != '\0')
        console_warn("%s", warn);
    console_debug_enabled = bp->debug;
}

static _Noreturn void run_as_pid1(void)
{
    supervise_block_signals();
    /* Ctrl-Alt-Del then sends SIGINT to PID 1 (forwarded to the
     * entrypoint) instead of an immediate reboot. */
    reboot(RB_DISABLE_CAD);
    umask(022);
    setsid();

    mounts_early();
    struct boot_params bp;
    read_boot_params(&bp);

    /* Read before building the root, so a bad config fails fast; its path
     * is in the initramfs. */
    struct image_config cfg;
    char err[1024];
    if (image_config_load(&cfg, bp.config, err, sizeof err) != 0)
        shutdown_fatal("%s", err);

    /* Before the new root: a missing interface fails before any mount. */
    struct netconf_plan net;
    net_setup(&bp.net, cfg.hostname, &net);

    int agent_installed = newroot_enter(&bp);
    /* Into the overlay, so into its tmpfs upper layer. */
    if (etc_files_write("/", &net, err, sizeof err) != 0)
        shutdown_fatal("%s", err);
    /* Docker creates a missing WorkingDir too; it lands in the upper layer. */
    if (mkdir_p(cfg.workdir, 0755) != 0)
        shutdown_fatal("create WorkingDir %s: %s", cfg.workdir, strerror(errno));

    const char *agent = NEWROOT_AGENT;
    if (access(agent, X_OK) != 0) {
        console_warn("%s %s: %s; running without an agent", agent,
                     agent_installed ? "(copied from the initramfs)"
                                     : "(not in the initramfs, nor in the image)",
                     strerror(errno));
        agent = NULL;
    } else if (!agent_installed) {
        console_warn("%s not in the initramfs; starting the image's own", agent);
    }
    int status = supervise(&cfg, agent);

    char line[64];
    exit_line_format(status, line, sizeof line);
    console_line("%s", line);
    shutdown_power_off();
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--check-config") == 0)
        return check_config(argv[2]);
    if (argc > 1 && strcmp(argv[1], "--check-config") == 0) {
        fprintf(stderr, "usage: init-oci --check-config FILE\n");
        return 2;
    }
    if (getpid() != 1) {
        fprintf(stderr, "init-oci: refusing to run: this is the guest's PID 1 "
                "(running as PID %d); use --check-config FILE to test a config\n",
                (int)getpid());
        return 2;
    }
    run_as_pid1();
}
