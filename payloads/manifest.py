#!/usr/bin/env python3
"""Write or check payloads/manifest.json (format 2).

  manifest.py write RAWDIR     compress nothing; record the raw artifacts
                               RAWDIR/<arch>/<file> of every architecture
                               and the committed .xz files
  manifest.py check RAWDIR [SELECTOR...]
                               fail unless each selected raw artifact
                               RAWDIR/<arch>/<file> matches the manifest bit
                               for bit; a selector is ARCH/NAME, ARCH or NAME
                               (NAME: the asset name or its file name),
                               default: all
  manifest.py compression ARCH/NAME
                               print the xz flags recorded for one asset
  manifest.py verify           the manifest holds every (arch, name) in table
                               order, each with pins.sh's flags as its
                               compression; committed .xz files match it and
                               each decodes to the recorded raw sha256;
                               the sizes are within BUDGETS

RAWDIR holds one directory per architecture (aarch64, x86_64), each with
the three raw artifacts under their file names (kernel, init-oci,
supermachine-agent). The committed .xz files are payloads/<file>.xz for
aarch64 and payloads/<arch>/<file>.xz for the others. Hashing uses hashlib;
decoding uses the lzma module (both backed by maintained libraries).
"""
import hashlib
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.json")
FORMAT = 2

# Architectures in table order: Debian architecture, GNU triple, ELF e_machine.
ARCHS = [
    ("aarch64", "arm64", "aarch64-linux-gnu", 183),
    ("x86_64", "amd64", "x86_64-linux-gnu", 62),
]
# name (API identifier), file name, mode, recipe
ASSETS = [
    ("kernel", "kernel", "0644", "payloads/kernel/build.sh"),
    ("init_oci", "init-oci", "0755", "payloads/init-oci/build.sh"),
    ("supermachine_agent", "supermachine-agent", "0755", "payloads/agent/build.sh"),
]
ARCH_NAMES = [a[0] for a in ARCHS]
MiB = 1 << 20
# Size budgets the issues set, checked by verify: (what, measure, limit).
# A measure is the sum over the selected entries of "xz_size" or "size".
BUDGETS = [
    ("aarch64/kernel as xz", [("aarch64", "kernel")], "xz_size", 3.2 * MiB),
    ("x86_64/kernel raw (vmlinux)", [("x86_64", "kernel")], "size", 16 * MiB),
    ("the x86_64 set as xz", [("x86_64", n) for n, _, _, _ in ASSETS], "xz_size", 3.5 * MiB),
]


def xz_path(arch, file):
    """The .xz path relative to payloads/ (aarch64 keeps the old places)."""
    return file + ".xz" if arch == "aarch64" else f"{arch}/{file}.xz"


def pins():
    out = subprocess.run(["bash", "-c", f"set -a; . '{HERE}/pins.sh'; env"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def xz_flags(p, arch):
    key = "XZ_FLAGS_" + arch
    if not p.get(key):
        sys.exit(f"manifest: payloads/pins.sh sets no {key}")
    return p[key]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def deb_version(package):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "not installed"


def deb_package_of(command):
    """'package version' of the Debian package owning a command (resolved
    through its symlinks), e.g. gcc-12 for x86_64-linux-gnu-gcc on amd64."""
    path = shutil.which(command)
    if not path:
        return f"{command} not installed"
    for p in dict.fromkeys([os.path.realpath(path), path]):
        r = subprocess.run(["dpkg-query", "-S", p], capture_output=True, text=True)
        lines = [l for l in r.stdout.splitlines() if not l.startswith("diversion ")]
        if r.returncode == 0 and lines:
            package = lines[0].split(": ", 1)[0].split(", ")[0]
            return f"{package} {deb_version(package)}"
    return f"{command} (no Debian package owns {os.path.realpath(path)})"


def toolchain(arch, name):
    _, debarch, triple, _ = next(a for a in ARCHS if a[0] == arch)
    parts = [deb_package_of(triple + "-gcc"), deb_package_of(triple + "-ld")]
    if name != "kernel":
        parts.append(f"musl-dev:{debarch} " + deb_version(f"musl-dev:{debarch}"))
    parts.append("xz-utils " + deb_version("xz-utils"))
    return ", ".join(parts)


def project_version():
    """The version written once, in the C header."""
    header = os.path.join(HERE, "..", "core", "include", "supermachine_kernel.h")
    with open(header) as f:
        text = f.read()
    parts = [re.search(rf"#define SMK_VERSION_{p}\s+(\d+)", text) for p in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        sys.exit(f"manifest: {header}: SMK_VERSION_MAJOR/MINOR/PATCH not found")
    return ".".join(m.group(1) for m in parts)


def check_arch(path, arch, name):
    """Refuse an artifact of the wrong kind or architecture: an arm64 Image
    for aarch64's kernel, an ELF of the architecture's machine otherwise
    (for x86_64's kernel, one with the PVH entry note)."""
    with open(path, "rb") as f:
        head = f.read(64)
    if arch == "aarch64" and name == "kernel":
        if head[56:60] != b"ARM\x64":
            sys.exit(f"manifest: {path}: no arm64 Image header (magic ARM\\x64 at 56)")
        return
    if head[:4] != b"\x7fELF" or len(head) < 20:
        sys.exit(f"manifest: {path}: not an ELF file")
    machine = struct.unpack_from("<H", head, 18)[0]
    want = next(a[3] for a in ARCHS if a[0] == arch)
    if machine != want:
        sys.exit(f"manifest: {path}: ELF machine {machine}, {arch} is {want}")
    if name == "kernel" and not has_pvh_note(path):
        sys.exit(f"manifest: {path}: no PVH entry note (Xen note 18), not a PVH vmlinux")


def has_pvh_note(path):
    """Whether an ELF64 file's PT_NOTE segments hold XEN_ELFNOTE_PHYS32_ENTRY."""
    with open(path, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        ptype, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if ptype != 4:  # PT_NOTE
            continue
        off, = struct.unpack_from("<Q", data, phoff + i * phentsize + 8)
        size, = struct.unpack_from("<Q", data, phoff + i * phentsize + 32)
        pos, end = off, off + size
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            note_name = data[pos + 12:pos + 12 + namesz]
            if note_name == b"Xen\0" and ntype == 18:
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def kernel_release(path):
    with open(path, "rb") as f:
        m = re.search(rb"Linux version (\S+)", f.read())
    if not m:
        sys.exit(f"manifest: {path}: no 'Linux version' banner, not a kernel?")
    return m.group(1).decode()


def write(rawdir):
    p = pins()
    assets = []
    for arch, debarch, _, _ in ARCHS:
        for name, file, mode, recipe in ASSETS:
            raw = os.path.join(rawdir, arch, file)
            xz = os.path.join(HERE, xz_path(arch, file))
            for f in (raw, xz):
                if not os.path.isfile(f):
                    sys.exit(f"manifest: {f} missing (a manifest holds every architecture's set)")
            check_arch(raw, arch, name)
            entry = {
                "name": name, "file": file, "xz": xz_path(arch, file), "mode": mode,
                "arch": arch,
                "size": os.path.getsize(raw), "sha256": sha256_file(raw),
                "xz_size": os.path.getsize(xz), "xz_sha256": sha256_file(xz),
                "compression": xz_flags(p, arch),
            }
            if name == "kernel":
                entry["source"] = {"package": p["LINUX_SOURCE_PACKAGE"],
                                   "version": p["LINUX_SOURCE_VERSION"]}
                entry["release"] = kernel_release(raw)
            else:
                entry["source"] = {"package": "supermachine-kernel",
                                   "version": project_version(),
                                   "path": os.path.dirname(recipe),
                                   "libc": f"musl-dev:{debarch} " + deb_version(f"musl-dev:{debarch}")}
            entry["toolchain"] = toolchain(arch, name)
            entry["recipe"] = recipe
            entry["build_timestamp"] = p["BUILD_TIMESTAMP"]
            assets.append(entry)
    doc = {"format": FORMAT, "assets": assets}
    tmp = MANIFEST + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, MANIFEST)


def load():
    """The manifest's entries keyed by (arch, name)."""
    with open(MANIFEST) as f:
        doc = json.load(f)
    if doc.get("format") != FORMAT:
        sys.exit(f"manifest: {MANIFEST}: format {doc.get('format')}, this script reads format {FORMAT}")
    entries = {}
    for a in doc["assets"]:
        key = (a.get("arch"), a.get("name"))
        if key in entries:
            sys.exit(f"manifest: {MANIFEST}: two entries for {key[0]}/{key[1]}")
        entries[key] = a
    return entries


def resolve(selectors):
    """(arch, name, file) of every asset the selectors name, in table order;
    None when a selector names nothing."""
    out = []
    for arch in ARCH_NAMES:
        for name, file, _, _ in ASSETS:
            if not selectors or any(s in (arch, name, file, f"{arch}/{name}", f"{arch}/{file}")
                                    for s in selectors):
                out.append((arch, name, file))
    for s in selectors:
        if not any(s in (a, n, f, f"{a}/{n}", f"{a}/{f}") for a, n, f in out):
            print(f"manifest: unknown selector '{s}' (ARCH/NAME, ARCH or NAME;"
                  f" ARCH: {', '.join(ARCH_NAMES)})", file=sys.stderr)
            return None
    return out


def check(rawdir, selectors):
    manifest = load()
    chosen = resolve(selectors)
    if chosen is None:
        return 2
    bad = 0
    for arch, name, file in chosen:
        label = f"{arch}/{file}"
        entry = manifest.get((arch, name))
        raw = os.path.join(rawdir, arch, file)
        if entry is None:
            print(f"{label}: not in the manifest", file=sys.stderr)
            bad += 1
            continue
        if not os.path.isfile(raw):
            print(f"{label}: {raw} missing", file=sys.stderr)
            bad += 1
            continue
        got, want = sha256_file(raw), entry["sha256"]
        if got != want:
            bad += 1
            print(f"{label}: rebuilt sha256 {got} differs from manifest {want}"
                  f" (manifest toolchain: {entry['toolchain']};"
                  f" here: {toolchain(arch, name)})", file=sys.stderr)
        else:
            print(f"{label}: rebuilt bit for bit ({got})")
    return 1 if bad else 0


def compression(selector):
    """Print the xz flags the manifest records for one asset."""
    chosen = resolve([selector])
    if chosen is None or len(chosen) != 1:
        if chosen is not None:
            print(f"manifest: '{selector}' names {len(chosen)} assets, not one", file=sys.stderr)
        return 2
    arch, name, _ = chosen[0]
    entry = load().get((arch, name))
    if entry is None:
        print(f"manifest: {arch}/{name} not in the manifest", file=sys.stderr)
        return 1
    print(entry["compression"])
    return 0


def verify():
    manifest, p = load(), pins()
    want = [(arch, name) for arch in ARCH_NAMES for name, _, _, _ in ASSETS]
    if list(manifest) != want:
        print(f"manifest: {MANIFEST}: entries {', '.join('/'.join(k) for k in manifest)};"
              f" want {', '.join('/'.join(k) for k in want)}", file=sys.stderr)
        return 1
    bad = 0
    for (arch, name), a in manifest.items():
        if a.get("compression") != xz_flags(p, arch):
            print(f"{a['xz']}: manifest compression '{a.get('compression')}' is not"
                  f" pins.sh's XZ_FLAGS_{arch} '{xz_flags(p, arch)}'", file=sys.stderr)
            bad += 1
        xz = os.path.join(HERE, a["xz"])
        if not os.path.isfile(xz):
            print(f"{a['xz']}: missing ({arch}/{name})", file=sys.stderr)
            bad += 1
            continue
        if sha256_file(xz) != a["xz_sha256"] or os.path.getsize(xz) != a["xz_size"]:
            print(f"{a['xz']}: size or sha256 differs from manifest", file=sys.stderr)
            bad += 1
            continue
        h, n = hashlib.sha256(), 0
        with lzma.open(xz) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                n += len(chunk)
        if h.hexdigest() != a["sha256"] or n != a["size"]:
            print(f"{a['xz']}: decodes to {n} bytes sha256 {h.hexdigest()},"
                  f" manifest says {a['size']} bytes {a['sha256']}", file=sys.stderr)
            bad += 1
        else:
            print(f"{a['xz']}: matches manifest ({arch}, {a['size']} bytes raw)")
    for what, keys, field, limit in BUDGETS:
        total = sum(manifest[k][field] for k in keys)
        ok = total <= limit
        print(f"{what}: {total} bytes, budget {int(limit)}: {'within' if ok else 'OVER'}",
              file=sys.stdout if ok else sys.stderr)
        bad += not ok
    return 1 if bad else 0


def main(argv):
    if len(argv) == 2 and argv[0] == "write":
        write(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] == "check":
        return check(argv[1], argv[2:])
    if len(argv) == 2 and argv[0] == "compression":
        return compression(argv[1])
    if argv == ["verify"]:
        return verify()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
