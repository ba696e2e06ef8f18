/* /etc/hostname, /etc/hosts and /etc/resolv.conf in the container root.
 * Written after the switch into the overlay, so they land in its tmpfs
 * upper layer; the image's read-only lower layer is never touched. */
#ifndef INIT_OCI_ETCFILES_H
#define INIT_OCI_ETCFILES_H

#include <stddef.h>

#include "netconf.h"

/* Replaces root/etc/name with a new regular file (mode 0644) holding text:
 * whatever the image has at that path (a file, a symlink, a hard link) is
 * unlinked first and the new file is created with O_EXCL | O_NOFOLLOW, so
 * nothing is ever written through a link. root/etc is created (0755) if
 * missing. Returns 0, or -1 with a message naming /etc/name in err. */
int etc_file_replace(const char *root, const char *name, const char *text,
                     char *err, size_t errlen);

/* Writes the plan's files under root ("/" in the guest): /etc/hostname
 * and /etc/hosts always (hostname only when the plan has a valid name),
 * /etc/resolv.conf only when the plan has a name server. Returns 0, or -1
 * with a message in err. */
int etc_files_write(const char *root, const struct netconf_plan *plan,
                    char *err, size_t errlen);

#endif
