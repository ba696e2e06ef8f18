#!/usr/bin/env python3
"""Boot extracted artifacts once and run one command through the agent.

  boot_once.py [--machine M] ASSET_DIR [COMMAND...]   (default command: uname -a)

ASSET_DIR holds kernel, init-oci and supermachine-agent, e.g. from
`supermachine-kernel extract [--arch ARCH] DIR`, of either architecture:
the kernel's bytes say which, and the guest boots on that architecture's
default machine (aarch64: virt, x86_64: microvm) or on --machine
(virt, microvm, q35). Used by scripts/demo.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))

import guest as guests  # noqa: E402
from agent_client import AgentClient  # noqa: E402
from guest import Guest, build_initramfs, build_rootfs  # noqa: E402

# The image's entrypoint just waits; the agent powers the guest off.
CONFIG = {"config": {"Entrypoint": ["/bin/sleep", "3600"], "Env": ["PATH=/bin"]}}


def main():
    args = sys.argv[1:]
    machine_name = None
    if args[:1] == ["--machine"] and len(args) >= 2:
        machine_name, args = args[1], args[2:]
    if not args or (machine_name and machine_name not in guests.MACHINES):
        print(__doc__, file=sys.stderr)
        return 2
    assets, argv = args[0], args[1:] or ["uname", "-a"]
    arch = guests.kernel_arch(os.path.join(assets, "kernel"))
    if arch is None:
        print(f"{assets}/kernel: neither an arm64 Image nor an x86_64 ELF", file=sys.stderr)
        return 2
    try:
        machine = guests.machine_for(arch, machine_name)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="smk-demo.") as work:
        rootfs = os.path.join(work, "rootfs")
        build_rootfs(rootfs, machine.busybox)
        initrd = os.path.join(work, "initramfs.cpio")
        build_initramfs(initrd, os.path.join(assets, "init-oci"),
                        os.path.join(assets, "supermachine-agent"), CONFIG, rootfs)
        with Guest(work, os.path.join(assets, "kernel"), initrd, machine=machine) as guest:
            ready = guest.wait_console("supermachine-agent: ready", 30)
            with AgentClient(guest.connect(10)) as agent:
                result = agent.exec(argv, env={"PATH": "/bin"})
                print(f"{machine.label} guest booted, agent ready after {ready:.2f}s;"
                      f" $ {' '.join(argv)}")
                sys.stdout.write(result.stdout.decode(errors="replace"))
                sys.stderr.write(result.stderr.decode(errors="replace"))
                agent.shutdown()
            guest.wait_exit(30)
    return result.exit_code if result.exit_code is not None else 128 + result.signal


if __name__ == "__main__":
    sys.exit(main())
