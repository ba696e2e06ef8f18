#!/usr/bin/env python3
"""Full disks, read-only file systems and append-only directories, for real.

Each scenario mounts a small tmpfs of its own (or, for append-only, uses a
directory with `chattr +a` on the repository's file system), puts the
directory in a known state, runs a CLI's `extract DIR`, `ensure DIR` or
`verify DIR` and checks:
  - the exit status the scenario expects (0, or 1 with every stderr line
    "supermachine-kernel: PATH: REASON", PATH the directory or one of its
    files, REASON the file system's error, e.g. "No space left on device");
  - every asset path holds exactly what was there before or exactly the
    asset (check_dir), and exactly the asset after a success;
  - no temporary of ours is left, and nothing was created in an append-only
    or read-only directory;
  - once the limit is lifted (the tmpfs grown, remounted read-write, the
    flag cleared), `ensure DIR` repairs.

Scenarios: a tmpfs too small for the kernel, empty and holding old files;
a tmpfs out of inodes; a tmpfs with room for the assets but not ensure's
stamp (ensure must succeed: the stamp is an optimisation); a full tmpfs
holding a correct copy (ensure and verify succeed without writing); a
read-only tmpfs, empty, with old files and with a correct copy (ensure of
a correct copy succeeds, the rest fail); an append-only directory.

    python3 tests/stress/limits.py        (as root: mount needs it)

Where mounting is not allowed (not root, or a container without
CAP_SYS_ADMIN) the tmpfs scenarios are reported as not run and the exit
status is 1 unless SMK_LIMITS_ALLOW_NO_MOUNT=1, in which case
tests/conformance/cli.json's RLIMIT_FSIZE cases stand in.  Prints FIGURE
lines.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from common import ASSETS, OLD, check_dir, clis_from_env, figure, plant_old, repair, temporaries

PAGE = os.sysconf("SC_PAGE_SIZE")
LINE = re.compile(rb"^supermachine-kernel: (.+): ([^:]+)$")
KERNEL = next(a for a in ASSETS if a["name"] == "kernel")
ENOSPC = os.strerror(28)
EROFS = os.strerror(30)
EPERM = os.strerror(1)


def pages(size: int) -> int:
    return (size + PAGE - 1) // PAGE


ASSET_PAGES = sum(pages(a["size"]) for a in ASSETS)


def run(cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True)


@contextlib.contextmanager
def tmpfs(where: pathlib.Path, size_pages: int, inodes: int = 0):
    where.mkdir()
    opts = f"size={size_pages * PAGE},mode=0755"
    if inodes:
        opts += f",nr_inodes={inodes}"
    run(["mount", "-t", "tmpfs", "-o", opts, "smk-limits", str(where)])
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        where.rmdir()


def remount(where: pathlib.Path, opts: str) -> None:
    run(["mount", "-o", f"remount,{opts}", str(where)])


def entries(d: pathlib.Path):
    return sorted(os.listdir(d))


class Failure(Exception):
    pass


def expect(r, want_exit: int, reason: str, allowed: set, what: str) -> None:
    err = r.stderr
    if r.returncode != want_exit:
        raise Failure(f"{what}: exit {r.returncode}, want {want_exit}; stderr {err!r}")
    lines = err.splitlines()
    if want_exit == 0:
        if lines:
            raise Failure(f"{what}: succeeded but printed {err!r}")
        return
    if not lines:
        raise Failure(f"{what}: failed without a word")
    for line in lines:
        m = LINE.match(line)
        if not m or os.fsdecode(m.group(1)) not in allowed:
            raise Failure(f"{what}: unclear error line {line!r}")
        if m.group(2).decode().lower() != reason.lower():
            raise Failure(f"{what}: reason {m.group(2)!r}, want {reason!r}")


def allowed_paths(d: pathlib.Path) -> set:
    return {str(d)} | {str(d / a["file"]) for a in ASSETS} | {
        str(d / ".smk-lock"), str(d / ".smk-stamp")}


def scenarios(cli, work: pathlib.Path):
    """Yields (name, function) pairs; each function raises Failure or
    AssertionError on a broken invariant."""

    def too_small(old: bool):
        def body():
            for op in ("extract", "ensure"):
                with tmpfs(work / "mnt", pages(KERNEL["size"]) // 2) as d:
                    if old:
                        plant_old(d)
                    before = entries(d)
                    r = run(cli + [op, str(d)], check=False)
                    expect(r, 1, ENOSPC, allowed_paths(d), f"{op} on a full tmpfs")
                    check_dir(d, allow_absent=not old)
                    if temporaries(d):
                        raise Failure(f"{op} left {temporaries(d)}")
                    if op == "extract" and old and entries(d) != before:
                        raise Failure(f"extract changed the entries: {before} -> {entries(d)}")
                    remount(d, f"size={(ASSET_PAGES * 2 + 16) * PAGE}")
                    repair(cli, d)
        return body

    def no_inodes():
        # The root directory takes one inode; one more for the lock.
        for op in ("extract", "ensure"):
            with tmpfs(work / "mnt", ASSET_PAGES * 2, inodes=2) as d:
                r = run(cli + [op, str(d)], check=False)
                expect(r, 1, ENOSPC, allowed_paths(d), f"{op} without inodes")
                check_dir(d, allow_absent=True)
                if temporaries(d):
                    raise Failure(f"{op} left {temporaries(d)}")
                remount(d, "nr_inodes=64")
                repair(cli, d)

    def no_room_for_stamp():
        # Exactly the assets' pages: every asset fits, the stamp does not.
        with tmpfs(work / "mnt", ASSET_PAGES) as d:
            for attempt in (1, 2):
                r = run(cli + ["ensure", str(d)], check=False)
                expect(r, 0, "", allowed_paths(d), f"ensure #{attempt} with no room for the stamp")
                check_dir(d, allow_old=False)
                if temporaries(d):
                    raise Failure(f"ensure left {temporaries(d)}")
            if (d / ".smk-stamp").exists():
                raise Failure("the stamp was written although it could not fit (the scenario is wrong)")

    def full_with_copy():
        # A correct copy fills the tmpfs: ensure and verify need no room,
        # a re-extraction cannot fit the temporary and keeps the copy.
        with tmpfs(work / "mnt", ASSET_PAGES) as d:
            run(cli + ["ensure", str(d)])
            for op, want in (("ensure", 0), ("verify", 0), ("extract", 1)):
                r = run(cli + [op, str(d)], check=False)
                expect(r, want, ENOSPC, allowed_paths(d), f"{op} on a full tmpfs with a correct copy")
                check_dir(d, allow_old=False)
                if temporaries(d):
                    raise Failure(f"{op} left {temporaries(d)}")

    def read_only(state: str):
        def body():
            with tmpfs(work / "mnt", ASSET_PAGES * 2 + 16) as d:
                if state == "old":
                    plant_old(d)
                elif state == "copy":
                    run(cli + ["extract", str(d)])
                before = entries(d)
                remount(d, "ro")
                ops = [("extract", 1), ("ensure", 0 if state == "copy" else 1)]
                if state == "copy":
                    ops.append(("verify", 0))
                for op, want in ops:
                    r = run(cli + [op, str(d)], check=False)
                    expect(r, want, EROFS, allowed_paths(d), f"{op} on a read-only tmpfs ({state})")
                    check_dir(d, allow_absent=state == "empty", allow_old=state != "copy")
                    if entries(d) != before:
                        raise Failure(f"{op} changed a read-only directory: {before} -> {entries(d)}")
                remount(d, "rw")
                repair(cli, d)
        return body

    def append_only():
        base = pathlib.Path(tempfile.mkdtemp(prefix="smk-append-", dir=work.parent))
        d = base / "dir"
        try:
            plant_old(d)
            before = entries(d)
            if subprocess.run(["chattr", "+a", str(d)], capture_output=True).returncode != 0:
                raise Failure("chattr +a failed: this file system has no append-only flag")
            try:
                for op in ("extract", "ensure"):
                    r = run(cli + [op, str(d)], check=False)
                    expect(r, 1, EPERM, allowed_paths(d), f"{op} in an append-only directory")
                    check_dir(d)
                    if entries(d) != before:
                        raise Failure(f"{op} created in an append-only directory: {before} -> {entries(d)}")
            finally:
                subprocess.run(["chattr", "-a", str(d)], capture_output=True)
            repair(cli, d)
        finally:
            subprocess.run(["rm", "-rf", str(base)])

    yield "tmpfs too small, empty", too_small(False)
    yield "tmpfs too small, old files", too_small(True)
    yield "tmpfs without inodes", no_inodes
    yield "room for the assets, not the stamp", no_room_for_stamp
    yield "full tmpfs holding a correct copy", full_with_copy
    yield "read-only tmpfs, empty", read_only("empty")
    yield "read-only tmpfs, old files", read_only("old")
    yield "read-only tmpfs, correct copy", read_only("copy")
    yield "append-only directory", append_only


def can_mount(work: pathlib.Path) -> bool:
    try:
        with tmpfs(work / "probe", 1):
            return True
    except (subprocess.CalledProcessError, OSError):
        return False


def main() -> int:
    failures = []
    runs = 0
    # Under the repository's build/ so that chattr +a has a file system
    # that supports it (tmpfs does not); the mounts live below it too.
    root = pathlib.Path(__file__).resolve().parents[2] / "build"
    root.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smk-limits-", dir=root) as tmp:
        work = pathlib.Path(tmp) / "w"
        work.mkdir()
        mount_ok = can_mount(work)
        if not mount_ok:
            print("limits.py: cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)", file=sys.stderr)
            if os.environ.get("SMK_LIMITS_ALLOW_NO_MOUNT") != "1":
                return 1
        for name, cli in clis_from_env().items():
            ran = 0
            for title, body in scenarios(cli, work):
                if not mount_ok and "tmpfs" in title:
                    continue
                ran += 1
                try:
                    body()
                except (Failure, AssertionError, subprocess.CalledProcessError) as e:
                    failures.append(f"{name}: {title}: {e}")
            runs += ran
            figure(f"limits.{name}.scenarios", ran)
    figure("limits.scenarios", runs, "tmpfs full, out of inodes, no room for the stamp, read-only, append-only")
    figure("limits.broken_invariants", len(failures))
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
