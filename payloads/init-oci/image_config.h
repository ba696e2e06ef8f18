/* The image config: a subset of the OCI image config JSON, documented in
 * IMAGE-CONFIG.md. Reading it is separate from acting on it, so host tests
 * can cover every accepted and refused document. */
#ifndef INIT_OCI_IMAGE_CONFIG_H
#define INIT_OCI_IMAGE_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "json.h"

#define IMAGE_CONFIG_DEFAULT_PATH_FILE "/image/config.json"
/* Real OCI configs are a few KiB, even with a long history. */
#define IMAGE_CONFIG_MAX_BYTES (1024 * 1024)
#define IMAGE_CONFIG_MAX_ARGS 4096
#define IMAGE_CONFIG_MAX_ENV 1024
/* The kernel's MAX_ARG_STRLEN (32 pages) counts the NUL: refusing longer
 * strings here gives a clear error instead of E2BIG at exec time. */
#define IMAGE_CONFIG_MAX_STRING (128 * 1024 - 1)
/* Docker's default when an image sets no PATH. */
#define IMAGE_CONFIG_DEFAULT_PATH \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct image_config {
    char **argv;         /* Entrypoint then Cmd; NULL-terminated; argc >= 1 */
    size_t argc;
    char **env;          /* NULL-terminated; always holds PATH and HOME */
    size_t envc;
    const char *path;    /* the value of PATH in env: used for the lookup */
    const char *workdir; /* absolute */
    uid_t uid;
    gid_t gid;
    const char *hostname; /* config.Hostname (Docker's field); "" when unset */
    struct json_doc doc; /* owns the strings the fields above point to */
};

/* Parses a config document. name prefixes error messages (usually the
 * file's path). Returns 0, or -1 with a one-line message in err. */
int image_config_parse(struct image_config *out, const char *buf, size_t len,
                       const char *name, char *err, size_t errlen);

/* Reads and parses the file at path (at most IMAGE_CONFIG_MAX_BYTES).
 * Returns 0, or -1 with a message naming the path (and strerror for I/O
 * errors) in err. */
int image_config_load(struct image_config *out, const char *path,
                      char *err, size_t errlen);

void image_config_free(struct image_config *cfg);

/* "uid" or "uid:gid", decimal only; "" means 0:0 and a missing gid is 0
 * (what Docker does for a uid that /etc/passwd does not list). Returns 0, or
 * -1 with a message in err. */
int image_config_parse_user(const char *user, uid_t *uid, gid_t *gid,
                            char *err, size_t errlen);

#endif
