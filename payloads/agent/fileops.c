/* WRITE_FILE, READ_FILE, STAT. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *msg, size_t msglen, const char *what, const char *path, int err)
{
    snprintf(msg, msglen, "%s %s: %s", what, path, strerror(err));
    return -err;
}

/* The temporary is ".<name>" TMP_SUFFIX, with <name> cut so that the
 * temporary's own name fits NAME_MAX whenever <name> does. */
#define TMP_SUFFIX ".smk-XXXXXX"
#define TMP_BASE_MAX ((int)(NAME_MAX - 1 - (sizeof TMP_SUFFIX - 1)))

/* A reader sees the old file or the new one, never a partial write: the
 * data goes to a temporary in the same directory, then rename()s over. */
int agent_write_file(const struct agent_write_req *req, char *msg, size_t msglen)
{
    const char *slash = strrchr(req->path, '/');
    const char *base = slash ? slash + 1 : req->path;
    if (!*base)
        return fail(msg, msglen, "write", req->path, EISDIR);
    size_t dlen = slash ? (size_t)(slash - req->path) : 0;
    char tmp[PATH_MAX], dir[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%.*s%s.%.*s" TMP_SUFFIX, (int)dlen, req->path,
                     slash ? "/" : "", TMP_BASE_MAX, base);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return fail(msg, msglen, "write", req->path, ENAMETOOLONG);
    if (!slash)
        strcpy(dir, ".");
    else if (!dlen)
        strcpy(dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)dlen, req->path);

    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return fail(msg, msglen, "write", req->path, errno);
    const char *step = "write";
    int err = -agent_write_all(fd, req->data, req->len);
    if (!err && fchmod(fd, req->mode) < 0)
        err = errno, step = "chmod";
    if (!err && fsync(fd) < 0)
        err = errno, step = "fsync";
    if (close(fd) < 0 && !err)
        err = errno, step = "close";
    if (!err && rename(tmp, req->path) < 0)
        err = errno, step = "rename";
    if (err) {
        unlink(tmp);
        return fail(msg, msglen, step, req->path, err);
    }
    /* Make the rename itself durable; not every filesystem can. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int agent_read_file(const char *path, uint8_t **data, uint32_t *len, char *msg, size_t msglen)
{
    *data = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO must not hang the connection; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail(msg, msglen, "open", path, errno);
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) < 0)
        err = errno;
    else if (S_ISDIR(st.st_mode))
        err = EISDIR;
    else if (!S_ISREG(st.st_mode))
        err = EINVAL;
    else if (st.st_size > (off_t)AGENT_MAX_FILE)
        err = EFBIG;
    /* /proc and /sys files report size 0 or a guess: read to EOF, bounded. */
    size_t cap = st.st_size > 0 && !err ? (size_t)st.st_size + 1 : 4096;
    uint8_t *buf = err ? NULL : malloc(cap);
    size_t got = 0;
    if (!err && !buf)
        err = ENOMEM;
    while (!err) {
        if (got == cap) {
            size_t ncap = cap * 2 > AGENT_MAX_FILE + 1 ? AGENT_MAX_FILE + 1 : cap * 2;
            uint8_t *nb = ncap > cap ? realloc(buf, ncap) : NULL;
            if (!nb) {
                err = ncap > cap ? ENOMEM : EFBIG;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            err = errno;
        else if (r == 0)
            break;
        else
            got += (size_t)r;
    }
    if (!err && got > AGENT_MAX_FILE)
        err = EFBIG;
    close(fd);
    if (err) {
        free(buf);
        return fail(msg, msglen, "read", path, err);
    }
    *data = buf;
    *len = (uint32_t)got;
    return 0;
}

static uint8_t ftype(mode_t m)
{
    if (S_ISREG(m))
        return AGENT_F_REG;
    if (S_ISDIR(m))
        return AGENT_F_DIR;
    if (S_ISLNK(m))
        return AGENT_F_LNK;
    if (S_ISCHR(m))
        return AGENT_F_CHR;
    if (S_ISBLK(m))
        return AGENT_F_BLK;
    if (S_ISFIFO(m))
        return AGENT_F_FIFO;
    if (S_ISSOCK(m))
        return AGENT_F_SOCK;
    return AGENT_F_UNKNOWN;
}

int agent_stat(const struct agent_stat_req *req, struct agent_stat_reply *out, char *msg,
               size_t msglen)
{
    struct stat st;
    if ((req->follow ? stat(req->path, &st) : lstat(req->path, &st)) < 0)
        return fail(msg, msglen, "stat", req->path, errno);
    *out = (struct agent_stat_reply){
        .type = ftype(st.st_mode),
        .mode = (uint32_t)(st.st_mode & 07777),
        .size = (uint64_t)st.st_size,
        .mtime_sec = (int64_t)st.st_mtim.tv_sec,
        .mtime_nsec = (uint32_t)st.st_mtim.tv_nsec,
        .uid = (uint32_t)st.st_uid,
        .gid = (uint32_t)st.st_gid,
    };
    return 0;
}
