/* Early kernel filesystem mounts; see mounts.h. */
#include "mounts.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "shutdown.h"

int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* A directory is a mount point when it sits on another device than its
 * parent. (Bind mounts of the same filesystem would fool this, but none
 * exist this early in boot.) */
static int is_mount_point(const char *path)
{
    char parent[PATH_MAX];
    struct stat st, pst;
    if (strlen(path) + 4 > sizeof parent || stat(path, &st) != 0)
        return 0;
    strcpy(parent, path);
    strcat(parent, "/..");
    return stat(parent, &pst) == 0 && st.st_dev != pst.st_dev;
}

void mount_or_die(const char *source, const char *target, const char *fstype,
                  unsigned long flags, const char *options)
{
    if (mkdir_p(target, 0755) != 0)
        shutdown_fatal("mkdir %s: %s", target, strerror(errno));
    if (is_mount_point(target)) {
        console_debug("%s already mounted", target);
        return;
    }
    if (mount(source, target, fstype, flags, options) != 0)
        shutdown_fatal("mount %s on %s (type %s, options %s): %s", source,
                       target, fstype, options ? options : "none", strerror(errno));
}

void mounts_early(void)
{
    /* /dev first: the console lives there, and every later error should
     * reach it. */
    mount_or_die("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    console_open();
    mount_or_die("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_or_die("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    /* gid 5 is "tty" in Debian-family images; the usual pty permissions. */
    mount_or_die("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                 "gid=5,mode=0620,ptmxmode=0666");
    mount_or_die("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_or_die("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    /* devtmpfs has device nodes only; programs expect these links. An
     * existing entry is left alone. */
    (void)!symlink("/proc/self/fd", "/dev/fd");
    (void)!symlink("/proc/self/fd/0", "/dev/stdin");
    (void)!symlink("/proc/self/fd/1", "/dev/stdout");
    (void)!symlink("/proc/self/fd/2", "/dev/stderr");
}
