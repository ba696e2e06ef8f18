"""Threads: the GIL is released while the core works, and concurrent
extractions of one destination all succeed and leave one whole file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import supermachine_kernel as smk
from conftest import assert_is_asset, leftover_temporaries


def run_threads(n, target):
    errors = []
    barrier = threading.Barrier(n)

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_threads_extract_the_same_destination(tmp_path, manifest):
    dest = tmp_path / "kernel"

    def extract(i):
        for _ in range(3):
            if i % 2:
                smk.extract_kernel_to(dest)
            else:
                smk.extract_kernel_to_with_parents(str(dest))

    run_threads(8, extract)
    assert_is_asset(dest, "kernel", manifest)
    assert os.listdir(tmp_path) == ["kernel"]


def test_threads_ensure_the_same_directory(tmp_path, manifest):
    results = []
    run_threads(6, lambda i: results.append(smk.ensure_assets(tmp_path / "assets")))
    assert set(results) == {tmp_path / "assets"}
    for a in smk.assets():
        assert_is_asset(tmp_path / "assets" / a.file_name, a.name, manifest)
    assert leftover_temporaries(tmp_path) == []


def test_processes_ensure_the_same_directory(tmp_path, manifest):
    target = str(tmp_path / "assets")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", f"import supermachine_kernel as s; print(s.ensure_assets({target!r}))"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4
    assert outs == [target] * 4
    smk.verify(target)


def longest_stall_while(work):
    """Run work() in a thread; meanwhile spin in this thread and return
    (the longest gap between two of its iterations, work's duration)."""
    done = threading.Event()
    span = []

    def run():
        t0 = time.perf_counter()
        work()
        span.append(time.perf_counter() - t0)
        done.set()

    t = threading.Thread(target=run)
    last = time.perf_counter()
    longest = 0.0
    t.start()
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    t.join()
    return longest, span[0]


def test_gil_is_released_while_extracting_and_verifying(tmp_path):
    # With the GIL held for the whole call, this thread would stall for the
    # whole decode; released, it only waits for switch intervals.
    dest = tmp_path / "kernel"
    smk.extract_kernel_to(dest)  # warm the page cache and the code
    for work in (lambda: smk.extract_kernel_to(dest), lambda: smk.verify_file("kernel", dest)):
        attempts = []
        for _ in range(3):
            stall, duration = longest_stall_while(work)
            attempts.append((stall, duration))
            if stall < duration / 2:
                break
        else:
            raise AssertionError(f"this thread stalled for most of the call: {attempts}")
