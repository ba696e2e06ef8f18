#!/usr/bin/env python3
"""Boot extracted artifacts once and run one command through the agent.

  boot_once.py ASSET_DIR [COMMAND...]     (default command: uname -a)

ASSET_DIR holds kernel, init-oci and supermachine-agent, e.g. from
`supermachine-kernel extract DIR`. Used by scripts/demo.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))

from agent_client import AgentClient  # noqa: E402
from guest import BUSYBOX, Guest, build_initramfs, build_rootfs  # noqa: E402

# The image's entrypoint just waits; the agent powers the guest off.
CONFIG = {"config": {"Entrypoint": ["/bin/sleep", "3600"], "Env": ["PATH=/bin"]}}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    assets, argv = sys.argv[1], sys.argv[2:] or ["uname", "-a"]
    with tempfile.TemporaryDirectory(prefix="smk-demo.") as work:
        rootfs = os.path.join(work, "rootfs")
        build_rootfs(rootfs, BUSYBOX)
        initrd = os.path.join(work, "initramfs.cpio")
        build_initramfs(initrd, os.path.join(assets, "init-oci"),
                        os.path.join(assets, "supermachine-agent"), CONFIG, rootfs)
        with Guest(work, os.path.join(assets, "kernel"), initrd) as guest:
            ready = guest.wait_console("supermachine-agent: ready", 30)
            with AgentClient(guest.connect(10)) as agent:
                result = agent.exec(argv, env={"PATH": "/bin"})
                print(f"guest booted, agent ready after {ready:.2f}s; $ {' '.join(argv)}")
                sys.stdout.write(result.stdout.decode(errors="replace"))
                sys.stderr.write(result.stderr.decode(errors="replace"))
                agent.shutdown()
            guest.wait_exit(30)
    return result.exit_code if result.exit_code is not None else 128 + result.signal


if __name__ == "__main__":
    sys.exit(main())
