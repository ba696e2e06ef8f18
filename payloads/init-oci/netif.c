/* See netif.h. */
#include "netif.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "shutdown.h"

/* A /proc file's text, "" when it is missing or unreadable (no
 * CONFIG_IP_PNP: no /proc/net/pnp). */
static void read_text(const char *path, char *buf, size_t len)
{
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r;
        while (n + 1 < len && ((r = read(fd, buf + n, len - 1 - n)) > 0 ||
                               (r < 0 && errno == EINTR)))
            if (r > 0)
                n += (size_t)r;
        close(fd);
    }
    buf[n] = '\0';
}

static void ifreq_for(struct ifreq *r, const char *name)
{
    memset(r, 0, sizeof *r);
    /* netconf_ifname_problem() keeps names below IFNAMSIZ. */
    memcpy(r->ifr_name, name, strnlen(name, sizeof r->ifr_name - 1));
}

static void set_sin(struct sockaddr *sa, uint32_t addr)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    memcpy(sa, &sin, sizeof sin);
}

static int iface_exists(int fd, const char *name)
{
    struct ifreq r;
    ifreq_for(&r, name);
    return ioctl(fd, SIOCGIFINDEX, &r) == 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

_Static_assert(NET_IFACE_WAIT_MS == 5000, "the message below says 5 s");

/* Every named interface, within one shared deadline: virtio-net is
 * normally probed before init runs, but give a slow probe a moment. */
static void wait_for_ifaces(int fd, const struct netconf_params *p)
{
    long deadline = now_ms() + NET_IFACE_WAIT_MS;
    for (size_t i = 0; i < p->niface; i++) {
        const struct netconf_iface *f = &p->iface[i];
        while (!iface_exists(fd, f->name)) {
            if (errno != ENODEV || now_ms() >= deadline)
                shutdown_fatal("network interface %s (%s): %s%s", f->name,
                               f->addr != 0 ? "smk.ip" : "smk.mtu", strerror(errno),
                               errno == ENODEV ? " (waited 5 s)" : "");
            struct timespec tick = {0, 20 * 1000000L};
            nanosleep(&tick, NULL);
        }
    }
}

/* The interfaces that are up with an IPv4 address before init-oci touched
 * anything, lo aside: only the kernel's ip= does that. */
static size_t kernel_ifaces(int fd, struct netconf_kernel_iface *out, size_t max)
{
    struct ifreq req[32];
    struct ifconf ifc;
    ifc.ifc_len = sizeof req;
    ifc.ifc_req = req;
    if (ioctl(fd, SIOCGIFCONF, &ifc) != 0)
        shutdown_fatal("list network interfaces (SIOCGIFCONF): %s", strerror(errno));
    size_t n = 0;
    for (size_t i = 0; i < (size_t)ifc.ifc_len / sizeof req[0] && n < max; i++) {
        struct sockaddr_in sin;
        memcpy(&sin, &req[i].ifr_addr, sizeof sin);
        uint32_t addr = ntohl(sin.sin_addr.s_addr);
        struct ifreq r;
        ifreq_for(&r, req[i].ifr_name);
        if (sin.sin_family != AF_INET || addr >> 24 == 127 ||
            ioctl(fd, SIOCGIFFLAGS, &r) != 0 || (r.ifr_flags & IFF_LOOPBACK) ||
            !(r.ifr_flags & IFF_UP))
            continue;
        int seen = 0; /* one entry per address: keep an interface's first */
        for (size_t j = 0; j < n; j++)
            seen |= strcmp(out[j].name, r.ifr_name) == 0;
        if (seen)
            continue;
        snprintf(out[n].name, sizeof out[n].name, "%s", r.ifr_name);
        out[n++].addr = addr;
    }
    return n;
}

static int set_up(int fd, const char *name)
{
    struct ifreq r;
    ifreq_for(&r, name);
    if (ioctl(fd, SIOCGIFFLAGS, &r) != 0)
        return -1;
    r.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &r);
}

/* MTU first, then the address, and only then up: the interface never
 * runs half-configured. */
static void configure_iface(int fd, const struct netconf_iface *f)
{
    struct ifreq r;
    char a[16];
    if (f->mtu != 0) {
        ifreq_for(&r, f->name);
        r.ifr_mtu = (int)f->mtu;
        if (ioctl(fd, SIOCSIFMTU, &r) != 0)
            shutdown_fatal("set MTU %u on %s (smk.mtu): %s", f->mtu, f->name, strerror(errno));
    }
    if (f->addr != 0) {
        /* SIOCSIFADDR gives the address's classful mask; the netmask
         * follows at once, and the broadcast address with it. */
        ifreq_for(&r, f->name);
        set_sin(&r.ifr_addr, f->addr);
        if (ioctl(fd, SIOCSIFADDR, &r) != 0)
            shutdown_fatal("set address %s on %s (smk.ip): %s", netconf_ipv4_str(f->addr, a),
                           f->name, strerror(errno));
        ifreq_for(&r, f->name);
        set_sin(&r.ifr_netmask, netconf_mask(f->prefix));
        if (ioctl(fd, SIOCSIFNETMASK, &r) != 0)
            shutdown_fatal("set prefix /%u on %s (smk.ip): %s", f->prefix, f->name,
                           strerror(errno));
    }
    if (set_up(fd, f->name) != 0)
        shutdown_fatal("bring up %s: %s", f->name, strerror(errno));
    console_debug("network: %s up%s%s/%u", f->name, f->addr ? " with " : "",
                  f->addr ? netconf_ipv4_str(f->addr, a) : "", f->addr ? f->prefix : 0);
}

static void add_default_route(int fd, uint32_t gw, const char *dev)
{
    struct rtentry rt;
    char name[NETCONF_IFNAME_SIZE], a[16];
    memset(&rt, 0, sizeof rt);
    set_sin(&rt.rt_dst, 0);
    set_sin(&rt.rt_genmask, 0);
    set_sin(&rt.rt_gateway, gw);
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    snprintf(name, sizeof name, "%s", dev);
    rt.rt_dev = name;
    if (ioctl(fd, SIOCADDRT, &rt) != 0)
        shutdown_fatal("add default route via %s on %s (smk.gw): %s",
                       netconf_ipv4_str(gw, a), dev, strerror(errno));
}

void net_setup(const struct netconf_params *p, const char *config_hostname,
               struct netconf_plan *out)
{
    int asked = p->niface > 0 || p->gw != 0;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 && asked)
        shutdown_fatal("network configuration socket: %s", strerror(errno));

    struct netconf_kernel_iface kif[NETCONF_MAX_IFACES];
    size_t nkif = 0;
    if (fd >= 0) {
        wait_for_ifaces(fd, p);
        nkif = kernel_ifaces(fd, kif, NETCONF_MAX_IFACES);
    }
    static char text[16384];
    struct netconf_pnp pnp;
    read_text("/proc/net/pnp", text, sizeof text);
    netconf_parse_pnp(&pnp, text);
    read_text("/proc/net/route", text, sizeof text);
    struct utsname uts;
    if (uname(&uts) != 0)
        uts.nodename[0] = '\0';
    netconf_plan(out, p, kif, nkif, &pnp, netconf_has_default_route(text),
                 config_hostname, uts.nodename);
    for (size_t i = 0; i < out->nwarn; i++)
        console_warn("%s", out->warn[i]);

    /* The kernel gives lo 127.0.0.1/8 and ::1 as it comes up
     * (net/ipv4/devinet.c and net/ipv6/addrconf.c, NETDEV_UP). A guest
     * that asked for no network still wants it, but can live without. */
    if (fd < 0 || set_up(fd, "lo") != 0)
        console_warn("bring up lo: %s", strerror(errno));
    for (size_t i = 0; i < out->niface; i++)
        configure_iface(fd, &out->iface[i]);
    if (out->gw != 0)
        add_default_route(fd, out->gw, out->gw_dev);
    if (fd >= 0)
        close(fd);

    if (out->set_hostname && sethostname(out->hostname, strlen(out->hostname)) != 0)
        shutdown_fatal("sethostname %s: %s", out->hostname, strerror(errno));
    console_debug("network: host name %s", out->hostname[0] ? out->hostname : "(none valid)");
}
