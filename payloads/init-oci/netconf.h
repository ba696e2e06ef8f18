/* The network configuration init-oci applies at boot (IMAGE-CONFIG.md,
 * "Network"), as pure functions: the smk.ip/gw/dns/mtu/hostname/domain
 * values, host name rules, /proc/net/pnp and /proc/net/route as the
 * kernel writes them, the plan that merges all of it with what the
 * kernel's ip= did already, and the text of /etc/resolv.conf and
 * /etc/hosts. Nothing here touches the system (netif.c does), so host
 * tests cover every rule. IPv4 addresses are uint32_t in host byte order. */
#ifndef INIT_OCI_NETCONF_H
#define INIT_OCI_NETCONF_H

#include <stddef.h>
#include <stdint.h>

#define NETCONF_MAX_IFACES 8
#define NETCONF_IFNAME_SIZE 16    /* the kernel's IFNAMSIZ, NUL included */
#define NETCONF_DEFAULT_IFACE "eth0"
#define NETCONF_MAX_DNS 3         /* MAXNS: glibc and musl read no more */
#define NETCONF_MAX_SEARCH 6
#define NETCONF_SEARCH_SIZE 256
#define NETCONF_ADDR_SIZE 46      /* INET6_ADDRSTRLEN */
#define NETCONF_HOSTNAME_MAX 64   /* HOST_NAME_MAX: what sethostname takes */
#define NETCONF_DOMAIN_MAX 253
#define NETCONF_MTU_MIN 68        /* the IPv4 minimum (RFC 791) */
#define NETCONF_MTU_MAX 65535
#define NETCONF_MAX_WARN (NETCONF_MAX_IFACES + 2)
#define NETCONF_WARN_SIZE 200

struct netconf_iface {
    char name[NETCONF_IFNAME_SIZE];
    uint32_t addr;   /* smk.ip; 0 when only smk.mtu names the interface */
    unsigned prefix; /* 1..32 with an address */
    unsigned mtu;    /* smk.mtu; 0 leaves the interface's own */
};

/* What the smk.* network parameters ask for; all zero when none is given. */
struct netconf_params {
    struct netconf_iface iface[NETCONF_MAX_IFACES]; /* command line order */
    size_t niface;
    uint32_t gw;                                    /* smk.gw; 0: none */
    char gw_dev[NETCONF_IFNAME_SIZE];               /* the interface that reaches it */
    char dns[NETCONF_MAX_DNS][NETCONF_ADDR_SIZE];   /* smk.dns, normalized */
    size_t ndns;
    char search[NETCONF_SEARCH_SIZE];               /* smk.domain, space-separated */
    char hostname[NETCONF_HOSTNAME_MAX + 1];        /* smk.hostname; "" unset */
};

/* Each parser below takes one parameter's value and returns 0, or -1 with
 * the reason (no parameter name) in err. */

/* A dotted quad, strictly: four decimal parts 0-255 without leading zeros. */
int netconf_parse_ipv4(const char *s, uint32_t *out);

/* "ADDR/PREFIX", the part of smk.ip after the interface: a host address
 * (not 0.0.0.0/8, 127/8, multicast or reserved; not its subnet's network
 * or broadcast address) and a prefix length 1-32. */
int netconf_parse_ip(const char *s, uint32_t *addr, unsigned *prefix,
                     char *err, size_t errlen);

/* smk.gw: an IPv4 address that can be a gateway (not 0.0.0.0/8, 127/8,
 * multicast or reserved); netconf_check() decides whether it is reachable. */
int netconf_parse_gw(const char *s, uint32_t *gw, char *err, size_t errlen);

/* The part of smk.mtu after the interface: 68-65535. */
int netconf_parse_mtu(const char *s, unsigned *mtu, char *err, size_t errlen);

/* smk.dns: "ADDR[,ADDR...]", one to three IPv4 or IPv6 addresses. */
int netconf_parse_dns(const char *s, struct netconf_params *out,
                      char *err, size_t errlen);

/* smk.domain: "DOMAIN[,DOMAIN...]", one to six domain names. */
int netconf_parse_search(const char *s, struct netconf_params *out,
                         char *err, size_t errlen);

/* An interface name the kernel accepts (dev_valid_name: 1-15 bytes, no
 * '/', ':' or space, not "." or ".."), other than "lo", which init-oci
 * configures itself. Returns NULL, or why the name is refused. */
const char *netconf_ifname_problem(const char *name);

/* RFC 1123 host name: dot-separated labels of letters, digits and '-'
 * (not first or last), 1-63 bytes each, at most 64 bytes in all. Returns
 * NULL, or why the name is refused. */
const char *netconf_hostname_problem(const char *name);

/* Checks the whole set once every value is parsed: no address on two
 * interfaces, and smk.gw inside the subnet of an smk.ip address (its
 * interface goes to gw_dev). Returns 0, or -1 with a message that names
 * the parameter in err. */
int netconf_check(struct netconf_params *p, char *err, size_t errlen);

/* An interface the kernel's ip= configured before init-oci started. */
struct netconf_kernel_iface {
    char name[NETCONF_IFNAME_SIZE];
    uint32_t addr;
};

/* What /proc/net/pnp lists. */
struct netconf_pnp {
    char dns[NETCONF_MAX_DNS][NETCONF_ADDR_SIZE];
    size_t ndns;
    char search[NETCONF_SEARCH_SIZE]; /* its "domain", when a valid name */
};

/* Reads the text of /proc/net/pnp ("#PROTO: DHCP", "domain x",
 * "nameserver 10.0.2.3", "bootserver ..."); lines it does not know, or
 * whose value is not valid, are skipped. */
void netconf_parse_pnp(struct netconf_pnp *out, const char *text);

/* 1 when the text of /proc/net/route holds a default route, else 0. */
int netconf_has_default_route(const char *text);

/* What init-oci does, merged from all sources. */
struct netconf_plan {
    struct netconf_iface iface[NETCONF_MAX_IFACES]; /* to configure */
    size_t niface;
    uint32_t gw;                                    /* 0: no route to add */
    char gw_dev[NETCONF_IFNAME_SIZE];
    char dns[NETCONF_MAX_DNS][NETCONF_ADDR_SIZE];   /* empty: resolv.conf untouched */
    size_t ndns;
    const char *dns_source;                         /* for resolv.conf's comment */
    char search[NETCONF_SEARCH_SIZE];
    char hostname[NETCONF_HOSTNAME_MAX + 1];        /* "": none valid */
    int set_hostname;                               /* differs from the kernel's */
    uint32_t hosts_addr;                            /* 0: 127.0.1.1 */
    char warn[NETCONF_MAX_WARN][NETCONF_WARN_SIZE]; /* one console line each */
    size_t nwarn;
};

/* Merges the parameters with the interfaces the kernel configured (kif),
 * /proc/net/pnp, whether a default route exists, the image config's
 * Hostname ("" if none) and the kernel's current host name:
 *   - an interface the kernel configured is left alone: smk.ip/smk.mtu for
 *     it, and smk.gw through it, are dropped with a warning; so is smk.gw
 *     when a default route exists;
 *   - name servers: smk.dns, else /proc/net/pnp; search: smk.domain, else
 *     pnp's domain (smk.domain without any name server: a warning);
 *   - host name: smk.hostname, else config Hostname, else the kernel's;
 *   - /etc/hosts address: the first smk.ip address configured, else the
 *     first kernel-configured one, else 127.0.1.1. */
void netconf_plan(struct netconf_plan *out, const struct netconf_params *p,
                  const struct netconf_kernel_iface *kif, size_t nkif,
                  const struct netconf_pnp *pnp, int default_route,
                  const char *config_hostname, const char *kernel_hostname);

/* The text of /etc/resolv.conf into buf. Returns its length, 0 when the
 * plan has no name server (the image's file stays), -1 if buf is too small. */
int netconf_resolv_conf(const struct netconf_plan *plan, char *buf, size_t len);

/* The text of /etc/hosts: localhost for 127.0.0.1 and ::1, then the host
 * name (and its first label, unless the name is an IPv4 address) on
 * hosts_addr. Returns its length or -1. */
int netconf_hosts(const struct netconf_plan *plan, char *buf, size_t len);

/* "a.b.c.d" into buf (at least 16 bytes); returns buf. */
const char *netconf_ipv4_str(uint32_t addr, char *buf);

/* The netmask of a prefix length 0-32. */
uint32_t netconf_mask(unsigned prefix);

#endif
