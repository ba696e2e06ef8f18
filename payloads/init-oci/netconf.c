/* See netconf.h. */
#include "netconf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Decimal digits only, no sign, no leading zero; at most max_digits. */
static int parse_decimal(const char *s, size_t len, unsigned max_digits, unsigned *out)
{
    if (len == 0 || len > max_digits || (len > 1 && s[0] == '0'))
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_ipv4_len(const char *s, size_t len, uint32_t *out)
{
    uint32_t a = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        unsigned v;
        if (parse_decimal(s + start, i - start, 3, &v) != 0 || v > 255)
            return -1;
        a = a << 8 | v;
    }
    if (i != len)
        return -1;
    *out = a;
    return 0;
}

int netconf_parse_ipv4(const char *s, uint32_t *out)
{
    return parse_ipv4_len(s, strlen(s), out);
}

uint32_t netconf_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : 0xFFFFFFFFu << (32 - prefix);
}

const char *netconf_ipv4_str(uint32_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return buf;
}

/* Why a is no address for a host or a gateway, or NULL. */
static const char *host_addr_problem(uint32_t a)
{
    if (a >> 24 == 0)
        return "is in 0.0.0.0/8 (\"this network\")";
    if (a >> 24 == 127)
        return "is a loopback address";
    if (a >> 28 == 0xE)
        return "is a multicast address";
    if (a >> 28 == 0xF)
        return "is a reserved or broadcast address";
    return NULL;
}

/* Why a cannot be a host of subnet net/prefix, or NULL. /31 and /32 have
 * no network or broadcast address (RFC 3021). */
static const char *subnet_host_problem(uint32_t a, unsigned prefix)
{
    uint32_t host = a & ~netconf_mask(prefix);
    if (prefix <= 30 && host == 0)
        return "network";
    if (prefix <= 30 && host == ~netconf_mask(prefix))
        return "broadcast";
    return NULL;
}

int netconf_parse_ip(const char *s, uint32_t *addr, unsigned *prefix,
                     char *err, size_t errlen)
{
    const char *slash = strchr(s, '/');
    uint32_t a;
    unsigned p;
    if (slash == NULL || parse_ipv4_len(s, (size_t)(slash - s), &a) != 0 ||
        parse_decimal(slash + 1, strlen(slash + 1), 2, &p) != 0 || p < 1 || p > 32)
        return fail(err, errlen, "expected [IFACE:]ADDR/PREFIX, an IPv4 address and "
                    "a prefix length 1-32, such as 10.0.2.15/24");
    char text[16], net[16];
    const char *why = host_addr_problem(a);
    if (why != NULL)
        return fail(err, errlen, "%s %s", netconf_ipv4_str(a, text), why);
    why = subnet_host_problem(a, p);
    if (why != NULL)
        return fail(err, errlen, "%s is the %s address of %s/%u", netconf_ipv4_str(a, text),
                    why, netconf_ipv4_str(a & netconf_mask(p), net), p);
    *addr = a;
    *prefix = p;
    return 0;
}

int netconf_parse_gw(const char *s, uint32_t *gw, char *err, size_t errlen)
{
    uint32_t a;
    if (netconf_parse_ipv4(s, &a) != 0)
        return fail(err, errlen, "expected an IPv4 address such as 10.0.2.2");
    const char *why = host_addr_problem(a);
    if (why != NULL)
        return fail(err, errlen, "%s %s", s, why);
    *gw = a;
    return 0;
}

int netconf_parse_mtu(const char *s, unsigned *mtu, char *err, size_t errlen)
{
    unsigned v;
    if (parse_decimal(s, strlen(s), 5, &v) != 0 || v < NETCONF_MTU_MIN || v > NETCONF_MTU_MAX)
        return fail(err, errlen, "expected [IFACE:]MTU, a number %d-%d",
                    NETCONF_MTU_MIN, NETCONF_MTU_MAX);
    *mtu = v;
    return 0;
}

/* One name server: IPv4 (strict) or IPv6, normalized into out. */
static int parse_nameserver(const char *s, size_t len, char out[NETCONF_ADDR_SIZE])
{
    uint32_t a;
    if (parse_ipv4_len(s, len, &a) == 0) {
        if (a == 0)
            return -1;
        netconf_ipv4_str(a, out);
        return 0;
    }
    char buf[NETCONF_ADDR_SIZE];
    struct in6_addr a6;
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET6, buf, &a6) != 1 || memcmp(&a6, &in6addr_any, sizeof a6) == 0 ||
        inet_ntop(AF_INET6, &a6, out, NETCONF_ADDR_SIZE) == NULL)
        return -1;
    return 0;
}

int netconf_parse_dns(const char *s, struct netconf_params *out, char *err, size_t errlen)
{
    out->ndns = 0;
    for (;;) {
        size_t len = strcspn(s, ",");
        if (out->ndns == NETCONF_MAX_DNS)
            return fail(err, errlen, "more than %d name servers (resolvers read no more)",
                        NETCONF_MAX_DNS);
        if (parse_nameserver(s, len, out->dns[out->ndns]) != 0) {
            out->ndns = 0;
            return fail(err, errlen, "expected ADDR[,ADDR...], IPv4 or IPv6 addresses "
                        "such as 10.0.2.3");
        }
        out->ndns++;
        if (s[len] == '\0')
            return 0;
        s += len + 1;
    }
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 1123 labels, at most max bytes in all. */
static const char *dns_name_problem(const char *s, size_t len, size_t max)
{
    if (len == 0)
        return "empty";
    if (len > max)
        return max == NETCONF_HOSTNAME_MAX ? "longer than 64 bytes" : "longer than 253 bytes";
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : '.';
        if (c == '.') {
            if (label == 0)
                return "has an empty label (a leading, trailing or double '.')";
            if (label > 63)
                return "has a label longer than 63 bytes";
            if (s[i - 1] == '-' || s[i - label] == '-')
                return "has a label that starts or ends with '-'";
            label = 0;
        } else if (is_alnum(c) || c == '-') {
            label++;
        } else {
            return "may hold only letters, digits, '-' and '.'";
        }
    }
    return NULL;
}

const char *netconf_hostname_problem(const char *name)
{
    return dns_name_problem(name, strlen(name), NETCONF_HOSTNAME_MAX);
}

int netconf_parse_search(const char *s, struct netconf_params *out, char *err, size_t errlen)
{
    size_t n = 0, count = 0;
    out->search[0] = '\0';
    for (;;) {
        size_t len = strcspn(s, ",");
        const char *why = dns_name_problem(s, len, NETCONF_DOMAIN_MAX);
        if (why != NULL) {
            out->search[0] = '\0';
            return fail(err, errlen, "expected DOMAIN[,DOMAIN...]: \"%.*s\" %s",
                        (int)len, s, why);
        }
        if (++count > NETCONF_MAX_SEARCH) {
            out->search[0] = '\0';
            return fail(err, errlen, "more than %d domains", NETCONF_MAX_SEARCH);
        }
        /* Fits: the list is shorter than a parameter value. */
        n += (size_t)snprintf(out->search + n, sizeof out->search - n, "%s%.*s",
                              n > 0 ? " " : "", (int)len, s);
        if (s[len] == '\0')
            return 0;
        s += len + 1;
    }
}

/* The kernel's isspace() (lib/ctype.c): ASCII white space and 0xA0. */
static int kernel_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0;
}

const char *netconf_ifname_problem(const char *name)
{
    size_t len = strlen(name);
    if (len == 0)
        return "empty interface name";
    if (len >= NETCONF_IFNAME_SIZE)
        return "interface name longer than 15 bytes";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "not an interface name";
    for (const char *c = name; *c != '\0'; c++)
        if (*c == '/' || *c == ':' || kernel_space((unsigned char)*c))
            return "an interface name may not hold '/', ':' or spaces";
    if (strcmp(name, "lo") == 0)
        return "lo is configured by init-oci itself";
    return NULL;
}

int netconf_check(struct netconf_params *p, char *err, size_t errlen)
{
    char a[16], b[16];
    for (size_t i = 0; i < p->niface; i++)
        for (size_t j = 0; j < i; j++)
            if (p->iface[i].addr != 0 && p->iface[i].addr == p->iface[j].addr)
                return fail(err, errlen, "kernel parameter smk.ip=%s:%s/%u: %s is "
                            "the address of %s already", p->iface[i].name,
                            netconf_ipv4_str(p->iface[i].addr, a), p->iface[i].prefix,
                            a, p->iface[j].name);
    p->gw_dev[0] = '\0';
    if (p->gw == 0)
        return 0;
    netconf_ipv4_str(p->gw, a);
    const char *why = host_addr_problem(p->gw);
    if (why != NULL)
        return fail(err, errlen, "kernel parameter smk.gw=%s: %s %s", a, a, why);
    int any = 0;
    for (size_t i = 0; i < p->niface; i++) {
        const struct netconf_iface *f = &p->iface[i];
        if (f->addr == 0)
            continue;
        any = 1;
        uint32_t mask = netconf_mask(f->prefix);
        if ((p->gw & mask) != (f->addr & mask))
            continue;
        if (p->gw == f->addr)
            return fail(err, errlen, "kernel parameter smk.gw=%s: that is %s's own "
                        "address", a, f->name);
        why = subnet_host_problem(p->gw, f->prefix);
        if (why != NULL)
            return fail(err, errlen, "kernel parameter smk.gw=%s: %s is the %s "
                        "address of %s/%u", a, a, why,
                        netconf_ipv4_str(f->addr & mask, b), f->prefix);
        strcpy(p->gw_dev, f->name);
        return 0;
    }
    return fail(err, errlen, "kernel parameter smk.gw=%s: %s", a,
                any ? "not inside the subnet of any smk.ip address, so not reachable"
                    : "no smk.ip address to reach it from");
}

/* Calls fn for each line of text, without its newline. */
static void each_line(const char *text, void (*fn)(const char *, size_t, void *), void *arg)
{
    while (*text != '\0') {
        size_t len = strcspn(text, "\n");
        size_t trimmed = len;
        while (trimmed > 0 && kernel_space((unsigned char)text[trimmed - 1]))
            trimmed--;
        fn(text, trimmed, arg);
        text += len;
        if (*text == '\n')
            text++;
    }
}

static int line_value(const char *line, size_t len, const char *key, const char **value,
                      size_t *vlen)
{
    size_t k = strlen(key);
    if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
        return 0;
    *value = line + k + 1;
    *vlen = len - k - 1;
    return 1;
}

static void pnp_line(const char *line, size_t len, void *arg)
{
    struct netconf_pnp *out = arg;
    const char *v;
    size_t vlen;
    if (line_value(line, len, "nameserver", &v, &vlen)) {
        uint32_t a;
        if (out->ndns < NETCONF_MAX_DNS && parse_ipv4_len(v, vlen, &a) == 0 && a != 0)
            netconf_ipv4_str(a, out->dns[out->ndns++]);
    } else if (line_value(line, len, "domain", &v, &vlen)) {
        if (dns_name_problem(v, vlen, NETCONF_DOMAIN_MAX) == NULL)
            snprintf(out->search, sizeof out->search, "%.*s", (int)vlen, v);
    }
}

void netconf_parse_pnp(struct netconf_pnp *out, const char *text)
{
    memset(out, 0, sizeof *out);
    each_line(text, pnp_line, out);
}

static void route_line(const char *line, size_t len, void *arg)
{
    /* "Iface Destination Gateway Flags RefCnt Use Metric Mask ...", in
     * hex; the header line has no such values. (Not sscanf: it would
     * bring musl's whole scanf, floats included, into the binary.) */
    const char *field[8];
    size_t flen[8], n = 0, i = 0;
    while (n < 8) {
        while (i < len && kernel_space((unsigned char)line[i]))
            i++;
        if (i == len)
            return;
        field[n] = line + i;
        while (i < len && !kernel_space((unsigned char)line[i]))
            i++;
        flen[n] = (size_t)(line + i - field[n]);
        n++;
    }
    /* RTF_UP is bit 0 of Flags, its last hex digit. */
    char last = field[3][flen[3] - 1];
    int up = strchr("13579bBdDfF", last) != NULL;
    if (flen[1] == 8 && memcmp(field[1], "00000000", 8) == 0 && flen[7] == 8 &&
        memcmp(field[7], "00000000", 8) == 0 && up)
        *(int *)arg = 1;
}

int netconf_has_default_route(const char *text)
{
    int found = 0;
    each_line(text, route_line, &found);
    return found;
}

static void add_warn(struct netconf_plan *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_warn(struct netconf_plan *out, const char *fmt, ...)
{
    if (out->nwarn == NETCONF_MAX_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->warn[out->nwarn++], NETCONF_WARN_SIZE, fmt, ap);
    va_end(ap);
}

static const struct netconf_kernel_iface *find_kernel(const struct netconf_kernel_iface *kif,
                                                      size_t nkif, const char *name)
{
    for (size_t i = 0; i < nkif; i++)
        if (strcmp(kif[i].name, name) == 0)
            return &kif[i];
    return NULL;
}

void netconf_plan(struct netconf_plan *out, const struct netconf_params *p,
                  const struct netconf_kernel_iface *kif, size_t nkif,
                  const struct netconf_pnp *pnp, int default_route,
                  const char *config_hostname, const char *kernel_hostname)
{
    memset(out, 0, sizeof *out);
    char a[16];
    for (size_t i = 0; i < p->niface; i++) {
        const struct netconf_iface *f = &p->iface[i];
        const struct netconf_kernel_iface *k = find_kernel(kif, nkif, f->name);
        if (k != NULL) {
            add_warn(out, "%s%s%s for %s ignored: the kernel's ip= configured it (%s)",
                     f->addr ? "smk.ip" : "", f->addr && f->mtu ? " and " : "",
                     f->mtu ? "smk.mtu" : "", f->name, netconf_ipv4_str(k->addr, a));
            continue;
        }
        out->iface[out->niface++] = *f;
        if (out->hosts_addr == 0)
            out->hosts_addr = f->addr;
    }
    if (out->hosts_addr == 0 && nkif > 0)
        out->hosts_addr = kif[0].addr;

    if (p->gw != 0) {
        netconf_ipv4_str(p->gw, a);
        if (find_kernel(kif, nkif, p->gw_dev) != NULL)
            add_warn(out, "smk.gw=%s ignored: the kernel's ip= configured %s", a, p->gw_dev);
        else if (default_route)
            add_warn(out, "smk.gw=%s ignored: there is a default route already "
                     "(the kernel's ip=)", a);
        else {
            out->gw = p->gw;
            strcpy(out->gw_dev, p->gw_dev);
        }
    }

    const char (*dns)[NETCONF_ADDR_SIZE] = p->ndns > 0 ? p->dns : pnp->dns;
    out->ndns = p->ndns > 0 ? p->ndns : pnp->ndns;
    out->dns_source = p->ndns > 0 ? "smk.dns" : "the kernel's ip= (/proc/net/pnp)";
    memcpy(out->dns, dns, sizeof out->dns);
    if (out->ndns > 0)
        strcpy(out->search, p->search[0] != '\0' ? p->search : pnp->search);
    else if (p->search[0] != '\0')
        add_warn(out, "smk.domain=%s ignored: no name server (smk.dns or the kernel's ip=)",
                 p->search);

    /* The order (#10): the image's Hostname, else smk.hostname,
     * else the kernel's -- an image that names itself keeps its name. */
    const char *name = config_hostname[0] != '\0' ? config_hostname
                       : p->hostname[0] != '\0' ? p->hostname
                                                 : kernel_hostname;
    if (netconf_hostname_problem(name) == NULL)
        snprintf(out->hostname, sizeof out->hostname, "%s", name);
    out->set_hostname = out->hostname[0] != '\0' && strcmp(out->hostname, kernel_hostname) != 0;
}

/* Appends to buf; returns -1 once it no longer fits. */
static int append(char *buf, size_t len, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
    if (*n >= len)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + *n, len - *n, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)m >= len - *n)
        return -1;
    *n += (size_t)m;
    return 0;
}

int netconf_resolv_conf(const struct netconf_plan *plan, char *buf, size_t len)
{
    size_t n = 0;
    if (len > 0)
        buf[0] = '\0';
    if (plan->ndns == 0)
        return 0;
    if (append(buf, len, &n, "# Written by init-oci at boot, from %s.\n", plan->dns_source))
        return -1;
    for (size_t i = 0; i < plan->ndns; i++)
        if (append(buf, len, &n, "nameserver %s\n", plan->dns[i]))
            return -1;
    if (plan->search[0] != '\0' && append(buf, len, &n, "search %s\n", plan->search))
        return -1;
    return (int)n;
}

int netconf_hosts(const struct netconf_plan *plan, char *buf, size_t len)
{
    size_t n = 0;
    char a[16];
    if (append(buf, len, &n, "127.0.0.1\tlocalhost\n"
               "::1\tlocalhost ip6-localhost ip6-loopback\n"))
        return -1;
    const char *name = plan->hostname;
    if (name[0] == '\0' || strcmp(name, "localhost") == 0)
        return (int)n;
    uint32_t addr = plan->hosts_addr != 0 ? plan->hosts_addr : 0x7F000101u; /* 127.0.1.1 */
    /* The first label is an alias, unless the name is an address: what
     * the kernel's ip= names the machine when nothing names it. */
    uint32_t as_addr;
    size_t short_len = strcspn(name, ".");
    int alias = name[short_len] == '.' && netconf_parse_ipv4(name, &as_addr) != 0;
    if (append(buf, len, &n, "%s\t%s", netconf_ipv4_str(addr, a), name) ||
        (alias && append(buf, len, &n, " %.*s", (int)short_len, name)) ||
        append(buf, len, &n, "\n"))
        return -1;
    return (int)n;
}
