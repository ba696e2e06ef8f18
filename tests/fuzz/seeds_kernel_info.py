"""Seeds for kernel_info_fuzz: kernel payloads of the two formats
core/src/kernel_info.c describes. Each seed is (bytes, "accept" | "refuse").

arm64 Images, from the header layout of Documentation/arch/arm64/booting.rst
(64 bytes, little-endian):

    u32 code0; u32 code1; u64 text_offset; u64 image_size; u64 flags;
    u64 res2; u64 res3; u64 res4; u32 magic = "ARM\\x64"; u32 res5

x86_64 vmlinux-like ELF64 files, small and synthetic: an ELF header
(ELFCLASS64, ELFDATA2LSB, EV_CURRENT, e_phentsize 56), program headers
(PT_LOAD segments laid out as a vmlinux's, a PT_NOTE) and the notes: Linux's
and Xen's, among them XEN_ELFNOTE_PHYS32_ENTRY (type 18), the PVH entry.
Refused: bad e_ident, phentsize or phnum, program headers past the end,
nothing to load.

And, for each kernel payloads/manifest.json lists whose .xz is there, its
first bytes, decompressed here; for an ELF also a copy with its notes moved
to just after the program headers (the PT_NOTE's p_offset rewritten), so
that its real PVH note is inside the seed.
"""

import json
import lzma
import os
import struct

MAX_LEN = 4096
DICT = [b"ARM\x64", b"MZ", b"\x00" * 8, b"\xff" * 8,
        b"\x7fELF\x02\x01\x01", b"\x38\x00", b"\x01\x00\x00\x00", b"\x04\x00\x00\x00",
        b"Xen\x00", b"\x04\x00\x00\x00\x08\x00\x00\x00\x12\x00\x00\x00Xen\x00",
        b"\x04\x00\x00\x00\x04\x00\x00\x00\x12\x00\x00\x00Xen\x00", b"\x00\x00\x10\x00"]

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

# ---- arm64 Image -----------------------------------------------------------

EFI_CODE0 = 0xFA405A4D  # "MZ" + ccmp: the EFI stub's first instruction
B_STEXT = 0x14000000 | 0x4000  # b stext


def header(code0=EFI_CODE0, code1=B_STEXT, text_offset=0, image_size=0x2A10000,
           flags=0xA, res2=0, res3=0, res4=0, magic=b"ARM\x64", res5=0x40):
    h = struct.pack("<IIQQQQQQ4sI", code0, code1, text_offset, image_size, flags,
                    res2, res3, res4, magic, res5)
    assert len(h) == 64
    return h


def image_seeds(out):
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
    out["trailing"] = (header() + b"\x00" * 192, "accept")
    # The Image magic is looked for first: an ELF-looking start is still an Image.
    out["image-elf-start"] = (b"\x7fELF\x02\x01\x01" + header()[7:], "accept")
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


# ---- x86_64 ELF vmlinux ----------------------------------------------------

PT_LOAD, PT_NOTE = 1, 4
PHYS32_ENTRY = 18  # XEN_ELFNOTE_PHYS32_ENTRY


def ehdr(phnum, phoff=64, entry=0x1000123, ident=b"\x7fELF\x02\x01\x01",
         phentsize=56, machine=62):
    e = ident.ljust(16, b"\x00")
    return e + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, phoff, 0, 0,
                           64, phentsize, phnum, 64, 0, 0)


def phdr(ptype, offset=0, paddr=0, filesz=0, memsz=None, vaddr=None, flags=5,
         align=0x200000):
    if memsz is None:
        memsz = filesz
    if vaddr is None:
        vaddr = (0xFFFFFFFF80000000 + paddr) % 2**64 if ptype == PT_LOAD else 0
    return struct.pack("<IIQQQQQQ", ptype, flags, offset, vaddr, paddr, filesz, memsz,
                       align)


def note(name, ntype, desc):
    n = name + b"\x00" if name else b""
    pad = lambda b: b + bytes(-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


LINUX_NOTES = (note(b"GNU", 3, bytes.fromhex("c656e4987d79f10a517e0a0393c22f49ec5805e0"))
               + note(b"Linux", 6, b"\x01\x01\x00\x00")
               + note(b"Linux", 1, struct.pack("<I", 0x10000)))
XEN_ENTRY = note(b"Xen", 12, struct.pack("<Q", 0xFFFFFFFF1FFFFFFF))  # another Xen note


def pvh(value, size=8):
    return note(b"Xen", PHYS32_ENTRY, struct.pack("<Q" if size == 8 else "<I", value))


# vmlinux's loads: text, rodata, percpu (paddr after rodata), data + bss.
LOADS = [(0x1000000, 0x98FB30, 0x98FB30), (0x1A00000, 0xE1000, 0xE1000),
         (0x1AE1000, 0x241D8, 0x241D8), (0x1B06000, 0xCD000, 0x320000)]


def vmlinux(notes_list=(LINUX_NOTES + XEN_ENTRY + pvh(0x1000000),), loads=LOADS,
            extra=(), entry=0x1000123, note_filesz=None):
    """An ELF with one PT_LOAD per (paddr, filesz, memsz), then one PT_NOTE per
    notes blob (stored after the program headers), then the raw phdrs of extra."""
    phnum = len(loads) + len(notes_list) + len(extra)
    at = 64 + 56 * phnum
    ph, blobs = b"", b""
    for paddr, filesz, memsz in loads:
        ph += phdr(PT_LOAD, (0x200000 + paddr - 0x1000000) % 2**64, paddr, filesz, memsz)
    for blob in notes_list:
        size = len(blob) if note_filesz is None else note_filesz
        ph += phdr(PT_NOTE, at + len(blobs), 0x198FAA8, size, flags=4, align=4)
        blobs += blob
    for raw in extra:
        ph += raw
    return ehdr(phnum, entry=entry) + ph + blobs


def elf_seeds(out):
    out["elf-vmlinux-pvh"] = (vmlinux(), "accept")
    out["elf-pvh-desc4"] = (vmlinux((LINUX_NOTES + pvh(0x1000040, 4),)), "accept")
    out["elf-pvh-first-note"] = (vmlinux((pvh(0x2000000) + LINUX_NOTES,)), "accept")
    out["elf-no-pvh"] = (vmlinux((LINUX_NOTES + XEN_ENTRY,)), "accept")
    out["elf-no-notes"] = (vmlinux(()), "accept")
    out["elf-pvh-two-xen"] = (vmlinux((pvh(0x1000000) + pvh(0x3000000),)), "accept")
    # Type 18 of another name or size is not the entry; the walk goes on.
    out["elf-pvh-after-odd"] = (vmlinux((note(b"Xen", PHYS32_ENTRY, b"\x00\x00")
                                         + note(b"Xe", PHYS32_ENTRY, bytes(8))
                                         + note(b"XEN", PHYS32_ENTRY, bytes(8))
                                         + note(b"Xen", PHYS32_ENTRY, bytes(12))
                                         + pvh(0x1000000),)), "accept")
    # The first PT_NOTE without an entry, the second with one.
    out["elf-pvh-second-segment"] = (vmlinux((LINUX_NOTES, pvh(0x1000000))), "accept")
    # An entry of 0 does not count; the next segment is read.
    out["elf-pvh-zero-then"] = (vmlinux((pvh(0), pvh(0x1000000))), "accept")
    # A note that does not fit its segment ends the walk (entry 0).
    bad = struct.pack("<III", 4, 0x100, PHYS32_ENTRY) + b"Xen\x00" + bytes(8)
    out["elf-note-overruns"] = (vmlinux((bad + pvh(0x1000000),)), "accept")
    out["elf-note-short"] = (vmlinux((b"\x04\x00\x00\x00\x08",)), "accept")
    # A PT_NOTE past the end, or bigger than 1 MiB, is not read.
    out["elf-note-past-end"] = (vmlinux(note_filesz=0x1000), "accept")
    big = phdr(PT_NOTE, 64, 0, (1 << 20) + 1, flags=4, align=4)
    out["elf-note-over-1mib"] = (vmlinux((), extra=(big,)), "accept")
    out["elf-note-empty"] = (vmlinux((), extra=(phdr(PT_NOTE, 64, 0, 0),)), "accept")
    out["elf-one-load"] = (vmlinux((), loads=[(0x1000000, 0x1000, 0x1000)]), "accept")
    out["elf-unsorted-loads"] = (vmlinux(loads=list(reversed(LOADS))), "accept")
    out["elf-bss-only"] = (vmlinux((), loads=[(0x1000000, 0, 0x200000)]), "accept")
    out["elf-empty-load-first"] = (vmlinux(loads=[(0, 0, 0)] + LOADS), "accept")
    out["elf-load-top"] = (vmlinux((), loads=[(0xFFFFFFFFFFFFF000, 0, 0xFFF)]), "accept")
    out["elf-zero-entry"] = (vmlinux(entry=0), "accept")
    other = phdr(0x6474E551, 0, 0, 0, flags=6, align=0x10)  # PT_GNU_STACK
    out["elf-other-phdrs"] = (vmlinux(extra=(other, other)), "accept")
    # 64 program headers, the most read.
    loads64 = [(0x1000000 + i * 0x10000, 0x1000, 0x10000) for i in range(63)]
    out["elf-64-phdrs"] = (vmlinux(loads=loads64), "accept")
    # Program headers that end exactly at the end of the input.
    v = vmlinux(())
    out["elf-phdrs-at-end"] = (v, "accept")
    # Program headers inside the ELF header: read as they are (type 0 here).
    out["elf-phdrs-in-header"] = (ehdr(1, phoff=8), "refuse")
    # The 1 MiB bound of a note segment, at its edges (check-only: too big to
    # mutate): the PVH note is read at 1 MiB, not at 1 MiB + 4.
    for name, size in (("1mib", 1 << 20), ("1mib-plus-4", (1 << 20) + 4)):
        blob = pvh(0x1000000) + bytes(size - len(pvh(0)))
        out["elf-note-" + name] = (vmlinux((blob,)), "accept", "check-only")
    # Refusals.
    out["elf-truncated-phdrs"] = (v[:-1], "refuse")
    out["elf-truncated-header"] = (v[:63], "refuse")
    out["elf-header-only"] = (v[:64], "refuse")
    out["elf-phnum-0"] = (ehdr(0) + bytes(56), "refuse")
    loads65 = [(0x1000000 + i * 0x10000, 0x1000, 0x10000) for i in range(65)]
    out["elf-phnum-65"] = (vmlinux((), loads=loads65), "refuse")
    out["elf-phnum-ffff"] = (ehdr(0xFFFF) + vmlinux(())[64:], "refuse")
    out["elf-phoff-past-end"] = (ehdr(4, phoff=len(v) + 1) + v[64:], "refuse")
    out["elf-phoff-huge"] = (ehdr(4, phoff=2**64 - 8) + v[64:], "refuse")
    out["elf-phentsize-64"] = (ehdr(4, phentsize=64) + v[64:], "refuse")
    out["elf-phentsize-32"] = (ehdr(4, phentsize=32) + v[64:], "refuse")
    for name, ident in (("class32", b"\x7fELF\x01\x01\x01"), ("big-endian", b"\x7fELF\x02\x02\x01"),
                        ("version-0", b"\x7fELF\x02\x01\x00"), ("bad-magic", b"\x7fELG\x02\x01\x01")):
        out["elf-" + name] = (ehdr(4, ident=ident) + v[64:], "refuse")
    out["elf-no-load"] = (vmlinux(loads=[]), "refuse")
    out["elf-load-memsz-0"] = (vmlinux(loads=[(0x1000000, 0x1000, 0)]), "refuse")


# ---- the kernels of payloads/ ----------------------------------------------

def payload_seeds(out):
    try:
        with open(os.path.join(REPO, "payloads", "manifest.json")) as f:
            assets = json.load(f)["assets"]
    except (OSError, ValueError, KeyError):
        return
    for a in assets:
        path = os.path.join(REPO, "payloads", a.get("xz", ""))
        if a.get("name") != "kernel" or not os.path.isfile(path):
            continue
        name = "payload-kernel-" + a.get("arch", "unknown")
        with lzma.open(path) as f:
            head = f.read(MAX_LEN)
            out[name] = (head, "accept")
            if head[:4] != b"\x7fELF" or len(head) < 64:
                continue
            phoff, = struct.unpack_from("<Q", head, 32)
            phnum, = struct.unpack_from("<H", head, 56)
            f.seek(phoff)
            phdrs = bytearray(f.read(56 * phnum))
            notes = b""
            for i in range(phnum):
                ptype, _, offset, _, _, filesz = struct.unpack_from("<IIQQQQ", phdrs, 56 * i)
                if ptype == PT_NOTE and 0 < filesz <= 1 << 20:
                    f.seek(offset)
                    struct.pack_into("<Q", phdrs, 56 * i + 8, 64 + len(phdrs) + len(notes))
                    notes += f.read(filesz)
            hdr = head[:32] + struct.pack("<Q", 64) + head[40:64]
            out[name + "-notes"] = (hdr + bytes(phdrs) + notes, "accept")


def seeds():
    out = {}
    image_seeds(out)
    elf_seeds(out)
    payload_seeds(out)
    return out
