/* Kernel command line parsing for the smk.* parameters. */
#include "cmdline.h"

#include <stdio.h>
#include <string.h>

#include "image_config.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Copies the next word into word (quotes removed, as the kernel's
 * next_arg() does) and returns the position after it, or NULL at the end.
 * A word longer than the buffer is marked by *too_long. */
static const char *next_word(const char *s, char *word, size_t size, int *too_long)
{
    while (is_space(*s))
        s++;
    if (*s == '\0')
        return NULL;
    size_t n = 0;
    int quoted = 0;
    *too_long = 0;
    for (; *s != '\0' && (quoted || !is_space(*s)); s++) {
        if (*s == '"') {
            quoted = !quoted;
            continue;
        }
        if (n + 1 < size)
            word[n++] = *s;
        else
            *too_long = 1;
    }
    word[n] = '\0';
    return s;
}

static int valid_fstype(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

int boot_params_parse(struct boot_params *out, const char *cmdline,
                      char *warn, size_t warnlen, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    strcpy(out->rootfstype, "ext4");
    strcpy(out->config, IMAGE_CONFIG_DEFAULT_PATH_FILE);
    if (warnlen > 0)
        warn[0] = '\0';

    char word[BOOT_PARAM_MAX + 32];
    int too_long;
    const char *s = cmdline;
    while ((s = next_word(s, word, sizeof word, &too_long)) != NULL) {
        if (strncmp(word, "smk.", 4) != 0)
            continue;
        char *eq = strchr(word, '=');
        const char *value = eq != NULL ? eq + 1 : "";
        if (eq != NULL)
            *eq = '\0';
        char *dest = NULL;
        if (strcmp(word, "smk.rootdev") == 0) {
            dest = out->rootdev;
        } else if (strcmp(word, "smk.rootfstype") == 0) {
            dest = out->rootfstype;
        } else if (strcmp(word, "smk.config") == 0) {
            dest = out->config;
        } else if (strcmp(word, "smk.debug") == 0) {
            out->debug = eq == NULL || strcmp(value, "0") != 0;
            continue;
        } else {
            snprintf(warn, warnlen, "unknown kernel parameter %s ignored", word);
            continue;
        }
        if (too_long || strlen(value) >= BOOT_PARAM_MAX) {
            snprintf(err, errlen, "kernel parameter %s: value longer than %d bytes",
                     word, BOOT_PARAM_MAX - 1);
            return -1;
        }
        strcpy(dest, value);
    }

    /* Checked after the loop, so only the value that wins is judged. */
    if (out->rootdev[0] != '\0' && strncmp(out->rootdev, "/dev/", 5) != 0) {
        snprintf(err, errlen, "kernel parameter smk.rootdev=%s: expected a "
                 "device path such as /dev/vda", out->rootdev);
        return -1;
    }
    if (!valid_fstype(out->rootfstype)) {
        snprintf(err, errlen, "kernel parameter smk.rootfstype=%s: expected a "
                 "filesystem type such as ext4", out->rootfstype);
        return -1;
    }
    if (out->config[0] != '/') {
        snprintf(err, errlen, "kernel parameter smk.config=%s: expected an "
                 "absolute path", out->config);
        return -1;
    }
    return 0;
}
