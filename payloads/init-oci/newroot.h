/* Assembling the container root: overlayfs over the image's filesystem,
 * the agent copied in, and the switch into it. */
#ifndef INIT_OCI_NEWROOT_H
#define INIT_OCI_NEWROOT_H

#include "cmdline.h"

/* Layout inside the initramfs (see IMAGE-CONFIG.md). */
#define NEWROOT_IMAGE_ROOTFS "/image/rootfs"
#define NEWROOT_AGENT "/supermachine-agent"
/* Private mount points: a hidden directory so they cannot collide with
 * anything the initramfs carries. */
#define NEWROOT_LOWER "/.smk/lower"
#define NEWROOT_RW "/.smk/rw"
#define NEWROOT_ROOT "/.smk/root"

/* Builds the overlay, installs the agent and makes the overlay "/"; the
 * early mounts move along. Returns 1 when the initramfs had an agent to
 * install, else 0. Fatal on any failure. */
int newroot_enter(const struct boot_params *bp);

#endif
