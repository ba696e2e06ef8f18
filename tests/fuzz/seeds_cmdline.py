"""Seeds for cmdline_fuzz: kernel command lines with the smk.* parameters
of payloads/init-oci/IMAGE-CONFIG.md ("Kernel command line"): what the
VMMs pass (tests/boot/guest.py), every parameter, quoting, repeats, the
255-byte value limit, and each bad value. Each seed is (bytes, "accept" |
"refuse").
"""

MAX_LEN = 4096  # main.c reads at most 4095 bytes of /proc/cmdline
DICT = [b"smk.", b"smk.rootdev=", b"smk.rootfstype=", b"smk.config=", b"smk.debug",
        b"smk.debug=0", b"=", b"/dev/vda", b"/image/config.json", b"ext4", b'"', b" ",
        b"\t", b"\n", b"console=ttyAMA0"]

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
    }
    out = {}
    for name, text in accept.items():
        out["ok-" + name] = (text.encode(), "accept")
    for name, text in refuse.items():
        out["bad-" + name] = (text.encode(), "refuse")
    return out
