/* Opening the transports: vsock and Unix listeners, the virtio-serial port. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int listen_on(int fd, const struct sockaddr *a, socklen_t alen)
{
    if (bind(fd, a, alen) < 0 || listen(fd, 16) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int agent_listen_vsock(unsigned port)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = VMADDR_CID_ANY};
    return listen_on(fd, (struct sockaddr *)&a, sizeof a);
}

int agent_listen_unix(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return -ENAMETOOLONG;
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A socket left by an earlier run would make bind fail; anything
     * else at the path is not ours to remove. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    return listen_on(fd, (struct sockaddr *)&a, sizeof a);
}

static int read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return 0;
}

/* No udev in the guest: if devtmpfs did not provide the node, make it from
 * the major:minor that sysfs reports. */
static int open_port(const char *sysdir, const char *devdir, const char *port)
{
    char dev[PATH_MAX], attr[PATH_MAX], nums[32];
    snprintf(dev, sizeof dev, "%s/%s", devdir, port);
    int fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0 || errno != ENOENT)
        return fd >= 0 ? fd : -errno;
    unsigned maj, min;
    snprintf(attr, sizeof attr, "%s/%s/dev", sysdir, port);
    if (read_small(attr, nums, sizeof nums) < 0 || sscanf(nums, "%u:%u", &maj, &min) != 2)
        return -ENOENT;
    if (mknod(dev, S_IFCHR | 0600, makedev(maj, min)) < 0 && errno != EEXIST)
        return -errno;
    fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
    return fd >= 0 ? fd : -errno;
}

int agent_open_serial(const char *sysdir, const char *devdir, const char *name)
{
    DIR *d = opendir(sysdir);
    if (!d)
        return -errno;
    int rc = -ENOENT;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX], got[256];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s/name", sysdir, e->d_name);
        if (read_small(path, got, sizeof got) == 0 && strcmp(got, name) == 0) {
            rc = open_port(sysdir, devdir, e->d_name);
            break;
        }
    }
    closedir(d);
    return rc;
}
