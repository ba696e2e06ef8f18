"""Boot the three guest artifacts under QEMU for a test.

Guest: a machine of MACHINES (aarch64: `virt`; x86_64: `microvm` with
virtio-mmio devices or `q35` with virtio-pci ones), the kernel (the arm64
Image, or the x86_64 ELF vmlinux QEMU boots by its PVH entry), an initramfs
holding init-oci as /init, the agent as /supermachine-agent and an image
(rootfs directory plus config.json) under /image, and a virtio-serial port
named org.supermachine.agent wired to a Unix socket on the host. The serial
console (PL011 ttyAMA0, 8250 ttyS0) goes to a log file that the test reads.
Optional: virtio-blk disks (each with a serial number the guest finds it
by, /sys/block/vdX/serial) and a virtio-net NIC on QEMU's user-mode network
(the guest is 10.0.2.15 by DHCP, the host's 127.0.0.1 is 10.0.2.2, QEMU's
DNS forwarder 10.0.2.3). TCG by default; accel="kvm" for a host whose
/dev/kvm works (kvm_usable()).
"""
import ctypes
import fcntl
import functools
import json
import mmap
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from initramfs import Archive

AGENT_PORT_NAME = "org.supermachine.agent"

DEPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".deps")


@dataclass(frozen=True)
class Machine:
    """A QEMU machine the boot tests boot a guest set on."""
    name: str
    arch: str            # the guest architecture: aarch64, x86_64
    qemu: str            # the QEMU binary
    machine: tuple       # -M ... -cpu ...: the board
    console: str         # the kernel's console= device
    bus: str             # virtio device suffix: "device" (virtio-mmio) or "pci"
    append: str = ""     # kernel parameters the machine needs
    tsc_hint: bool = False  # under TCG, tell the kernel the TSC rate (tcg_tsc_khz())
    power_off: str = "reboot: Power down"  # the kernel's last line when the guest ends the VM

    @property
    def busybox(self):
        """Debian's busybox-static for the guest, unpacked by scripts/install-deps."""
        return os.path.join(DEPS, {"aarch64": "busybox-arm64"}.get(self.arch, f"busybox-{self.arch}"),
                            "bin", "busybox")

    @property
    def label(self):
        return f"{self.arch} {self.name}"


# TCG for all; the kernel command line: the console, panic=-1 (a panic ends
# the VM, and -no-reboot makes QEMU exit).
#
# microvm: QEMU's default microvm (7.2: ACPI on, hardware-reduced, so
# init-oci powers off by its S5 sleep registers; PIT, PIC and RTC on; an ISA
# serial port; the command-line virtio-mmio devices described in the DSDT).
# It has no HPET and, hardware-reduced, no ACPI PM timer, so the kernel can
# calibrate the TSC only against the PIT, by timing loops that TCG on a busy
# host stretches at random: then both PIT calibrations fail, the kernel
# marks the TSC unstable and the boot hangs before userspace (seen with the
# host's CPUs busy; acpi=, pit=, rtc= change nothing here: the PIT is
# already on and neither the RTC nor ACPI gives the kernel another
# reference). So under TCG the test tells the kernel the TSC rate
# (tsc_early_khz=, tcg_tsc_khz()) and that the TSC is sound (tsc=reliable:
# TCG's TSC is the host's clock, and the clocksource watchdog, comparing it
# against jiffies that a busy host delays, would otherwise switch the
# guest to the jiffies clocksource). q35 has an HPET and the PM timer and
# calibrates as on hardware.
MACHINES = {
    "virt": Machine("virt", "aarch64", "qemu-system-aarch64",
                    ("-M", "virt", "-cpu", "cortex-a57"), "ttyAMA0", "device"),
    "microvm": Machine("microvm", "x86_64", "qemu-system-x86_64",
                       ("-M", "microvm", "-cpu", "max"), "ttyS0", "device", tsc_hint=True),
    "q35": Machine("q35", "x86_64", "qemu-system-x86_64",
                   ("-M", "q35", "-cpu", "max"), "ttyS0", "pci"),
}
# The machine a test boots an architecture's set on unless told otherwise.
DEFAULT_MACHINE = {"aarch64": "virt", "x86_64": "microvm"}
ARCHES = list(DEFAULT_MACHINE)


def machine_for(arch=None, name=None):
    """The Machine for --arch/--machine (either may be None); ValueError for
    a machine of another architecture."""
    if name is None:
        name = DEFAULT_MACHINE[arch or "aarch64"]
    m = MACHINES[name]
    if arch is not None and m.arch != arch:
        raise ValueError(f"machine {name} runs {m.arch} guests, not {arch}")
    return m


def add_arguments(ap):
    """--arch and --machine, for a test's argparse."""
    ap.add_argument("--arch", choices=ARCHES,
                    help="the guest set's architecture (default: the machine's, else aarch64)")
    ap.add_argument("--machine", choices=list(MACHINES),
                    help="QEMU machine (default: virt for aarch64, microvm for x86_64)")


def from_args(ap, args):
    """The Machine a test's --arch/--machine choose (ap.error if they disagree)."""
    try:
        return machine_for(args.arch, args.machine)
    except ValueError as e:
        ap.error(str(e))


# rdtsc; shl rdx, 32; or rax, rdx; ret
_RDTSC = bytes([0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0xc3])


def _tsc_now_pair(rdtsc):
    """(TSC, host monotonic ns) read as close together as 50 tries allow."""
    best = None
    for _ in range(50):
        a = time.perf_counter_ns()
        tsc = rdtsc()
        b = time.perf_counter_ns()
        if best is None or b - a < best[0]:
            best = (b - a, tsc, (a + b) // 2)
    return best[1], best[2]


@functools.lru_cache(maxsize=None)
def tcg_tsc_khz():
    """The rate of the TSC an x86_64 guest sees under TCG, in kHz, or None
    if unknown. TCG's RDTSC returns QEMU's cpu_get_host_ticks(): the host's
    own TSC on an x86_64 host (measured here over 50 ms against the
    monotonic clock; only where the host's TSC is constant-rate), the
    host's monotonic clock in nanoseconds on hosts without a cycle counter
    QEMU reads (aarch64 among them: 1 GHz)."""
    arch = host_arch()
    if arch == "aarch64":
        return 1000000
    if arch != "x86_64":
        return None
    try:
        with open("/proc/cpuinfo") as f:
            if " constant_tsc" not in f.read():
                return None
        buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except OSError:  # no /proc, or no executable mapping allowed
        return None
    buf.write(_RDTSC)
    rdtsc = ctypes.CFUNCTYPE(ctypes.c_uint64)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))
    t0, n0 = _tsc_now_pair(rdtsc)
    time.sleep(0.05)
    t1, n1 = _tsc_now_pair(rdtsc)
    return round((t1 - t0) * 1e6 / (n1 - n0))


KVM_CREATE_VM = 0xAE01


def _kvm_probe():
    fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    vm = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
    os.close(vm)
    os.close(fd)


def kvm_usable(timeout=5.0):
    """Whether this host can run its own architecture's guest under KVM:
    /dev/kvm opens and KVM_CREATE_VM succeeds, checked in a child process
    bounded by `timeout` (a nested hypervisor can hang there). A hang later
    in the boot is the caller's to bound. Returns (usable, why not)."""
    if not os.path.exists("/dev/kvm"):
        return False, "no /dev/kvm"
    code = ("import sys; sys.path.insert(0, %r); import guest; guest._kvm_probe()"
            % os.path.dirname(os.path.abspath(__file__)))
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"KVM_CREATE_VM did not return within {timeout:.0f}s"
    if r.returncode != 0:
        return False, (r.stderr.strip().splitlines() or ["KVM_CREATE_VM failed"])[-1]
    return True, ""


def host_arch():
    m = platform.machine()
    return {"arm64": "aarch64", "amd64": "x86_64"}.get(m, m)


def kernel_arch(path):
    """The architecture a kernel file is for, from its bytes: an arm64 Image
    (magic "ARM\\x64" at 56) or an x86_64 ELF (e_machine 62); None for
    anything else."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head[56:60] == b"ARM\x64":
        return "aarch64"
    if head[:4] == b"\x7fELF" and head[4] == 2 and int.from_bytes(head[18:20], "little") == 62:
        return "x86_64"
    return None


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

    machine: a Machine (default: aarch64 virt); accel: "tcg" or "kvm" (the
    host's own architecture only). disk: one read-only disk (the guest's
    /dev/vda when it is the only one); disks: a list of Disk. net: add a
    virtio-net NIC on `-netdev user`, with `netdev_options` (e.g.
    "hostname=NAME", given to the guest by DHCP)."""

    def __init__(self, workdir, kernel, initrd, append="", disk=None, disks=(),
                 net=False, netdev_options="", machine=None, accel="tcg"):
        machine = machine or MACHINES["virt"]
        self.machine = machine
        self.workdir = workdir
        self.socket_path = os.path.join(workdir, "agent.sock")
        self.console_path = os.path.join(workdir, "console.log")
        qemu = shutil.which(machine.qemu)
        if not qemu:
            raise FileNotFoundError(f"{machine.qemu} not found (scripts/install-deps installs it)")
        board = list(machine.machine)
        if accel == "kvm":
            board[board.index("-cpu") + 1] = "host"
            if machine.name == "virt":  # the host's GIC, v2 or v3 (virt's default, v2, may be missing)
                board[board.index("-M") + 1] += ",gic-version=host"
            accel_args = ["-accel", "kvm"]
        else:
            accel_args = ["-accel", "tcg,thread=multi"]
        dev = lambda kind: f"virtio-{kind}-{machine.bus}"  # noqa: E731
        tsc = ""
        if accel == "tcg" and machine.tsc_hint and tcg_tsc_khz():
            tsc = f"tsc_early_khz={tcg_tsc_khz()} tsc=reliable"
        cmdline = " ".join(filter(None, [f"console={machine.console} panic=-1", machine.append,
                                         tsc, append]))
        self.argv = [
            qemu, *board, "-smp", "2", "-m", "256", *accel_args,
            "-nographic", "-no-reboot", "-monitor", "none",
            "-serial", f"file:{self.console_path}",
            "-kernel", kernel, "-initrd", initrd,
            "-append", cmdline,
            "-device", dev("serial"),
            "-chardev", f"socket,id=agent,path={self.socket_path},server=on,wait=off",
            "-device", f"virtserialport,chardev=agent,name={AGENT_PORT_NAME}",
        ]
        if net:
            netdev = ",".join(filter(None, ["user,id=net0", netdev_options]))
            self.argv += ["-netdev", netdev, "-device", f"{dev('net')},netdev=net0"]
        else:
            self.argv += ["-nic", "none"]
        if disk:
            self.argv += ["-drive", f"file={disk},format=raw,if=none,id=disk0,readonly=on",
                          "-device", f"{dev('blk')},drive=disk0"]
        for i, d in enumerate(disks, start=1):
            ro = ",readonly=on" if d.readonly else ""
            self.argv += ["-drive", f"file={d.path},format=raw,if=none,id=disk{i}{ro}",
                          "-device", f"{dev('blk')},drive=disk{i},serial={d.serial}"]
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
