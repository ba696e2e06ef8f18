/* See spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int exec_search(const char *file, char *const argv[], char *const envp[],
                const char *path, char *tried, size_t triedlen)
{
    snprintf(tried, triedlen, "%s", file);
    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        return errno;
    }
    int seen_eacces = 0;
    char candidate[PATH_MAX];
    const char *dir = path;
    for (;;) {
        const char *colon = strchr(dir, ':');
        size_t dlen = colon != NULL ? (size_t)(colon - dir) : strlen(dir);
        int n = dlen == 0
            ? snprintf(candidate, sizeof candidate, "%s", file)
            : snprintf(candidate, sizeof candidate, "%.*s/%s", (int)dlen, dir, file);
        if (n > 0 && (size_t)n < sizeof candidate) {
            execve(candidate, argv, envp);
            /* Keep looking past entries that do not have it (or are not
             * directories), as execvp does; any other error is final. */
            if (errno == EACCES) {
                seen_eacces = 1;
            } else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG) {
                snprintf(tried, triedlen, "%s", candidate);
                return errno;
            }
        }
        if (colon == NULL)
            break;
        dir = colon + 1;
    }
    return seen_eacces ? EACCES : ENOENT;
}

/* Children must not inherit PID 1's blocked signals: the mask survives
 * execve. */
static void child_reset_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Child side of spawn_entrypoint: reports a failure on fd and exits. */
static _Noreturn void child_fail(int fd, const char *msg)
{
    size_t n = strlen(msg);
    while (n > 0) {
        ssize_t w = write(fd, msg, n);
        if (w <= 0 && errno != EINTR)
            break;
        if (w > 0) {
            msg += w;
            n -= (size_t)w;
        }
    }
    _exit(127);
}

static _Noreturn void entrypoint_child(const struct image_config *cfg, int fd)
{
    char msg[1024];
    child_reset_signals();
    /* Its own session: a terminal or group signal meant for the workload
     * does not hit the agent or PID 1. */
    setsid();
    /* Root first: entering the workdir may need it. */
    if (chdir(cfg->workdir) != 0) {
        snprintf(msg, sizeof msg, "chdir to WorkingDir %s: %s", cfg->workdir,
                 strerror(errno));
        child_fail(fd, msg);
    }
    /* Groups before the uid: after setuid there is no right to change them.
     * Skipped when the ids already match: PID 1 is root with no
     * supplementary groups, so then there is nothing to change (and the
     * host tests can run this unprivileged). */
    int switch_user = getuid() != cfg->uid || getgid() != cfg->gid;
    if (switch_user && (setgroups(0, NULL) != 0 || setgid(cfg->gid) != 0 ||
                        setuid(cfg->uid) != 0)) {
        snprintf(msg, sizeof msg, "switch to User %u:%u: %s", (unsigned)cfg->uid,
                 (unsigned)cfg->gid, strerror(errno));
        child_fail(fd, msg);
    }
    char tried[PATH_MAX];
    int e = exec_search(cfg->argv[0], cfg->argv, cfg->env, cfg->path,
                        tried, sizeof tried);
    if (strchr(cfg->argv[0], '/') == NULL && (e == ENOENT || e == EACCES))
        snprintf(msg, sizeof msg, "entrypoint %s: %s in PATH=%s",
                 cfg->argv[0], e == ENOENT ? "not found" : "not executable "
                 "(Permission denied)", cfg->path);
    else
        snprintf(msg, sizeof msg, "exec entrypoint %.700s: %s", tried, strerror(e));
    child_fail(fd, msg);
}

pid_t spawn_entrypoint(const struct image_config *cfg, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        entrypoint_child(cfg, p[1]);
    }
    close(p[1]);
    /* EOF (the pipe closed by a successful execve) means it started. */
    char msg[1024];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(p[0], msg + n, sizeof msg - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof msg - 1)
            break;
    }
    close(p[0]);
    if (n == 0)
        return pid;
    msg[n] = '\0';
    snprintf(err, errlen, "%s", msg);
    /* The child has exited 127; the supervisor's reaping collects it. */
    return -1;
}

pid_t spawn_agent(const char *path)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    child_reset_signals();
    setsid();
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != 0) {
        dup2(null, 0);
        close(null);
    }
    char *const argv[] = {(char *)path, NULL};
    char *const envp[] = {"PATH=" IMAGE_CONFIG_DEFAULT_PATH, "HOME=/root", NULL};
    execve(path, argv, envp);
    dprintf(2, "init-oci: warning: exec %s: %s\n", path, strerror(errno));
    _exit(127);
}
