"""Debian programs for a guest image: fetched, unpacked, never installed.

The network test runs Debian's `ip` (iproute2) and `nft` (nftables) in the
guest: busybox's `ip` has no veth peers or network namespaces, and busybox
has no nft. Their .debs (and those of every library they load), for the
guest's architecture (arm64 for aarch64, amd64 for x86_64), are downloaded
with `apt-get download PKG:DEBARCH` into .deps/DEBARCH-debs/ and unpacked
with `dpkg-deb -x` into .deps/DEBARCH-root/, once: later runs find them
there. Installing them would replace the host's packages (the arm64 ones)
or change the host (the amd64 ones on an amd64 machine).

install() copies a program into a guest rootfs with the shared libraries it
needs (DT_NEEDED, followed transitively) and its dynamic loader, in
Debian's layout (/lib/TRIPLET, /usr/lib/TRIPLET; the loader at its PT_INTERP
path, e.g. /lib64/ld-linux-x86-64.so.2) where glibc's loader looks without
an ld.so.cache.
"""
import fcntl
import glob
import os
import shutil
import struct
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# ip and nft and the libraries they load (Debian bookworm), the same list
# for every architecture. A library missing here makes install() fail with
# its soname.
PACKAGES = [
    "iproute2", "nftables", "libnftables1", "libc6", "libbpf1", "libelf1", "zlib1g",
    "libmnl0", "libbsd0", "libmd0", "libcap2", "libedit2", "libtinfo6", "libnftnl11",
    "libxtables12", "libjansson4", "libgmp10",
]
# guest architecture -> (Debian architecture, multiarch triplet)
ARCHES = {"aarch64": ("arm64", "aarch64-linux-gnu"), "x86_64": ("amd64", "x86_64-linux-gnu")}


def _debarch(arch):
    try:
        return ARCHES[arch][0]
    except KeyError:
        raise ValueError(f"unknown guest architecture {arch!r} ({', '.join(ARCHES)})") from None


def _cache(arch):
    return os.path.join(REPO, ".deps", f"{_debarch(arch)}-debs")


def _root(arch, name=None):
    return os.path.join(REPO, ".deps", f"{_debarch(arch)}-{name or 'root'}")


def library_dirs(arch):
    triplet = ARCHES[arch][1]
    return [f"lib/{triplet}", f"usr/lib/{triplet}"]


def _download(arch, missing):
    debarch = _debarch(arch)
    cmd = ["apt-get", "download", "-qq"] + [p if p.endswith(":all") else f"{p}:{debarch}" for p in missing]
    r = subprocess.run(cmd, cwd=_cache(arch), capture_output=True, text=True)
    if r.returncode != 0 and os.geteuid() == 0:
        # Stale package lists (an update since the last apt-get update).
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        r = subprocess.run(cmd, cwd=_cache(arch), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({debarch} must be a dpkg architecture:"
                           f" scripts/install-deps adds arm64):\n{r.stderr}")


def _deb(arch, package):
    # "NAME:all": an Architecture: all package (e.g. the JavaScript that
    # Debian's nodejs loads from /usr/share/nodejs), the same for every arch.
    name, debarch = (package[:-4], "all") if package.endswith(":all") else (package, _debarch(arch))
    found = sorted(glob.glob(os.path.join(_cache(arch), f"{name}_*_{debarch}.deb")))
    return found[-1] if found else None


def fetch(arch, packages=PACKAGES, name=None):
    """Make sure the packages for guest architecture `arch` (aarch64,
    x86_64) are downloaded and unpacked (a name ending in ":all" is an
    Architecture: all package, fetched as it is); return the root they are unpacked
    in: .deps/DEBARCH-root, or .deps/DEBARCH-NAME for another list (a
    sysroot for qemu-user, say), so that lists do not replace each other's
    root. Safe to call from concurrent test runs."""
    cache, root = _cache(arch), _root(arch, name)
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [p for p in packages if not _deb(arch, p)]
        if missing:
            _download(arch, missing)
        debs_wanted = "".join(os.path.basename(_deb(arch, p)) + "\n" for p in sorted(packages))
        stamp = os.path.join(root, ".debs")
        try:
            with open(stamp) as f:
                if f.read() == debs_wanted:
                    return root
        except FileNotFoundError:
            pass
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for p in packages:
            subprocess.run(["dpkg-deb", "-x", _deb(arch, p), tmp], check=True)
        with open(os.path.join(tmp, ".debs"), "w") as f:
            f.write(debs_wanted)
        shutil.rmtree(root, ignore_errors=True)
        os.rename(tmp, root)
    return root


def _elf_deps(path):
    """(PT_INTERP or None, [DT_NEEDED sonames]) of a little-endian ELF64 file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not a little-endian ELF64 file")
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    interp = None
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    sections = [struct.unpack_from("<IIQQQQII", data, shoff + i * shentsize) for i in range(shnum)]
    needed = []
    for _, sh_type, _, _, offset, size, link, _ in sections:
        if sh_type != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[link][4]
        for off in range(offset, offset + size, 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                end = data.index(b"\0", strtab + val)
                needed.append(data[strtab + val:end].decode())
    return interp, needed


def _copy(root, rootfs, rel):
    """Copy root/rel to rootfs/rel; a symlink is copied as a symlink, and
    what it points to as well. Returns the path of the regular file."""
    src, dst = os.path.join(root, rel), os.path.join(rootfs, rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.islink(src):
        target = os.readlink(src)
        if not os.path.lexists(dst):
            os.symlink(target, dst)
        resolved = os.path.normpath(os.path.join(os.path.dirname(rel), target)
                                    if not target.startswith("/") else target.lstrip("/"))
        return _copy(root, rootfs, resolved)
    if not os.path.exists(dst):
        shutil.copy2(src, dst)
    return src


def install(arch, root, rootfs, program):
    """Copy `program` (a path relative to root, the fetch(arch) directory,
    e.g. "bin/ip") into rootfs, with its loader and its shared libraries."""
    todo, seen = [program], set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        interp, needed = _elf_deps(_copy(root, rootfs, rel))
        if interp:
            todo.append(interp.lstrip("/"))
        for soname in needed:
            for d in library_dirs(arch):
                if os.path.lexists(os.path.join(root, d, soname)):
                    todo.append(f"{d}/{soname}")
                    break
            else:
                raise FileNotFoundError(f"{program} needs {soname}, in none of"
                                        f" {', '.join(PACKAGES)} for {arch} (tests/boot/guest_debs.py)")
