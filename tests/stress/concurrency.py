#!/usr/bin/env python3
"""Concurrency: the CLIs of every language extracting, ensuring and
verifying one directory at once, while a reader checks every read.

The directory starts with an old file under every asset name.  Round 0 runs
`ensure` and `extract` of every CLI (SMK_STRESS_CLIS, see common.py) at
once; later rounds run `extract`, `ensure` and `verify` of every CLI at
once, PROCS processes of each.  Every process must exit 0 -- verify too,
although the files it reads are being replaced under it by identical
ones.  All along, a reader thread opens each asset path and reads it
whole: every read must be exactly the old file or exactly the asset.  At
the end the directory holds the assets, the lock and the stamp, nothing
else.

    python3 tests/stress/concurrency.py [--rounds N] [--procs P]

Threads, goroutines and async calls within one process are each binding's
own suites' business (tests/core/test_concurrent.c, tests/python/
test_threads.py, the Go race tests, tests/node/concurrency.test.js).
Prints FIGURE lines; exit 1 on any broken invariant.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import threading

from common import ASSETS, OLD, check_dir, clis_from_env, figure, plant_old, sha256

OURS = {".supermachine-kernel.lock", ".supermachine-kernel.stamp"}


class Reader(threading.Thread):
    """Reads every asset path whole, again and again, until stopped."""

    def __init__(self, d: pathlib.Path) -> None:
        super().__init__(daemon=True)
        self.d = d
        self.stop = threading.Event()
        self.reads = 0
        self.bad = []

    def run(self) -> None:
        import hashlib
        while not self.stop.is_set():
            for a in ASSETS:
                try:
                    with open(self.d / a["file"], "rb") as f:
                        data = f.read()
                except FileNotFoundError as e:
                    self.bad.append(f"{a['file']}: vanished ({e})")
                    continue
                self.reads += 1
                if data != OLD and (len(data) != a["size"] or
                                    hashlib.sha256(data).hexdigest() != a["sha256"]):
                    self.bad.append(f"{a['file']}: read {len(data)} bytes, neither old nor the asset")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--procs", type=int, default=2, help="processes per CLI and command")
    args = ap.parse_args()
    clis = clis_from_env()
    failures = []
    ops = 0
    with tempfile.TemporaryDirectory(prefix="smk-conc-") as tmp:
        d = pathlib.Path(tmp) / "assets"
        plant_old(d)
        reader = Reader(d)
        reader.start()
        for rnd in range(args.rounds):
            commands = ("ensure", "extract") if rnd == 0 else ("extract", "ensure", "verify")
            procs = []
            for name, cli in clis.items():
                for op in commands:
                    for _ in range(args.procs):
                        procs.append((name, op, subprocess.Popen(
                            cli + [op, str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            for name, op, p in procs:
                out, err = p.communicate(timeout=300)
                ops += 1
                if p.returncode != 0:
                    failures.append(f"round {rnd}: {name} {op} exited {p.returncode}: {err.strip()}")
        reader.stop.set()
        reader.join()
        failures += reader.bad
        try:
            check_dir(d, allow_old=False)
        except AssertionError as e:
            failures.append(str(e))
        stray = sorted(set(os.listdir(d)) - OURS - {a["file"] for a in ASSETS})
        if stray:
            failures.append(f"stray files: {stray}")
    figure("concurrency.operations", ops, f"{len(clis)} CLIs ({', '.join(clis)}), {args.rounds} rounds")
    figure("concurrency.reads_checked", reader.reads)
    figure("concurrency.failures", len(failures))
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
