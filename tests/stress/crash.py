#!/usr/bin/env python3
"""Crash safety: kill -9 extractors and ensure at random moments.

For each CLI (SMK_STRESS_CLIS, see common.py; default the C CLI) and each
of `extract DIR` and `ensure DIR`, run it on a directory holding an old
file under every asset name, SIGKILL it at a random moment within its
usual run time, and check that every asset path holds exactly the old file
or exactly the asset (never a part or a mix).  Then `ensure DIR` with the
same CLI must exit 0, leave every asset correct, and leave no temporary of
ours (the kill's leftovers are removed).

    python3 tests/stress/crash.py [--kills N] [--seed S]

Prints FIGURE lines (kills, partial files seen, temporaries left by kills
and after the repair).  Exit 1 on any broken invariant.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import pathlib

from common import check_dir, clis_from_env, figure, plant_old, repair, temporaries


def typical_duration(cli: list, work: pathlib.Path) -> float:
    """Median wall time of three full extractions."""
    times = []
    for i in range(3):
        d = work / f"probe{i}"
        start = time.monotonic()
        subprocess.run(cli + ["extract", str(d)], check=True, capture_output=True)
        times.append(time.monotonic() - start)
        shutil.rmtree(d)
    return sorted(times)[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=25, help="kills per CLI and command (default 25)")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    print(f"crash.py: seed {seed}, {args.kills} kills per CLI and command", flush=True)

    failures = []
    total_kills = total_partial = total_left = 0
    with tempfile.TemporaryDirectory(prefix="smk-crash-") as tmp:
        work = pathlib.Path(tmp)
        for name, cli in clis_from_env().items():
            t = typical_duration(cli, work)
            kills = left_by_kill = still_running = 0
            for op in ("extract", "ensure"):
                for k in range(args.kills):
                    d = work / f"{name}-{op}-{k}"
                    plant_old(d)
                    p = subprocess.Popen(cli + [op, str(d)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                    time.sleep(rng.uniform(0, t))
                    if p.poll() is None:
                        p.send_signal(signal.SIGKILL)
                        still_running += 1
                    p.wait()
                    kills += 1
                    try:
                        check_dir(d)
                    except AssertionError as e:
                        total_partial += 1
                        failures.append(f"{name} {op} kill {k}: {e}")
                        continue
                    left_by_kill += bool(temporaries(d))
                    try:
                        repair(cli, d)
                    except AssertionError as e:
                        total_left += "repair left" in str(e)
                        failures.append(f"{name} {op} kill {k}: {e}")
                    shutil.rmtree(d)
            total_kills += kills
            figure(f"crash.{name}.kills", kills,
                   f"{still_running} while running; one run takes {t * 1000:.0f} ms; "
                   f"{left_by_kill} left a temporary that the next ensure removed")
    figure("crash.kills", total_kills)
    figure("crash.partial_or_mixed_files", total_partial)
    figure("crash.temporaries_left_after_repair", total_left)
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
