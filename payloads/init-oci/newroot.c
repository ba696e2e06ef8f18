/* See newroot.h. */
#include "newroot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "mounts.h"
#include "shutdown.h"

/* Like the kernel's rootwait: a virtio disk's node normally exists by the
 * time init runs, but give a slow probe a moment before calling it
 * missing. */
#define ROOTDEV_WAIT_MS 5000

static void wait_for_device(const char *dev)
{
    struct stat st;
    for (int waited = 0; stat(dev, &st) != 0; waited += 20) {
        if (errno != ENOENT || waited >= ROOTDEV_WAIT_MS)
            shutdown_fatal("root device %s (smk.rootdev): %s", dev, strerror(errno));
        struct timespec tick = {0, 20 * 1000000L};
        nanosleep(&tick, NULL);
    }
    if (!S_ISBLK(st.st_mode))
        shutdown_fatal("root device %s (smk.rootdev): not a block device", dev);
}

/* Returns the lower layer's path. */
static const char *mount_lower(const struct boot_params *bp)
{
    if (bp->rootdev[0] == '\0') {
        struct stat st;
        if (stat(NEWROOT_IMAGE_ROOTFS, &st) != 0)
            shutdown_fatal("image root filesystem %s: %s", NEWROOT_IMAGE_ROOTFS,
                           strerror(errno));
        if (!S_ISDIR(st.st_mode))
            shutdown_fatal("image root filesystem %s: not a directory",
                           NEWROOT_IMAGE_ROOTFS);
        return NEWROOT_IMAGE_ROOTFS;
    }
    wait_for_device(bp->rootdev);
    /* Read-only: the image is shared; every write goes to the upper layer. */
    mount_or_die(bp->rootdev, NEWROOT_LOWER, bp->rootfstype, MS_RDONLY, NULL);
    return NEWROOT_LOWER;
}

/* Copies the initramfs's agent into the overlay (so into the tmpfs upper
 * layer): the image cannot shadow it, and it runs from inside the new
 * root. Returns 0, or -1 when the initramfs has no agent. */
static int install_agent(void)
{
    const char *dst = NEWROOT_ROOT NEWROOT_AGENT;
    int in = open(NEWROOT_AGENT, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        if (errno == ENOENT)
            return -1;
        shutdown_fatal("open %s: %s", NEWROOT_AGENT, strerror(errno));
    }
    /* Replace whatever the image has at that path, never write through a
     * symlink it may carry. */
    if (unlink(dst) != 0 && errno != ENOENT)
        shutdown_fatal("replace %s in the new root: %s", NEWROOT_AGENT, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
    if (out < 0)
        shutdown_fatal("create %s in the new root: %s", NEWROOT_AGENT, strerror(errno));
    static char buf[65536];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            shutdown_fatal("read %s: %s", NEWROOT_AGENT, strerror(errno));
        if (r == 0)
            break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                shutdown_fatal("copy %s into the new root: %s", NEWROOT_AGENT,
                               strerror(errno));
            off += w;
        }
    }
    /* Explicit mode: the umask must not decide it. */
    if (fchmod(out, 0755) != 0 || close(out) != 0)
        shutdown_fatal("finish %s in the new root: %s", NEWROOT_AGENT, strerror(errno));
    close(in);
    return 0;
}

static void move_into_newroot(const char *what)
{
    char target[128];
    snprintf(target, sizeof target, "%s%s", NEWROOT_ROOT, what);
    if (mkdir_p(target, 0755) != 0)
        shutdown_fatal("mkdir %s: %s", target, strerror(errno));
    /* Submounts (/dev/pts, /dev/shm) move with their parent. */
    if (mount(what, target, NULL, MS_MOVE, NULL) != 0)
        shutdown_fatal("move mount %s to %s: %s", what, target, strerror(errno));
}

int newroot_enter(const struct boot_params *bp)
{
    const char *lower = mount_lower(bp);
    console_debug("lower layer %s", lower);

    mount_or_die("tmpfs", NEWROOT_RW, "tmpfs", 0, "mode=0755");
    if (mkdir_p(NEWROOT_RW "/upper", 0755) != 0 || mkdir_p(NEWROOT_RW "/work", 0700) != 0)
        shutdown_fatal("mkdir in %s: %s", NEWROOT_RW, strerror(errno));
    char options[256];
    snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s,workdir=%s",
             lower, NEWROOT_RW "/upper", NEWROOT_RW "/work");
    mount_or_die("overlay", NEWROOT_ROOT, "overlay", 0, options);

    int installed = install_agent() == 0;
    console_debug(installed ? "agent installed" : "no agent in the initramfs");

    move_into_newroot("/dev");
    move_into_newroot("/proc");
    move_into_newroot("/sys");
    move_into_newroot("/tmp");

    /* pivot_root(2) refuses to move the initramfs (rootfs can never be
     * unmounted), so switch the way switch_root does: move the new root
     * over "/" and chroot into it. The initramfs stays in memory, under
     * the overlay; with the default lower layer it holds the image files. */
    if (chdir(NEWROOT_ROOT) != 0)
        shutdown_fatal("chdir %s: %s", NEWROOT_ROOT, strerror(errno));
    if (mount(".", "/", NULL, MS_MOVE, NULL) != 0)
        shutdown_fatal("move mount %s to /: %s", NEWROOT_ROOT, strerror(errno));
    if (chroot(".") != 0)
        shutdown_fatal("chroot %s: %s", NEWROOT_ROOT, strerror(errno));
    if (chdir("/") != 0)
        shutdown_fatal("chdir / in the new root: %s", strerror(errno));
    console_debug("switched root to the overlay");
    return installed;
}
