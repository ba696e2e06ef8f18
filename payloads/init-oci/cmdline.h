/* init-oci's kernel command line parameters (smk.*), read from
 * /proc/cmdline: the kernel keeps dotted parameters for itself (it takes
 * them for module options) and never hands them to init as argv or env. */
#ifndef INIT_OCI_CMDLINE_H
#define INIT_OCI_CMDLINE_H

#include <stddef.h>

#define BOOT_PARAM_MAX 256

struct boot_params {
    char rootdev[BOOT_PARAM_MAX];    /* smk.rootdev: "" = /image/rootfs */
    char rootfstype[BOOT_PARAM_MAX]; /* smk.rootfstype, default "ext4" */
    char config[BOOT_PARAM_MAX];     /* smk.config, default /image/config.json */
    int debug;                       /* smk.debug: log each boot step */
};

/* Fills out from a command line such as "console=ttyAMA0 smk.rootdev=/dev/vda".
 * Quoting follows the kernel: double quotes group words and are removed;
 * a later occurrence of a parameter wins. Unknown smk.* names produce a
 * warning line in warn (empty when none; the last one wins). Returns 0, or
 * -1 with a message in err for a bad value. */
int boot_params_parse(struct boot_params *out, const char *cmdline,
                      char *warn, size_t warnlen, char *err, size_t errlen);

#endif
