/* See etcfiles.h. */
#include "etcfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int etc_file_replace(const char *root, const char *name, const char *text,
                     char *err, size_t errlen)
{
    char etc[PATH_MAX];
    if (snprintf(etc, sizeof etc, "%s/etc", strcmp(root, "/") == 0 ? "" : root) >=
        (int)sizeof etc) {
        snprintf(err, errlen, "write /etc/%s: %s", name, strerror(ENAMETOOLONG));
        return -1;
    }
    /* /etc itself may be a symlink in the image: inside the container
     * root that is the image's business. Only the files are replaced. */
    if (mkdir(etc, 0755) == 0) {
        if (chmod(etc, 0755) != 0) { /* the umask must not decide it */
            snprintf(err, errlen, "create /etc: %s", strerror(errno));
            return -1;
        }
    } else if (errno != EEXIST) {
        snprintf(err, errlen, "create /etc: %s", strerror(errno));
        return -1;
    }
    int dir = open(etc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        snprintf(err, errlen, "open /etc: %s", strerror(errno));
        return -1;
    }
    const char *what = "replace";
    int fd = -1;
    if (unlinkat(dir, name, 0) != 0 && errno != ENOENT)
        goto fail;
    what = "create";
    fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        goto fail;
    what = "write";
    /* Explicit mode: the umask must not decide it. */
    if (write_all(fd, text, strlen(text)) != 0 || fchmod(fd, 0644) != 0)
        goto fail;
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    close(dir);
    return 0;
fail:
    snprintf(err, errlen, "%s /etc/%s: %s", what, name, strerror(errno));
    if (fd >= 0)
        close(fd);
    close(dir);
    return -1;
}

int etc_files_write(const char *root, const struct netconf_plan *plan,
                    char *err, size_t errlen)
{
    char text[1024];
    if (plan->hostname[0] != '\0') {
        snprintf(text, sizeof text, "%s\n", plan->hostname);
        if (etc_file_replace(root, "hostname", text, err, errlen) != 0)
            return -1;
    }
    if (netconf_hosts(plan, text, sizeof text) < 0) {
        snprintf(err, errlen, "/etc/hosts: more than %zu bytes", sizeof text - 1);
        return -1;
    }
    if (etc_file_replace(root, "hosts", text, err, errlen) != 0)
        return -1;
    int n = netconf_resolv_conf(plan, text, sizeof text);
    if (n < 0) {
        snprintf(err, errlen, "/etc/resolv.conf: more than %zu bytes", sizeof text - 1);
        return -1;
    }
    if (n > 0 && etc_file_replace(root, "resolv.conf", text, err, errlen) != 0)
        return -1;
    return 0;
}
