/* Kernel command line parsing for the smk.* parameters. */
#include "cmdline.h"

#include <stdio.h>
#include <string.h>

#include "image_config.h"

/* The kernel's isspace() (lib/ctype.c), on which it splits its command
 * line: ASCII white space (\t \n \v \f \r and space) and 0xA0. */
static int is_space(char c)
{
    unsigned char u = (unsigned char)c;
    return u == ' ' || (u >= '\t' && u <= '\r') || u == 0xA0;
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

/* The network parameters as written; judged once the winners are known. */
struct raw_iface {
    char name[BOOT_PARAM_MAX];   /* IFACE of "[IFACE:]...", default eth0 */
    char ip[BOOT_PARAM_MAX];     /* the whole smk.ip value */
    char mtu[BOOT_PARAM_MAX];    /* the whole smk.mtu value */
    int has_ip, has_mtu;
};

struct raw_net {
    struct raw_iface iface[NETCONF_MAX_IFACES];
    size_t niface;
    char gw[BOOT_PARAM_MAX], dns[BOOT_PARAM_MAX], domain[BOOT_PARAM_MAX],
        hostname[BOOT_PARAM_MAX];
};

/* The value after "IFACE:", or all of it. */
static const char *after_iface(const char *value)
{
    const char *colon = strchr(value, ':');
    return colon != NULL ? colon + 1 : value;
}

/* The slot of value's interface, new if need be; NULL past the maximum. */
static struct raw_iface *iface_slot(struct raw_net *raw, const char *value)
{
    const char *colon = strchr(value, ':');
    size_t len = colon != NULL ? (size_t)(colon - value) : strlen(NETCONF_DEFAULT_IFACE);
    const char *name = colon != NULL ? value : NETCONF_DEFAULT_IFACE;
    for (size_t i = 0; i < raw->niface; i++)
        if (strlen(raw->iface[i].name) == len && memcmp(raw->iface[i].name, name, len) == 0)
            return &raw->iface[i];
    if (raw->niface == NETCONF_MAX_IFACES)
        return NULL;
    struct raw_iface *slot = &raw->iface[raw->niface++];
    memcpy(slot->name, name, len);
    slot->name[len] = '\0';
    return slot;
}

static int bad_value(char *err, size_t errlen, const char *param, const char *value,
                     const char *why)
{
    snprintf(err, errlen, "kernel parameter %s=%s: %s", param, value, why);
    return -1;
}

/* Parses the winning network values into net and checks them together. */
static int finish_net(struct netconf_params *net, const struct raw_net *raw,
                      char *err, size_t errlen)
{
    char why[400];
    for (size_t i = 0; i < raw->niface; i++) {
        const struct raw_iface *r = &raw->iface[i];
        struct netconf_iface *f = &net->iface[net->niface++];
        const char *problem = netconf_ifname_problem(r->name);
        if (problem != NULL)
            return r->has_ip ? bad_value(err, errlen, "smk.ip", r->ip, problem)
                             : bad_value(err, errlen, "smk.mtu", r->mtu, problem);
        strcpy(f->name, r->name);
        if (r->has_ip &&
            netconf_parse_ip(after_iface(r->ip), &f->addr, &f->prefix, why, sizeof why) != 0)
            return bad_value(err, errlen, "smk.ip", r->ip, why);
        if (r->has_mtu && netconf_parse_mtu(after_iface(r->mtu), &f->mtu, why, sizeof why) != 0)
            return bad_value(err, errlen, "smk.mtu", r->mtu, why);
    }
    /* Empty (or no "=") leaves these unset, as for smk.rootdev. */
    if (raw->gw[0] != '\0' && netconf_parse_gw(raw->gw, &net->gw, why, sizeof why) != 0)
        return bad_value(err, errlen, "smk.gw", raw->gw, why);
    if (raw->dns[0] != '\0' && netconf_parse_dns(raw->dns, net, why, sizeof why) != 0)
        return bad_value(err, errlen, "smk.dns", raw->dns, why);
    if (raw->domain[0] != '\0' && netconf_parse_search(raw->domain, net, why, sizeof why) != 0)
        return bad_value(err, errlen, "smk.domain", raw->domain, why);
    if (raw->hostname[0] != '\0') {
        const char *problem = netconf_hostname_problem(raw->hostname);
        if (problem != NULL) {
            snprintf(why, sizeof why, "not a valid host name (RFC 1123): %s", problem);
            return bad_value(err, errlen, "smk.hostname", raw->hostname, why);
        }
        strcpy(net->hostname, raw->hostname);
    }
    return netconf_check(net, err, errlen);
}

int boot_params_parse(struct boot_params *out, const char *cmdline,
                      char *warn, size_t warnlen, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    strcpy(out->rootfstype, "ext4");
    strcpy(out->config, IMAGE_CONFIG_DEFAULT_PATH_FILE);
    if (warnlen > 0)
        warn[0] = '\0';
    struct raw_net raw;
    memset(&raw, 0, sizeof raw);

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
        int per_iface = 0;
        if (strcmp(word, "smk.rootdev") == 0) {
            dest = out->rootdev;
        } else if (strcmp(word, "smk.rootfstype") == 0) {
            dest = out->rootfstype;
        } else if (strcmp(word, "smk.config") == 0) {
            dest = out->config;
        } else if (strcmp(word, "smk.debug") == 0) {
            out->debug = eq == NULL || strcmp(value, "0") != 0;
            continue;
        } else if (strcmp(word, "smk.ip") == 0 || strcmp(word, "smk.mtu") == 0) {
            per_iface = 1;
        } else if (strcmp(word, "smk.gw") == 0) {
            dest = raw.gw;
        } else if (strcmp(word, "smk.dns") == 0) {
            dest = raw.dns;
        } else if (strcmp(word, "smk.domain") == 0) {
            dest = raw.domain;
        } else if (strcmp(word, "smk.hostname") == 0) {
            dest = raw.hostname;
        } else {
            snprintf(warn, warnlen, "unknown kernel parameter %s ignored", word);
            continue;
        }
        if (too_long || strlen(value) >= BOOT_PARAM_MAX) {
            snprintf(err, errlen, "kernel parameter %s: value longer than %d bytes",
                     word, BOOT_PARAM_MAX - 1);
            return -1;
        }
        if (per_iface) {
            struct raw_iface *slot = iface_slot(&raw, value);
            if (slot == NULL) {
                snprintf(err, errlen, "kernel parameter %s=%s: more than %d interfaces",
                         word, value, NETCONF_MAX_IFACES);
                return -1;
            }
            int is_ip = word[4] == 'i';
            dest = is_ip ? slot->ip : slot->mtu;
            *(is_ip ? &slot->has_ip : &slot->has_mtu) = 1;
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
    return finish_net(&out->net, &raw, err, errlen);
}
