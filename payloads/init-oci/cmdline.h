/* init-oci's kernel command line parameters (smk.*), read from
 * /proc/cmdline: the kernel keeps dotted parameters for itself (it takes
 * them for module options) and never hands them to init as argv or env. */
#ifndef INIT_OCI_CMDLINE_H
#define INIT_OCI_CMDLINE_H

#include <stddef.h>

#include "netconf.h"

#define BOOT_PARAM_MAX 256

struct boot_params {
    char rootdev[BOOT_PARAM_MAX];    /* smk.rootdev: "" = /image/rootfs */
    char rootfstype[BOOT_PARAM_MAX]; /* smk.rootfstype, default "ext4" */
    char config[BOOT_PARAM_MAX];     /* smk.config, default /image/config.json */
    int debug;                       /* smk.debug: log each boot step */
    struct netconf_params net;       /* smk.ip, smk.gw, smk.dns, smk.mtu,
                                        smk.domain, smk.hostname */
};

/* Fills out from a command line such as "console=ttyAMA0 smk.rootdev=/dev/vda".
 * Words are split on the kernel's isspace() characters; quoting follows
 * the kernel: double quotes group words and are removed. A later
 * occurrence of a parameter wins (for smk.ip and smk.mtu, per interface).
 * Unknown smk.* names produce a warning line in warn (empty when none; the
 * last one wins). Returns 0, or -1 with a message in err for a bad value
 * (every value is checked before this returns: the network parameters
 * against each other too). */
int boot_params_parse(struct boot_params *out, const char *cmdline,
                      char *warn, size_t warnlen, char *err, size_t errlen);

#endif
