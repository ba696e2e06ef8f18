#!/usr/bin/env python3
"""Network and kernel-feature boot test: the guest on a network, and each
feature group the kernel config adds for containers, proven by using it.

Boots one architecture's artifacts (--arch, --machine as in boot_test.py:
aarch64 on `virt`, x86_64 on `microvm` or `q35`) twice with a virtio-net NIC on QEMU's user-mode network (`-netdev user`: the guest can
reach only the host, whose 127.0.0.1 it sees as 10.0.2.2), and checks
through the agent:

  dhcp boot    `ip=dhcp`: eth0 is 10.0.2.15 from QEMU's DHCP server, with
               the default route, name server, domain and host name it
               hands out; a file served on the host's 127.0.0.1 is fetched
               with busybox wget, byte for byte; `lo` carries HTTP inside
               the guest. Then the features: a veth pair into a new network
               namespace passes pings; an nftables masquerade rule lets
               that namespace fetch the host's file through eth0;
               squashfs (gzip, xz, zstd) and EROFS (lz4hc) images made on
               the host mount read-only from virtio-blk disks and hold the
               expected file; and tests/boot/featurecheck.c proves cgroup
               BPF (a device program on a cgroup v2 directory), keyrings,
               POSIX ACLs on tmpfs and ext4, fanotify and userfaultfd.
  static boot  smk.ip/smk.gw/smk.dns/smk.domain/smk.mtu/smk.hostname
               (payloads/init-oci/IMAGE-CONFIG.md): the same address, route,
               resolv.conf, hostname, /etc/hosts and fetch checks.

Every check runs and reports `ok:` or `FAIL:` (a kernel without a feature
fails its checks, and only those); the exit status is 1 if any failed.
The guest runs Debian's `ip` and `nft` of its architecture (arm64 or amd64;
tests/boot/guest_debs.py fetches them into .deps/). Exit status 77 means "skipped" (a tool missing
outside CI).
"""
import argparse
import functools
import hashlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))

import assets  # noqa: E402
import guest as guests  # noqa: E402
import guest_debs  # noqa: E402
from agent_client import AgentClient  # noqa: E402
from guest import APPLETS, Disk, Guest, build_initramfs, build_rootfs  # noqa: E402

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
# Debian's busybox sh runs its own applet for a bare `ip` whatever PATH says,
# so the scripts name Debian's by its path.
NET_APPLETS = ["wget", "sha256sum", "httpd", "hostname", "ping", "mount", "umount",
               "kill", "touch", "head", "rm", "timeout"]
# busybox wget -T (its own timeout) segfaults in Debian's busybox-static; `timeout` instead.
# The image's entrypoint just waits; the test powers the guest off through the agent.
CONFIG = {"config": {"Entrypoint": ["/bin/sleep", "3600"], "Env": ["PATH=/bin"]}}

HOST = "10.0.2.2"  # QEMU user networking: the host's 127.0.0.1
DHCP_ADDR, SLIRP_DNS = "10.0.2.15", "10.0.2.3"
DHCP_HOSTNAME, DHCP_DOMAIN = "smk-dhcp", "dhcp.test"
STATIC = {"addr": "10.0.2.42", "prefix": 24, "gw": HOST, "dns": [SLIRP_DNS, "192.0.2.53"],
          "domain": "static.test", "mtu": 1400, "hostname": "smk-static.static.test"}
NS_HOST, NS_GUEST = "10.200.0.1", "10.200.0.2"  # the veth pair, root side and namespace side
SQUASHFS_COMPRESSORS = ["gzip", "xz", "zstd"]


class Results:
    """Checks that keep going after a failure, so one run lists all of them."""

    def __init__(self):
        self.passed, self.failed = 0, []

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print(f"ok: {what}", flush=True)
        else:
            self.failed.append(what)
            detail = str(detail).strip()
            print(f"FAIL: {what}" + ("\n    " + detail.replace("\n", "\n    ") if detail else ""),
                  flush=True)
        return cond

    def run(self, what, fn, *args):
        """fn(*args) returns (ok, detail); an exception fails the check."""
        try:
            ok, detail = fn(*args)
        except Exception as e:  # noqa: BLE001 -- reported, and the next check runs
            ok, detail = False, f"{type(e).__name__}: {e}"
        return self.check(ok, what, detail)


def sh(agent, script, timeout_ms=30000):
    """Run a shell script in the guest; (exit code, stdout + stderr as text)."""
    r = agent.exec(["/bin/sh", "-c", script], env=ENV, timeout_ms=timeout_ms)
    text = (r.stdout + r.stderr).decode(errors="replace")
    if r.timed_out:
        text += f"\n(timed out after {r.duration_ms} ms)"
    return (r.exit_code if r.exit_code is not None else 128 + r.signal), text


def expect(agent, script, pattern=None, timeout_ms=30000):
    """(exit 0 and pattern found in the output, output) for Results.run."""
    code, text = sh(agent, script, timeout_ms)
    ok = code == 0 and (pattern is None or re.search(pattern, text, re.M) is not None)
    return ok, f"exit {code}: {text}" if not ok else text


def sha256_in_guest(agent, script, path, want):
    code, text = sh(agent, f"{script} && sha256sum {path}")
    got = text.split()[-2] if code == 0 and len(text.split()) >= 2 else None
    return got == want, f"exit {code}: {text}" if got != want else ""


# -- the host side -------------------------------------------------------------

class BlobServer:
    """python's http.server on the host's 127.0.0.1, a free port, serving
    one file of random bytes as /blob."""

    def __init__(self, directory, size=256 << 10):
        self.data = os.urandom(size)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        with open(os.path.join(directory, "blob"), "wb") as f:
            f.write(self.data)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        handler = functools.partial(Quiet, directory=directory)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{HOST}:{self.port}/blob"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def build_disks(work):
    """Filesystem images on the host: squashfs per compressor, EROFS, and an
    empty ext4 for the ACL check. Returns (disks, sha256 of the file each
    read-only image holds)."""
    src = os.path.join(work, "image-content")
    os.mkdir(src)
    content = b"".join(b"line %d of the read-only image\n" % i for i in range(2000))
    with open(os.path.join(src, "hello.txt"), "wb") as f:
        f.write(content)
    disks = []
    for comp in SQUASHFS_COMPRESSORS:
        path = os.path.join(work, f"image-{comp}.squashfs")
        subprocess.run(["mksquashfs", src, path, "-noappend", "-all-root", "-no-progress",
                        "-quiet", "-comp", comp], check=True, stdout=subprocess.DEVNULL)
        disks.append(Disk(path, f"squashfs-{comp}"))
    path = os.path.join(work, "image.erofs")
    subprocess.run(["mkfs.erofs", "--quiet", "--all-root", "-zlz4hc", path, src],
                   check=True, stdout=subprocess.DEVNULL)
    disks.append(Disk(path, "erofs"))
    path = os.path.join(work, "scratch.ext4")
    subprocess.run(["mkfs.ext4", "-q", "-F", path, "8M"], check=True)
    disks.append(Disk(path, "ext4-scratch", readonly=False))
    return disks, hashlib.sha256(content).hexdigest()


def build_image(work, arch, busybox, debs, featurecheck, init_oci, agent):
    """The test image: busybox, Debian's ip and nft (from the unpacked
    packages in debs), featurecheck."""
    rootfs = os.path.join(work, "rootfs")
    build_rootfs(rootfs, busybox, APPLETS + NET_APPLETS)
    for program in ["bin/ip", "usr/sbin/nft"]:
        guest_debs.install(arch, debs, rootfs, program)
    shutil.copy(featurecheck, os.path.join(rootfs, "bin", "featurecheck"))
    for d in ["run", "mnt"]:
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    os.makedirs(os.path.join(rootfs, "var"), exist_ok=True)
    os.symlink("../run", os.path.join(rootfs, "var", "run"))  # /bin/ip netns uses /var/run/netns
    initrd = os.path.join(work, "initramfs.cpio")
    build_initramfs(initrd, init_oci, agent, CONFIG, rootfs)
    return initrd


# -- checks in the guest ---------------------------------------------------------

def check_addressing(r, agent, addr, prefix, hostname, dns, domain, source):
    r.run(f"{source}: eth0 has {addr}/{prefix}", expect, agent,
          "/bin/ip -4 -o addr show dev eth0", rf"inet {re.escape(addr)}/{prefix} ")
    r.run(f"{source}: default route via {HOST} on eth0", expect, agent,
          "/bin/ip -4 route show default", rf"^default via {re.escape(HOST)} dev eth0")

    def resolv():
        text = agent.read_file("/etc/resolv.conf").decode(errors="replace")
        servers = re.findall(r"^nameserver\s+(\S+)", text, re.M)
        search = re.findall(r"^(?:search|domain)\s+(.+)$", text, re.M)
        return servers == dns and search == [domain], text
    r.run(f"{source}: /etc/resolv.conf names {', '.join(dns)}, search {domain}", resolv)

    def host_name():
        code, text = sh(agent, "hostname")
        etc = agent.read_file("/etc/hostname").decode(errors="replace")
        ok = code == 0 and text.strip() == hostname and etc.strip() == hostname
        return ok, f"hostname: {text.strip()!r}, /etc/hostname: {etc!r}"
    r.run(f"{source}: hostname and /etc/hostname are {hostname}", host_name)

    def hosts():
        text = agent.read_file("/etc/hosts").decode(errors="replace")
        names = hostname.split(".")[0]
        line = re.search(rf"^{re.escape(addr)}\s+(.*)$", text, re.M)
        local = re.search(r"^127\.0\.0\.1\s+.*\blocalhost\b", text, re.M)
        ok = bool(line and local and hostname in line.group(1).split()
                  and names in line.group(1).split())
        return ok, text
    r.run(f"{source}: /etc/hosts has localhost and {hostname} on {addr}", hosts)


def check_fetch(r, agent, server, source):
    r.run(f"{source}: busybox wget fetches {len(server.data) >> 10} KiB from the host's"
          f" 127.0.0.1 ({HOST}:{server.port}), sha256 matches in the guest",
          sha256_in_guest, agent, f"timeout 20 wget -q -O /tmp/blob {server.url}",
          "/tmp/blob", server.sha256)

    def read_back():
        return agent.read_file("/tmp/blob") == server.data, "the bytes read back differ"
    r.run(f"{source}: the fetched file read back through the agent is the same bytes", read_back)


def check_loopback(r, agent, source):
    token = os.urandom(8).hex()
    r.run(f"{source}: lo carries HTTP in the guest (busybox httpd and wget on 127.0.0.1)",
          expect, agent,
          f"mkdir -p /tmp/www && echo {token} > /tmp/www/index.html &&"
          " { httpd -f -p 127.0.0.1:8080 -h /tmp/www & pid=$!; };"
          " ok=1; for i in 1 2 3 4 5 6 7 8 9 10; do"  # until httpd listens
          "   timeout 5 wget -q -O - http://127.0.0.1:8080/index.html 2>/tmp/lo.err && { ok=0; break; };"
          " sleep 0.2; done; kill $pid 2>/dev/null; [ $ok = 0 ] || cat /tmp/lo.err; exit $ok", rf"^{token}$")


def check_netns(r, agent, server):
    """veth into a new namespace, then nftables masquerade out of it."""
    in_ns = "/bin/ip netns exec smk /bin/ip"
    setup = " && ".join([
        "/bin/ip link add smk-host type veth peer name smk-ns", "/bin/ip netns add smk",
        "/bin/ip link set smk-ns netns smk",
        f"/bin/ip addr add {NS_HOST}/24 dev smk-host", "/bin/ip link set smk-host up",
        f"{in_ns} addr add {NS_GUEST}/24 dev smk-ns", f"{in_ns} link set smk-ns up",
        f"{in_ns} link set lo up", f"{in_ns} route add default via {NS_HOST}"])
    if not r.run("veth pair into a new network namespace (ip link add type veth, ip netns)",
                 expect, agent, setup):
        r.check(False, "veth: pings between the namespaces", "skipped: no veth pair")
        r.check(False, "nftables: masquerade from the namespace to the host", "skipped: no veth pair")
        return
    r.run("veth: pings both ways between the namespaces", expect, agent,
          f"/bin/ip netns exec smk ping -c 1 -W 5 {NS_HOST} && ping -c 1 -W 5 {NS_GUEST}",
          r" 0% packet loss")

    # QEMU's user network answers only its own subnet: without NAT the
    # namespace's packets reach nothing (checked, so the rule is what helps).
    code, text = sh(agent, "echo 1 > /proc/sys/net/ipv4/ip_forward &&"
                    f" /bin/ip netns exec smk timeout 3 wget -q -O /tmp/nat-before {server.url}")
    r.check(code != 0, "nftables: without the masquerade rule the namespace cannot reach the host",
            f"exit {code}: {text}")
    ruleset = ("table ip smk_nat {\n chain post {\n"
               "  type nat hook postrouting priority srcnat; policy accept;\n"
               f"  ip saddr {NS_HOST.rsplit('.', 1)[0]}.0/24 oifname \"eth0\" counter masquerade\n"
               " }\n}\n")
    agent.write_file("/tmp/nat.nft", ruleset.encode())
    if not r.run("nftables: a nat table with a masquerade rule loads (nft -f)", expect, agent,
                 "/usr/sbin/nft -f /tmp/nat.nft && /usr/sbin/nft list table ip smk_nat", r"masquerade"):
        r.check(False, "nftables: masquerade from the namespace to the host", "skipped: no rule")
        return
    r.run("nftables: masquerade lets the namespace fetch the host's file through eth0",
          sha256_in_guest, agent,
          f"/bin/ip netns exec smk timeout 20 wget -q -O /tmp/nat.blob {server.url}",
          "/tmp/nat.blob", server.sha256)
    r.run("nftables: the rule's counter saw the packets", expect, agent,
          "/usr/sbin/nft list chain ip smk_nat post", r"counter packets [1-9]")


FIND_DISK = ('dev=; for s in /sys/block/vd*; do [ "$(cat $s/serial 2>/dev/null)" = "{serial}" ]'
             ' && dev=/dev/${{s##*/}}; done; [ -n "$dev" ] || {{ echo "no disk {serial}"; exit 1; }}; ')


def check_images(r, agent, disks, content_sha):
    for d in disks:
        if not d.readonly:
            continue
        fstype = d.serial.split("-")[0]
        mnt = f"/mnt/{d.serial}"
        script = (FIND_DISK.format(serial=d.serial) +
                  f"mkdir -p {mnt} && mount -t {fstype} -o ro $dev {mnt} &&"
                  f" grep -q ' {mnt} {fstype} ro[, ]' /proc/mounts &&"
                  f" if touch {mnt}/new 2>/dev/null; then echo writable; exit 1; fi &&"
                  f" sha256sum {mnt}/hello.txt; s=$?; umount {mnt} 2>/dev/null; exit $s")
        r.run(f"{d.serial}: the image mounts read-only from its virtio-blk disk and holds hello.txt",
              expect, agent, script, rf"^{content_sha}\s")


def check_syscalls(r, agent):
    r.run("cgroup BPF: a BPF_PROG_TYPE_CGROUP_DEVICE program on a cgroup v2 directory decides"
          " device access", expect, agent,
          "mkdir -p /mnt/cgroup2 && mount -t cgroup2 cgroup2 /mnt/cgroup2 &&"
          " featurecheck cgroup-bpf /mnt/cgroup2; s=$?; umount /mnt/cgroup2 2>/dev/null; exit $s")
    r.run("keyrings: add_key, keyctl read/search, a named session keyring", expect, agent,
          "featurecheck keyctl")
    r.run("POSIX ACLs on tmpfs: system.posix_acl_access set and read back", expect, agent,
          "mkdir -p /mnt/tmpfs && mount -t tmpfs tmpfs /mnt/tmpfs &&"
          " featurecheck acl /mnt/tmpfs/acl-file; s=$?; umount /mnt/tmpfs 2>/dev/null; exit $s")
    r.run("POSIX ACLs on ext4: system.posix_acl_access set and read back", expect, agent,
          FIND_DISK.format(serial="ext4-scratch") +
          "mkdir -p /mnt/ext4 && mount -t ext4 $dev /mnt/ext4 &&"
          " featurecheck acl /mnt/ext4/acl-file; s=$?; umount /mnt/ext4 2>/dev/null; exit $s")
    r.run("fanotify: fanotify_init and a mark report a close-after-write", expect, agent,
          "mkdir -p /tmp/fanotify && featurecheck fanotify /tmp/fanotify")
    r.run("userfaultfd: a missing-page fault resolved with UFFDIO_COPY", expect, agent,
          "featurecheck userfaultfd")


# -- the boots -------------------------------------------------------------------

def boot(r, work, machine, name, kernel, initrd, append, disks, netdev_options, checks):
    """One guest: wait for the agent, run checks(agent), power off."""
    d = os.path.join(work, name)
    os.mkdir(d)
    with Guest(d, kernel, initrd, append, disks=disks, net=True,
               netdev_options=netdev_options, machine=machine) as guest:
        agent = None
        try:
            agent = AgentClient(guest.connect(10))
            agent.sock.settimeout(60)
            agent.wait_ready(timeout=60)
            print(f"{name}: agent ready {time.monotonic() - guest.started:.2f}s after QEMU started",
                  flush=True)
            checks(agent)
            agent.shutdown()
            r.check(guest.wait_exit(30) == 0, f"{name}: the VM powered itself off")
        except Exception as e:  # noqa: BLE001 -- a boot that breaks fails, the next one runs
            r.check(False, f"{name}: the boot ran to the end",
                    f"{type(e).__name__}: {e}\nconsole:\n{guest.console()[-3000:]}")
        finally:
            if agent:
                agent.close()


def dhcp_boot(r, work, machine, kernel, initrd, server, disks, content_sha):
    """ip=dhcp, and every kernel feature check (their disks attached)."""
    def checks(agent):
        check_addressing(r, agent, DHCP_ADDR, 24, DHCP_HOSTNAME, [SLIRP_DNS], DHCP_DOMAIN, "dhcp")
        check_fetch(r, agent, server, "dhcp")
        check_loopback(r, agent, "dhcp")
        check_netns(r, agent, server)
        check_images(r, agent, disks, content_sha)
        check_syscalls(r, agent)
    boot(r, work, machine, "dhcp", kernel, initrd, "ip=dhcp", disks,
         f"hostname={DHCP_HOSTNAME},domainname={DHCP_DOMAIN}", checks)


def static_boot(r, work, machine, kernel, initrd, server):
    """The smk.* network parameters instead of ip=."""
    s = STATIC
    append = (f"smk.ip=eth0:{s['addr']}/{s['prefix']} smk.gw={s['gw']}"
              f" smk.dns={','.join(s['dns'])} smk.domain={s['domain']}"
              f" smk.mtu=eth0:{s['mtu']} smk.hostname={s['hostname']}")

    def checks(agent):
        check_addressing(r, agent, s["addr"], s["prefix"], s["hostname"], s["dns"], s["domain"], "static")
        r.run(f"static: eth0's MTU is {s['mtu']} (smk.mtu)", expect, agent,
              "cat /sys/class/net/eth0/mtu", rf"^{s['mtu']}$")
        check_fetch(r, agent, server, "static")
        check_loopback(r, agent, "static")
    boot(r, work, machine, "static", kernel, initrd, append, [], "", checks)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    assets.add_arguments(ap)
    guests.add_arguments(ap)
    ap.add_argument("--busybox", help="the guest's busybox (default: .deps/busybox-<arch>)")
    args = ap.parse_args()
    machine = guests.from_args(ap, args)
    arch = machine.arch
    busybox = args.busybox or machine.busybox

    tools = [machine.qemu, "mksquashfs", "mkfs.erofs", "mkfs.ext4", "apt-get", "dpkg-deb",
             f"{arch}-linux-musl-gcc"]
    missing = [t for t in tools if not shutil.which(t)]
    if not os.path.exists(busybox):
        missing.append(os.path.relpath(busybox))
    if missing:
        print(f"network boot test needs {', '.join(missing)} (run scripts/install-deps)", file=sys.stderr)
        return 1 if os.environ.get("CI") else 77

    try:
        debs = guest_debs.fetch(arch)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print(f"network boot test: Debian's {arch} ip and nft not fetched: {e}", file=sys.stderr)
        return 1 if os.environ.get("CI") else 77

    r = Results()
    t0 = time.monotonic()
    print(f"guest: {machine.label}", flush=True)
    with tempfile.TemporaryDirectory(prefix="smk-net.") as work:
        try:
            kernel, init_oci, agent_bin = assets.get(args, work, arch)
        except (assets.Unavailable, FileNotFoundError) as e:
            print(f"network boot test: no {arch} set: {e}", file=sys.stderr)
            return 1
        print(f"artifacts: {assets.describe(args, arch)}")
        featurecheck = os.path.join(work, "featurecheck")
        subprocess.run([os.path.join(REPO, "payloads", "musl-build.sh"), "--arch", arch, featurecheck,
                        os.path.join(HERE, "featurecheck.c")], check=True)
        initrd = build_image(work, arch, busybox, debs, featurecheck, init_oci, agent_bin)
        disks, content_sha = build_disks(work)
        www = os.path.join(work, "www")
        os.mkdir(www)
        server = BlobServer(www)
        print(f"image and disks built in {time.monotonic() - t0:.2f}s;"
              f" host server on 127.0.0.1:{server.port}", flush=True)
        try:
            dhcp_boot(r, work, machine, kernel, initrd, server, disks, content_sha)
            static_boot(r, work, machine, kernel, initrd, server)
        finally:
            server.close()
    print(f"\n{r.passed} passed, {len(r.failed)} failed in {time.monotonic() - t0:.1f}s")
    for what in r.failed:
        print(f"  failed: {what}")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
