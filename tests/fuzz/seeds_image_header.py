"""Seeds for image_header_fuzz: arm64 Image headers built from the layout
of Documentation/arch/arm64/booting.rst (64 bytes, little-endian):

    u32 code0; u32 code1; u64 text_offset; u64 image_size; u64 flags;
    u64 res2; u64 res3; u64 res4; u32 magic = "ARM\\x64"; u32 res5

and, when payloads/kernel.xz is there, the first bytes of the real kernel,
decompressed here. Each seed is (bytes, "accept" | "refuse").
"""

import lzma
import os
import struct

MAX_LEN = 256
DICT = [b"ARM\x64", b"MZ", b"\x00" * 8, b"\xff" * 8]

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

EFI_CODE0 = 0xFA405A4D  # "MZ" + ccmp: the EFI stub's first instruction
B_STEXT = 0x14000000 | 0x4000  # b stext


def header(code0=EFI_CODE0, code1=B_STEXT, text_offset=0, image_size=0x2A10000,
           flags=0xA, res2=0, res3=0, res4=0, magic=b"ARM\x64", res5=0x40):
    h = struct.pack("<IIQQQQQQ4sI", code0, code1, text_offset, image_size, flags,
                    res2, res3, res4, magic, res5)
    assert len(h) == 64
    return h


def seeds():
    out = {}
    pe = b"PE\x00\x00" + b"\x64\xaa" + b"\x02\x00" + bytes(56)  # what res5 points at
    out["efi-stub"] = (header() + pe, "accept")
    out["exact-64"] = (header(), "accept")
    out["no-efi"] = (header(code0=0x14000010, code1=0, res5=0), "accept")
    out["legacy-text-offset"] = (header(text_offset=0x80000, image_size=0, flags=0), "accept")
    for name, flags in (("le-4k", 0x2), ("le-16k", 0x4), ("le-64k", 0x6),
                        ("big-endian", 0x3), ("phys-anywhere", 0x8),
                        ("reserved-bits", 0xFFFFFFFFFFFFFFF0)):
        out["flags-" + name] = (header(flags=flags), "accept")
    out["all-ones"] = (header(0xFFFFFFFF, 0xFFFFFFFF, *([2**64 - 1] * 6), res5=0xFFFFFFFF),
                       "accept")
    out["zeros-but-magic"] = (header(0, 0, 0, 0, 0, 0, 0, 0, res5=0), "accept")
    out["trailing"] = (header() + b"\x00" * (MAX_LEN - 64), "accept")
    out["empty"] = (b"", "refuse")
    out["one-byte"] = (b"M", "refuse")
    out["short-63"] = (header()[:63], "refuse")
    out["short-60"] = (header()[:60], "refuse")
    out["no-magic"] = (header(magic=b"\x00" * 4), "refuse")
    for i in range(4):
        m = bytearray(b"ARM\x64")
        m[i] ^= 0x20
        out[f"bad-magic-{i}"] = (header(magic=bytes(m)), "refuse")
    out["magic-big-endian"] = (header(magic=b"\x64MRA"), "refuse")
    out["magic-at-0"] = (b"ARM\x64" + bytes(60), "refuse")
    out["magic-shifted"] = (header()[:56] + b"\x00ARM\x64" + bytes(3), "refuse")
    kernel = os.path.join(REPO, "payloads", "kernel.xz")
    if os.path.exists(kernel):
        with lzma.open(kernel) as f:
            out["payload-kernel"] = (f.read(MAX_LEN), "accept")
    return out
