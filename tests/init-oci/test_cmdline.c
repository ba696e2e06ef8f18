/* Kernel command line parsing of the smk.* parameters. */
#include <string.h>

#include "../../payloads/init-oci/cmdline.h"
#include "check.h"

static struct boot_params bp;
static char warn[256], err[512];

static int parse(const char *cmdline)
{
    return boot_params_parse(&bp, cmdline, warn, sizeof warn, err, sizeof err);
}

static void test_defaults(void)
{
    /* What /proc/cmdline holds: words and a trailing newline. */
    CHECK(parse("console=ttyAMA0 panic=-1 root=/dev/vda rw\n") == 0);
    CHECK_STR(bp.rootdev, "");
    CHECK_STR(bp.rootfstype, "ext4");
    CHECK_STR(bp.config, "/image/config.json");
    CHECK(bp.debug == 0);
    CHECK_STR(warn, "");
    CHECK(parse("") == 0 && strcmp(bp.config, "/image/config.json") == 0);
}

static void test_values(void)
{
    CHECK(parse("console=ttyAMA0 smk.rootdev=/dev/vdb smk.rootfstype=xfs "
                "smk.config=/image/other.json smk.debug\n") == 0);
    CHECK_STR(bp.rootdev, "/dev/vdb");
    CHECK_STR(bp.rootfstype, "xfs");
    CHECK_STR(bp.config, "/image/other.json");
    CHECK(bp.debug == 1);
    CHECK(parse("smk.debug=1") == 0 && bp.debug == 1);
    CHECK(parse("smk.debug=0") == 0 && bp.debug == 0);
    /* The last occurrence wins, as for kernel parameters. */
    CHECK(parse("smk.rootdev=/dev/vda smk.rootdev=/dev/vdc") == 0);
    CHECK_STR(bp.rootdev, "/dev/vdc");
    /* Only the winner is validated. */
    CHECK(parse("smk.rootdev=bad smk.rootdev=/dev/vda") == 0);
    /* Tabs and repeated spaces separate words. */
    CHECK(parse("  a\t\tsmk.rootdev=/dev/vda  ") == 0);
    CHECK_STR(bp.rootdev, "/dev/vda");
}

static void test_quotes(void)
{
    /* The kernel lets quotes group words; they are not part of the value. */
    CHECK(parse("x=\"a b\" smk.config=\"/image/my config.json\" y") == 0);
    CHECK_STR(bp.config, "/image/my config.json");
    CHECK(parse("\"smk.config=/image/q.json\"") == 0);
    CHECK_STR(bp.config, "/image/q.json");
    /* A quote that never closes runs to the end of the line. */
    CHECK(parse("smk.config=\"/image/a b") == 0);
    CHECK_STR(bp.config, "/image/a b");
}

static void test_unknown_and_bad(void)
{
    CHECK(parse("smk.rootdevice=/dev/vda") == 0);
    CHECK_STR(warn, "unknown kernel parameter smk.rootdevice ignored");
    CHECK_STR(bp.rootdev, "");
    CHECK(parse("smkx.rootdev=/dev/vda") == 0 && warn[0] == '\0'); /* not ours */

    CHECK(parse("smk.rootdev=vda") == -1);
    CHECK_STR(err, "kernel parameter smk.rootdev=vda: expected a device path such as /dev/vda");
    CHECK(parse("smk.rootdev=") == 0 && bp.rootdev[0] == '\0'); /* empty = default */
    CHECK(parse("smk.rootfstype=ext4;rm") == -1);
    CHECK_STR(err, "kernel parameter smk.rootfstype=ext4;rm: expected a filesystem type "
                   "such as ext4");
    CHECK(parse("smk.rootfstype=") == -1);
    CHECK(parse("smk.config=image/config.json") == -1);
    CHECK_STR(err, "kernel parameter smk.config=image/config.json: expected an absolute path");
    CHECK(parse("smk.config") == -1);

    char longp[600] = "smk.config=/";
    memset(longp + 12, 'a', 400);
    longp[412] = '\0';
    CHECK(parse(longp) == -1);
    CHECK_STR(err, "kernel parameter smk.config: value longer than 255 bytes");
    longp[12 + 254] = '\0'; /* a 255-byte value fits */
    CHECK(parse(longp) == 0 && strlen(bp.config) == 255);
}

static void test_kernel_spaces(void)
{
    /* The kernel splits on every isspace(): \v \f \r and 0xA0 too. */
    CHECK(parse("a\vsmk.rootdev=/dev/vdb\fsmk.debug\rsmk.config=/c.json\r\n") == 0);
    CHECK_STR(bp.rootdev, "/dev/vdb");
    CHECK_STR(bp.config, "/c.json");
    CHECK(bp.debug == 1);
    CHECK(parse("smk.rootdev=/dev/vdb\xA0smk.debug") == 0);
    CHECK_STR(bp.rootdev, "/dev/vdb");
    CHECK(bp.debug == 1);
    /* Inside quotes they are part of the word. */
    CHECK(parse("smk.config=\"/a\rb\"") == 0);
    CHECK_STR(bp.config, "/a\rb");
}

static const char *net_err(const char *cmdline)
{
    return parse(cmdline) == 0 ? "ok" : err;
}

static void test_network(void)
{
    /* None asked: all zero. */
    CHECK(parse("console=ttyAMA0 ip=dhcp") == 0);
    CHECK(bp.net.niface == 0 && bp.net.gw == 0 && bp.net.ndns == 0);
    CHECK(bp.net.search[0] == '\0' && bp.net.hostname[0] == '\0');

    CHECK(parse("smk.ip=10.0.2.15/24 smk.gw=10.0.2.2 smk.dns=10.0.2.3,fd00::3 "
                "smk.mtu=1400 smk.hostname=web smk.domain=example.com,corp") == 0);
    CHECK_STR(warn, "");
    CHECK(bp.net.niface == 1);
    CHECK_STR(bp.net.iface[0].name, "eth0");
    CHECK(bp.net.iface[0].addr == 0x0A00020F && bp.net.iface[0].prefix == 24);
    CHECK(bp.net.iface[0].mtu == 1400);
    CHECK(bp.net.gw == 0x0A000202);
    CHECK_STR(bp.net.gw_dev, "eth0");
    CHECK(bp.net.ndns == 2);
    CHECK_STR(bp.net.dns[1], "fd00::3");
    CHECK_STR(bp.net.search, "example.com corp");
    CHECK_STR(bp.net.hostname, "web");

    /* One smk.ip per interface, in order; the last one per interface wins. */
    CHECK(parse("smk.ip=eth1:192.168.7.2/30 smk.ip=10.0.2.15/24 smk.mtu=eth1:9000 "
                "smk.ip=eth0:10.0.2.16/24 smk.mtu=eth2:1280 smk.gw=192.168.7.1") == 0);
    CHECK(bp.net.niface == 3);
    CHECK_STR(bp.net.iface[0].name, "eth1");
    CHECK(bp.net.iface[0].mtu == 9000 && bp.net.iface[0].prefix == 30);
    CHECK_STR(bp.net.iface[1].name, "eth0");
    CHECK(bp.net.iface[1].addr == 0x0A000210 && bp.net.iface[1].mtu == 0);
    CHECK_STR(bp.net.iface[2].name, "eth2");
    CHECK(bp.net.iface[2].addr == 0 && bp.net.iface[2].mtu == 1280);
    CHECK_STR(bp.net.gw_dev, "eth1");
    /* Only the winner is judged; empty unsets the single-valued ones. */
    CHECK(parse("smk.ip=bad smk.ip=10.0.2.15/24 smk.gw=x smk.gw= smk.dns=x smk.dns "
                "smk.hostname=-x smk.hostname= smk.domain=_ smk.domain=") == 0);
    CHECK(bp.net.gw == 0 && bp.net.ndns == 0 && bp.net.hostname[0] == '\0');

    CHECK_STR(net_err("smk.ip=10.0.2.300/24"),
              "kernel parameter smk.ip=10.0.2.300/24: expected [IFACE:]ADDR/PREFIX, an IPv4 "
              "address and a prefix length 1-32, such as 10.0.2.15/24");
    CHECK_STR(net_err("smk.ip=eth0:10.0.2.15/33"),
              "kernel parameter smk.ip=eth0:10.0.2.15/33: expected [IFACE:]ADDR/PREFIX, an "
              "IPv4 address and a prefix length 1-32, such as 10.0.2.15/24");
    CHECK_STR(net_err("smk.ip=10.0.2.15"),
              "kernel parameter smk.ip=10.0.2.15: expected [IFACE:]ADDR/PREFIX, an IPv4 "
              "address and a prefix length 1-32, such as 10.0.2.15/24");
    CHECK_STR(net_err("smk.ip="),
              "kernel parameter smk.ip=: expected [IFACE:]ADDR/PREFIX, an IPv4 address and a "
              "prefix length 1-32, such as 10.0.2.15/24");
    CHECK_STR(net_err("smk.ip=10.0.2.0/24"),
              "kernel parameter smk.ip=10.0.2.0/24: 10.0.2.0 is the network address of 10.0.2.0/24");
    CHECK_STR(net_err("smk.ip=lo:127.0.0.2/8"),
              "kernel parameter smk.ip=lo:127.0.0.2/8: lo is configured by init-oci itself");
    CHECK_STR(net_err("smk.ip=:10.0.2.15/24"),
              "kernel parameter smk.ip=:10.0.2.15/24: empty interface name");
    CHECK_STR(net_err("smk.mtu=averyveryverylongname:1500"),
              "kernel parameter smk.mtu=averyveryverylongname:1500: interface name longer "
              "than 15 bytes");
    CHECK_STR(net_err("smk.ip=\"eth 0:10.0.2.15/24\""),
              "kernel parameter smk.ip=eth 0:10.0.2.15/24: an interface name may not hold "
              "'/', ':' or spaces");
    CHECK_STR(net_err("smk.ip=eth0:fd00::2/64"),
              "kernel parameter smk.ip=eth0:fd00::2/64: expected [IFACE:]ADDR/PREFIX, an IPv4 "
              "address and a prefix length 1-32, such as 10.0.2.15/24");
    CHECK_STR(net_err("smk.mtu=67"), "kernel parameter smk.mtu=67: expected [IFACE:]MTU, a number 68-65535");
    CHECK_STR(net_err("smk.mtu=eth1:65536"),
              "kernel parameter smk.mtu=eth1:65536: expected [IFACE:]MTU, a number 68-65535");
    CHECK_STR(net_err("smk.mtu"), "kernel parameter smk.mtu=: expected [IFACE:]MTU, a number 68-65535");
    CHECK_STR(net_err("smk.gw=10.0.2.2"),
              "kernel parameter smk.gw=10.0.2.2: no smk.ip address to reach it from");
    CHECK_STR(net_err("smk.ip=10.0.2.15/24 smk.gw=10.0.3.1"),
              "kernel parameter smk.gw=10.0.3.1: not inside the subnet of any smk.ip address, "
              "so not reachable");
    CHECK_STR(net_err("smk.ip=10.0.2.15/24 smk.gw=gateway"),
              "kernel parameter smk.gw=gateway: expected an IPv4 address such as 10.0.2.2");
    CHECK_STR(net_err("smk.ip=10.0.2.15/24 smk.gw=0.0.0.0"),
              "kernel parameter smk.gw=0.0.0.0: 0.0.0.0 is in 0.0.0.0/8 (\"this network\")");
    CHECK_STR(net_err("smk.dns=10.0.2.3;1.1.1.1"),
              "kernel parameter smk.dns=10.0.2.3;1.1.1.1: expected ADDR[,ADDR...], IPv4 or IPv6 "
              "addresses such as 10.0.2.3");
    CHECK_STR(net_err("smk.dns=1.1.1.1,1.0.0.1,8.8.8.8,8.8.4.4"),
              "kernel parameter smk.dns=1.1.1.1,1.0.0.1,8.8.8.8,8.8.4.4: more than 3 name "
              "servers (resolvers read no more)");
    CHECK_STR(net_err("smk.domain=a..b"),
              "kernel parameter smk.domain=a..b: expected DOMAIN[,DOMAIN...]: \"a..b\" has an "
              "empty label (a leading, trailing or double '.')");
    CHECK_STR(net_err("smk.hostname=web_1"),
              "kernel parameter smk.hostname=web_1: not a valid host name (RFC 1123): may hold "
              "only letters, digits, '-' and '.'");
    char longname[128] = "smk.hostname=";
    memset(longname + 13, 'a', 65);
    longname[13 + 65] = '\0';
    longname[13 + 30] = '.';
    CHECK_HAS(net_err(longname), ": not a valid host name (RFC 1123): longer than 64 bytes");
    longname[13 + 64] = '\0';
    CHECK(parse(longname) == 0 && strlen(bp.net.hostname) == 64);
    CHECK_STR(net_err("smk.ip=10.0.2.15/24 smk.ip=eth1:10.0.2.15/24"),
              "kernel parameter smk.ip=eth1:10.0.2.15/24: 10.0.2.15 is the address of eth0 already");

    /* At most 8 interfaces: the ninth name is refused on the spot. */
    char many[600] = "";
    for (int i = 0; i < 8; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "smk.mtu=e%d:1500 ", i);
    CHECK(parse(many) == 0 && bp.net.niface == 8);
    strcat(many, "smk.mtu=e0:9000 "); /* a known one again */
    CHECK(parse(many) == 0 && bp.net.iface[0].mtu == 9000);
    strcat(many, "smk.ip=e8:10.0.0.1/8 smk.ip=bad");
    CHECK_STR(net_err(many), "kernel parameter smk.ip=e8:10.0.0.1/8: more than 8 interfaces");

    /* The value limit holds here too. */
    char longv[400] = "smk.dns=";
    memset(longv + 8, '1', 300);
    longv[308] = '\0';
    CHECK_STR(net_err(longv), "kernel parameter smk.dns: value longer than 255 bytes");
}

int main(void)
{
    test_defaults();
    test_values();
    test_quotes();
    test_unknown_and_bad();
    test_kernel_spaces();
    test_network();
    return CHECK_DONE("init-oci cmdline");
}
