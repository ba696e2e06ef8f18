#!/usr/bin/env python3
"""Hostile paths in a sticky directory, with a second, unprivileged user.

Two users play it out: an ATTACKER (uid/gid 65534) plants things first, a
VICTIM (uid/gid 65533, no passwd entry, no supplementary groups) then runs
the CLI of every language (SMK_STRESS_CLIS, see common.py; default the C
CLI).  Each case is a fresh sticky world-writable directory S (1777, owned
by root, like /tmp) and one DIR given to the CLI:

    attdir   S/d, the attacker's directory, mode 0777 (not sticky)
    vicdir   S/v, the victim's directory, mode 1777 (the attacker can plant)
    sticky   S itself (the victim cannot remove the attacker's entries)

What is planted (at every asset's name, at ensure's own names, at
predictable temporary names) is listed in PLANTINGS below; a planting is
made by root on the attacker's behalf and handed to the attacker (lchown),
except the hard links to the victim's files, which the attacker is first
asked to make itself (fs.protected_hardlinks refuses it; root then makes
them, as on a system without that protection), and the lock held by an
attacker process (flock, killed at the end).

Invariants, for every case:
  - never blocks: the CLI returns within --timeout seconds (the lock wait is
    5 s);
  - never writes through: inotify watches every planted inode and every
    file of the victim's they point to: no IN_MODIFY, no IN_CLOSE_WRITE (not
    even opened for writing); the victim's files are unchanged (inode, size,
    mode, owner, mtime, SHA-256); a FIFO's read end, held open, got no byte;
    a dangling symlink's target was not created; a file reached only
    through a symlink was never even opened (links_followed);
  - the outcome is either success with every asset a regular file of the
    victim with the asset's bytes and mode (for verify: the asset's bytes
    and mode), or exit 1 with stderr lines "supermachine-kernel: PATH:
    REASON", PATH being DIR or an asset path, every asset that is not right
    named (or DIR), and every asset path holding the asset, the planted
    thing untouched, or nothing -- never a part or a mix;
  - a forged stamp (wrong files of the right size and mode, and a stamp
    vouching for exactly their identities) is never trusted unless it is
    the victim's own in a directory of the victim's (the control, which must
    be believed, so that the forgery is proven well-formed);
  - no .smk-tmp.* of the victim's is left, and no decoy is removed.

    python3 tests/stress/hostile.py [--full] [--timeout S] [--jobs N]

By default every planting in every directory for the first CLI, and a
representative subset for the others; --full runs the whole matrix for
every CLI.  Needs root (exits 0 with a message otherwise).  Prints a table
of outcomes per planting and FIGURE lines; exit 1 on any broken invariant.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import errno
import hashlib
import os
import pathlib
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

from common import ASSETS, OLD, check_dir, clis_from_env, figure, sha256

ATTACKER = 65534
VICTIM = 65533
LOCK = ".supermachine-kernel.lock"
STAMP = ".supermachine-kernel.stamp"
STAMP_MAGIC = "supermachine-kernel-stamp 1"
PROG = "supermachine-kernel"
LOCATIONS = ("attdir", "vicdir", "sticky")
FILES = [a["file"] for a in ASSETS]

# --- inotify (ctypes: the standard library has none) -----------------------

IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x1, 0x2, 0x4, 0x8
IN_CLOSE_NOWRITE, IN_OPEN = 0x10, 0x20
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
_libc = ctypes.CDLL(None, use_errno=True)

# Held while the harness has a file open for writing (planting) and while
# it forks (Popen returns once the child has exec'd): else a child forked
# by another thread could inherit a descriptor opened for writing and close
# it, the last one, after the case's watches are in place -- an
# IN_CLOSE_WRITE that no victim caused.
SPAWN = threading.RLock()


class Inotify:
    def __init__(self) -> None:
        self.fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.labels: Dict[int, List[str]] = {}

    def watch(self, path: str, label: str) -> None:
        wd = _libc.inotify_add_watch(self.fd, os.fsencode(path),
                                     IN_MODIFY | IN_CLOSE_WRITE | IN_OPEN)
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
        self.labels.setdefault(wd, []).append(label)

    def events(self) -> List[Tuple[List[str], int]]:
        out = []
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            i = 0
            while i < len(buf):
                wd, mask, _cookie, n = struct.unpack_from("iIII", buf, i)
                i += 16 + n
                if wd in self.labels:
                    out.append((self.labels[wd], mask))

    def close(self) -> None:
        os.close(self.fd)


# --- the victim's CLIs -----------------------------------------------------

def victim_env(home: pathlib.Path, extra: Dict[str, str]) -> Dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
           "XDG_CACHE_HOME": str(home / ".cache"), "LC_ALL": "C", "LANG": "C"}
    env.update(extra)
    return env


def as_user(uid: int) -> dict:
    return dict(user=uid, group=uid, extra_groups=[], umask=0o022)


def runnable(cmd: List[str], env: Dict[str, str], cwd: str) -> Optional[str]:
    """None if the victim can run cmd --version, else why not."""
    try:
        r = subprocess.run(cmd + ["--version"], env=env, cwd=cwd, capture_output=True,
                           text=True, timeout=60, **as_user(VICTIM))
    except OSError as e:
        return str(e)
    return None if r.returncode == 0 else (r.stderr.strip() or f"exit {r.returncode}")


def victim_python(major_minor: Tuple[int, int], env, cwd) -> Optional[str]:
    """An interpreter of this version the victim can run (the venv's may
    live in root's 0700 home)."""
    name = "python%d.%d" % major_minor
    for d in ("/usr/bin", "/usr/local/bin", "/bin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK) and runnable([p, "-c", "pass"], env, cwd) is None:
            return p
    return None


def adapt_cli(name: str, cmd: List[str], work: pathlib.Path, env: Dict[str, str],
              notes: List[str]) -> Tuple[Optional[List[str]], Dict[str, str], Optional[str]]:
    """The command line and extra environment the victim runs this CLI
    with, or a reason it cannot."""
    cmd = list(cmd)
    if cmd and "/" not in cmd[0] and shutil.which(cmd[0]):
        cmd[0] = shutil.which(cmd[0])
    why = runnable(cmd, env, str(work))
    if why is None:
        return cmd, {}, None
    if cmd[1:3] != ["-m", "supermachine_kernel"]:
        return None, {}, f"the victim cannot run {cmd}: {why}"
    # A Python CLI in a venv the victim cannot reach: the same package, on
    # an interpreter of the same version it can.
    probe = subprocess.run(cmd[:1] + ["-c", "import os, sys, supermachine_kernel as m; "
                                      "print(os.path.dirname(m.__file__)); print(*sys.version_info[:2])"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return None, {}, f"{cmd[0]} cannot import supermachine_kernel: {probe.stderr.strip()}"
    pkg, ver = probe.stdout.splitlines()[:2]
    lib = work / f"pylib-{name}"
    shutil.copytree(pkg, lib / "supermachine_kernel", ignore=shutil.ignore_patterns("__pycache__"))
    for root, dirs, files in os.walk(lib):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    extra = {"PYTHONPATH": str(lib), "PYTHONDONTWRITEBYTECODE": "1"}
    mm = tuple(int(x) for x in ver.split())
    py = victim_python(mm, {**env, **extra}, str(work))
    if not py:
        return None, {}, (f"the victim cannot run {cmd[0]} ({why}) and there is no "
                          f"python{mm[0]}.{mm[1]} it can run")
    new = [py, "-s", "-m", "supermachine_kernel"]
    why2 = runnable(new, {**env, **extra}, str(work))
    if why2 is not None:
        return None, {}, f"{new} with PYTHONPATH={lib}: {why2}"
    notes.append(f"{name}: the victim cannot run {cmd[0]} ({why}); it runs "
                 f"{py} -m supermachine_kernel with the same package copied to {lib}")
    return new, extra, None


# --- one case ----------------------------------------------------------------

class Skip(Exception):
    """A planting this machine does not allow (mknod in a container)."""


class Case:
    def __init__(self, cli_name: str, cli: List[str], cli_env: Dict[str, str],
                 location: str, planting: str, command: str) -> None:
        self.cli_name, self.cli, self.cli_env = cli_name, cli, cli_env
        self.location, self.planting, self.command = location, planting, command
        self.failures: List[str] = []
        self.outcome = "?"
        self.seconds = 0.0
        self.hang = self.writes = self.trusted_forgery = self.followed = 0
        self.temps_left = self.decoys_removed = self.foreign_accepted = 0
        self.notes: List[str] = []

    def label(self) -> str:
        return f"{self.cli_name} {self.command} {self.location} {self.planting}"


class Ctx:
    """What a planting registers for the checks after the run."""

    def __init__(self, root: pathlib.Path, location: str, hardlinks_by_root: bool,
                 py_for_attacker: Optional[str]) -> None:
        self.root = root
        self.S = root / "S"
        self.H = root / "home"
        self.S.mkdir()
        os.chmod(self.S, 0o1777)
        self.H.mkdir()
        os.chown(self.H, VICTIM, VICTIM)
        os.chmod(self.H, 0o755)  # as homes usually are: the attacker may link into it
        if location == "attdir":
            self.D = self.S / "d"
            self.D.mkdir()
            os.chown(self.D, ATTACKER, ATTACKER)
            os.chmod(self.D, 0o777)
        elif location == "vicdir":
            self.D = self.S / "v"
            self.D.mkdir()
            os.chown(self.D, VICTIM, VICTIM)
            os.chmod(self.D, 0o1777)
        else:
            self.D = self.S
        self.location = location
        self.hardlinks_by_root = hardlinks_by_root
        self.py = py_for_attacker
        self.ino = Inotify()
        self.precious: Dict[str, Tuple[tuple, str, bool]] = {}  # path -> (stat key, sha, only via symlink)
        self.held: List[Tuple[str, int, str, tuple, Optional[str]]] = []  # label, fd, kind, key, sha
        self.fifos: List[Tuple[str, int]] = []
        self.absent: List[str] = []
        self.decoys: Dict[str, int] = {}
        self.planted_at: Dict[str, int] = {}  # asset file -> planted inode
        self.forged = self.control = False
        self.holders: List[subprocess.Popen] = []
        self.notes: List[str] = []

    # -- the victim's files --
    def precious_file(self, name: str, via_symlink_only: bool) -> str:
        p = self.H / name
        p.write_bytes(b"the victim's precious " + name.encode() + b"\n" * 3)
        os.chown(p, VICTIM, VICTIM)
        os.chmod(p, 0o644)
        st = os.lstat(p)
        key = (st.st_ino, st.st_size, stat.S_IMODE(st.st_mode), st.st_uid, st.st_mtime_ns)
        self.precious[str(p)] = (key, sha256(p), via_symlink_only)
        self.ino.watch(str(p), f"victim's {p.name}")
        return str(p)

    # -- planting, as the attacker --
    def give(self, path: str, mode: Optional[int] = None) -> None:
        os.lchown(path, ATTACKER, ATTACKER)
        if mode is not None:
            os.chmod(path, mode)

    def hold(self, path: str, label: str) -> None:
        """Keeps the planted inode open, to examine it even once replaced."""
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            kind, digest = "reg", sha256(path)
        elif stat.S_ISFIFO(st.st_mode):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # the read end
            self.fifos.append((label, fd))
            kind, digest = "fifo", None
        else:
            fd = os.open(path, os.O_PATH | os.O_NOFOLLOW)
            kind, digest = ("dir" if stat.S_ISDIR(st.st_mode) else "other"), None
        key = (st.st_ino, st.st_size, stat.S_IMODE(st.st_mode), st.st_uid, st.st_mtime_ns)
        self.held.append((label, fd, kind, key, digest))
        if not stat.S_ISLNK(st.st_mode):
            self.ino.watch(path, label)

    def plant(self, path: str, kind: str, label: str) -> None:
        name = os.path.basename(path)
        if kind == "symlink":
            os.symlink(self.precious_file(f"precious.{name}", True), path)
            self.give(path)
        elif kind == "dangling":
            target = str(self.H / f"never-created.{name}")
            os.symlink(target, path)
            self.give(path)
            self.absent.append(target)
        elif kind == "fifo":
            os.mkfifo(path, 0o666)
            self.give(path, 0o666)
            self.hold(path, label)
        elif kind == "chardev":
            try:
                os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            except OSError as e:
                raise Skip(f"mknod refused here ({e.strerror})")
            self.give(path, 0o666)
            self.hold(path, label)
        elif kind == "dir":
            os.mkdir(path)
            self.give(path, 0o777)
            self.hold(path, label)
        elif kind == "hardlink":
            target = self.precious_file(f"precious-hl.{name}", False)
            self.hard_link(target, path)
        elif kind in ("file", "file0600"):
            with open(path, "wb") as f:
                f.write(OLD)
            self.give(path, 0o600 if kind == "file0600" else 0o644)
            self.hold(path, label)
        else:
            raise ValueError(kind)
        st = os.lstat(path)
        if os.path.dirname(path) == str(self.D) and name in FILES:
            self.planted_at[name] = st.st_ino

    def hard_link(self, target: str, path: str) -> None:
        if self.hardlinks_by_root:  # refused to the attacker (see main)
            os.link(target, path)
        else:
            attacker_link(self.py, target, path)

    def attacker_copy(self, correct: pathlib.Path) -> None:
        """The assets' own bytes and modes, in files of the attacker's."""
        for a in ASSETS:
            p = self.D / a["file"]
            shutil.copyfile(correct / a["file"], p)
            self.give(str(p), int(a["mode"], 8))
            self.planted_at[a["file"]] = os.lstat(p).st_ino
            self.hold(str(p), f"attacker's copy {a['file']}")

    def forge(self, stamp_owner: int, files_owner: int = ATTACKER) -> None:
        """Wrong files of the right size and mode, and a stamp vouching for
        exactly their identities (read_stamp's format).  The files are the
        attacker's, but in the control (everything the victim's own: a
        stamp ensure may believe, as ensure never accepts another user's
        file at an asset's name)."""
        lines = [STAMP_MAGIC]
        for a in ASSETS:
            p = self.D / a["file"]
            with open(p, "wb") as f:
                f.truncate(a["size"])  # zeros: the right size, the wrong bytes
            self.give(str(p), int(a["mode"], 8))
            if files_owner != ATTACKER:
                os.lchown(p, files_owner, files_owner)
                os.chmod(p, int(a["mode"], 8))
            st = os.lstat(p)
            lines.append(f"{a['name']} {a['sha256']} {st.st_dev} {st.st_ino} {st.st_size} "
                         f"{st.st_mode:o} {st.st_mtime_ns // 10**9} {st.st_mtime_ns % 10**9} "
                         f"{st.st_ctime_ns // 10**9} {st.st_ctime_ns % 10**9}")
            self.planted_at[a["file"]] = st.st_ino
            self.hold(str(p), f"wrong {a['file']}")
        s = self.D / STAMP
        s.write_text("\n".join(lines) + "\n")
        os.chown(s, stamp_owner, stamp_owner)
        os.chmod(s, 0o644)
        self.hold(str(s), "forged stamp")

    def hold_lock(self, path: str) -> None:
        """An attacker process that opened path and holds a flock on it."""
        code = ("import fcntl, os, sys, time\n"
                "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                "print('held', flush=True)\n"
                "time.sleep(600)\n")
        with SPAWN:
            p = subprocess.Popen([self.py, "-c", code, path], stdout=subprocess.PIPE,
                                 text=True, cwd="/", **as_user(ATTACKER))
        self.holders.append(p)
        if p.stdout.readline().strip() != "held":
            raise RuntimeError(f"the attacker could not lock {path}")

    def decoy(self, kind: str, hexpart: str) -> None:
        path = str(self.D / f".smk-tmp.{hexpart}")
        self.plant(path, kind, f"decoy {kind}")
        self.decoys[path] = os.lstat(path).st_ino

    def close(self) -> None:
        for p in self.holders:
            p.kill()
            p.wait()
        for _label, fd, *_ in self.held:
            os.close(fd)
        self.ino.close()


def attacker_link(py: Optional[str], target: str, path: str) -> None:
    """os.link(target, path) as the attacker; PermissionError if refused."""
    if not py:
        raise PermissionError(errno.EPERM, "no interpreter for the attacker")
    with SPAWN:
        r = subprocess.run([py, "-c", "import os, sys; os.link(sys.argv[1], sys.argv[2])", target, path],
                           capture_output=True, text=True, cwd="/", **as_user(ATTACKER))
    if r.returncode != 0:
        raise PermissionError(errno.EPERM, r.stderr.strip().splitlines()[-1] if r.stderr else "refused")


# The plantings: name -> (what it is, which commands it is run with).
A_KINDS = {
    "symlink": "a symlink to a file of the victim's",
    "dangling": "a dangling symlink into the victim's home",
    "fifo": "a FIFO (read end held open)",
    "chardev": "a character device 1:3, the attacker's",
    "dir": "a directory, the attacker's",
    "hardlink": "a hard link to a file of the victim's",
    "file": "a regular file of the attacker's, wrong bytes",
    "copy": "the asset's bytes and mode, in the attacker's file",
}
PLANTINGS: Dict[str, Tuple[str, Tuple[str, ...]]] = {}
for _k, _what in A_KINDS.items():
    PLANTINGS[f"asset.{_k}"] = (f"every asset's name: {_what}", ("extract", "ensure", "verify"))
for _n, _f in (("lock", LOCK), ("stamp", STAMP)):
    PLANTINGS[f"{_n}.fifo"] = (f"{_f}: a FIFO (read end held open)", ("ensure",))
    PLANTINGS[f"{_n}.symlink"] = (f"{_f}: a symlink to a file of the victim's", ("ensure",))
    PLANTINGS[f"{_n}.dir"] = (f"{_f}: a directory, the attacker's", ("ensure",))
    PLANTINGS[f"{_n}.hardlink"] = (f"{_f}: a hard link to a file of the victim's", ("ensure",))
PLANTINGS["lock.held"] = (f"{LOCK}: the attacker's (0644), flock()ed by the attacker", ("ensure",))
PLANTINGS["lock.held0600"] = (f"{LOCK}: the attacker's (0600), flock()ed by the attacker", ("ensure",))
PLANTINGS["stamp.forged"] = (f"{STAMP}: the attacker's, vouching for wrong files at the asset names",
                             ("ensure", "verify"))
PLANTINGS["stamp.forged-victims"] = (f"{STAMP}: the victim's, in the attacker's directory (attdir only), "
                                     "vouching for wrong files", ("ensure",))
PLANTINGS["stamp.control"] = (f"{STAMP}: the victim's, in the victim's directory (vicdir only), "
                              "vouching for wrong files of the victim's: must be believed", ("ensure",))
DECOY_KINDS = {"fifo": "0123456789abcdef", "symlink": "fedcba9876543210", "file": "00000000deadbeef",
               "hardlink": "0000000000c0ffee", "dangling": "a5a5a5a5a5a5a5a5"}
for _k in DECOY_KINDS:
    PLANTINGS[f"tmp.{_k}"] = (f".smk-tmp.{DECOY_KINDS[_k]}: {A_KINDS.get(_k, 'a FIFO')}", ("extract", "ensure"))
PLANTINGS["tmp.all"] = ("every .smk-tmp.* decoy above at once", ("extract", "ensure"))
PLANTINGS["lock+stamp.all"] = ("a FIFO at the lock, a symlink at the stamp, every .smk-tmp.* decoy", ("ensure",))

# The representative subset for the CLIs after the first (bounded runs).
SUBSET = {
    "vicdir": ["asset.symlink", "asset.dangling", "asset.fifo", "asset.chardev", "asset.dir",
               "asset.hardlink", "asset.file", "asset.copy", "lock.held", "stamp.forged",
               "stamp.control", "tmp.all", "lock+stamp.all"],
    "attdir": ["asset.symlink", "asset.fifo", "stamp.forged", "stamp.forged-victims"],
    "sticky": ["asset.symlink", "asset.fifo", "asset.copy", "stamp.forged"],
}
SUBSET_COMMANDS = {"asset.fifo": ("extract", "ensure", "verify"), "asset.symlink": ("extract", "ensure")}


def plant(ctx: Ctx, planting: str, correct: pathlib.Path) -> None:
    group, _, kind = planting.partition(".")
    if group == "asset":
        if kind == "copy":
            ctx.attacker_copy(correct)
        else:
            for f in FILES:
                ctx.plant(str(ctx.D / f), kind, f"{kind} at {f}")
    elif group in ("lock", "stamp") and kind in ("fifo", "symlink", "dir", "hardlink"):
        name = LOCK if group == "lock" else STAMP
        ctx.plant(str(ctx.D / name), kind, f"{kind} at {name}")
    elif planting in ("lock.held", "lock.held0600"):
        p = str(ctx.D / LOCK)
        ctx.plant(p, "file" if planting == "lock.held" else "file0600", "the attacker's lock")
        ctx.hold_lock(p)
    elif planting == "stamp.forged":
        ctx.forged = True
        ctx.forge(ATTACKER)
    elif planting == "stamp.forged-victims":
        ctx.forged = True
        ctx.forge(VICTIM)
    elif planting == "stamp.control":
        ctx.control = True
        ctx.forge(VICTIM, files_owner=VICTIM)
    elif group == "tmp":
        kinds = DECOY_KINDS if kind == "all" else {kind: DECOY_KINDS[kind]}
        for k, hexpart in kinds.items():
            ctx.decoy(k, hexpart)
    elif planting == "lock+stamp.all":
        ctx.plant(str(ctx.D / LOCK), "fifo", f"fifo at {LOCK}")
        ctx.plant(str(ctx.D / STAMP), "symlink", f"symlink at {STAMP}")
        for k, hexpart in DECOY_KINDS.items():
            ctx.decoy(k, hexpart)
    else:
        raise ValueError(planting)


LINE = re.compile(r"^" + re.escape(PROG) + r": (.*): ([^:]+)$")


def short(path: str, D: str) -> str:
    return "DIR" if path.rstrip("/") == D.rstrip("/") else os.path.basename(path)


def asset_state(p: pathlib.Path, a: dict, planted_ino: Optional[int]) -> str:
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return "absent"
    if planted_ino is not None and st.st_ino == planted_ino:
        return "planted"
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file ({stat.filemode(st.st_mode)})"
    if st.st_size != a["size"]:
        return f"{st.st_size} bytes: PARTIAL or foreign"
    if sha256(p) != a["sha256"]:
        return "the asset's size, not its bytes: MIXED or foreign"
    if f"{stat.S_IMODE(st.st_mode):04o}" != a["mode"]:
        return f"mode {stat.S_IMODE(st.st_mode):04o}"
    return "asset" if st.st_uid == VICTIM else f"asset, uid {st.st_uid}"


def run_case(case: Case, work: pathlib.Path, n: int, correct: pathlib.Path,
             hardlinks_by_root: bool, py: Optional[str], timeout: float) -> Case:
    root = work / f"case{n}"
    root.mkdir()
    os.chmod(root, 0o755)
    ctx = Ctx(root, case.location, hardlinks_by_root, py)
    fail = case.failures.append
    try:
        with SPAWN:
            plant(ctx, case.planting, correct)
        D = str(ctx.D)
        env = victim_env(ctx.H, case.cli_env)
        ctx.ino.events()  # the planting's own
        with SPAWN:
            start = time.monotonic()
            p = subprocess.Popen(case.cli + [case.command, D], env=env, cwd=str(ctx.H),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, start_new_session=True, **as_user(VICTIM))
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            case.hang = 1
            fail(f"did not return within {timeout:.0f} s: HANG")
        case.seconds = time.monotonic() - start
        rc = p.returncode
        events = ctx.ino.events()

        # -- never writes through --
        for labels, mask in events:
            if mask & (IN_MODIFY | IN_CLOSE_WRITE):
                case.writes += 1
                fail(f"{'/'.join(labels)}: {'written' if mask & IN_MODIFY else 'opened for writing'}")
            if mask & IN_OPEN and any(l.startswith("victim's ") and ctx.precious[str(ctx.H / l[9:])][2]
                                      for l in labels):
                case.followed += 1
                fail(f"{'/'.join(labels)}: opened through a symlink")
        for path, (key, digest, _) in ctx.precious.items():
            st = os.lstat(path)
            now = (st.st_ino, st.st_size, stat.S_IMODE(st.st_mode), st.st_uid, st.st_mtime_ns)
            if now != key or sha256(path) != digest:
                case.writes += 1
                fail(f"{path}: changed {key} -> {now}")
        for label, fd, kind, key, digest in ctx.held:
            st = os.fstat(fd)
            if kind in ("reg", "fifo", "other") and (st.st_size, st.st_mtime_ns) != (key[1], key[4]):
                case.writes += 1
                fail(f"{label}: size/mtime moved {key[1]}/{key[4]} -> {st.st_size}/{st.st_mtime_ns}")
            if kind == "reg":
                h = hashlib.sha256()
                off = 0
                while True:
                    b = os.pread(fd, 1 << 20, off)
                    if not b:
                        break
                    h.update(b)
                    off += len(b)
                if h.hexdigest() != digest:
                    case.writes += 1
                    fail(f"{label}: its bytes changed")
            if kind == "dir":
                try:
                    if os.listdir(f"/proc/self/fd/{fd}"):
                        case.writes += 1
                        fail(f"{label}: something was created inside")
                except OSError:
                    pass
        for label, fd in ctx.fifos:
            try:
                got = os.read(fd, 65536)
            except BlockingIOError:
                got = b""
            if got:
                case.writes += 1
                fail(f"{label}: {len(got)} bytes arrived")
        for t in ctx.absent:
            if os.path.lexists(t):
                case.writes += 1
                fail(f"{t}: created through a dangling symlink")

        # -- decoys and temporaries --
        for path, ino in ctx.decoys.items():
            try:
                if os.lstat(path).st_ino != ino:
                    raise FileNotFoundError
            except FileNotFoundError:
                case.decoys_removed += 1
                fail(f"{path}: the decoy was removed or replaced")
        for d in {ctx.D, ctx.S}:
            for e in os.listdir(d):
                full = os.path.join(d, e)
                if e.startswith(".smk-tmp.") and full not in ctx.decoys and os.lstat(full).st_uid == VICTIM:
                    case.temps_left += 1
                    fail(f"{full}: a temporary of the victim's left")

        # -- the outcome --
        states = {a["file"]: asset_state(ctx.D / a["file"], a, ctx.planted_at.get(a["file"])) for a in ASSETS}
        lines = [l for l in err.splitlines() if l]
        bad_lines = [l for l in lines if not LINE.match(l)
                     or short(LINE.match(l).group(1), D) not in FILES + ["DIR"]
                     or (short(LINE.match(l).group(1), D) == "DIR" and LINE.match(l).group(1) != D)]
        reasons: Dict[str, List[str]] = {}
        for l in lines:
            m = LINE.match(l)
            if m:
                reasons.setdefault(m.group(2), []).append(short(m.group(1), D))
        named = {n for names in reasons.values() for n in names}
        if case.hang:
            case.outcome = "HANG"
        elif rc == 0:
            verify = case.command == "verify"
            wrong = {f: s for f, s in states.items() if s != "asset"}
            if ctx.control:
                if all(s == "planted" for s in states.values()):
                    case.outcome = "believed (control)"
                else:
                    case.outcome = "ok, not believed"
                    fail("the control's stamp was not believed: the forgery is malformed "
                         f"and proves nothing ({states})")
            elif not wrong:
                case.outcome = "ok"
            elif ctx.forged and any(s == "planted" for s in wrong.values()):
                case.trusted_forgery = 1
                case.outcome = "TRUSTED FORGERY"
                fail(f"exit 0 with the forged files in place: {wrong}")
            elif all(s.startswith("asset") or s == "planted" and case.planting == "asset.copy"
                     for s in wrong.values()):
                case.outcome = "ok, attacker's files kept"
                # verify vouches for bytes and modes only; in the attacker's
                # own directory whose files they are is moot (the attacker
                # may replace any of them at any time anyway).
                if not verify and case.location != "attdir":
                    case.foreign_accepted = 1
                    fail(f"exit 0 leaving files of the attacker's in place, which the attacker "
                         f"can rewrite at will: {wrong}")
            else:
                case.outcome = "ok?"
                fail(f"exit 0 but {wrong}")
            if case.command == "ensure" and rc == 0 and out.strip() != D:
                fail(f"ensure printed {out.strip()!r}, not the directory")
            if lines:
                fail(f"exit 0 with stderr {lines}")
        elif rc == 1:
            parts = []
            for reason, names in reasons.items():
                names = sorted(set(names), key=lambda x: (FILES + ["DIR"]).index(x))
                parts.append(f"{'all' if names == FILES else ','.join(names)}: {reason}")
            case.outcome = "1: " + "; ".join(parts)
            if bad_lines or not lines:
                fail(f"exit 1 without clear lines: {bad_lines or '(stderr empty)'}")
            for f, s in states.items():
                if s not in ("asset", "planted", "absent"):
                    fail(f"{f}: {s} after a failure")
                copy_kept = s == "planted" and case.planting == "asset.copy"  # the right bytes
                if s != "asset" and not copy_kept and f not in named and "DIR" not in named:
                    fail(f"{f} is {s} but no line names it: {lines}")
            if ctx.control:
                fail("the control's stamp was not believed (exit 1)")
        else:
            case.outcome = f"exit {rc}"
            fail(f"exit {rc}: {err.strip()}")
        if case.planting == "lock.held" and case.command == "ensure" and not case.hang and case.seconds < 4.5:
            ctx.notes.append(f"a held lock waited only {case.seconds:.1f} s")
        case.notes = ctx.notes
    except Skip as e:
        case.outcome = f"skipped: {e}"
        case.notes = [f"skipped: {e}"]
    except Exception as e:  # a broken harness is a broken case, not a crash
        fail(f"harness: {type(e).__name__}: {e}")
        case.outcome = "HARNESS ERROR"
        case.notes = ctx.notes
    finally:
        ctx.close()
        shutil.rmtree(root, ignore_errors=True)
    return case


def matrix(clis, full: bool) -> List[Tuple[str, str, str, str]]:
    out = []
    for i, name in enumerate(clis):
        for loc in LOCATIONS:
            for planting, (_what, commands) in PLANTINGS.items():
                if planting == "stamp.control" and loc != "vicdir":
                    continue
                if planting == "stamp.forged-victims" and loc != "attdir":
                    continue
                if not (full or i == 0) and planting not in SUBSET[loc]:
                    continue
                if i == 0 and not full and planting in ("tmp.all", "lock+stamp.all"):
                    continue  # their parts are run one by one
                if not (full or i == 0) and planting in SUBSET_COMMANDS:
                    commands = SUBSET_COMMANDS[planting]
                elif not (full or i == 0) and planting.startswith("asset."):
                    commands = ("ensure",)
                for cmd in commands:
                    out.append((name, loc, planting, cmd))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="every planting, directory and command for every CLI")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds a run may take (default 60)")
    ap.add_argument("--jobs", type=int, default=max(2, 2 * (os.cpu_count() or 1)),
                    help="cases run at once (default twice the CPUs)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("hostile.py: SKIP: needs root, to play the attacker (uid 65534) and the victim (uid 65533)")
        return 0
    started = time.monotonic()
    failures: List[str] = []
    notes: List[str] = []
    tmp = tempfile.mkdtemp(prefix="smk-hostile-")
    try:
        work = pathlib.Path(tmp)
        os.chmod(work, 0o755)
        probe_home = work / "probe-home"
        probe_home.mkdir()
        os.chown(probe_home, VICTIM, VICTIM)
        base_env = victim_env(probe_home, {})
        clis: Dict[str, Tuple[List[str], Dict[str, str]]] = {}
        for name, cmd in clis_from_env().items():
            new, extra, why = adapt_cli(name, cmd, work, base_env, notes)
            if not why:
                # A stale build (payloads other than the manifest's) would
                # fail every case for the wrong reason: say so once.
                scratch = work / f"built-by-{name}"
                r = subprocess.run(new + ["extract", str(scratch)], capture_output=True, text=True,
                                   env={**os.environ, **extra})
                try:
                    if r.returncode != 0:
                        raise AssertionError(r.stderr.strip())
                    check_dir(scratch, allow_old=False)
                except AssertionError as e:
                    why = f"its extract does not give the manifest's assets (a stale build?): {e}"
                shutil.rmtree(scratch, ignore_errors=True)
            if why:
                failures.append(f"{name}: {why}")
            else:
                clis[name] = (new, extra)
        # The assets' bytes, for the attacker's copies.
        correct = work / "correct"
        first = next(iter(clis.values()), None)
        if first is None:
            raise SystemExit("hostile.py: no CLI the victim can run")
        subprocess.run(first[0] + ["extract", str(correct)], check=True, capture_output=True,
                       env={**os.environ, **first[1]})
        # An interpreter for the attacker's processes (the lock holder, links).
        py = victim_python(sys.version_info[:2], base_env, str(probe_home)) or next(
            (p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None)
        # Does the kernel let the attacker hard-link a file of the victim's?
        t = probe_home / "t"
        t.write_text("x")
        os.chown(t, VICTIM, VICTIM)
        os.chmod(probe_home, 0o755)
        hl_dir = work / "hl"
        hl_dir.mkdir()
        os.chmod(hl_dir, 0o1777)
        try:
            attacker_link(py, str(t), str(hl_dir / "l"))
            hl_note = "the attacker made the hard links itself (fs.protected_hardlinks off)"
            by_root = False
        except PermissionError:
            hl_note = ("the attacker may not hard-link the victim's files (EPERM, fs.protected_hardlinks): "
                       "root made them, as on a system without that protection")
            by_root = True
        notes.append(hl_note)

        cases = [Case(name, *clis[name], loc, planting, cmd)
                 for name, loc, planting, cmd in matrix(list(clis), args.full)]
        print(f"hostile.py: {len(cases)} cases, CLIs {', '.join(clis)}, "
              f"{'full matrix' if args.full else 'every planting for ' + next(iter(clis)) + ', a subset for the others'}",
              flush=True)
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futs = [pool.submit(run_case, c, work, i, correct, by_root, py, args.timeout)
                    for i, c in enumerate(cases)]
            done = [f.result() for f in futs]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # The table: planting x (location, command), one cell per outcome (CLIs
    # that differ are named).
    cols = [(loc, cmd) for loc in LOCATIONS for cmd in ("extract", "ensure", "verify")]
    cells: Dict[Tuple[str, str, str], Dict[str, List[str]]] = {}
    for c in done:
        cells.setdefault((c.planting, c.location, c.command), {}).setdefault(c.outcome, []).append(c.cli_name)
    divergent = 0
    print("\nOutcomes (DIR = the directory given; 'all' = every asset; CLIs named where they differ):")
    for planting, (what, _cmds) in PLANTINGS.items():
        rows = [(loc, cmd) for loc, cmd in cols if (planting, loc, cmd) in cells]
        if not rows:
            continue
        print(f"  {planting}  -- {what}")
        for loc, cmd in rows:
            outs = cells[(planting, loc, cmd)]
            if len(outs) > 1:
                divergent += 1
                text = " | ".join(f"{o} [{','.join(n)}]" for o, n in outs.items())
            else:
                (o, n), = outs.items()
                text = f"{o}  [{','.join(n)}]"
            print(f"      {loc:7} {cmd:8} {text}")
    for c in done:
        for n in getattr(c, "notes", []):
            notes.append(f"{c.label()}: {n}")
    print()
    for n in notes:
        print(f"NOTE {n}")
    per_cli: Dict[str, int] = {}
    for c in done:
        per_cli[c.cli_name] = per_cli.get(c.cli_name, 0) + 1
    for name, n in per_cli.items():
        slow = max(c.seconds for c in done if c.cli_name == name)
        figure(f"hostile.{name}.cases", n, f"longest run {slow:.1f} s")
    figure("hostile.cases", len(done))
    waits = [c.seconds for c in done if c.planting == "lock.held" and not c.hang]
    if waits:
        figure("hostile.held_lock_seconds", f"{min(waits):.1f}-{max(waits):.1f}",
               "ensure with the attacker holding a lock it may open: one bounded wait")
    figure("hostile.hangs", sum(c.hang for c in done))
    figure("hostile.writes_through", sum(c.writes for c in done))
    figure("hostile.links_followed", sum(c.followed for c in done))
    figure("hostile.trusted_forgeries", sum(c.trusted_forgery for c in done))
    figure("hostile.foreign_files_accepted", sum(c.foreign_accepted for c in done),
           "ensure exit 0 leaving the attacker's files at the asset names")
    figure("hostile.decoys_removed", sum(c.decoys_removed for c in done))
    figure("hostile.temporaries_left", sum(c.temps_left for c in done))
    figure("hostile.cli_divergences", divergent, "cells where the CLIs' outcomes differ")
    figure("hostile.failures", sum(1 for c in done if c.failures) + len(failures))
    figure("hostile.seconds", f"{time.monotonic() - started:.1f}")
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    for c in done:
        for f in c.failures:
            print(f"FAIL {c.label()}: {f}", file=sys.stderr)
    return 1 if failures or divergent or any(c.failures for c in done) else 0


if __name__ == "__main__":
    sys.exit(main())
