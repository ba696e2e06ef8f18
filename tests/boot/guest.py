"""Boot the three guest artifacts under qemu-system-aarch64 for a test.

Guest: the `virt` board, the kernel Image, an initramfs holding init-oci as
/init, the agent as /supermachine-agent and an image (rootfs directory plus
config.json) under /image, and a virtio-serial port named
org.supermachine.agent wired to a Unix socket on the host. The PL011
console goes to a log file that the test reads.
"""
import json
import os
import shutil
import socket
import subprocess
import time

from initramfs import Archive

AGENT_PORT_NAME = "org.supermachine.agent"

# Busybox applets the test image links to /bin (the guest cannot run the
# host's busybox --list, so the set is spelled out).
APPLETS = ["sh", "cat", "echo", "uname", "sleep", "ls", "true", "false", "env",
           "grep", "stat", "mkdir", "id", "pwd", "test", "["]


def build_initramfs(path, init_oci, agent, busybox, config):
    """Write the initramfs to `path`: init-oci, agent, busybox image, config."""
    a = Archive()
    for d in ["dev", "proc", "sys", "tmp", "image", "image/rootfs"]:
        a.directory(d)
    with open(init_oci, "rb") as f:
        a.file("init", f.read(), 0o755)
    with open(agent, "rb") as f:
        a.file("supermachine-agent", f.read(), 0o755)
    root = "image/rootfs"
    for d in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "work"]:
        a.directory(f"{root}/{d}", 0o1777 if d == "tmp" else 0o755)
    with open(busybox, "rb") as f:
        a.file(f"{root}/bin/busybox", f.read(), 0o755)
    for applet in APPLETS:
        a.symlink(f"{root}/bin/{applet}", "busybox")
    a.file(f"{root}/etc/image-release", b"supermachine boot test image\n")
    a.file("image/config.json", json.dumps(config).encode())
    with open(path, "wb") as f:
        f.write(a.bytes())


class Guest:
    """A running VM; use as a context manager so QEMU never outlives a test."""

    def __init__(self, workdir, kernel, initrd, append=""):
        self.workdir = workdir
        self.socket_path = os.path.join(workdir, "agent.sock")
        self.console_path = os.path.join(workdir, "console.log")
        qemu = shutil.which("qemu-system-aarch64")
        if not qemu:
            raise FileNotFoundError("qemu-system-aarch64 not found (scripts/install-deps installs it)")
        self.argv = [
            qemu, "-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-m", "256",
            "-accel", "tcg,thread=multi",
            "-nographic", "-no-reboot", "-nic", "none", "-monitor", "none",
            "-serial", f"file:{self.console_path}",
            "-kernel", kernel, "-initrd", initrd,
            "-append", f"console=ttyAMA0 panic=-1 {append}".strip(),
            "-device", "virtio-serial-device",
            "-chardev", f"socket,id=agent,path={self.socket_path},server=on,wait=off",
            "-device", f"virtserialport,chardev=agent,name={AGENT_PORT_NAME}",
        ]
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

    def connect(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.socket_path)
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
