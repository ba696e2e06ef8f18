#!/usr/bin/env python3
"""Benchmark of the Python package (a program that prints figures, not a test).

1. Import cost: `python -c "import supermachine_kernel"` minus a bare
   `python -c pass`, each run N times in fresh subprocesses, interleaved;
   medians.
2. Kernel extraction: supermachine_kernel.extract_kernel_to() against what a
   Python user would otherwise write, the standard library's lzma decoding
   the default architecture's kernel .xz (payloads/manifest.json) to a file (1 MiB copies, fsync, rename into place),
   both in this interpreter, runs interleaved, medians, and their ratio.
3. For reference: first access of KERNEL_BYTES (fresh subprocesses, timed
   inside them), ensure_assets() when everything is current, verify().

Run it with an interpreter that has the package installed, e.g.
    build/python/venv/bin/python bindings/python/bench.py [--runs N] [--dir D]
--dir should be on a real disk (the default is under build/python/): on
tmpfs fsync costs nothing and the comparison means less.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
# Run as a script, this file's directory (which holds the package's
# sources) comes first on sys.path: drop it, to measure the installed
# package.  Subprocesses run from NEUTRAL for the same reason.
sys.path[:] = [p for p in sys.path if pathlib.Path(p or ".").resolve() != HERE]
NEUTRAL = tempfile.gettempdir()

import supermachine_kernel as smk  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def cpu_time() -> float:
    """CPU time of this process, all its threads, user and system."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def subprocess_time(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, cwd=NEUTRAL)
    return time.perf_counter() - t0


def bench_import(runs: int) -> None:
    bare = [sys.executable, "-c", "pass"]
    imp = [sys.executable, "-c", "import supermachine_kernel"]
    for _ in range(3):  # warm the page cache
        subprocess_time(bare)
        subprocess_time(imp)
    t_bare, t_imp = [], []
    for _ in range(runs):
        t_bare.append(subprocess_time(bare))
        t_imp.append(subprocess_time(imp))
    b, i = statistics.median(t_bare), statistics.median(t_imp)
    print(f"import (median of {runs} fresh interpreters each)")
    print(f"  python -c pass                     {ms(b)}")
    print(f"  python -c 'import supermachine_kernel' {ms(i)}")
    print(f"  import cost                        {ms(i - b)}   (target <= 30 ms)")


def stdlib_extract(xz: pathlib.Path, dest: pathlib.Path) -> None:
    """What a Python user would write with the standard library."""
    tmp = dest.with_name(dest.name + ".tmp")
    with lzma.open(xz) as src, open(tmp, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)


def bench_extract(runs: int, work: pathlib.Path) -> None:
    # The default architecture's kernel, the one extract_kernel_to() writes.
    with open(REPO / "payloads" / "manifest.json", encoding="utf-8") as f:
        entries = json.load(f)["assets"]
    (entry,) = [a for a in entries if a["arch"] == smk.DEFAULT_ARCH and a["name"] == "kernel"]
    xz = REPO / "payloads" / entry["xz"]
    ours_dest, std_dest = work / "kernel-smk", work / "kernel-lzma"
    smk.extract_kernel_to(ours_dest)
    stdlib_extract(xz, std_dest)
    if ours_dest.read_bytes() != std_dest.read_bytes():
        raise SystemExit(f"{xz} is not the payload this package embeds (rebuild and reinstall)")
    t_ours, t_std, c_ours, c_std = [], [], [], []
    for _ in range(runs):
        c0, t0 = cpu_time(), time.perf_counter()
        smk.extract_kernel_to(ours_dest)
        t_ours.append(time.perf_counter() - t0)
        c_ours.append(cpu_time() - c0)
        c0, t0 = cpu_time(), time.perf_counter()
        stdlib_extract(xz, std_dest)
        t_std.append(time.perf_counter() - t0)
        c_std.append(cpu_time() - c0)
    o, s = statistics.median(t_ours), statistics.median(t_std)
    med = statistics.median
    print(f"\nkernel extraction, {smk.KERNEL_LEN / 2**20:.1f} MiB, to {work} "
          f"(median of {runs}, interleaved, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print(f"  extract_kernel_to()                {ms(o)}   (CPU time of all threads {ms(med(c_ours))})")
    print(f"  stdlib lzma + write + fsync        {ms(s)}   (CPU time {ms(med(c_std))})")
    print(f"  ratio                              {o / s:8.2f} x   (target <= 0.6 x)")


def bench_reference(runs: int, work: pathlib.Path) -> None:
    probe = ("import time, supermachine_kernel as s; t = time.perf_counter(); "
             "s.KERNEL_BYTES; print(time.perf_counter() - t)")
    firsts = [float(subprocess.run([sys.executable, "-c", probe], check=True, cwd=NEUTRAL,
                                   capture_output=True, text=True).stdout)
              for _ in range(max(3, runs // 4))]
    assets = work / "assets"
    smk.ensure_assets(assets)
    warm = []
    for _ in range(runs):
        t0 = time.perf_counter()
        smk.ensure_assets(assets)
        warm.append(time.perf_counter() - t0)
    verify = []
    for _ in range(max(3, runs // 4)):
        t0 = time.perf_counter()
        smk.verify(assets)
        verify.append(time.perf_counter() - t0)
    print("\nfor reference (medians)")
    print(f"  KERNEL_BYTES, first access         {ms(statistics.median(firsts))}")
    print(f"  ensure_assets(), all current       {ms(statistics.median(warm))}")
    print(f"  verify(), all three files          {ms(statistics.median(verify))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each side (default 21)")
    parser.add_argument("--dir", type=pathlib.Path, default=REPO / "build" / "python",
                        help="where to extract (default build/python/)")
    args = parser.parse_args()
    print(f"supermachine_kernel {smk.__version__} from {pathlib.Path(smk.__file__).parent}")
    print(f"{sys.implementation.name} {sys.version.split()[0]}, {sys.executable}\n")
    bench_import(args.runs)
    args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=args.dir) as d:
        bench_extract(args.runs, pathlib.Path(d))
        bench_reference(args.runs, pathlib.Path(d))


if __name__ == "__main__":
    main()
