"""Boot the three guest artifacts under qemu-system-aarch64 for a test.

Guest: the `virt` board, the kernel Image, an initramfs holding init-oci as
/init, the agent as /supermachine-agent and an image (rootfs directory plus
config.json) under /image, and a virtio-serial port named
org.supermachine.agent wired to a Unix socket on the host. The PL011
console goes to a log file that the test reads. Optional: virtio-blk disks
(each with a serial number the guest finds it by, /sys/block/vdX/serial)
and a virtio-net NIC on QEMU's user-mode network (the guest is 10.0.2.15 by
DHCP, the host's 127.0.0.1 is 10.0.2.2, QEMU's DNS forwarder 10.0.2.3).
"""
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

from initramfs import Archive

AGENT_PORT_NAME = "org.supermachine.agent"

# Debian's busybox-static:arm64, unpacked (not installed) by scripts/install-deps.
BUSYBOX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".deps",
                       "busybox-arm64", "bin", "busybox")

# Busybox applets the test image links to /bin (the guest cannot run the
# host's busybox --list, so the set is spelled out).
APPLETS = ["sh", "cat", "echo", "uname", "sleep", "ls", "true", "false", "env",
           "grep", "stat", "mkdir", "id", "pwd", "test", "[", "setsid", "yes"]


def build_rootfs(path, busybox, applets=APPLETS):
    """Write the test image's root filesystem (busybox userland) to `path`."""
    for d in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "work"]:
        os.makedirs(os.path.join(path, d), exist_ok=True)
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    shutil.copyfile(busybox, os.path.join(path, "bin", "busybox"))
    os.chmod(os.path.join(path, "bin", "busybox"), 0o755)
    for applet in applets:
        os.symlink("busybox", os.path.join(path, "bin", applet))
    with open(os.path.join(path, "etc", "image-release"), "w") as f:
        f.write("supermachine boot test image\n")


def build_initramfs(path, init_oci, agent, config, rootfs=None):
    """Write the initramfs to `path`: init-oci as /init, the agent, the image
    config (a dict, or raw bytes to test a malformed one) and, unless the
    root filesystem comes from a disk, the rootfs directory `rootfs`."""
    a = Archive()
    for d in ["dev", "proc", "sys", "tmp", "image"]:
        a.directory(d)
    with open(init_oci, "rb") as f:
        a.file("init", f.read(), 0o755)
    with open(agent, "rb") as f:
        a.file("supermachine-agent", f.read(), 0o755)
    if rootfs:
        a.tree("image/rootfs", rootfs)
    a.file("image/config.json", config if isinstance(config, bytes) else json.dumps(config).encode())
    with open(path, "wb") as f:
        f.write(a.bytes())


def build_ext4(path, rootfs, size_mib=16):
    """An ext4 disk image holding `rootfs` (mke2fs -d: no root, no mount)."""
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", rootfs, "-E", "root_owner=0:0",
                    path, f"{size_mib}M"], check=True)


@dataclass
class Disk:
    """A virtio-blk disk: a raw image file, found in the guest by `serial`
    (at most 20 bytes)."""
    path: str
    serial: str
    readonly: bool = True


class Guest:
    """A running VM; use as a context manager so QEMU never outlives a test.

    disk: one read-only disk (the guest's /dev/vda when it is the only
    one); disks: a list of Disk. net: add a virtio-net NIC on `-netdev user`,
    with `netdev_options` (e.g. "hostname=NAME", given to the guest by DHCP)."""

    def __init__(self, workdir, kernel, initrd, append="", disk=None, disks=(),
                 net=False, netdev_options=""):
        self.workdir = workdir
        self.socket_path = os.path.join(workdir, "agent.sock")
        self.console_path = os.path.join(workdir, "console.log")
        qemu = shutil.which("qemu-system-aarch64")
        if not qemu:
            raise FileNotFoundError("qemu-system-aarch64 not found (scripts/install-deps installs it)")
        self.argv = [
            qemu, "-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-m", "256",
            "-accel", "tcg,thread=multi",
            "-nographic", "-no-reboot", "-monitor", "none",
            "-serial", f"file:{self.console_path}",
            "-kernel", kernel, "-initrd", initrd,
            "-append", f"console=ttyAMA0 panic=-1 {append}".strip(),
            "-device", "virtio-serial-device",
            "-chardev", f"socket,id=agent,path={self.socket_path},server=on,wait=off",
            "-device", f"virtserialport,chardev=agent,name={AGENT_PORT_NAME}",
        ]
        if net:
            netdev = ",".join(filter(None, ["user,id=net0", netdev_options]))
            self.argv += ["-netdev", netdev, "-device", "virtio-net-device,netdev=net0"]
        else:
            self.argv += ["-nic", "none"]
        if disk:
            self.argv += ["-drive", f"file={disk},format=raw,if=none,id=disk0,readonly=on",
                          "-device", "virtio-blk-device,drive=disk0"]
        for i, d in enumerate(disks, start=1):
            ro = ",readonly=on" if d.readonly else ""
            self.argv += ["-drive", f"file={d.path},format=raw,if=none,id=disk{i}{ro}",
                          "-device", f"virtio-blk-device,drive=disk{i},serial={d.serial}"]
        self.proc = None
        self.started = None

    def __enter__(self):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def console(self):
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_console(self, text, timeout):
        """Seconds from QEMU start until `text` appears on the console."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.console():
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not on the console within {timeout}s;"
                             f" console:\n{self.console()[-3000:]}")

    def connect(self, timeout, io_timeout=60.0):
        """The agent's virtio-serial socket, connected within `timeout`
        seconds; every later wait on it is bounded by `io_timeout`, so that
        a lost frame fails the test instead of hanging it."""
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.socket_path)
                s.settimeout(io_timeout)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def wait_exit(self, timeout):
        """QEMU's exit status once the guest powers itself off."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"guest did not power off within {timeout}s;"
                                 f" console:\n{self.console()[-3000:]}")
