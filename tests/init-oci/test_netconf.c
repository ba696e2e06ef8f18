/* The network rules as pure functions (payloads/init-oci/netconf.c): each
 * smk.* network value, host and interface names, /proc/net/pnp and
 * /proc/net/route as the kernel writes them, the plan that merges them with
 * what the kernel's ip= did, and the text of resolv.conf and hosts. */
#include <string.h>

#include "../../payloads/init-oci/netconf.h"
#include "check.h"

static char err[512];

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static int ipv4_ok(const char *s, uint32_t want)
{
    uint32_t got = 0;
    return netconf_parse_ipv4(s, &got) == 0 && got == want;
}

static int ipv4_bad(const char *s)
{
    uint32_t got = 12345;
    return netconf_parse_ipv4(s, &got) == -1 && got == 12345;
}

static void test_ipv4(void)
{
    CHECK(ipv4_ok("10.0.2.15", IP4(10, 0, 2, 15)));
    CHECK(ipv4_ok("0.0.0.0", 0));
    CHECK(ipv4_ok("255.255.255.255", 0xFFFFFFFFu));
    CHECK(ipv4_ok("192.168.100.1", IP4(192, 168, 100, 1)));
    const char *bad[] = {"", "10", "10.0.2", "10.0.2.15.1", "10.0.2.256", "10.0.2.015",
                         "010.0.2.15", "10.0.2.", ".10.0.2", "10..2.15", "10.0.2.15 ",
                         " 10.0.2.15", "+1.0.2.15", "10.0.2.1a", "0x0a.0.2.15",
                         "1000.0.2.15", "10.0.2.15/24", "::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(ipv4_bad(bad[i]));
    char buf[16];
    CHECK_STR(netconf_ipv4_str(IP4(10, 0, 2, 15), buf), "10.0.2.15");
    CHECK(netconf_mask(24) == IP4(255, 255, 255, 0));
    CHECK(netconf_mask(32) == 0xFFFFFFFFu && netconf_mask(0) == 0 && netconf_mask(1) == 0x80000000u);
}

static const char *ip_err(const char *s)
{
    uint32_t a;
    unsigned p;
    return netconf_parse_ip(s, &a, &p, err, sizeof err) == 0 ? "ok" : err;
}

static void test_ip(void)
{
    uint32_t a;
    unsigned p;
    CHECK(netconf_parse_ip("10.0.2.15/24", &a, &p, err, sizeof err) == 0);
    CHECK(a == IP4(10, 0, 2, 15) && p == 24);
    CHECK(netconf_parse_ip("192.168.1.1/32", &a, &p, err, sizeof err) == 0 && p == 32);
    CHECK(netconf_parse_ip("10.0.0.0/31", &a, &p, err, sizeof err) == 0); /* RFC 3021 */
    CHECK(netconf_parse_ip("10.0.0.1/31", &a, &p, err, sizeof err) == 0);
    CHECK(netconf_parse_ip("11.0.0.1/1", &a, &p, err, sizeof err) == 0 && p == 1);

    const char *syntax = "expected [IFACE:]ADDR/PREFIX, an IPv4 address and a prefix "
                         "length 1-32, such as 10.0.2.15/24";
    const char *bad[] = {"10.0.2.15", "10.0.2.15/", "10.0.2.15/33", "10.0.2.15/0",
                         "10.0.2.15/024", "10.0.2.15/2a", "10.0.2.15/-1", "10.0.2/24",
                         "/24", "", "10.0.2.15/24/1", "10.0.2.15 /24", "fd00::2/64",
                         "10.0.2.15/100"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_STR(ip_err(bad[i]), syntax);
    CHECK_STR(ip_err("0.1.2.3/8"), "0.1.2.3 is in 0.0.0.0/8 (\"this network\")");
    CHECK_STR(ip_err("127.0.0.2/8"), "127.0.0.2 is a loopback address");
    CHECK_STR(ip_err("224.0.0.1/24"), "224.0.0.1 is a multicast address");
    CHECK_STR(ip_err("240.0.0.1/24"), "240.0.0.1 is a reserved or broadcast address");
    CHECK_STR(ip_err("255.255.255.255/32"), "255.255.255.255 is a reserved or broadcast address");
    CHECK_STR(ip_err("10.0.2.0/24"), "10.0.2.0 is the network address of 10.0.2.0/24");
    CHECK_STR(ip_err("10.0.2.255/24"), "10.0.2.255 is the broadcast address of 10.0.2.0/24");
    CHECK_STR(ip_err("10.0.0.3/30"), "10.0.0.3 is the broadcast address of 10.0.0.0/30");
    CHECK_STR(ip_err("10.0.2.255/23"), "ok");
}

static void test_gw(void)
{
    uint32_t g = 0;
    CHECK(netconf_parse_gw("10.0.2.2", &g, err, sizeof err) == 0 && g == IP4(10, 0, 2, 2));
    g = 5;
    CHECK(netconf_parse_gw("0.0.0.0", &g, err, sizeof err) == -1 && g == 5);
    CHECK_STR(err, "0.0.0.0 is in 0.0.0.0/8 (\"this network\")");
    CHECK(netconf_parse_gw("127.0.0.1", &g, err, sizeof err) == -1);
    CHECK_STR(err, "127.0.0.1 is a loopback address");
    CHECK(netconf_parse_gw("239.1.1.1", &g, err, sizeof err) == -1);
    CHECK(netconf_parse_gw("router", &g, err, sizeof err) == -1);
    CHECK_STR(err, "expected an IPv4 address such as 10.0.2.2");
    CHECK(netconf_parse_gw("10.0.2.2/24", &g, err, sizeof err) == -1);
}

static void test_mtu(void)
{
    unsigned m = 0;
    CHECK(netconf_parse_mtu("1500", &m, err, sizeof err) == 0 && m == 1500);
    CHECK(netconf_parse_mtu("68", &m, err, sizeof err) == 0 && m == 68);
    CHECK(netconf_parse_mtu("65535", &m, err, sizeof err) == 0 && m == 65535);
    const char *bad[] = {"67", "65536", "0", "", "01500", "1500 ", "-1", "15OO", "100000",
                         "9999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = 7;
        CHECK(netconf_parse_mtu(bad[i], &m, err, sizeof err) == -1 && m == 7);
        CHECK_STR(err, "expected [IFACE:]MTU, a number 68-65535");
    }
}

static void test_dns(void)
{
    struct netconf_params p;
    memset(&p, 0, sizeof p);
    CHECK(netconf_parse_dns("10.0.2.3", &p, err, sizeof err) == 0);
    CHECK(p.ndns == 1);
    CHECK_STR(p.dns[0], "10.0.2.3");
    CHECK(netconf_parse_dns("1.1.1.1,2001:4860:4860:0:0:0:0:8888,127.0.0.53", &p, err,
                            sizeof err) == 0);
    CHECK(p.ndns == 3);
    CHECK_STR(p.dns[1], "2001:4860:4860::8888"); /* normalized */
    CHECK_STR(p.dns[2], "127.0.0.53");           /* a resolver inside the image */
    CHECK(netconf_parse_dns("1.1.1.1,1.0.0.1,8.8.8.8,8.8.4.4", &p, err, sizeof err) == -1);
    CHECK_STR(err, "more than 3 name servers (resolvers read no more)");
    const char *bad[] = {"", "0.0.0.0", "::", "10.0.2", "1.1.1.1,", ",1.1.1.1", "1.1.1.1,,2.2.2.2",
                         "1.1.1.1 2.2.2.2", "dns.google", "fe80::1%eth0", "1.1.1.1;2.2.2.2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(netconf_parse_dns(bad[i], &p, err, sizeof err) == -1);
        CHECK_STR(err, "expected ADDR[,ADDR...], IPv4 or IPv6 addresses such as 10.0.2.3");
        CHECK(p.ndns == 0);
    }
}

static void test_search(void)
{
    struct netconf_params p;
    memset(&p, 0, sizeof p);
    CHECK(netconf_parse_search("example.com", &p, err, sizeof err) == 0);
    CHECK_STR(p.search, "example.com");
    CHECK(netconf_parse_search("a.example,b.example,corp", &p, err, sizeof err) == 0);
    CHECK_STR(p.search, "a.example b.example corp");
    CHECK(netconf_parse_search("a,b,c,d,e,f", &p, err, sizeof err) == 0);
    CHECK(netconf_parse_search("a,b,c,d,e,f,g", &p, err, sizeof err) == -1);
    CHECK_STR(err, "more than 6 domains");
    CHECK(p.search[0] == '\0');
    CHECK(netconf_parse_search("a,,b", &p, err, sizeof err) == -1);
    CHECK_STR(err, "expected DOMAIN[,DOMAIN...]: \"\" empty");
    CHECK(netconf_parse_search("ex_ample.com", &p, err, sizeof err) == -1);
    CHECK_STR(err, "expected DOMAIN[,DOMAIN...]: \"ex_ample.com\" may hold only letters, "
                   "digits, '-' and '.'");
    CHECK(netconf_parse_search("example.com.", &p, err, sizeof err) == -1);
}

static void test_hostname(void)
{
    const char *good[] = {"supermachine", "a", "web-1", "1host", "123", "Host.Example.COM",
                          "a.b.c.d"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(netconf_hostname_problem(good[i]) == NULL);
    char name[80];
    memset(name, 'a', 63);
    name[63] = '\0';
    CHECK(netconf_hostname_problem(name) == NULL); /* a 63-byte label */
    name[63] = 'a';
    name[64] = '\0';
    CHECK_STR(netconf_hostname_problem(name), "has a label longer than 63 bytes");
    memset(name, 'a', 64);
    name[30] = '.';
    CHECK(netconf_hostname_problem(name) == NULL); /* 64 bytes in all */
    name[64] = 'a';
    name[65] = '\0';
    CHECK_STR(netconf_hostname_problem(name), "longer than 64 bytes");
    CHECK_STR(netconf_hostname_problem(""), "empty");
    CHECK_STR(netconf_hostname_problem("-web"), "has a label that starts or ends with '-'");
    CHECK_STR(netconf_hostname_problem("web-"), "has a label that starts or ends with '-'");
    CHECK_STR(netconf_hostname_problem("a.-b"), "has a label that starts or ends with '-'");
    CHECK_STR(netconf_hostname_problem("web_1"), "may hold only letters, digits, '-' and '.'");
    CHECK_STR(netconf_hostname_problem("my host"), "may hold only letters, digits, '-' and '.'");
    CHECK_STR(netconf_hostname_problem("caf\xC3\xA9"), "may hold only letters, digits, '-' and '.'");
    CHECK_STR(netconf_hostname_problem("a\nb"), "may hold only letters, digits, '-' and '.'");
    CHECK_STR(netconf_hostname_problem("a..b"),
              "has an empty label (a leading, trailing or double '.')");
    CHECK_STR(netconf_hostname_problem(".a"),
              "has an empty label (a leading, trailing or double '.')");
    CHECK_STR(netconf_hostname_problem("a."),
              "has an empty label (a leading, trailing or double '.')");
}

static void test_ifname(void)
{
    CHECK(netconf_ifname_problem("eth0") == NULL);
    CHECK(netconf_ifname_problem("enp0s1.100") == NULL);
    CHECK(netconf_ifname_problem("abcdefghijklmno") == NULL); /* 15 bytes */
    CHECK_STR(netconf_ifname_problem("abcdefghijklmnop"), "interface name longer than 15 bytes");
    CHECK_STR(netconf_ifname_problem(""), "empty interface name");
    CHECK_STR(netconf_ifname_problem("."), "not an interface name");
    CHECK_STR(netconf_ifname_problem(".."), "not an interface name");
    CHECK_STR(netconf_ifname_problem("e/th0"), "an interface name may not hold '/', ':' or spaces");
    CHECK_STR(netconf_ifname_problem("eth 0"), "an interface name may not hold '/', ':' or spaces");
    CHECK_STR(netconf_ifname_problem("eth\v0"), "an interface name may not hold '/', ':' or spaces");
    CHECK_STR(netconf_ifname_problem("eth\xA0"), "an interface name may not hold '/', ':' or spaces");
    CHECK_STR(netconf_ifname_problem("lo"), "lo is configured by init-oci itself");
}

static struct netconf_params params(void)
{
    struct netconf_params p;
    memset(&p, 0, sizeof p);
    return p;
}

static void add_iface(struct netconf_params *p, const char *name, uint32_t addr,
                      unsigned prefix, unsigned mtu)
{
    struct netconf_iface *f = &p->iface[p->niface++];
    strcpy(f->name, name);
    f->addr = addr;
    f->prefix = prefix;
    f->mtu = mtu;
}

static void test_check(void)
{
    struct netconf_params p = params();
    CHECK(netconf_check(&p, err, sizeof err) == 0); /* nothing asked */

    add_iface(&p, "eth0", IP4(10, 0, 2, 15), 24, 0);
    add_iface(&p, "eth1", IP4(192, 168, 7, 2), 30, 0);
    p.gw = IP4(192, 168, 7, 1);
    CHECK(netconf_check(&p, err, sizeof err) == 0);
    CHECK_STR(p.gw_dev, "eth1");
    p.gw = IP4(10, 0, 2, 2);
    CHECK(netconf_check(&p, err, sizeof err) == 0);
    CHECK_STR(p.gw_dev, "eth0");

    p.gw = IP4(10, 0, 3, 1);
    CHECK(netconf_check(&p, err, sizeof err) == -1);
    CHECK_STR(err, "kernel parameter smk.gw=10.0.3.1: not inside the subnet of any smk.ip "
                   "address, so not reachable");
    p.gw = IP4(10, 0, 2, 15);
    CHECK(netconf_check(&p, err, sizeof err) == -1);
    CHECK_STR(err, "kernel parameter smk.gw=10.0.2.15: that is eth0's own address");
    p.gw = IP4(10, 0, 2, 255);
    CHECK(netconf_check(&p, err, sizeof err) == -1);
    CHECK_STR(err, "kernel parameter smk.gw=10.0.2.255: 10.0.2.255 is the broadcast address "
                   "of 10.0.2.0/24");
    p.gw = IP4(127, 0, 0, 1);
    CHECK(netconf_check(&p, err, sizeof err) == -1);
    CHECK_STR(err, "kernel parameter smk.gw=127.0.0.1: 127.0.0.1 is a loopback address");

    /* A /32 reaches nothing but itself. */
    p = params();
    add_iface(&p, "eth0", IP4(10, 0, 2, 15), 32, 0);
    p.gw = IP4(10, 0, 2, 2);
    CHECK(netconf_check(&p, err, sizeof err) == -1);
    /* An interface with only an MTU has no subnet. */
    p = params();
    add_iface(&p, "eth0", 0, 0, 9000);
    p.gw = IP4(10, 0, 2, 2);
    CHECK(netconf_check(&p, err, sizeof err) == -1);
    CHECK_STR(err, "kernel parameter smk.gw=10.0.2.2: no smk.ip address to reach it from");

    p = params();
    add_iface(&p, "eth0", IP4(10, 0, 2, 15), 24, 0);
    add_iface(&p, "eth1", IP4(10, 0, 2, 15), 16, 0);
    CHECK(netconf_check(&p, err, sizeof err) == -1);
    CHECK_STR(err, "kernel parameter smk.ip=eth1:10.0.2.15/16: 10.0.2.15 is the address of "
                   "eth0 already");
}

/* What the kernel writes (net/ipv4/ipconfig.c, pnp_seq_show). */
static const char pnp_dhcp[] =
    "#PROTO: DHCP\n"
    "domain example.internal\n"
    "nameserver 10.0.2.3\n"
    "nameserver 10.0.2.4\n"
    "bootserver 10.0.2.2\n";

static void test_pnp(void)
{
    struct netconf_pnp pnp;
    netconf_parse_pnp(&pnp, pnp_dhcp);
    CHECK(pnp.ndns == 2);
    CHECK_STR(pnp.dns[0], "10.0.2.3");
    CHECK_STR(pnp.dns[1], "10.0.2.4");
    CHECK_STR(pnp.search, "example.internal");

    netconf_parse_pnp(&pnp, "#MANUAL\n"); /* CONFIG_IP_PNP without ip= */
    CHECK(pnp.ndns == 0 && pnp.search[0] == '\0');
    netconf_parse_pnp(&pnp, "");
    CHECK(pnp.ndns == 0 && pnp.search[0] == '\0');

    /* Junk is skipped, never trusted: a DHCP server picks the domain. */
    netconf_parse_pnp(&pnp, "#MANUAL\r\nnameserver 1.2.3.4\r\nnameserver 999.1.1.1\n"
                            "nameserver\nnameserver 0.0.0.0\nnameservers 5.5.5.5\n"
                            "domain bad domain; rm -rf\nnameserver 5.6.7.8 \n"
                            "nameserver 6.6.6.6\nnameserver 7.7.7.7\nnameserver 8.8.8.8");
    CHECK(pnp.ndns == 3);
    CHECK_STR(pnp.dns[0], "1.2.3.4");
    CHECK_STR(pnp.dns[1], "5.6.7.8");
    CHECK_STR(pnp.dns[2], "6.6.6.6");
    CHECK(pnp.search[0] == '\0');
}

static void test_default_route(void)
{
    const char header[] = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask"
                          "\t\tMTU\tWindow\tIRTT                                                       \n";
    char text[1024];
    snprintf(text, sizeof text, "%s", header);
    CHECK(netconf_has_default_route(text) == 0);
    snprintf(text, sizeof text, "%seth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF"
             "\t0\t0\t0                                                                    \n",
             header);
    CHECK(netconf_has_default_route(text) == 0);
    snprintf(text + strlen(text), sizeof text - strlen(text),
             "eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
    CHECK(netconf_has_default_route(text) == 1);
    CHECK(netconf_has_default_route("") == 0);
}

static struct netconf_pnp no_pnp;

static void test_plan_smk_only(void)
{
    struct netconf_params p = params();
    add_iface(&p, "eth0", IP4(10, 0, 2, 15), 24, 1400);
    p.gw = IP4(10, 0, 2, 2);
    strcpy(p.gw_dev, "eth0");
    p.ndns = 1;
    strcpy(p.dns[0], "10.0.2.3");
    strcpy(p.search, "example.com");
    strcpy(p.hostname, "web");
    struct netconf_plan plan;
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "supermachine");
    CHECK(plan.niface == 1 && plan.iface[0].mtu == 1400);
    CHECK(plan.gw == IP4(10, 0, 2, 2));
    CHECK_STR(plan.gw_dev, "eth0");
    CHECK(plan.ndns == 1 && plan.nwarn == 0);
    CHECK_STR(plan.search, "example.com");
    CHECK_STR(plan.hostname, "web");
    CHECK(plan.set_hostname == 1 && plan.hosts_addr == IP4(10, 0, 2, 15));

    char buf[1024];
    CHECK(netconf_resolv_conf(&plan, buf, sizeof buf) == (int)strlen(buf));
    CHECK_STR(buf, "# Written by init-oci at boot, from smk.dns.\n"
                   "nameserver 10.0.2.3\nsearch example.com\n");
    CHECK(netconf_hosts(&plan, buf, sizeof buf) == (int)strlen(buf));
    CHECK_STR(buf, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                   "10.0.2.15\tweb\n");
    /* Too small a buffer is an error, never a cut file. */
    CHECK(netconf_resolv_conf(&plan, buf, 20) == -1);
    CHECK(netconf_hosts(&plan, buf, 70) == -1);
}

static void test_plan_nothing_asked(void)
{
    struct netconf_params p = params();
    struct netconf_plan plan;
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "supermachine");
    CHECK(plan.niface == 0 && plan.gw == 0 && plan.ndns == 0 && plan.nwarn == 0);
    CHECK_STR(plan.hostname, "supermachine");
    CHECK(plan.set_hostname == 0);
    char buf[512];
    CHECK(netconf_resolv_conf(&plan, buf, sizeof buf) == 0); /* the image's stays */
    CHECK(netconf_hosts(&plan, buf, sizeof buf) > 0);
    CHECK_STR(buf, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                   "127.0.1.1\tsupermachine\n");
}

static void test_plan_hostname_precedence(void)
{
    struct netconf_params p = params();
    struct netconf_plan plan;
    /* config Hostname over the kernel's */
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "from-image", "supermachine");
    CHECK_STR(plan.hostname, "from-image");
    CHECK(plan.set_hostname == 1);
    /* config Hostname over smk.hostname too; smk.hostname over the
     * kernel's */
    strcpy(p.hostname, "from-cmdline");
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "from-image", "supermachine");
    CHECK_STR(plan.hostname, "from-image");
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "supermachine");
    CHECK_STR(plan.hostname, "from-cmdline");
    CHECK(plan.set_hostname == 1);
    /* Already the kernel's (ip= set it): nothing to set. */
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "from-cmdline");
    CHECK(plan.set_hostname == 0);
    /* A kernel name that is no host name (a DHCP server chose it): kept,
     * but not written anywhere. */
    p = params();
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "bad name\n");
    CHECK(plan.hostname[0] == '\0' && plan.set_hostname == 0);
    char buf[512];
    CHECK(netconf_hosts(&plan, buf, sizeof buf) > 0);
    CHECK_STR(buf, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    /* A dotted name gets its first label as an alias. */
    strcpy(p.hostname, "web.example.com");
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "supermachine");
    CHECK(netconf_hosts(&plan, buf, sizeof buf) > 0);
    CHECK_HAS(buf, "\n127.0.1.1\tweb.example.com web\n");
    strcpy(p.hostname, "localhost");
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "supermachine");
    CHECK(netconf_hosts(&plan, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "127.0.1.1") == NULL);
}

static void test_plan_kernel_ip(void)
{
    /* ip=dhcp configured eth0: it is left alone, DNS comes from pnp. */
    struct netconf_kernel_iface kif[] = {{"eth0", IP4(10, 0, 2, 15)}};
    struct netconf_pnp pnp;
    netconf_parse_pnp(&pnp, pnp_dhcp);
    struct netconf_params p = params();
    struct netconf_plan plan;
    netconf_plan(&plan, &p, kif, 1, &pnp, 1, "", "supermachine");
    CHECK(plan.niface == 0 && plan.gw == 0 && plan.nwarn == 0);
    CHECK(plan.ndns == 2 && plan.hosts_addr == IP4(10, 0, 2, 15));
    char buf[512];
    CHECK(netconf_resolv_conf(&plan, buf, sizeof buf) > 0);
    CHECK_STR(buf, "# Written by init-oci at boot, from the kernel's ip= (/proc/net/pnp).\n"
                   "nameserver 10.0.2.3\nnameserver 10.0.2.4\nsearch example.internal\n");
    CHECK(netconf_hosts(&plan, buf, sizeof buf) > 0);
    CHECK_HAS(buf, "\n10.0.2.15\tsupermachine\n");
    /* ip= without a host name names the machine after its address. */
    netconf_plan(&plan, &p, kif, 1, &pnp, 1, "", "10.0.2.15");
    CHECK_STR(plan.hostname, "10.0.2.15");
    CHECK(plan.set_hostname == 0);
    CHECK(netconf_hosts(&plan, buf, sizeof buf) > 0);
    CHECK_HAS(buf, "\n10.0.2.15\t10.0.2.15\n"); /* no "10" alias */

    /* smk.dns and smk.domain win over pnp's. */
    p.ndns = 1;
    strcpy(p.dns[0], "1.1.1.1");
    strcpy(p.search, "corp");
    netconf_plan(&plan, &p, kif, 1, &pnp, 1, "", "supermachine");
    CHECK(plan.ndns == 1);
    CHECK_STR(plan.dns[0], "1.1.1.1");
    CHECK_STR(plan.search, "corp");
    CHECK_STR(plan.dns_source, "smk.dns");
    /* smk.dns alone keeps pnp's domain. */
    p.search[0] = '\0';
    netconf_plan(&plan, &p, kif, 1, &pnp, 1, "", "supermachine");
    CHECK_STR(plan.search, "example.internal");

    /* smk.ip and smk.mtu for the kernel's interface, and smk.gw through
     * it, are dropped with a warning; another interface is configured. */
    p = params();
    add_iface(&p, "eth0", IP4(10, 0, 2, 16), 24, 1400);
    add_iface(&p, "eth1", IP4(192, 168, 7, 2), 24, 0);
    p.gw = IP4(10, 0, 2, 2);
    strcpy(p.gw_dev, "eth0");
    netconf_plan(&plan, &p, kif, 1, &pnp, 0, "", "supermachine");
    CHECK(plan.niface == 1);
    CHECK_STR(plan.iface[0].name, "eth1");
    CHECK(plan.gw == 0 && plan.nwarn == 2);
    CHECK_STR(plan.warn[0], "smk.ip and smk.mtu for eth0 ignored: the kernel's ip= "
                            "configured it (10.0.2.15)");
    CHECK_STR(plan.warn[1], "smk.gw=10.0.2.2 ignored: the kernel's ip= configured eth0");
    CHECK(plan.hosts_addr == IP4(192, 168, 7, 2)); /* ours first */

    /* smk.gw through our own interface, but the kernel set a default route. */
    p.gw = IP4(192, 168, 7, 1);
    strcpy(p.gw_dev, "eth1");
    netconf_plan(&plan, &p, kif, 1, &pnp, 1, "", "supermachine");
    CHECK(plan.gw == 0 && plan.nwarn == 2);
    CHECK_STR(plan.warn[1], "smk.gw=192.168.7.1 ignored: there is a default route already "
                            "(the kernel's ip=)");
    p = params();
    add_iface(&p, "eth0", 0, 0, 9000);
    netconf_plan(&plan, &p, kif, 1, &pnp, 1, "", "supermachine");
    CHECK(plan.nwarn == 1);
    CHECK_STR(plan.warn[0], "smk.mtu for eth0 ignored: the kernel's ip= configured it (10.0.2.15)");
}

static void test_plan_domain_without_dns(void)
{
    struct netconf_params p = params();
    strcpy(p.search, "example.com");
    struct netconf_plan plan;
    netconf_plan(&plan, &p, NULL, 0, &no_pnp, 0, "", "supermachine");
    CHECK(plan.ndns == 0 && plan.nwarn == 1);
    CHECK_STR(plan.warn[0], "smk.domain=example.com ignored: no name server (smk.dns or "
                            "the kernel's ip=)");
    /* pnp's domain without a name server: nothing to say. */
    struct netconf_pnp pnp;
    netconf_parse_pnp(&pnp, "#PROTO: DHCP\ndomain example.com\n");
    p = params();
    netconf_plan(&plan, &p, NULL, 0, &pnp, 0, "", "supermachine");
    CHECK(plan.ndns == 0 && plan.nwarn == 0);
}

int main(void)
{
    test_ipv4();
    test_ip();
    test_gw();
    test_mtu();
    test_dns();
    test_search();
    test_hostname();
    test_ifname();
    test_check();
    test_pnp();
    test_default_route();
    test_plan_smk_only();
    test_plan_nothing_asked();
    test_plan_hostname_precedence();
    test_plan_kernel_ip();
    test_plan_domain_without_dns();
    return CHECK_DONE("init-oci netconf");
}
