/* libFuzzer harness for init-oci's kernel command line parser
 * (payloads/init-oci/cmdline.c, over netconf.c).
 *
 * Input: the command line, NUL-terminated in a buffer of exactly its size
 * (as main.c reads /proc/cmdline; an embedded NUL ends it there too). The
 * result is compared with a reading of IMAGE-CONFIG.md's rules written
 * here on its own: words separated by the kernel's isspace() (space, \t,
 * \n, \v, \f, \r and 0xA0), double quotes grouping words and removed, the
 * last occurrence of a parameter winning (smk.ip and smk.mtu: per
 * interface, the part before the first ':' or eth0), a known parameter's
 * value longer than 255 bytes, or a ninth interface, an error on the spot,
 * smk.debug on unless "=0", an unknown smk.* a warning, then only the
 * winners checked: smk.rootdev empty or /dev/..., smk.rootfstype
 * [a-z0-9_]+, smk.config absolute; interface names as the kernel's
 * dev_valid_name() but "lo"; smk.ip a host address (inet_pton, not 0/8,
 * 127/8, 224/3, not its subnet's network or broadcast address below /31)
 * with a prefix 1-32, no address twice; smk.mtu 68-65535; smk.gw (empty:
 * none) in the subnet of the first smk.ip whose subnet holds it, not that
 * address nor its network or broadcast address; smk.dns one to three
 * IPv4/IPv6 addresses, not unspecified; smk.domain one to six RFC 1123
 * names of at most 253 bytes; smk.hostname one of at most 64 bytes.
 * With short warning and error buffers (down to none) the result is the
 * same and the messages are cut short. */
#include "cmdline.h"

#include <arpa/inet.h>
#include <ctype.h>

#include "fuzz_common.h"

#define MSG_SIZE 512

static int is_space(char c)
{
    unsigned char u = (unsigned char)c;
    return u == ' ' || u == '\t' || u == '\n' || u == '\v' || u == '\f' || u == '\r' ||
           u == 0xA0;
}

/* Decimal, no leading zero, at most maxlen digits; -1 if not. */
static long decimal(const char *s, size_t len, size_t maxlen)
{
    if (len == 0 || len > maxlen || (s[0] == '0' && len > 1))
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int ipv4(const char *s, size_t len, uint32_t *out)
{
    char buf[32];
    struct in_addr a;
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, &a) != 1)
        return 0;
    *out = ntohl(a.s_addr);
    return 1;
}

static uint32_t mask_of(unsigned p)
{
    return p == 0 ? 0 : ~0u << (32 - p);
}

static int host_ok(uint32_t a)
{
    return a >> 24 != 0 && a >> 24 != 127 && a < 0xE0000000u;
}

static int in_subnet_ok(uint32_t a, unsigned p)
{
    uint32_t host = a & ~mask_of(p);
    return p >= 31 || (host != 0 && host != ~mask_of(p));
}

static int dns_name_ok(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                return 0;
            if ((unsigned char)s[i] >= 0x80)
                return 0;
            continue;
        }
        size_t l = i - start;
        if (l == 0 || l > 63 || s[start] == '-' || s[i - 1] == '-')
            return 0;
        start = i + 1;
    }
    return 1;
}

struct slot {
    char name[256], ip[256], mtu[256];
    int has_ip, has_mtu;
};

/* Returns 0 or -1 as boot_params_parse should; *warned if a warning. */
static int oracle(const char *s, struct boot_params *w, int *warned)
{
    char *word = malloc(strlen(s) + 1);
    REQUIRE(word != NULL);
    static struct slot slots[8];
    size_t nslots = 0;
    char gw[256] = "", dns[256] = "", domain[256] = "", host[256] = "";
    memset(slots, 0, sizeof slots);
    memset(w, 0, sizeof *w);
    strcpy(w->rootfstype, "ext4");
    strcpy(w->config, "/image/config.json");
    *warned = 0;
    int rc = 0;
    for (;;) {
        while (is_space(*s))
            s++;
        if (*s == '\0')
            break;
        size_t n = 0;
        int quoted = 0;
        for (; *s != '\0' && (quoted || !is_space(*s)); s++) {
            if (*s == '"')
                quoted = !quoted;
            else
                word[n++] = *s;
        }
        word[n] = '\0';
        if (strncmp(word, "smk.", 4) != 0)
            continue;
        char *eq = strchr(word, '=');
        const char *value = eq ? eq + 1 : "";
        size_t keylen = eq ? (size_t)(eq - word) : n;
        char *dest = NULL;
        int ip = 0, mtu = 0;
#define KEY(k) (keylen == sizeof k - 1 && memcmp(word, k, keylen) == 0)
        if (KEY("smk.rootdev"))
            dest = w->rootdev;
        else if (KEY("smk.rootfstype"))
            dest = w->rootfstype;
        else if (KEY("smk.config"))
            dest = w->config;
        else if (KEY("smk.gw"))
            dest = gw;
        else if (KEY("smk.dns"))
            dest = dns;
        else if (KEY("smk.domain"))
            dest = domain;
        else if (KEY("smk.hostname"))
            dest = host;
        else if (KEY("smk.ip"))
            ip = 1;
        else if (KEY("smk.mtu"))
            mtu = 1;
        else if (KEY("smk.debug"))
            w->debug = eq == NULL || strcmp(value, "0") != 0;
        else
            *warned = 1;
#undef KEY
        if (dest == NULL && !ip && !mtu)
            continue;
        if (strlen(value) > 255) {
            rc = -1;
            goto out;
        }
        if (ip || mtu) {
            const char *colon = strchr(value, ':');
            char name[256];
            if (colon)
                snprintf(name, sizeof name, "%.*s", (int)(colon - value), value);
            else
                strcpy(name, "eth0");
            size_t i = 0;
            while (i < nslots && strcmp(slots[i].name, name) != 0)
                i++;
            if (i == nslots) {
                if (nslots == 8) {
                    rc = -1;
                    goto out;
                }
                strcpy(slots[nslots++].name, name);
            }
            dest = ip ? slots[i].ip : slots[i].mtu;
            *(ip ? &slots[i].has_ip : &slots[i].has_mtu) = 1;
        }
        strcpy(dest, value);
    }
    if (w->rootdev[0] != '\0' && strncmp(w->rootdev, "/dev/", 5) != 0)
        rc = -1;
    if (w->rootfstype[0] == '\0' ||
        strspn(w->rootfstype, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(w->rootfstype))
        rc = -1;
    if (w->config[0] != '/')
        rc = -1;

    /* The network: a failure anywhere is -1; on success w->net is what
     * the parser must have produced. */
    struct netconf_params *net = &w->net;
    for (size_t i = 0; i < nslots; i++) {
        struct slot *sl = &slots[i];
        struct netconf_iface *f = &net->iface[net->niface++];
        size_t len = strlen(sl->name);
        if (len == 0 || len > 15 || strcmp(sl->name, ".") == 0 || strcmp(sl->name, "..") == 0 ||
            strcmp(sl->name, "lo") == 0) {
            rc = -1;
            goto out;
        }
        for (size_t k = 0; k < len; k++)
            if (sl->name[k] == '/' || is_space(sl->name[k])) {
                rc = -1;
                goto out;
            }
        strcpy(f->name, sl->name);
        if (sl->has_ip) {
            const char *v = strchr(sl->ip, ':') ? strchr(sl->ip, ':') + 1 : sl->ip;
            const char *slash = strchr(v, '/');
            long p = slash ? decimal(slash + 1, strlen(slash + 1), 2) : -1;
            if (slash == NULL || !ipv4(v, (size_t)(slash - v), &f->addr) || p < 1 || p > 32 ||
                !host_ok(f->addr) || !in_subnet_ok(f->addr, (unsigned)p)) {
                rc = -1;
                goto out;
            }
            f->prefix = (unsigned)p;
        }
        if (sl->has_mtu) {
            const char *v = strchr(sl->mtu, ':') ? strchr(sl->mtu, ':') + 1 : sl->mtu;
            long m = decimal(v, strlen(v), 5);
            if (m < 68 || m > 65535) {
                rc = -1;
                goto out;
            }
            f->mtu = (unsigned)m;
        }
    }
    if (gw[0] != '\0' && (!ipv4(gw, strlen(gw), &net->gw) || !host_ok(net->gw))) {
        rc = -1;
        goto out;
    }
    if (dns[0] != '\0') {
        const char *t = dns;
        for (;;) {
            size_t len = strcspn(t, ",");
            char buf[256];
            uint32_t a4;
            struct in6_addr a6;
            snprintf(buf, sizeof buf, "%.*s", (int)len, t);
            if (net->ndns == 3) {
                rc = -1;
                goto out;
            }
            char *o = net->dns[net->ndns++];
            if (ipv4(buf, len, &a4)) {
                struct in_addr in = {htonl(a4)};
                if (a4 == 0 || inet_ntop(AF_INET, &in, o, NETCONF_ADDR_SIZE) == NULL) {
                    rc = -1;
                    goto out;
                }
            } else if (inet_pton(AF_INET6, buf, &a6) != 1 ||
                       memcmp(&a6, &in6addr_any, sizeof a6) == 0 ||
                       inet_ntop(AF_INET6, &a6, o, NETCONF_ADDR_SIZE) == NULL) {
                rc = -1;
                goto out;
            }
            if (t[len] == '\0')
                break;
            t += len + 1;
        }
    }
    if (domain[0] != '\0') {
        const char *t = domain;
        int count = 0;
        for (;;) {
            size_t len = strcspn(t, ",");
            if (!dns_name_ok(t, len, 253) || ++count > 6) {
                rc = -1;
                goto out;
            }
            snprintf(net->search + strlen(net->search), sizeof net->search - strlen(net->search),
                     "%s%.*s", count > 1 ? " " : "", (int)len, t);
            if (t[len] == '\0')
                break;
            t += len + 1;
        }
    }
    if (host[0] != '\0') {
        if (!dns_name_ok(host, strlen(host), 64)) {
            rc = -1;
            goto out;
        }
        strcpy(net->hostname, host);
    }
    for (size_t i = 0; i < net->niface; i++)
        for (size_t j = 0; j < i; j++)
            if (net->iface[i].addr != 0 && net->iface[i].addr == net->iface[j].addr) {
                rc = -1;
                goto out;
            }
    if (net->gw != 0) {
        size_t i = 0;
        for (; i < net->niface; i++) {
            const struct netconf_iface *f = &net->iface[i];
            if (f->addr != 0 && (f->addr & mask_of(f->prefix)) == (net->gw & mask_of(f->prefix)))
                break;
        }
        if (!host_ok(net->gw) || i == net->niface || net->gw == net->iface[i].addr ||
            !in_subnet_ok(net->gw, net->iface[i].prefix)) {
            rc = -1;
            goto out;
        }
        strcpy(net->gw_dev, net->iface[i].name);
    }
out:
    free(word);
    return rc;
}

static void same_net(const struct netconf_params *got, const struct netconf_params *want)
{
    REQUIRE(got->niface == want->niface);
    for (size_t i = 0; i < want->niface; i++) {
        REQUIRE(strcmp(got->iface[i].name, want->iface[i].name) == 0);
        REQUIRE(got->iface[i].addr == want->iface[i].addr);
        REQUIRE(got->iface[i].prefix == want->iface[i].prefix);
        REQUIRE(got->iface[i].mtu == want->iface[i].mtu);
    }
    REQUIRE(got->gw == want->gw && strcmp(got->gw_dev, want->gw_dev) == 0);
    REQUIRE(got->ndns == want->ndns);
    for (size_t i = 0; i < want->ndns; i++)
        REQUIRE(strcmp(got->dns[i], want->dns[i]) == 0);
    REQUIRE(strcmp(got->search, want->search) == 0);
    REQUIRE(strcmp(got->hostname, want->hostname) == 0);
}

/* A message may quote the line's bytes, control characters included (a
 * quoted word can hold a newline): console.c replaces them when it prints
 * the line, errors and warnings alike. */
static size_t msg_len(const char *m, size_t size)
{
    size_t n = strnlen(m, size);
    REQUIRE(n < size);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    char *warn = malloc(MSG_SIZE), *err = malloc(MSG_SIZE);
    REQUIRE(line != NULL && warn != NULL && err != NULL);
    if (size > 0)
        memcpy(line, data, size);
    line[size] = '\0';
    memset(warn, 'x', MSG_SIZE);
    memset(err, 0, MSG_SIZE);

    struct boot_params bp, want;
    int warned;
    int rc = boot_params_parse(&bp, line, warn, MSG_SIZE, err, MSG_SIZE);
    fuzz_expect(rc == 0, rc ? err : NULL);
    REQUIRE(rc == 0 || rc == -1);
    REQUIRE(oracle(line, &want, &warned) == rc);
    size_t wlen = msg_len(warn, MSG_SIZE), elen = msg_len(err, MSG_SIZE);
    if (rc == 0) {
        REQUIRE(strcmp(bp.rootdev, want.rootdev) == 0);
        REQUIRE(strcmp(bp.rootfstype, want.rootfstype) == 0);
        REQUIRE(strcmp(bp.config, want.config) == 0);
        REQUIRE(bp.debug == want.debug);
        same_net(&bp.net, &want.net);
        REQUIRE((wlen > 0) == warned);
        REQUIRE(elen == 0); /* untouched */
    } else {
        REQUIRE(strncmp(err, "kernel parameter smk.", 21) == 0);
    }

    /* Again with short buffers of exactly their sizes. */
    size_t wsmall = size % 11, esmall = size % 29;
    char *warn2 = malloc(wsmall), *err2 = malloc(esmall);
    REQUIRE((warn2 != NULL || wsmall == 0) && (err2 != NULL || esmall == 0));
    if (esmall > 0)
        memset(err2, 0, esmall);
    struct boot_params bp2;
    REQUIRE(boot_params_parse(&bp2, line, warn2, wsmall, err2, esmall) == rc);
    REQUIRE(memcmp(&bp, &bp2, sizeof bp) == 0);
    if (wsmall > 0) {
        size_t n = strnlen(warn2, wsmall);
        REQUIRE(n == (wlen < wsmall - 1 ? wlen : wsmall - 1) && memcmp(warn2, warn, n) == 0);
    }
    if (esmall > 0) {
        size_t n = strnlen(err2, esmall);
        REQUIRE(n == (elen < esmall - 1 ? elen : esmall - 1) && memcmp(err2, err, n) == 0);
    }
    free(warn2);
    free(err2);
    free(warn);
    free(err);
    free(line);
    return 0;
}
