/* Console output; see console.h. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int console_debug_enabled;

/* Until /dev/console is open, messages go to whatever fd 2 the kernel gave
 * us (it opens /dev/console for init when the initramfs has the node). */
static int console_fd = 2;
static int console_is_open;

void console_open(void)
{
    if (console_is_open)
        return;
    int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        /* No devtmpfs: make our own node for the console (char 5:1) so the
         * error that explains why still reaches the host. */
        const char *node = "/.smk-console";
        unlink(node);
        if (mknod(node, S_IFCHR | 0600, makedev(5, 1)) == 0) {
            fd = open(node, O_RDWR | O_NOCTTY | O_CLOEXEC);
            unlink(node);
        }
    }
    if (fd < 0)
        return;
    if (fd <= 2) {
        /* Keep our own descriptor above 0-2 so it can stay close-on-exec. */
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (high >= 0) {
            close(fd);
            fd = high;
        }
    }
    for (int i = 0; i <= 2; i++)
        dup2(fd, i); /* dup2 clears O_CLOEXEC: children inherit 0-2 */
    console_fd = fd;
    console_is_open = 1;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void vline(const char *prefix, const char *fmt, va_list ap)
{
    char buf[1024];
    size_t cap = sizeof buf - 1; /* keep room for the newline */
    int n = snprintf(buf, cap, "%s", prefix);
    if (n < 0)
        return;
    int m = vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > cap - 1)
        len = cap - 1; /* truncated: still one line */
    /* Messages quote user text (kernel parameters, config strings) that
     * can hold newlines or escapes: every line stays one line. */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7F)
            buf[i] = '?';
    buf[len++] = '\n';
    write_all(console_fd, buf, len);
}

void console_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("", fmt, ap);
    va_end(ap);
}

void console_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("init-oci: warning: ", fmt, ap);
    va_end(ap);
}

void console_debug(const char *fmt, ...)
{
    if (!console_debug_enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    vline("init-oci: ", fmt, ap);
    va_end(ap);
}
