/* The kernel filesystems PID 1 mounts before anything else. */
#ifndef INIT_OCI_MOUNTS_H
#define INIT_OCI_MOUNTS_H

#include <sys/types.h>

/* Mounts /dev (devtmpfs), /dev/pts, /dev/shm, /proc, /sys and /tmp, opens
 * the console, and adds the /dev/fd, /dev/std* links. A mount that is
 * already there (the kernel's CONFIG_DEVTMPFS_MOUNT) is kept. Fatal on
 * failure. */
void mounts_early(void);

/* Mounts fstype at target unless target already is a mount point; creates
 * target first. Fatal on failure. */
void mount_or_die(const char *source, const char *target, const char *fstype,
                  unsigned long flags, const char *options);

/* mkdir -p. Returns 0 or -1 with errno set. */
int mkdir_p(const char *path, mode_t mode);

#endif
