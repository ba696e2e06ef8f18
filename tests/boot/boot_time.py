#!/usr/bin/env python3
"""Boot-to-agent-ready time of two (or more) sets of guest artifacts.

  boot_time.py [-n N] [--net] [--append ARGS] SET_A SET_B [SET...]

Each SET is a directory holding kernel, init-oci and supermachine-agent, or
`committed` for the committed payloads/*.xz. The sets boot alternately
(A B A B ..., after one discarded warm-up boot each) under the boot test's
QEMU command (tests/boot/guest.py: -M virt, TCG, 2 vCPUs, 256 MiB, the
busybox image in the initramfs); a boot's time runs from starting QEMU to
the agent's answer to HELLO (HELLO resent every 20 ms until then). Prints
each set's median, minimum and maximum, and each set's median against the
first set's; then the same for the two parts of it: the kernel's (until the
console shows "Run /init") and the userland's (init-oci and the agent,
from there to the HELLO reply). --net adds the virtio-net NIC on -netdev user (and --append
e.g. `ip=dhcp` has the kernel configure it), for the cost of networking.

Exit status: 0, or 1 if some boot failed.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))

import assets  # noqa: E402
from agent_client import AgentClient  # noqa: E402
from guest import BUSYBOX, Guest, build_initramfs, build_rootfs  # noqa: E402

CONFIG = {"config": {"Entrypoint": ["/bin/sleep", "3600"], "Env": ["PATH=/bin"]}}
KERNEL_DONE = "Run /init as init process"


def watch_console(guest, seen, stop):
    """Record in seen[0] when KERNEL_DONE reaches the console (polled every 5 ms)."""
    while not stop.is_set():
        if KERNEL_DONE in guest.console():
            seen.append(time.monotonic() - guest.started)
            return
        time.sleep(0.005)


def one_boot(work, kernel, initrd, append, net):
    """(seconds from QEMU start to the agent's HELLO reply, seconds to the
    kernel running /init or None); powers the guest off."""
    os.makedirs(work, exist_ok=True)
    with Guest(work, kernel, initrd, append, net=net) as guest:
        seen, stop = [], threading.Event()
        watcher = threading.Thread(target=watch_console, args=(guest, seen, stop), daemon=True)
        watcher.start()
        agent = AgentClient(guest.connect(10))
        try:
            agent.sock.settimeout(30)
            agent.wait_ready(timeout=60, interval=0.02)
            ready = time.monotonic() - guest.started
            stop.set()
            watcher.join()
            agent.shutdown()
        finally:
            stop.set()
            agent.close()
        guest.wait_exit(30)
    return ready, (seen[0] if seen else None)


def summary(label, sets, pick):
    print(label)
    base = None
    for name, _, _, times in sets:
        values = [v for v in (pick(t) for t in times) if v is not None]
        if not values:
            print(f"  {name}: no measurement")
            continue
        med = statistics.median(values)
        base = med if base is None else base
        vs = f"  {med / base:.3f}x the first set ({(med / base - 1) * 100:+.1f}%)"
        print(f"  {name}: median {med:.3f}s  min {min(values):.3f}s  max {max(values):.3f}s{vs}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="+", metavar="SET", help="artifact directory, or `committed`")
    ap.add_argument("-n", type=int, default=10, help="boots per set (default 10)")
    ap.add_argument("--net", action="store_true", help="add a virtio-net NIC on -netdev user")
    ap.add_argument("--append", default="", help="more kernel command line, e.g. ip=dhcp")
    ap.add_argument("--busybox", default=BUSYBOX)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="smk-boot-time.") as work:
        rootfs = os.path.join(work, "rootfs")
        build_rootfs(rootfs, args.busybox)
        sets = []
        for i, name in enumerate(args.sets):
            d = os.path.join(work, f"set{i}")
            os.mkdir(d)
            if name == "committed":
                assets.extract(os.path.join(HERE, "..", "..", "payloads"), None, d)
                directory = d
            else:
                directory = name
                missing = assets.missing_in(directory)
                if missing:
                    print(f"{name}: no {', '.join(missing)}", file=sys.stderr)
                    return 2
            kernel, init_oci, agent = (os.path.join(directory, f) for f in assets.ASSET_FILES)
            initrd = os.path.join(d, "initramfs.cpio")
            build_initramfs(initrd, init_oci, agent, CONFIG, rootfs)
            sets.append((name, kernel, initrd, []))

        failed = 0
        for round_ in range(args.n + 1):  # round 0 warms the page cache, not counted
            for i, (name, kernel, initrd, times) in enumerate(sets):
                try:
                    ready, kernel_done = one_boot(os.path.join(work, f"set{i}", f"boot{round_}"),
                                                  kernel, initrd, args.append, args.net)
                except Exception as e:  # noqa: BLE001 -- counted, reported, next boot
                    failed += 1
                    print(f"{name}: boot {round_} failed: {e}", file=sys.stderr)
                    continue
                if round_:
                    times.append((ready, kernel_done))
                kd = f"{kernel_done:.3f}s" if kernel_done is not None else "?"
                print(f"{name}: boot {round_}{' (warm-up)' if not round_ else ''}: ready {ready:.3f}s"
                      f" (kernel {kd})", flush=True)

    print(f"\n{args.n} boots per set{', virtio-net' if args.net else ''}"
          f"{', append ' + repr(args.append) if args.append else ''}")
    summary("boot to agent ready (QEMU start -> HELLO reply):", sets, lambda t: t[0])
    summary(f"kernel (QEMU start -> {KERNEL_DONE!r} on the console):", sets, lambda t: t[1])
    summary("userland (that line -> HELLO reply: init-oci and the agent):", sets,
            lambda t: t[0] - t[1] if t[1] is not None else None)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
