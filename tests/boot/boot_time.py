#!/usr/bin/env python3
"""Boot-to-agent-ready time of sets of guest artifacts, side by side.

  boot_time.py [-n N] [--net] [--append ARGS] [--cli CLI] [--no-kvm] [SET...]

A SET is SOURCE[@MACHINE[:kvm]]. SOURCE is a directory holding kernel,
init-oci and supermachine-agent, or `committed`: the committed payloads of
the machine's architecture (payloads/manifest.json; extracted with
`CLI extract --arch ARCH` instead when --cli is given). MACHINE is one of
tests/boot/guest.py's: virt (aarch64), microvm or q35 (x86_64); without it,
the default machine of the kernel's architecture (virt, microvm; `committed`
alone: virt). `:kvm` boots with -accel kvm instead of TCG (the host's own
architecture only).

Without a SET: both architectures' committed sets, `committed@virt
committed@microvm committed@q35`, and, unless --no-kvm, the host
architecture's machines once more under KVM when /dev/kvm works
(guest.kvm_usable(): it opens and KVM_CREATE_VM returns within 5 s). A KVM
set whose warm-up boot fails (a nested hypervisor that hangs, a QEMU that
cannot set up the CPU) is dropped with the reason, so a broken KVM costs one
bounded boot, not N.

The sets boot alternately (A B A B ..., after one discarded warm-up boot
each) under the boot test's QEMU command (2 vCPUs, 256 MiB, the busybox
image in the initramfs); a boot's time runs from starting QEMU to the
agent's answer to HELLO (HELLO resent every 20 ms until then). Prints each
set's median, minimum and maximum, and each set's median against the first
set's; then the same for the two parts of it: the kernel's (until the
console shows "Run /init") and the userland's (init-oci and the agent, from
there to the HELLO reply). --net adds the virtio-net NIC on -netdev user
(and --append e.g. `ip=dhcp` has the kernel configure it), for the cost of
networking.

Exit status: 0, or 1 if some boot failed or a set was unavailable.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))

import assets  # noqa: E402
import guest as guests  # noqa: E402
from agent_client import AgentClient  # noqa: E402
from guest import Guest, build_initramfs, build_rootfs  # noqa: E402

CONFIG = {"config": {"Entrypoint": ["/bin/sleep", "3600"], "Env": ["PATH=/bin"]}}
KERNEL_DONE = "Run /init as init process"
DEFAULT_SETS = ["committed@virt", "committed@microvm", "committed@q35"]
# Seconds a boot may take to answer HELLO: TCG on a busy host is slow; KVM
# is fast or broken.
READY_TIMEOUT = {"tcg": 60, "kvm": 15}


@dataclass
class Set:
    name: str
    machine: guests.Machine
    accel: str
    dir: str = ""
    kernel: str = ""
    initrd: str = ""
    times: list = field(default_factory=list)


def watch_console(guest, seen, stop):
    """Record in seen[0] when KERNEL_DONE reaches the console (polled every 5 ms)."""
    while not stop.is_set():
        if KERNEL_DONE in guest.console():
            seen.append(time.monotonic() - guest.started)
            return
        time.sleep(0.005)


class PatientSends:
    """The agent socket as AgentClient sees it, but a send may wait up to
    `timeout` seconds whatever shorter timeout wait_ready() has set for its
    reads. Needed for HELLOs every 20 ms: until the guest opens its port,
    QEMU leaves the socket unread, and once about 80 small frames are queued
    the kernel reports an AF_UNIX socket unwritable (queued buffer memory
    over a quarter of SO_SNDBUF), which Python's sendall under a 20 ms
    timeout turns into TimeoutError long before the buffer is full. Waiting
    there is right: the queued HELLOs reach the agent when the port opens."""

    def __init__(self, sock, timeout):
        self._sock, self._timeout = sock, timeout

    def sendall(self, data):
        saved = self._sock.gettimeout()
        self._sock.settimeout(max(saved or 0, self._timeout))
        try:
            self._sock.sendall(data)
        finally:
            self._sock.settimeout(saved)

    def __getattr__(self, name):
        return getattr(self._sock, name)


def one_boot(work, st, append, net):
    """(seconds from QEMU start to the agent's HELLO reply, seconds to the
    kernel running /init or None); powers the guest off."""
    os.makedirs(work, exist_ok=True)
    with Guest(work, st.kernel, st.initrd, append, net=net, machine=st.machine,
               accel=st.accel) as guest:
        seen, stop = [], threading.Event()
        watcher = threading.Thread(target=watch_console, args=(guest, seen, stop), daemon=True)
        watcher.start()
        agent = AgentClient(PatientSends(guest.connect(10), READY_TIMEOUT[st.accel]))
        try:
            agent.sock.settimeout(30)
            agent.wait_ready(timeout=READY_TIMEOUT[st.accel], interval=0.02)
            ready = time.monotonic() - guest.started
            stop.set()
            watcher.join()
            agent.shutdown()
        except Exception as e:
            raise RuntimeError(f"{type(e).__name__}: {e}; console:\n{guest.console()[-1500:]}") from e
        finally:
            stop.set()
            agent.close()
        guest.wait_exit(30)
    return ready, (seen[0] if seen else None)


def parse_set(spec):
    """(source, machine name or None, accel) of SOURCE[@MACHINE[:kvm]]."""
    source, _, where = spec.partition("@")
    machine, _, accel = where.partition(":")
    if accel not in ("", "kvm"):
        raise ValueError(f"{spec}: after the machine only :kvm")
    if machine and machine not in guests.MACHINES:
        raise ValueError(f"{spec}: no machine {machine!r} ({', '.join(guests.MACHINES)})")
    return source, machine or None, accel or "tcg"


def prepare(spec, d, rootfs, cli):
    """The Set for spec, its initramfs built under d; raises ValueError,
    assets.Unavailable or FileNotFoundError."""
    source, machine_name, accel = parse_set(spec)
    if source == "committed":
        machine = guests.machine_for(None, machine_name)
        directory = os.path.join(d, "assets")
        os.mkdir(directory)
        assets.extract(os.path.join(HERE, "..", "..", "payloads"), cli, directory, machine.arch)
    else:
        directory = source
        missing = assets.missing_in(directory)
        if missing:
            raise FileNotFoundError(f"no {', '.join(missing)} in {directory}")
        arch = guests.kernel_arch(os.path.join(directory, "kernel"))
        if arch is None:
            raise assets.Unavailable(f"{directory}/kernel: neither an arm64 Image nor an x86_64 ELF")
        machine = guests.machine_for(arch, machine_name)
    if accel == "kvm" and machine.arch != guests.host_arch():
        raise ValueError(f"{spec}: KVM runs only {guests.host_arch()} guests here")
    st = Set(spec, machine, accel, d)
    st.kernel, init_oci, agent = (os.path.join(directory, f) for f in assets.ASSET_FILES)
    image = os.path.join(rootfs, machine.arch)
    if not os.path.isdir(image):
        build_rootfs(image, machine.busybox)
    st.initrd = os.path.join(d, "initramfs.cpio")
    build_initramfs(st.initrd, init_oci, agent, CONFIG, image)
    return st


def summary(label, sets, pick):
    print(label)
    base = None
    width = max(len(st.name) for st in sets)
    for st in sets:
        name = st.name.ljust(width)
        values = [v for v in (pick(t) for t in st.times) if v is not None]
        if not values:
            print(f"  {name}: no measurement")
            continue
        med = statistics.median(values)
        base = med if base is None else base
        vs = f"  {med / base:.3f}x the first set ({(med / base - 1) * 100:+.1f}%)"
        print(f"  {name}: median {med:.3f}s  min {min(values):.3f}s  max {max(values):.3f}s{vs}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", metavar="SET",
                    help="SOURCE[@MACHINE[:kvm]]: an artifact directory or `committed`")
    ap.add_argument("-n", type=int, default=10, help="boots per set (default 10)")
    ap.add_argument("--net", action="store_true", help="add a virtio-net NIC on -netdev user")
    ap.add_argument("--append", default="", help="more kernel command line, e.g. ip=dhcp")
    ap.add_argument("--cli", help="extract `committed` sets with this supermachine-kernel CLI")
    ap.add_argument("--no-kvm", action="store_true",
                    help="without SETs: do not add the KVM boots even where /dev/kvm works")
    args = ap.parse_args()

    specs = args.sets or list(DEFAULT_SETS)
    notes = []
    if not args.sets and not args.no_kvm:
        usable, why = guests.kvm_usable()
        host = guests.host_arch()
        if usable:
            specs += [f"committed@{m.name}:kvm" for m in guests.MACHINES.values() if m.arch == host]
        else:
            notes.append(f"KVM: not used ({why})")
            print(notes[-1], flush=True)

    unavailable = 0
    with tempfile.TemporaryDirectory(prefix="smk-boot-time.") as work:
        rootfs = os.path.join(work, "rootfs")
        os.mkdir(rootfs)
        sets = []
        for i, spec in enumerate(specs):
            d = os.path.join(work, f"set{i}")
            os.mkdir(d)
            try:
                sets.append(prepare(spec, d, rootfs, args.cli))
            except (ValueError, assets.Unavailable, FileNotFoundError) as e:
                if args.sets and isinstance(e, ValueError):
                    ap.error(str(e))
                unavailable += 1
                notes.append(f"{spec}: skipped: {e}")
                print(notes[-1], file=sys.stderr, flush=True)
        if not sets:
            return 1

        failed = 0
        for round_ in range(args.n + 1):  # round 0 warms the page cache, not counted
            for st in list(sets):
                try:
                    ready, kernel_done = one_boot(os.path.join(st.dir, f"boot{round_}"),
                                                  st, args.append, args.net)
                except Exception as e:  # noqa: BLE001 -- counted, reported, next boot
                    if st.accel == "kvm" and not round_:
                        sets.remove(st)
                        first = str(e).splitlines()[0]
                        notes.append(f"{st.name}: dropped, its warm-up boot failed ({first})")
                        print(notes[-1], file=sys.stderr, flush=True)
                        continue
                    failed += 1
                    print(f"{st.name}: boot {round_} failed: {e}", file=sys.stderr, flush=True)
                    continue
                if round_:
                    st.times.append((ready, kernel_done))
                kd = f"{kernel_done:.3f}s" if kernel_done is not None else "?"
                print(f"{st.name}: boot {round_}{' (warm-up)' if not round_ else ''}: ready {ready:.3f}s"
                      f" (kernel {kd})", flush=True)

    print(f"\n{args.n} boots per set{', virtio-net' if args.net else ''}"
          f"{', append ' + repr(args.append) if args.append else ''}")
    for st in sets:
        print(f"  {st.name}: {st.machine.label}, {st.accel}")
    for note in notes:
        print(f"  {note}")
    if sets:
        summary("boot to agent ready (QEMU start -> HELLO reply):", sets, lambda t: t[0])
        summary(f"kernel (QEMU start -> {KERNEL_DONE!r} on the console):", sets, lambda t: t[1])
        summary("userland (that line -> HELLO reply: init-oci and the agent):", sets,
                lambda t: t[0] - t[1] if t[1] is not None else None)
    return 1 if failed or unavailable else 0


if __name__ == "__main__":
    sys.exit(main())
