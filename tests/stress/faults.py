#!/usr/bin/env python3
"""Fault injection: every system call the extractor makes, failing once.

With strace's fault injector (`strace -f -e inject=SYSCALL:error=E:when=N`,
Debian's strace), run `extract DIR` and `ensure DIR` of a CLI on a
directory holding an old file under every asset name, with the Nth call of
one system call failing with EIO, ENOSPC, EINTR or ENOMEM, or the process
killed (SIGKILL) right at that call -- between naming the finished
temporary and the rename, during the stamp's write, and so on.  After each
run:
  - every asset path holds exactly the old file or exactly the asset;
  - a run that exits 0 wrote every asset; one that fails exits 1 and says
    why in lines "supermachine-kernel: PATH: REASON", each PATH the
    directory or one of its assets;
  - nothing of ours is left (a failed unlink is the one excuse), and the
    next `ensure DIR` exits 0, with every asset right and no temporary.

    python3 tests/stress/faults.py [--when N] [--cli NAME]

The C CLI by default (SMK_STRESS_CLIS picks others; an interpreter's own
system calls make most faults fail its start-up instead).  Prints FIGURE
lines; exit 1 on any broken invariant.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import pathlib

from common import ASSETS, check_dir, clis_from_env, figure, plant_old, repair, temporaries

# The calls of extraction and ensure (x86_64 names; strace skips unknown ones
# with -e trace=%... so each is listed as this machine's libc makes it).
SYSCALLS = ["openat", "pwrite64", "write", "fsync", "fchmod", "linkat", "renameat",
            "rename", "newfstatat", "fstat", "flock", "mkdir", "getdents64",
            "unlinkat", "mmap", "clone3", "read"]
ERRORS = ["EIO", "ENOSPC", "EINTR", "ENOMEM"]
KILL_AT = ["linkat", "renameat", "rename", "fsync", "pwrite64", "write", "fchmod"]
LINE = re.compile(r"^supermachine-kernel: (.+): (.+)$")


def startup_calls(cli, strace, work):
    """How many times each system call runs before the CLI's main does
    anything (the dynamic loader, the C library, an interpreter): counted
    on `CLI --version`, so that the faults land on the extractor's calls."""
    log = work / "startup.strace"
    subprocess.run([strace, "-f", "-qq", "-o", str(log), "-e", "trace=" + ",".join(SYSCALLS)]
                   + cli + ["--version"], check=True, capture_output=True)
    counts = dict.fromkeys(SYSCALLS, 0)
    for line in log.read_text().splitlines():
        m = re.match(r"^(?:\d+ +)?(\w+)\(", line)
        if m and m.group(1) in counts:
            counts[m.group(1)] += 1
    return counts


def run_once(cli, op, d, inject, strace):
    cmd = [strace, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={inject.split(':')[0]}",
           "-e", f"inject={inject}"] + cli + [op, str(d)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def check_run(r, d, inject, killed):
    """The invariants after one faulty run; returns whether it failed."""
    check_dir(d)
    allowed = {str(d)} | {str(d / a["file"]) for a in ASSETS}
    if killed:
        if r.returncode not in (0, -9, 137):
            raise AssertionError(f"exit {r.returncode} after a kill")
    elif r.returncode == 0:
        check_dir(d, allow_old=False)
    else:
        if r.returncode != 1:
            raise AssertionError(f"exit {r.returncode}, want 0 or 1; stderr: {r.stderr!r}")
        lines = r.stderr.splitlines()
        if not lines:
            raise AssertionError("failed without a word")
        for line in lines:
            m = LINE.match(line)
            if not m or m.group(1) not in allowed:
                raise AssertionError(f"unclear error line {line!r}")
    left = temporaries(d)
    if left and not inject.startswith("unlink") and not killed:
        raise AssertionError(f"left {left}")
    return r.returncode != 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--when", type=int, default=2,
                    help="fail the 1st..Nth call of each after start-up (default 2)")
    args = ap.parse_args()
    strace = shutil.which("strace")
    if not strace:
        print("faults.py: strace not found (apt-get install strace)", file=sys.stderr)
        return 1
    failures = []
    runs = failed_runs = 0
    with tempfile.TemporaryDirectory(prefix="smk-faults-") as tmp:
        work = pathlib.Path(tmp)
        for name, cli in clis_from_env().items():
            base = startup_calls(cli, strace, work)
            injections = [f"{s}:error={e}:when={base[s] + w}" for s in SYSCALLS for e in ERRORS
                          for w in range(1, args.when + 1)]
            injections += [f"{s}:signal=SIGKILL:when={base[s] + w}" for s in KILL_AT
                           for w in range(1, args.when + 1)]
            for op in ("extract", "ensure"):
                for inject in injections:
                    d = work / f"{name}-{op}"
                    plant_old(d)
                    if op == "ensure":
                        # A warm directory, so that ensure's stamp writing is
                        # reached too: ensure it once, then spoil the kernel.
                        subprocess.run(cli + ["ensure", str(d)], check=True, capture_output=True)
                        (d / "kernel").write_bytes(b"old contents, never part of an asset\n")
                    killed = "signal=" in inject
                    runs += 1
                    try:
                        r = run_once(cli, op, d, inject, strace)
                        failed_runs += check_run(r, d, inject, killed)
                        repair(cli, d)
                    except (AssertionError, subprocess.TimeoutExpired) as e:
                        failures.append(f"{name} {op} {inject}: {e}")
                    shutil.rmtree(d)
            figure(f"faults.{name}.runs", runs, f"{failed_runs} ended in a reported failure")
    figure("faults.injected", runs)
    figure("faults.broken_invariants", len(failures))
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
