#!/usr/bin/env python3
"""Boot test: the three guest artifacts work together in a real VMM.

Takes the kernel, init-oci and the agent from --assets DIR, or extracts
them (through the library's CLI when --cli is given, else by decoding
payloads/*.xz), for one architecture (--arch; aarch64 unless told), builds
an initramfs around that architecture's busybox image, boots it on a QEMU
machine (--machine: aarch64 on `virt`, x86_64 on `microvm` with
virtio-mmio devices or `q35` with virtio-pci; tests/boot/guest.py), and
drives the agent over virtio-serial: uname, overlay root, file round trip, stdin, non-zero
exit, timeout, malformed frame; hostile commands (output over the cap, a
command ignoring SIGTERM, a setsid'd daemon) and hostile clients (a
disconnect during an EXEC and mid-frame, a flood), then lets the entrypoint exit with a chosen
status and checks that status on the console and that the VM powered off.
Then three short boots: the image root on an ext4 virtio-blk disk, a
malformed image config and a missing entrypoint (each must end in one
SUPERMACHINE_ERROR line and a power-off, never a hang).

Exit status 77 means "skipped" (QEMU or busybox missing outside CI).
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))

import assets  # noqa: E402
from agent_client import (AgentClient, AgentOSError, E_BAD_MAGIC, T_ERROR, T_EXEC, T_HELLO,  # noqa: E402
                          T_REPLY, T_WRITE_FILE, decode_error, encode_exec, encode_frame)
import guest as guests  # noqa: E402
from guest import Guest, build_ext4, build_initramfs, build_rootfs  # noqa: E402

ENTRYPOINT_STATUS = 7

# The image's entrypoint marks that it ran, then waits for the host to tell
# it which status to exit with (a file the host writes through the agent).
ENTRYPOINT = ("echo started > /entrypoint-ran; "
              "while [ ! -e /run-exit ]; do sleep 0.05; done; "
              "exit $(cat /run-exit)")
CONFIG = {
    "config": {
        "Entrypoint": ["/bin/sh", "-c"],
        "Cmd": [ENTRYPOINT],
        "Env": ["PATH=/bin", "GREETING=hello from the image"],
        "WorkingDir": "/work",
    }
}


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}")


def drive(agent, arch):
    """Every request the issue lists, over one connection."""
    r = agent.exec(["uname", "-m"], env={"PATH": "/bin"})
    check(r.exit_code == 0 and r.stdout == f"{arch}\n".encode(), f"uname -m -> {arch} (got {r.stdout!r})")

    r = agent.exec(["grep", " / ", "/proc/mounts"], env={"PATH": "/bin"})
    check(r.stdout.startswith(b"overlay / overlay"), f"/ is an overlay ({r.stdout!r})")
    check(agent.read_file("/entrypoint-ran") == b"started\n", "entrypoint ran inside the overlay root")
    check(agent.read_file("/etc/image-release").startswith(b"supermachine boot test"),
          "image rootfs is the overlay's lower layer")

    data = b"written by the host\n\0binary\xff"
    agent.write_file("/tmp/round-trip", data, 0o600)
    check(agent.read_file("/tmp/round-trip") == data, "write a file then read it back")
    st = agent.stat("/tmp/round-trip")
    check(st.type == "file" and st.mode & 0o777 == 0o600 and st.size == len(data),
          f"stat of that file ({st})")

    r = agent.exec(["cat"], env={"PATH": "/bin"}, stdin=b"through stdin\n")
    check(r.stdout == b"through stdin\n", "a command with stdin")

    r = agent.exec(["sh", "-c", "echo oops >&2; exit 3"], env={"PATH": "/bin"})
    check(r.exit_code == 3 and r.stderr == b"oops\n" and not r.timed_out, "a non-zero exit with stderr")

    t0 = time.monotonic()
    r = agent.exec(["sleep", "30"], env={"PATH": "/bin"}, timeout_ms=500)
    took = time.monotonic() - t0
    check(r.timed_out and r.signal == 15 and took < 10, f"a timeout stops the command with SIGTERM ({took:.2f}s)")

    try:
        agent.read_file("/does/not/exist")
        check(False, "reading a missing file fails")
    except AgentOSError as e:
        check(e.errno == 2, "reading a missing file -> ENOENT")

    agent.send_raw(b"this is not a frame at all, just text\n")
    f = agent.recv_frame()
    err = decode_error(f.payload) if f.type == T_ERROR else None
    check(err is not None and err.code == E_BAD_MAGIC, f"a malformed frame gets an error reply ({err})")
    r = agent.exec(["echo", "still serving"], env={"PATH": "/bin"})
    check(r.stdout == b"still serving\n", "the next request after a malformed frame works")


PATH = {"PATH": "/bin"}


def gone(agent, pid):
    try:
        agent.stat(f"/proc/{pid}")
        return False
    except AgentOSError as e:
        return e.errno == 2


def hostile_commands(agent):
    """PROTOCOL.md, EXEC: the output cap, the SIGTERM grace, nothing outlives
    an EXEC -- on the real kernel and the guest's agent."""
    r = agent.exec(["yes"], env=PATH, timeout_ms=20000)
    check(not r.timed_out and r.signal == 13 and r.stdout_truncated and len(r.stdout) == 4 << 20,
          f"output over 4 MiB: 4 MiB kept, the command gets SIGPIPE (signal {r.signal})")

    r = agent.exec(["sh", "-c", "trap '' TERM; sleep 30"], env=PATH, timeout_ms=500)
    check(r.timed_out and r.signal == 9 and 1400 <= r.duration_ms < 5000,
          f"a command ignoring SIGTERM gets SIGKILL after the 1 s grace ({r.duration_ms} ms)")

    daemon = "setsid sh -c 'echo $$ > /tmp/daemon; exec sleep 60'"
    t0 = time.monotonic()
    r = agent.exec(["sh", "-c", f"{daemon} & while [ ! -s /tmp/daemon ]; do sleep 0.05; done;"
                    " sleep 30"], env=PATH, timeout_ms=2000)
    took = time.monotonic() - t0
    pid = int(agent.read_file("/tmp/daemon"))
    check(r.timed_out and r.signal == 15 and took < 6 and gone(agent, pid),
          f"a setsid'd daemon is killed with its timed-out command ({took:.2f}s)")


def hostile_clients(guest, agent):
    """PROTOCOL.md, "Ending a session" on virtio-serial: the host side closing
    stops a running command and drops a partial frame; the next session is
    served. Returns the client of the last session."""
    agent.send_raw(encode_frame(T_EXEC, agent.new_id(), encode_exec(
        ["sh", "-c", "echo $$ > /tmp/victim; exec sleep 60"], PATH)))
    time.sleep(1.0)  # it runs, and the session is busy with it
    agent.close()
    time.sleep(1.0)  # the guest sees the host side closed
    agent = AgentClient(guest.connect(10))
    agent.sock.settimeout(30)
    t0 = time.monotonic()
    agent.wait_ready(timeout=20)
    took = time.monotonic() - t0
    pid = int(agent.read_file("/tmp/victim"))
    check(took < 10 and gone(agent, pid),
          f"a disconnect during an EXEC stops it; the next session is served ({took:.2f}s)")

    agent.send_raw(encode_frame(T_WRITE_FILE, 77, b"\0" * 100)[:30])  # half a frame
    agent.close()
    time.sleep(1.0)
    agent = AgentClient(guest.connect(10))
    agent.sock.settimeout(10)
    info = agent.hello()  # one HELLO: a kept partial frame would swallow it
    check(info["transport"] == "serial", "half a frame then a disconnect: the next session starts clean")

    n = 3000
    ids = list(range(1, n + 1))
    frames = b"".join(encode_frame(T_EXEC, i, encode_exec(["echo", str(i)], PATH)) if i % 500 == 0
                      else encode_frame(T_HELLO, i) for i in ids)
    sender = threading.Thread(target=agent.send_raw, args=(frames,))
    sender.start()
    time.sleep(1.0)  # replies not read meanwhile
    got = [agent.recv_frame() for _ in ids]
    sender.join(10)
    check([f.id for f in got] == ids and got[-1].type == T_REPLY | T_EXEC,
          f"{n} pipelined requests, replies read late: all answered, in order")
    return agent


def boot_to_power_off(work, name, machine, accel, kernel, init_oci, agent, config, rootfs=None,
                      append="", disk=None):
    """Boot a guest that needs no host interaction; return its console."""
    os.mkdir(os.path.join(work, name))
    initrd = os.path.join(work, name, "initramfs.cpio")
    build_initramfs(initrd, init_oci, agent, config, rootfs)
    with Guest(os.path.join(work, name), kernel, initrd, append, disk,
               machine=machine, accel=accel) as guest:
        status = guest.wait_exit(30)
        console = guest.console()
    check(status == 0 and machine.power_off in console,
          f"{name}: the VM powered itself off ({machine.power_off!r})")
    return console


def error_line(console):
    lines = [line for line in console.splitlines() if "SUPERMACHINE_ERROR" in line]
    return lines[0] if len(lines) == 1 and "SUPERMACHINE_EXIT" not in console else None


def failure_boots(work, machine, accel, kernel, init_oci, agent, rootfs):
    disk = os.path.join(work, "rootfs.ext4")
    build_ext4(disk, rootfs)
    on_disk = {"config": {"Entrypoint": ["/bin/sh", "-c", "test -f /etc/image-release && exit 5"]}}
    console = boot_to_power_off(work, "ext4-disk", machine, accel, kernel, init_oci, agent, on_disk,
                                append="smk.rootdev=/dev/vda", disk=disk)
    check("SUPERMACHINE_EXIT code=5" in console, "image root from an ext4 virtio-blk disk (smk.rootdev)")

    console = boot_to_power_off(work, "bad-config", machine, accel, kernel, init_oci, agent,
                                b'{"config": {"Entrypoint": ["/bin/sh",]}}', rootfs)
    line = error_line(console)
    check(line is not None and "config.json" in line, f"malformed config: one error line ({line})")

    missing = {"config": {"Entrypoint": ["/bin/no-such-program"]}}
    console = boot_to_power_off(work, "no-entrypoint", machine, accel, kernel, init_oci, agent, missing, rootfs)
    line = error_line(console)
    check(line is not None and "/bin/no-such-program" in line, f"missing entrypoint: one error line ({line})")


def main():
    # Line by line, so that a run ctest times out shows how far it got.
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser(description=__doc__)
    assets.add_arguments(ap)
    guests.add_arguments(ap)
    ap.add_argument("--accel", choices=["tcg", "kvm"], default="tcg",
                    help="kvm: the host's own architecture only, where /dev/kvm works")
    ap.add_argument("--busybox", help="the guest's busybox (default: .deps/busybox-<arch>)")
    args = ap.parse_args()
    machine = guests.from_args(ap, args)
    busybox = args.busybox or machine.busybox

    missing = [p for p in [shutil.which(machine.qemu), busybox] if not p or not os.path.exists(p)]
    if missing:
        print(f"boot test needs {machine.qemu} and {os.path.relpath(busybox)}"
              " (run scripts/install-deps)", file=sys.stderr)
        return 1 if os.environ.get("CI") else 77

    print(f"guest: {machine.label} ({args.accel})")
    with tempfile.TemporaryDirectory(prefix="smk-boot.") as work:
        t0 = time.monotonic()
        try:
            kernel, init_oci, agent_bin = assets.get(args, work, machine.arch)
        except (assets.Unavailable, FileNotFoundError) as e:
            print(f"boot test: no {machine.arch} set: {e}", file=sys.stderr)
            return 1
        print(f"the three artifacts ({assets.describe(args, machine.arch)}) in {time.monotonic() - t0:.2f}s")
        rootfs = os.path.join(work, "rootfs")
        build_rootfs(rootfs, busybox)
        initrd = os.path.join(work, "initramfs.cpio")
        build_initramfs(initrd, init_oci, agent_bin, CONFIG, rootfs)

        with Guest(work, kernel, initrd, machine=machine, accel=args.accel) as guest:
            ready = guest.wait_console("supermachine-agent: ready", 30)
            print(f"boot to agent ready: {ready:.2f}s")
            agent = AgentClient(guest.connect(10))
            try:
                # "ready" on the console does not mean the port is open at
                # QEMU's end yet: a first HELLO can be lost (PROTOCOL.md).
                info = agent.wait_ready(timeout=30)
                print(f"agent hello: {info}")
                drive(agent, machine.arch)
                hostile_commands(agent)
                agent = hostile_clients(guest, agent)
                agent.write_file("/run-exit", f"{ENTRYPOINT_STATUS}\n".encode())
                status = guest.wait_exit(30)
            finally:
                agent.close()
            console = guest.console()
            check(f"SUPERMACHINE_EXIT code={ENTRYPOINT_STATUS}" in console,
                  f"the entrypoint's exit status {ENTRYPOINT_STATUS} reaches the host")
            check(status == 0 and machine.power_off in console,
                  f"the VM powered itself off ({machine.power_off!r})")
            print(f"main boot passed in {time.monotonic() - guest.started:.2f}s of guest time")
        failure_boots(work, machine, args.accel, kernel, init_oci, agent_bin, rootfs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
