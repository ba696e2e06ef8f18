"""Seeds for cmdline_fuzz: kernel command lines with the smk.* parameters
of payloads/init-oci/IMAGE-CONFIG.md ("Kernel command line", "Network"):
what the VMMs pass (tests/boot/guest.py), every parameter, quoting, the
kernel's white space, repeats (per interface for smk.ip and smk.mtu), the
255-byte value limit, the 8-interface limit, and each bad value. Each seed
is (bytes, "accept" | "refuse").
"""

MAX_LEN = 4096  # main.c reads at most 4095 bytes of /proc/cmdline
DICT = [b"smk.", b"smk.rootdev=", b"smk.rootfstype=", b"smk.config=", b"smk.debug",
        b"smk.debug=0", b"=", b"/dev/vda", b"/image/config.json", b"ext4", b'"', b" ",
        b"\t", b"\n", b"console=ttyAMA0", b"\v", b"\f", b"\r", b"\xa0", b"smk.ip=",
        b"smk.gw=", b"smk.dns=", b"smk.mtu=", b"smk.hostname=", b"smk.domain=", b"eth0:",
        b"eth1:", b"10.0.2.15/24", b"10.0.2.2", b"10.0.2.3", b"fd00::3", b"/24", b"/32",
        b"1500", b"65535", b"68", b",", b":", b".", b"-", b"255", b"ip=dhcp"]

BASE = "console=ttyAMA0 panic=-1"


def seeds():
    v255 = "/dev/" + "v" * 250
    accept = {
        "empty": "",
        "vmm": BASE,
        "proc-cmdline": "console=ttyAMA0 panic=-1 root=/dev/vda rw\n",
        "rootdev": BASE + " smk.rootdev=/dev/vda",
        "all": BASE + " smk.rootdev=/dev/vdb smk.rootfstype=xfs smk.config=/image/other.json"
               " smk.debug\n",
        "debug-1": "smk.debug=1",
        "debug-0": "smk.debug smk.debug=0",
        "debug-other": "smk.debug=yes",
        "rootdev-empty": "smk.rootdev= smk.rootfstype=ext4",
        "fstype-chars": "smk.rootfstype=f2fs_9",
        "last-wins": "smk.rootdev=/dev/vda smk.rootdev=/dev/vdc",
        "only-winner-checked": "smk.rootdev=bad smk.rootdev=/dev/vda smk.config=x smk.config=/c",
        "whitespace": "  a\t\tsmk.rootdev=/dev/vda  \n\n",
        "quoted-value": 'x="a b" smk.config="/image/my config.json" y',
        "quoted-word": '"smk.config=/image/q.json"',
        "quote-unclosed": 'smk.config="/image/a b',
        "quote-inside": 'smk.con"fig=/im"age/c.json',
        "unknown": "smk.rootdevice=/dev/vda smk.=1 smk.foo",
        "not-smk": "smkrootdev=bad smk_rootdev=bad SMK.rootdev=bad rootdev=bad",
        "value-255": "smk.rootdev=" + v255,
        "long-other-word": "x=" + "y" * 1000 + " smk.debug",
        "long-unknown": "smk." + "z" * 400,
        "nul-ends-line": "smk.debug\0smk.rootdev=bad",
        "utf8": "smk.config=/image/\u00e9.json \u2603",
        "kernel-spaces": "a\vsmk.rootdev=/dev/vdb\fsmk.debug\rsmk.config=/c.json\r\n",
        "nbsp-splits": b"smk.rootdev=/dev/vdb\xa0smk.debug",  # a lone 0xA0 byte
        "net-slirp": BASE + " smk.ip=10.0.2.15/24 smk.gw=10.0.2.2 smk.dns=10.0.2.3",
        "net-all": "smk.ip=eth0:10.0.2.15/24 smk.gw=10.0.2.2 smk.dns=10.0.2.3,fd00::3,1.1.1.1"
                   " smk.mtu=eth0:1400 smk.hostname=web-1.example.com smk.domain=example.com,corp",
        "net-two-ifaces": "smk.ip=eth1:192.168.7.2/30 smk.ip=10.0.2.15/24 smk.mtu=eth1:9000"
                          " smk.gw=192.168.7.1",
        "net-mtu-only": "smk.mtu=9000 smk.mtu=eth2:68 smk.mtu=eth3:65535",
        "net-last-wins": "smk.ip=bad smk.ip=10.0.2.15/24 smk.gw=x smk.gw= smk.dns=x smk.dns"
                         " smk.hostname=-x smk.hostname= smk.domain=_ smk.domain=",
        "net-prefix-31-32": "smk.ip=10.0.0.0/31 smk.ip=e1:10.0.1.255/32 smk.gw=10.0.0.1",
        "net-8-ifaces": " ".join("smk.mtu=e%d:1500" % i for i in range(8)) + " smk.mtu=e0:9000",
        "net-hostname-64": "smk.hostname=" + "a" * 30 + "." + "b" * 33,
        "net-kernel-ip": "ip=10.0.2.15::10.0.2.2:255.255.255.0:host:eth0:off smk.dns=10.0.2.3",
        "net-quoted-iface": 'smk.ip="e1:10.0.2.15/24"',
        "net-dns-ipv6": "smk.dns=2001:4860:4860:0:0:0:0:8888,::ffff:1.2.3.4",
    }
    refuse = {
        "rootdev-bad": "smk.rootdev=vda",
        "rootdev-prefix": "smk.rootdev=/dev",
        "fstype-upper": "smk.rootfstype=EXT4",
        "fstype-empty": "smk.rootfstype=",
        "fstype-dash": "smk.rootfstype=ext-4",
        "config-relative": "smk.config=image/config.json",
        "config-empty": "smk.config",
        "value-256": "smk.rootdev=" + v255 + "v",
        "value-too-long-then-fixed": "smk.config=/" + "c" * 300 + " smk.config=/ok",
        "quoted-long": 'smk.config="/' + "c " * 200 + '"',
        "last-bad": "smk.rootdev=/dev/vda smk.rootdev=bad",
        "unknown-then-bad": "smk.foo smk.rootfstype=Bad",
        "vt-not-in-value": "smk.rootdev=/dev/vda\vbad smk.rootfstype=\fBad",
        "ip-no-prefix": "smk.ip=10.0.2.15",
        "ip-prefix-33": "smk.ip=10.0.2.15/33",
        "ip-prefix-0": "smk.ip=10.0.2.15/0",
        "ip-octet-256": "smk.ip=10.0.2.256/24",
        "ip-leading-zero": "smk.ip=10.0.2.015/24",
        "ip-network": "smk.ip=10.0.2.0/24",
        "ip-broadcast": "smk.ip=10.0.2.255/24",
        "ip-loopback": "smk.ip=127.0.0.2/8",
        "ip-multicast": "smk.ip=224.0.0.1/4",
        "ip-empty": "smk.ip=",
        "ip-ipv6": "smk.ip=eth0:fd00::2/64",
        "ip-lo": "smk.ip=lo:127.0.0.1/8",
        "ip-iface-empty": "smk.ip=:10.0.2.15/24",
        "ip-iface-long": "smk.ip=abcdefghijklmnop:10.0.2.15/24",
        "ip-iface-slash": "smk.ip=e/0:10.0.2.15/24",
        "ip-iface-space": 'smk.ip="e 0:10.0.2.15/24"',
        "ip-iface-dot": "smk.mtu=..:1500",
        "ip-twice": "smk.ip=10.0.2.15/24 smk.ip=e1:10.0.2.15/16",
        "ip-9-ifaces": " ".join("smk.mtu=e%d:1500" % i for i in range(9)),
        "mtu-low": "smk.mtu=67",
        "mtu-high": "smk.mtu=65536",
        "mtu-zero-lead": "smk.mtu=01500",
        "mtu-empty": "smk.mtu",
        "gw-alone": "smk.gw=10.0.2.2",
        "gw-unreachable": "smk.ip=10.0.2.15/24 smk.gw=10.0.3.1",
        "gw-own": "smk.ip=10.0.2.15/24 smk.gw=10.0.2.15",
        "gw-broadcast": "smk.ip=10.0.2.15/24 smk.gw=10.0.2.255",
        "gw-zero": "smk.ip=10.0.2.15/24 smk.gw=0.0.0.0",
        "gw-name": "smk.ip=10.0.2.15/24 smk.gw=router",
        "gw-via-32": "smk.ip=10.0.2.15/32 smk.gw=10.0.2.2",
        "dns-four": "smk.dns=1.1.1.1,1.0.0.1,8.8.8.8,8.8.4.4",
        "dns-trailing-comma": "smk.dns=1.1.1.1,",
        "dns-unspecified": "smk.dns=::",
        "dns-name": "smk.dns=dns.google",
        "domain-double-dot": "smk.domain=a..b",
        "domain-seven": "smk.domain=a,b,c,d,e,f,g",
        "domain-underscore": "smk.domain=_x.example",
        "hostname-underscore": "smk.hostname=web_1",
        "hostname-65": "smk.hostname=" + "a" * 30 + "." + "b" * 34,
        "hostname-dash": "smk.hostname=web-",
        "hostname-label-64": "smk.hostname=" + "a" * 64,
        "hostname-utf8": "smk.hostname=caf\u00e9",
        "net-value-256": "smk.dns=" + "1" * 256,
    }
    out = {}
    def raw(text):
        return text if isinstance(text, bytes) else text.encode()
    for name, text in accept.items():
        out["ok-" + name] = (raw(text), "accept")
    for name, text in refuse.items():
        out["bad-" + name] = (raw(text), "refuse")
    return out
