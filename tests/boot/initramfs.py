"""Write a newc cpio archive (the initramfs format) from a list of entries.

The archive is written directly, so the boot test needs neither the cpio
tool nor root: owners, modes and timestamps are set per entry, and the
output is the same bytes for the same entries.
"""
import os
import stat

_MAGIC = b"070701"
_TRAILER = "TRAILER!!!"


class Archive:
    def __init__(self):
        self._entries = []  # (name, mode, data)

    def directory(self, name, mode=0o755):
        self._entries.append((name, stat.S_IFDIR | mode, b""))

    def file(self, name, data, mode=0o644):
        self._entries.append((name, stat.S_IFREG | mode, data))

    def symlink(self, name, target):
        self._entries.append((name, stat.S_IFLNK | 0o777, target.encode()))

    def tree(self, prefix, root):
        """Add a host directory tree under `prefix` (files, dirs, symlinks)."""
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            base = prefix if rel == "." else f"{prefix}/{rel}"
            self.directory(base, os.stat(dirpath).st_mode & 0o7777)
            for name in sorted(filenames + [d for d in dirnames
                                            if os.path.islink(os.path.join(dirpath, d))]):
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    self.symlink(f"{base}/{name}", os.readlink(path))
                elif stat.S_ISREG(st.st_mode):
                    with open(path, "rb") as f:
                        self.file(f"{base}/{name}", f.read(), st.st_mode & 0o7777)

    def bytes(self):
        out = bytearray()
        for ino, (name, mode, data) in enumerate(self._entries, start=1):
            out += _record(name, mode, data, ino)
        out += _record(_TRAILER, 0, b"", 0)
        out += b"\0" * (-len(out) % 512)
        return bytes(out)


def _pad4(buf):
    buf += b"\0" * (-len(buf) % 4)


def _record(name, mode, data, ino):
    encoded = name.encode() + b"\0"
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
    rec = bytearray(_MAGIC + b"".join(b"%08X" % v for v in fields))
    rec += encoded
    _pad4(rec)
    rec += data
    _pad4(rec)
    return bytes(rec)
