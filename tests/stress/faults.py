#!/usr/bin/env python3
"""Fault injection: every system call the extractor makes, failing once.

With strace's fault injector (`strace -f -e inject=SYSCALL:error=E:when=N`,
Debian's strace), run `extract DIR` of a CLI on a directory holding an old
file under every asset name, `ensure DIR` on a copy of one ensure has been
through (lock, stamp) with an old kernel, and `extract` into a missing DIR
(for mkdir -p), with the Nth call of one system call failing with EIO,
ENOSPC, EINTR or ENOMEM, or the process killed (SIGKILL) right at that
call -- between naming the finished temporary and the rename, during the
stamp's write, and so on.  After each run:
  - every asset path holds exactly the old file or exactly the asset;
  - a run that exits 0 wrote every asset; one that fails exits 1 and says
    why in lines "supermachine-kernel: PATH: REASON", each PATH the
    directory or one of its assets;
  - nothing of ours is left (a failed unlink is the one excuse), and the
    next `ensure DIR` exits 0, with every asset right and no temporary.

    python3 tests/stress/faults.py [--when N] [--errors N] [--cli NAME] [--verbose]

Every CLI of SMK_STRESS_CLIS (see common.py; default the C CLI).  An
interpreter or runtime makes many calls of its own (imports, allocator,
threads), so each fault is aimed at the extractor's calls, from a
fault-free run traced first (strace -y, which names each descriptor's
file):
  - a call on one of our paths (the directory, an asset, the lock,
    the stamp; descriptors included) is counted and failed with strace's
    path filter (-P PATH), which leaves every other call alone;
  - a call the runtimes never make on their own (pwrite64, fsync, fchmod,
    linkat, renameat, flock, mkdir...), or the Nth of a thread's calls
    when that one is ours in the traced run (the stamp's write), is
    counted over all calls of the process, per thread (strace counts per
    tracee);
  - the allocator and thread calls (mmap, clone3) only for CLIs whose
    runtime starts no thread of its own (the C CLI and Python's), counted
    after the calls of `CLI --version`.
Each run's own trace then shows where the fault landed.  One that hit no
call (not reached: that thread made fewer calls this time) is counted
apart, its run checked all the same; one that hit a call not ours as
well (landed elsewhere: another thread's Nth call) is tried again, up to
three times, then counted apart and not judged.  A CLI that absorbs a
fault (a retried EINTR) and exits 0 with every asset right passes.
Prints FIGURE lines per CLI (runs, reported failures, broken
invariants); exit 1 on any broken invariant.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, NamedTuple, Optional, Set

from common import ASSETS, REPO, check_dir, clis_from_env, figure, plant_old, repair, temporaries

# The calls of extraction and ensure in every language (x86_64 names;
# "?" makes strace skip one this kernel lacks).
SYSCALLS = ["openat", "open", "newfstatat", "statx", "fstat", "lstat", "stat", "access",
            "faccessat", "faccessat2", "read", "pread64", "write", "pwrite64", "close",
            "getdents64", "lseek", "fcntl", "dup", "ioctl", "flock", "fsync", "fdatasync",
            "sync_file_range", "fchmod", "linkat", "renameat", "renameat2", "rename",
            "unlinkat", "unlink", "mkdir", "mkdirat", "ftruncate", "fallocate"]
# Counted after start-up, for CLIs whose runtime makes no thread of its own.
STARTUP_RELATIVE = ["mmap", "clone3"]
ERRORS = ["EIO", "ENOSPC", "EINTR", "ENOMEM"]
KILL_AT = ["linkat", "renameat", "rename", "fsync", "pwrite64", "write", "fchmod"]
MKDIRS = ["mkdir", "mkdirat"]
LINE = re.compile(r"^supermachine-kernel: (.+): (.+)$")
CALL = re.compile(r"^(\d+) +(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$")
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
FD_PATH = re.compile(r"<(/[^<>]*)>")
# Names that may stay in a directory after a run: the assets, ensure's
# lock and stamp (temporaries are checked apart).
KEPT = {a["file"] for a in ASSETS} | {".supermachine-kernel.lock", ".supermachine-kernel.stamp"}


class Call(NamedTuple):
    tid: int
    name: str
    text: str
    injected: bool          # strace's fault went in
    unfinished: bool        # the process ended during it ("= ?")


def parse_trace(log: pathlib.Path) -> List[Call]:
    """The calls of an `strace -f -y -o LOG` log, in the order they began,
    each with its arguments, whether a fault was injected into it and
    whether it never returned."""
    calls: List[Call] = []
    pending: Dict[int, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        m = CALL.match(line)
        if not m:
            continue
        tid, resumed, name, rest = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        injected = rest.endswith("(INJECTED)")
        unfinished = rest.endswith("= ?")
        if resumed:
            i = pending.pop(tid, None)
            if i is not None:
                calls[i] = calls[i]._replace(injected=injected, unfinished=unfinished)
            continue
        if rest.endswith("<unfinished ...>"):
            pending[tid] = len(calls)
        calls.append(Call(tid, name, rest, injected, unfinished))
    return calls


class Target(NamedTuple):
    """The directory a run works on, and what of it strace may match."""
    dir: pathlib.Path
    paths: List[str]        # for -P: the directory and the names we make there
    mkdirs: Set[str]        # the paths mkdir -p of dir tries

    @staticmethod
    def of(d: pathlib.Path) -> "Target":
        paths = [str(d)] + [str(d / n) for n in sorted(KEPT)]
        return Target(d, paths, {str(p) for p in [d, *d.parents] if str(p) != "/"})

    def ours(self, c: Call) -> bool:
        """Is the call the extractor's: on our directory or a file in it,
        or naming a temporary through /proc, or mkdir -p of the dir?"""
        d = str(self.dir)
        if d + "/" in c.text or d + ">" in c.text or f'"{d}"' in c.text:
            return True
        if c.name in ("access", "faccessat", "faccessat2") and '"/proc/self/fd/' in c.text:
            return True
        if c.name in MKDIRS:
            return any(s in self.mkdirs for s in STRING.findall(c.text))
        return False

    def path_matched(self, c: Call) -> bool:
        """Would strace's -P (exact paths, a descriptor by its file) match
        the call?"""
        want = set(self.paths)
        return any(s in want for s in STRING.findall(c.text) + FD_PATH.findall(c.text))


class Aim(NamedTuple):
    syscall: str
    when: int
    filtered: bool          # with -P: counted over our paths' calls only

    def describe(self) -> str:
        return f"{self.syscall}#{self.when}" + (" (-P)" if self.filtered else "")


def per_thread(calls: List[Call], syscall: str) -> List[List[Call]]:
    threads: Dict[int, List[Call]] = {}
    for c in calls:
        if c.name == syscall:
            threads.setdefault(c.tid, []).append(c)
    return list(threads.values())


def aims_for(calls: List[Call], t: Target, syscalls: List[str], when: int) -> List[Aim]:
    """Where faults land on the extractor's calls, from a fault-free trace:
    for each system call, the first `when` invocations (per thread, as
    strace counts) that are surely ours."""
    aims = []
    for s in syscalls:
        threads = per_thread(calls, s)
        if not any(t.ours(c) for th in threads for c in th):
            continue
        if all(t.ours(c) for th in threads for c in th):
            # Never the runtime's: count over all calls.
            longest = max(len(th) for th in threads)
            aims += [Aim(s, k, False) for k in range(1, min(when, longest) + 1)]
            continue
        # On our paths: the path filter counts only those.
        matched = max(sum(t.path_matched(c) for c in th) for th in threads)
        aims += [Aim(s, k, True) for k in range(1, min(when, matched) + 1)]
        # Ours but not on a path strace can match (a temporary's random
        # name): the Nth call, when it is ours in every thread that
        # makes an Nth call.
        found = 0
        for k in range(1, max(len(th) for th in threads) + 1):
            nth = [th[k - 1] for th in threads if len(th) >= k]
            if found < when and all(t.ours(c) for c in nth) and \
                    any(not t.path_matched(c) for c in nth):
                aims.append(Aim(s, k, False))
                found += 1
    return aims


def strace_cmd(strace: str, log: pathlib.Path, trace: List[str], t: Target,
               filtered: bool = False, inject: Optional[str] = None) -> List[str]:
    cmd = [strace, "-f", "-qq", "-y", "-s", "200", "-o", str(log),
           "-e", "trace=" + ",".join("?" + s for s in trace)]
    if not inject or ":signal=" not in inject:
        # Stops only at the traced calls (strace 6.1 injects no signal so).
        cmd.append("--seccomp-bpf")
    if inject:
        cmd += ["-e", "inject=" + inject]
    if filtered:
        for p in t.paths:
            cmd += ["-P", p]
    return cmd


def startup_calls(cli: List[str], strace: str, work: pathlib.Path) -> Dict[str, int]:
    """How many times each system call runs in `CLI --version` (the
    dynamic loader, the C library, an interpreter's imports), and how many
    threads it makes: the allocator and thread calls are counted from
    there."""
    log = work / "startup.strace"
    subprocess.run([strace, "-f", "-qq", "-o", str(log), "-e",
                    "trace=%process," + ",".join(STARTUP_RELATIVE)] + cli + ["--version"],
                   check=True, capture_output=True)
    calls = parse_trace(log)
    counts = {s: sum(c.name == s for c in calls) for s in STARTUP_RELATIVE}
    counts["threads"] = 1 + sum(c.name in ("clone", "clone3", "fork", "vfork") for c in calls)
    return counts


class Setup:
    """A directory as each operation finds it, made the same way for the
    traced run and for every faulty one."""

    def __init__(self, cli: List[str], warm_cli: List[str], work: pathlib.Path):
        self.cli = cli
        # For ensure: a directory it has been through (lock, stamp), made
        # once; each run's is a copy, with the kernel spoilt.  The copies'
        # new identities are not the stamp's, so ensure compares the
        # other assets with the payloads too, then extracts the kernel
        # and writes the stamp.
        self.warm = work / "warm"
        if not self.warm.is_dir():
            subprocess.run(warm_cli + ["ensure", str(self.warm)], check=True, capture_output=True)

    def target(self, op: str, d: pathlib.Path) -> Target:
        return Target.of(d / "a" / "b" if op == "extract-new" else d)

    def make(self, op: str, d: pathlib.Path) -> None:
        if op == "extract-new":
            return  # d does not exist: extract makes it, and its parents
        plant_old(d)
        if op == "ensure":
            for name in sorted(KEPT - {"kernel"}):
                shutil.copy2(self.warm / name, d / name)

    def argv(self, op: str, t: Target) -> List[str]:
        return self.cli + ["extract" if op == "extract-new" else op, str(t.dir)]


def check_run(r: subprocess.CompletedProcess, t: Target, fresh: bool, unlink_failed: bool,
              killed: bool) -> bool:
    """The invariants after one faulty run (fresh: into a directory that
    did not exist); returns whether it failed."""
    d = t.dir
    exists = d.is_dir()
    if exists:
        check_dir(d, allow_absent=fresh)
    elif r.returncode == 0:
        raise AssertionError(f"{d}: exit 0 but no directory")
    allowed = {str(d)} | {str(d / a["file"]) for a in ASSETS}
    if killed:
        if r.returncode not in (0, -9, 137):
            raise AssertionError(f"exit {r.returncode} after a kill; stderr: {r.stderr!r}")
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
    if exists and not killed:
        left = temporaries(d)
        if left and not unlink_failed:
            raise AssertionError(f"left {left}")
        stray = sorted(set(os.listdir(d)) - KEPT - set(left))
        if stray:
            raise AssertionError(f"left {stray}")
    return r.returncode != 0


class Outcome(NamedTuple):
    failed: bool = False           # exit 1 with a clear error
    reached: bool = True           # a call was faulted
    elsewhere: bool = False        # ... but not one of ours
    broken: Optional[str] = None   # the invariant broken


def run_once(strace: str, setup: Setup, op: str, d: pathlib.Path, aim: Aim, fault: str) -> Outcome:
    setup.make(op, d)
    t = setup.target(op, d)
    log = d.parent / (d.name + ".strace")
    inject = f"{aim.syscall}:{fault}:when={aim.when}"
    killed = fault.startswith("signal=")
    fresh = op == "extract-new"
    try:
        r = subprocess.run(strace_cmd(strace, log, [aim.syscall], t, aim.filtered, inject)
                           + setup.argv(op, t), capture_output=True, text=True, timeout=120)
        calls = parse_trace(log)
        # A signal leaves no (INJECTED) mark: the process ended during the
        # call (and any other thread's of that name).
        hits = [c for c in calls if (c.unfinished and r.returncode in (-9, 137)
                                     if killed else c.injected)]
        if not hits:
            check_run(r, t, fresh, False, killed)
            repair(setup.cli, t.dir)
            return Outcome(reached=False)
        if aim.syscall not in STARTUP_RELATIVE and not all(t.ours(c) for c in hits):
            return Outcome(elsewhere=True)
        failed = check_run(r, t, fresh, aim.syscall.startswith("unlink"), killed)
        repair(setup.cli, t.dir)
        return Outcome(failed=failed)
    except (AssertionError, subprocess.TimeoutExpired, OSError) as e:
        return Outcome(broken=f"{op} {inject}: {e}")
    finally:
        shutil.rmtree(d, ignore_errors=True)
        log.unlink(missing_ok=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--when", type=int, default=2,
                    help="fail the 1st..Nth of the extractor's calls of each (default 2)")
    ap.add_argument("--errors", type=int, default=len(ERRORS),
                    help=f"errors tried at each call, of {', '.join(ERRORS)}, taken in turn "
                         f"(default all {len(ERRORS)})")
    ap.add_argument("--cli", action="append", help="only this CLI of SMK_STRESS_CLIS (repeatable)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="runs at once (default: one per CPU)")
    ap.add_argument("--verbose", action="store_true", help="print every run's outcome")
    args = ap.parse_args()
    strace = shutil.which("strace")
    if not strace:
        print("faults.py: strace not found (apt-get install strace)", file=sys.stderr)
        return 1
    clis = clis_from_env()
    if args.cli:
        clis = {n: c for n, c in clis.items() if n in args.cli}
    # The directory ensure has been through is made by the C CLI when it
    # is there: the fastest, and its stamp is every language's.
    c_cli = [str(REPO / "build" / "test" / "core" / "supermachine-kernel")]
    failures: List[str] = []
    total = 0
    with tempfile.TemporaryDirectory(prefix="smk-faults-") as tmp:
        work = pathlib.Path(tmp)
        for name, cli in clis.items():
            started = time.monotonic()
            setup = Setup(cli, c_cli if os.access(c_cli[0], os.X_OK) else cli, work)
            base = startup_calls(cli, strace, work)
            jobs = []
            turns: Dict[str, int] = {}
            for op in ("extract", "ensure", "extract-new"):
                d = work / f"{name}-{op}-probe"
                setup.make(op, d)
                t = setup.target(op, d)
                log = work / "probe.strace"
                subprocess.run(strace_cmd(strace, log, SYSCALLS + STARTUP_RELATIVE, t)
                               + setup.argv(op, t),
                               check=True, capture_output=True)
                calls = parse_trace(log)
                repair(cli, t.dir)
                shutil.rmtree(d)
                syscalls = MKDIRS if op == "extract-new" else SYSCALLS
                aims = aims_for(calls, t, syscalls, args.when)
                if op != "extract-new" and base["threads"] == 1 and calls:
                    # The main thread's calls beyond start-up's are the
                    # extractor's (its workers' are theirs from the first).
                    main_thread = [c.name for c in calls if c.tid == calls[0].tid]
                    aims += [Aim(s, base[s] + k, False) for s in STARTUP_RELATIVE
                             for k in range(1, min(args.when, main_thread.count(s) - base[s]) + 1)]
                for aim in aims:
                    # Each call's errors in turn, so that every error meets
                    # every call across its invocations and operations.
                    n = min(args.errors, len(ERRORS))
                    first = turns.get(aim.syscall, 0)
                    jobs += [(op, aim, f"error={ERRORS[(first + i) % len(ERRORS)]}") for i in range(n)]
                    turns[aim.syscall] = first + n
                    if aim.syscall in KILL_AT and op != "extract-new":
                        jobs.append((op, aim, "signal=SIGKILL"))

            def attempt(i: int) -> Outcome:
                # Where a runtime's threads are many, the Nth call of a
                # thread may be another's this time: try again.
                for _ in range(3):
                    o = run_once(strace, setup, jobs[i][0], work / f"{name}-{i}", jobs[i][1], jobs[i][2])
                    if not o.elsewhere:
                        break
                return o

            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                outcomes = list(pool.map(attempt, range(len(jobs))))
            if args.verbose:
                for (op, aim, fault), o in zip(jobs, outcomes):
                    what = ("BROKEN" if o.broken else "elsewhere" if o.elsewhere
                            else "not reached" if not o.reached else "failed" if o.failed else "ok")
                    print(f"  {name} {op} {aim.describe()} {fault}: {what}", flush=True)
            broken = [f"{name} {o.broken}" for o in outcomes if o.broken]
            failures += broken
            total += len(outcomes)
            faulted = sorted({aim.syscall for (_, aim, _), o in zip(jobs, outcomes)
                              if o.reached and not o.elsewhere})
            figure(f"faults.{name}.runs", len(outcomes),
                   f"{sum(o.failed for o in outcomes)} ended in a reported failure, "
                   f"{sum(not o.reached for o in outcomes)} reached no call, "
                   f"{sum(o.elsewhere for o in outcomes)} landed elsewhere; "
                   f"{len(faulted)} system calls faulted: {' '.join(faulted)}; "
                   f"{time.monotonic() - started:.0f} s")
            figure(f"faults.{name}.broken_invariants", len(broken))
    figure("faults.injected", total)
    figure("faults.broken_invariants", len(failures))
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
