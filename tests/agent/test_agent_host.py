"""Host integration test of supermachine-agent, built natively, driven by
agent_client.py over --stdio, --listen-unix and a fake virtio-serial port.

    python3 test_agent_host.py PATH/TO/supermachine-agent
    SMK_AGENT_BIN=PATH pytest test_agent_host.py

Runs with plain python (no pytest needed): prints one line per test and
"N passed, N failed", exits non-zero on any failure.
"""

import errno
import faulthandler
import os
import platform
import pty
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_client as ac  # noqa: E402

AGENT = os.environ.get("SMK_AGENT_BIN", "")
# Set by --no-subreaper: where the agent runs, prctl(PR_SET_CHILD_SUBREAPER)
# is refused (qemu-user 7.2 in a cross build; tests/agent/CMakeLists.txt
# probes it), so orphans cannot become the agent's children.
NO_SUBREAPER = ""

try:  # under pytest a skip is pytest's; alone, the runner below counts it
    import pytest
    Skip = pytest.skip.Exception
except ImportError:
    class Skip(Exception):
        pass


class StdioAgent:
    """An agent on a pipe pair, with its stderr collected in a file."""

    def __init__(self, *extra):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([AGENT, "--stdio", *extra], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log)
        self.client = ac.AgentClient(rfile=self.proc.stdout, wfile=self.proc.stdin)

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode()

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)
        self.proc.stdout.close()
        self.log.close()

    def __enter__(self):
        return self.client

    def __exit__(self, *exc):
        self.close()


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


# -- stdio transport ------------------------------------------------------------

def test_hello_reports_version_and_limits():
    with StdioAgent() as c:
        info = c.hello()
        assert info["version"] == 1
        assert info["max_payload"] == 16 << 20 and info["max_file"] == 8 << 20
        assert info["max_output"] == 4 << 20 and info["max_argv"] == 1024
        assert info["max_stdin"] == 8 << 20 and info["max_env"] == 1024  # six limits
        assert info["agent"].startswith("supermachine-agent ")
        assert info["transport"] == "stdio"


def test_ready_line_is_printed():
    a = StdioAgent()
    try:
        a.client.hello()
        assert "supermachine-agent: ready\n" in a.stderr()
    finally:
        a.close()


def test_exec_uname_matches_host():
    with StdioAgent() as c:
        r = c.exec(["uname", "-m"])
        assert r.exit_code == 0 and r.signal is None and not r.timed_out
        assert r.stdout.decode().strip() == platform.machine()


def test_exec_stdin_goes_to_cat():
    with StdioAgent() as c:
        assert c.exec(["cat"], stdin=b"hello agent\n").stdout == b"hello agent\n"
        big = os.urandom(3 << 20)  # larger than any pipe buffer: needs the poll loop
        r = c.exec(["cat"], stdin=big)
        assert r.exit_code == 0 and r.stdout == big


def test_exec_nonzero_exit_and_stderr():
    with StdioAgent() as c:
        r = c.exec(["sh", "-c", "echo out; echo err >&2; exit 7"])
        assert (r.exit_code, r.signal, r.stdout, r.stderr) == (7, None, b"out\n", b"err\n")


def test_exec_reports_terminating_signal():
    with StdioAgent() as c:
        r = c.exec(["sh", "-c", "kill -TERM $$"])
        assert r.exit_code is None and r.signal == 15 and not r.timed_out


def test_exec_timeout_kills_process_group_quickly():
    with StdioAgent() as c, tempfile.TemporaryDirectory() as d:
        marker = os.path.join(d, "survived")
        t0 = time.monotonic()
        r = c.exec(["sh", "-c", f"(sleep 1; touch {marker}) & sleep 10"], timeout_ms=300)
        elapsed = time.monotonic() - t0
        assert r.timed_out and r.signal == signal.SIGTERM, r  # SIGTERM first; sh dies of it
        assert elapsed < 2.0, elapsed
        time.sleep(1.3)
        assert not os.path.exists(marker), "a process of the group outlived the timeout"
        r = c.exec(["sleep", "10"], timeout_ms=200)
        assert r.timed_out and 150 <= r.duration_ms < 1500


def test_exec_missing_program_is_enoent_error():
    with StdioAgent() as c:
        for argv in (["no-such-program-smk"], ["/no/such/program"]):
            try:
                c.exec(argv)
            except ac.AgentOSError as e:
                assert e.code == ac.E_OS and e.errno == errno.ENOENT, e
                assert "exec" in e.message
            else:
                raise AssertionError("missing program did not fail")
        assert c.exec(["true"]).exit_code == 0
        # As execvp: an empty name is ENOENT, a name over NAME_MAX ENAMETOOLONG.
        for argv, want in (([""], errno.ENOENT), (["x" * 256], errno.ENAMETOOLONG)):
            try:
                c.exec(argv)
            except ac.AgentOSError as e:
                assert e.errno == want, e
            else:
                raise AssertionError(f"{argv[0][:10]!r} ran")


MAX_STRING = 131071  # PROTOCOL.md "Limits": the kernel's MAX_ARG_STRLEN less its NUL
MAX_PATH = 4095


def expect_error(call, code, errno_=None):
    try:
        call()
    except ac.AgentError as e:
        assert e.code == code, e
        assert errno_ is None or e.errno == errno_, e
        return e
    raise AssertionError("no error")


def test_exec_longest_strings_run_and_one_more_is_limit():
    with StdioAgent() as c:
        count = ["sh", "-c", 'printf %s "$1$X" | wc -c', "sh"]
        env = {"PATH": os.environ["PATH"]}
        r = c.exec(count + ["a" * MAX_STRING], env=env)
        assert (r.exit_code, r.stdout.strip()) == (0, str(MAX_STRING).encode()), r
        value = "v" * (MAX_STRING - len("X="))
        r = c.exec(count, env=dict(env, X=value))
        assert (r.exit_code, r.stdout.strip()) == (0, str(len(value)).encode()), r
        # One byte more is LIMIT, in argv and in env alike (not E2BIG, not MALFORMED).
        expect_error(lambda: c.exec(count + ["a" * (MAX_STRING + 1)]), ac.E_LIMIT)
        expect_error(lambda: c.exec(count, env=dict(env, X=value + "v")), ac.E_LIMIT)
        assert c.exec(["true"]).exit_code == 0


def test_paths_over_the_limit_are_limit_everywhere():
    with StdioAgent() as c:
        long = "/" + "p" * MAX_PATH  # 4096 bytes
        expect_error(lambda: c.exec(["true"], cwd=long), ac.E_LIMIT)
        expect_error(lambda: c.write_file(long, b"data"), ac.E_LIMIT)
        expect_error(lambda: c.read_file(long), ac.E_LIMIT)
        expect_error(lambda: c.stat(long), ac.E_LIMIT)
        expect_error(lambda: c.stat(long, follow_symlinks=True), ac.E_LIMIT)


def test_env_entries_need_a_name_and_an_equals_sign():
    with StdioAgent() as c:
        path = "PATH=" + os.environ["PATH"]
        for bad in (b"NOEQUALS", b"=x", b"=", b""):
            expect_error(lambda: c.exec(["true"], env=[path, bad]), ac.E_MALFORMED)
        r = c.exec(["sh", "-c", 'printf "%s|%s" "$E" "$F"'], env=[path, "E=", "F==1"])
        assert r.stdout == b"|=1", r


def long_missing_path(root, length):
    """An absolute path of exactly length bytes under root whose first
    component under root does not exist (components stay under NAME_MAX)."""
    path = root
    while len(path) + 201 < length:
        path += "/" + "d" * 200
    return path + "/" + "m" * (length - len(path) - 1)


def test_error_messages_carry_long_paths_whole():
    with StdioAgent() as c, tempfile.TemporaryDirectory() as d:
        p = long_missing_path(d, MAX_PATH)
        assert len(p) == MAX_PATH
        q = long_missing_path(d, 4000)  # leaves WRITE_FILE's temporary room
        calls = [(lambda: c.read_file(p), "open", p), (lambda: c.stat(p), "stat", p),
                 (lambda: c.exec(["true"], cwd=p), "chdir", p),
                 (lambda: c.exec([p]), "exec", p),
                 (lambda: c.write_file(q, b"x"), "write", q)]
        for call, step, path in calls:
            e = expect_error(call, ac.E_OS, errno.ENOENT)
            assert e.message == f"{step} {path}: {os.strerror(errno.ENOENT)}", \
                (len(e.message), e.message[:80])
        # An argv[0] over the path limit names no program; only it is cut.
        prog = "/" + "x" * 5000
        e = expect_error(lambda: c.exec([prog]), ac.E_OS, errno.ENAMETOOLONG)
        assert e.message == f"exec {prog[:MAX_PATH]}: {os.strerror(errno.ENAMETOOLONG)}"
        # WRITE_FILE's temporary name is 12 bytes longer than the path's:
        # one that leaves it no room is ENAMETOOLONG, with the path named whole.
        e = expect_error(lambda: c.write_file(p, b"x"), ac.E_OS, errno.ENAMETOOLONG)
        assert e.message.startswith(f"write {p}: "), e.message[:80]


def test_write_file_with_the_longest_file_name():
    with StdioAgent() as c, tempfile.TemporaryDirectory() as d:
        for n in (243, 244, 255):  # the temporary's name is cut to fit NAME_MAX
            path = os.path.join(d, "n" * n)
            c.write_file(path, b"long name", mode=0o600)
            assert c.read_file(path) == b"long name"
        assert sorted(len(f) for f in os.listdir(d)) == [243, 244, 255], os.listdir(d)


def test_exec_cwd_and_env():
    with StdioAgent() as c, tempfile.TemporaryDirectory() as d:
        assert c.exec(["pwd"], cwd=d).stdout.decode().strip() == os.path.realpath(d)
        try:
            c.exec(["pwd"], cwd=os.path.join(d, "missing"))
        except ac.AgentOSError as e:
            assert e.errno == errno.ENOENT and "chdir" in e.message
        else:
            raise AssertionError("missing cwd did not fail")
        env = {"PATH": os.environ["PATH"], "SMK_VAR": "v a l"}
        r = c.exec(["sh", "-c", 'echo "$SMK_VAR|${HOME-unset}"'], env=env)
        assert r.stdout == b"v a l|unset\n"
        # PATH comes from the request's env: an empty one finds nothing.
        try:
            c.exec(["true"], env={"PATH": d})
        except ac.AgentOSError as e:
            assert e.errno == errno.ENOENT
        else:
            raise AssertionError("PATH from the request env was ignored")


def test_write_then_read_file_with_mode():
    with StdioAgent() as c, tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "f.bin")
        data = os.urandom(100000)
        c.write_file(path, data, mode=0o640)
        assert c.read_file(path) == data
        assert os.stat(path).st_mode & 0o7777 == 0o640
        c.write_file(path, b"second", mode=0o600)  # replaces atomically
        assert c.read_file(path) == b"second" and os.stat(path).st_mode & 0o7777 == 0o600
        assert os.listdir(d) == ["f.bin"], os.listdir(d)  # no temporary left
        os.symlink(path, os.path.join(d, "link"))
        c.write_file(os.path.join(d, "link"), b"new")  # the link is replaced
        assert not os.path.islink(os.path.join(d, "link")) and c.read_file(path) == b"second"


def test_file_errors():
    with StdioAgent() as c, tempfile.TemporaryDirectory() as d:
        cases = [(lambda: c.read_file(os.path.join(d, "missing")), errno.ENOENT),
                 (lambda: c.read_file(d), errno.EISDIR),
                 (lambda: c.write_file(os.path.join(d, "no", "f"), b"x"), errno.ENOENT),
                 (lambda: c.stat(os.path.join(d, "missing")), errno.ENOENT)]
        for call, want in cases:
            try:
                call()
            except ac.AgentOSError as e:
                assert e.errno == want, e
            else:
                raise AssertionError("no error")
        big = os.path.join(d, "big")
        with open(big, "wb") as fh:
            fh.truncate((8 << 20) + 1)
        try:
            c.read_file(big)
        except ac.AgentError as e:
            assert e.code == ac.E_LIMIT and e.errno == errno.EFBIG, e
        else:
            raise AssertionError("oversized file was read")


def test_stat():
    with StdioAgent() as c, tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "f")
        c.write_file(path, b"12345", mode=0o751)
        st, real = c.stat(path), os.stat(path)
        assert (st.type, st.mode, st.size) == ("file", 0o751, 5)
        assert (st.uid, st.gid, st.mtime_ns) == (real.st_uid, real.st_gid, real.st_mtime_ns)
        assert c.stat(d).type == "dir"
        os.symlink("f", os.path.join(d, "l"))
        assert c.stat(os.path.join(d, "l")).type == "symlink"
        assert c.stat(os.path.join(d, "l"), follow_symlinks=True).type == "file"


def _sanitized(binary: str) -> bool:
    """Built with AddressSanitizer (the CI's ASan pass)?  Its shadow memory
    makes an address-space limit meaningless."""
    with open(binary, "rb") as fh:
        return b"__asan_init" in fh.read()


def test_reply_too_big_for_memory_is_internal_error():
    """Every request gets a reply: one the agent cannot allocate becomes a
    short INTERNAL error, and the connection goes on."""
    if _sanitized(AGENT):
        raise Skip("an RLIMIT_AS test cannot run under AddressSanitizer")
    a = StdioAgent()
    try:
        c = a.client
        c.hello()
        with tempfile.TemporaryDirectory() as d:
            big = os.path.join(d, "big")
            with open(big, "wb") as fh:
                fh.write(os.urandom(8 << 20))
            with open(f"/proc/{a.proc.pid}/status") as fh:
                vm = next(int(l.split()[1]) << 10 for l in fh if l.startswith("VmSize:"))
            # Room for the 8 MiB file, not for it plus its 16 MiB reply buffer.
            resource.prlimit(a.proc.pid, resource.RLIMIT_AS, (vm + (20 << 20), resource.RLIM_INFINITY))
            expect_error(lambda: c.read_file(big), ac.E_INTERNAL)
        assert c.hello()["version"] == 1
    finally:
        a.close()


def test_malformed_frames_get_errors_then_service_continues():
    with StdioAgent() as c:
        c.send_raw(b"this is not a frame" * 3)
        f = c.recv_frame()
        e = ac.decode_error(f.payload)
        assert f.type == ac.T_ERROR and f.id == 0 and e.code == ac.E_BAD_MAGIC
        assert c.hello()["version"] == 1

        # Field lengths that run past the payload: MALFORMED with the id.
        bad = ac.encode_exec(["echo", "x"])[:-2]
        c.send_raw(ac.encode_frame(ac.T_EXEC, 500, bad))
        f = c.recv_frame()
        assert f.id == 500 and ac.decode_error(f.payload).code == ac.E_MALFORMED
        # A header CRC mismatch.
        hdr = bytearray(ac.encode_frame(ac.T_HELLO, 501))
        hdr[8] ^= 0x55
        c.send_raw(bytes(hdr))
        f = c.recv_frame()
        assert f.id == 0 and ac.decode_error(f.payload).code == ac.E_BAD_HEADER
        # Another version, an unknown type, reserved flags.
        c.send_raw(ac.encode_frame(ac.T_HELLO, 502, b"xyz", version=9))
        f = c.recv_frame()
        assert f.id == 502 and f.version == 1
        assert ac.decode_error(f.payload).code == ac.E_BAD_VERSION
        c.send_raw(ac.encode_frame(0x42, 503, b"abc"))
        f = c.recv_frame()
        assert f.id == 503 and ac.decode_error(f.payload).code == ac.E_UNKNOWN_TYPE
        c.send_raw(ac.encode_frame(ac.T_HELLO, 504, flags=2))
        f = c.recv_frame()
        assert f.id == 504 and ac.decode_error(f.payload).code == ac.E_MALFORMED
        assert c.exec(["echo", "still here"]).stdout == b"still here\n"


def test_oversized_frame_is_drained_then_service_continues():
    with StdioAgent() as c:
        length = (16 << 20) + 1
        c.send_raw(ac.encode_frame(ac.T_WRITE_FILE, 600, length=length))
        c.send_raw(b"SMAG" * (length // 4) + b"S")  # magic inside must not resync
        f = c.recv_frame()
        e = ac.decode_error(f.payload)
        assert f.id == 600 and e.code == ac.E_OVERSIZED, e
        assert c.hello()["version"] == 1
        # Over a limit inside an acceptable frame: LIMIT.
        try:
            c.write_file("/tmp/never-written-smk", b"x" * ((8 << 20) + 1))
        except ac.AgentError as e:
            assert e.code == ac.E_LIMIT
        else:
            raise AssertionError("file over the limit was accepted")
        assert not os.path.exists("/tmp/never-written-smk")


def test_several_requests_pipelined_on_one_connection():
    with StdioAgent() as c:
        ids = [c.new_id() for _ in range(4)]
        c.send_raw(ac.encode_frame(ac.T_HELLO, ids[0])
                   + ac.encode_frame(ac.T_EXEC, ids[1], ac.encode_exec(["echo", "one"]))
                   + ac.encode_frame(ac.T_STAT, ids[2], struct.pack("<I", 1) + b"/\x00")
                   + ac.encode_frame(ac.T_EXEC, ids[3], ac.encode_exec(["echo", "two"])))
        got = [c.recv_frame() for _ in ids]
        assert [f.id for f in got] == ids
        assert [f.type for f in got] == [0x81, 0x82, 0x85, 0x82]
        for i in range(20):
            assert c.exec(["echo", str(i)]).stdout == f"{i}\n".encode()


def test_shutdown_exits_in_host_mode():
    a = StdioAgent()
    try:
        a.client.shutdown()
        assert a.proc.wait(10) == 0
    finally:
        a.close()


def test_wait_ready_drains_resent_hellos_and_stale_frames():
    """PROTOCOL.md, "Starting a session": the client connects before the
    agent runs (HELLOs pile up unanswered), and frames of an earlier session
    are still queued. After wait_ready the very next frame must be the
    reply to the next request."""
    host, guest = socket.socketpair()
    host.settimeout(20)
    stale_exec = struct.pack("<BBII", 0, 0, 0, 0) + ac._bytes(b"stale\n") + ac._bytes(b"")
    guest.sendall(ac.encode_frame(ac.T_REPLY | ac.T_HELLO, 1, b"from an earlier session")
                  + ac.encode_frame(ac.T_REPLY | ac.T_EXEC, 2, stale_exec)
                  + b"the tail of a frame cut by a reconnect")
    proc = subprocess.Popen(["sh", "-c", 'sleep 1; exec "$0" --stdio', AGENT],
                            stdin=guest, stdout=guest, stderr=subprocess.DEVNULL)
    guest.close()
    try:
        c = ac.AgentClient(host)
        assert c.wait_ready(timeout=15, interval=0.1)["transport"] == "stdio"
        late = [f for f in c.strays if f.type == ac.T_REPLY | ac.T_HELLO and f.id != 1]
        assert len(late) >= 3, c.strays  # replies to the resent HELLOs, discarded
        rid = c.new_id()  # 1, 2, ...: the stale frames' ids, drained already
        c.send_raw(ac.encode_frame(ac.T_EXEC, rid, ac.encode_exec(["echo", "fresh"])))
        f = c.recv_frame()
        assert (f.id, f.type) == (rid, ac.T_REPLY | ac.T_EXEC), f
        assert b"fresh\n" in f.payload
        # hello() alone uses a random id too, so it works mid-session as well.
        assert c.hello()["version"] == 1
        assert c.exec(["echo", "again"]).stdout == b"again\n"
    finally:
        host.close()
        proc.wait(10)


# -- Unix socket transport ------------------------------------------------------

def test_unix_socket_concurrent_connections_and_shutdown():
    d = tempfile.mkdtemp()
    path = os.path.join(d, "agent.sock")
    log = open(os.path.join(d, "log"), "w+")
    proc = subprocess.Popen([AGENT, "--listen-unix", path], stderr=log)
    try:
        # The socket file appears at bind(), before listen(): wait for the
        # ready line, which the agent prints once it listens.
        assert wait_for(lambda: "supermachine-agent: ready" in open(log.name).read())
        slow = ac.AgentClient.connect_unix(path, timeout=20)
        fast = ac.AgentClient.connect_unix(path, timeout=20)
        assert slow.wait_ready(timeout=5)["transport"] == "unix"
        rid = slow.new_id()
        slow.send_raw(ac.encode_frame(ac.T_EXEC, rid, ac.encode_exec(["sleep", "1"])))
        t0 = time.monotonic()
        assert fast.exec(["echo", "x"]).stdout == b"x\n"
        assert time.monotonic() - t0 < 0.9, "connections are served one at a time"
        assert slow.recv_frame().id == rid
        slow.close()
        fast.shutdown()
        fast.close()
        assert proc.wait(10) == 0
        log.seek(0)
        assert "supermachine-agent: ready" in log.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(d)


# -- guest mode over a fake virtio-serial port (a pty) --------------------------

def test_guest_mode_finds_serial_port_by_name():
    d = tempfile.mkdtemp()
    sysdir, devdir = os.path.join(d, "sys"), os.path.join(d, "dev")
    os.makedirs(os.path.join(sysdir, "vport0p0"))
    os.makedirs(devdir)
    with open(os.path.join(sysdir, "vport0p0", "name"), "w") as fh:
        fh.write("org.qemu.guest_agent.0\n")
    master, slave = pty.openpty()
    tty.setraw(slave)
    log = open(os.path.join(d, "log"), "w+")
    proc = subprocess.Popen([AGENT, "--no-vsock", "--exit-on-shutdown", "--sysfs-dir", sysdir,
                             "--dev-dir", devdir], stderr=log)

    def logged():
        log.seek(0)
        return log.read()

    try:
        # The port appears after the agent started: it must keep looking.
        assert wait_for(lambda: "waiting for virtio-serial port" in logged())
        os.makedirs(os.path.join(sysdir, "vport0p1"))
        os.symlink(os.ttyname(slave), os.path.join(devdir, "vport0p1"))
        with open(os.path.join(sysdir, "vport0p1", "name"), "w") as fh:
            fh.write("org.supermachine.agent\n")
        assert wait_for(lambda: "supermachine-agent: ready" in logged(), 5), logged()
        c = ac.AgentClient(rfile=os.fdopen(master, "rb", buffering=0),
                           wfile=os.fdopen(os.dup(master), "wb", buffering=0))
        assert c.hello()["transport"] == "serial"
        assert c.exec(["echo", "serial"]).stdout == b"serial\n"
        c.shutdown()
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(slave)
        log.close()
        shutil.rmtree(d)


def test_guest_mode_vsock_listener_when_available():
    port = 20000 + os.getpid() % 20000
    proc = subprocess.Popen([AGENT, "--no-serial", "--exit-on-shutdown", "--vsock-port",
                             str(port)], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        if "vsock unavailable" in line:
            assert proc.wait(10) == 1  # and no other transport: it says so and stops
            raise Skip("no vsock on this host")
        assert f"listening on vsock port {port}" in line, line
        assert proc.stderr.readline() == "supermachine-agent: ready\n"
        try:  # the host may have no loopback transport to reach it
            c = ac.AgentClient.connect_vsock(1, port, timeout=1)  # VMADDR_CID_LOCAL
        except OSError:
            raise Skip("vsock listener up, but no loopback transport to connect")
        assert c.hello()["transport"] == "vsock"
        c.shutdown()
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


# -- hostile clients and commands (PROTOCOL.md, "Disconnects and
# back-pressure", and EXEC) ----------------------------------------------------

CAP = 4 << 20  # max_output
KILL_GRACE_MS = 1000  # SIGTERM at the deadline, SIGKILL this much later
OUTPUT_GRACE_MS = 200  # how long output is read after the command exits


def proc_gone(pid):
    """No such process, not even a zombie: it was killed and reaped."""
    return not os.path.exists(f"/proc/{pid}")


def children_of(pid):
    kids = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(name))
    return kids


def read_pid(path, timeout=10.0):
    """The pid a command wrote with `echo $$ > path`, once it is there."""
    def written():
        try:
            with open(path) as fh:
                return fh.read().endswith("\n")
        except FileNotFoundError:
            return False
    assert wait_for(written, timeout), f"{path} never written"
    with open(path) as fh:
        return int(fh.read())


def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as fh:
        return next(int(l.split()[1]) << 10 for l in fh if l.startswith("VmHWM:"))


def exec_frame(rid, argv, **kw):
    return ac.encode_frame(ac.T_EXEC, rid, ac.encode_exec(argv, **kw))


class UnixAgent:
    """An agent on --listen-unix; handlers() are its connection processes."""

    def __init__(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "agent.sock")
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen([AGENT, "--listen-unix", self.path], stderr=self.log)
        assert wait_for(lambda: "supermachine-agent: ready" in self.logged())

    def logged(self):
        with open(self.log.name) as fh:
            return fh.read()

    def connect(self, timeout=20):
        return ac.AgentClient.connect_unix(self.path, timeout=timeout)

    def handlers(self):
        return children_of(self.proc.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir)


def test_client_gone_mid_frame_then_next_connection_is_served():
    with UnixAgent() as a:
        frame = exec_frame(7, ["echo", "never"])
        for cut in (2, 10, ac.HEADER_SIZE, ac.HEADER_SIZE + 5, len(frame) - 1):
            c = a.connect()
            c.send_raw(frame[:cut])
            c.close()
        assert wait_for(lambda: not a.handlers(), 5), a.handlers()
        with a.connect() as c:
            assert c.hello()["version"] == 1
            assert c.exec(["echo", "next"]).stdout == b"next\n"
        assert a.proc.poll() is None


def test_client_gone_before_reading_its_reply():
    with UnixAgent() as a, tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "big")
        with open(big, "wb") as fh:
            fh.write(os.urandom(8 << 20))
        for frame in (ac.encode_frame(ac.T_READ_FILE, 1, ac._str(big)),
                      exec_frame(2, ["head", "-c", str(CAP), "/dev/zero"])):
            c = a.connect()
            c.send_raw(frame)
            time.sleep(0.2)  # the agent is writing the reply, into a full socket
            c.close()
        assert wait_for(lambda: not a.handlers(), 5), a.handlers()
        with a.connect() as c:
            assert c.exec(["echo", "next"]).stdout == b"next\n"


def test_client_gone_during_exec_stops_the_command():
    """Closing the connection, or only its sending side, ends the session: the
    running command is stopped as on a timeout (SIGTERM first) and nothing more
    is answered."""
    with UnixAgent() as a, tempfile.TemporaryDirectory() as d:
        for half in (False, True):
            pidf, marker = os.path.join(d, f"pid{half}"), os.path.join(d, f"term{half}")
            c = a.connect(timeout=10)
            c.hello()
            script = f"trap 'echo > {marker}; exit 1' TERM; echo $$ > {pidf}; sleep 30 & wait"
            c.send_raw(exec_frame(c.new_id(), ["sh", "-c", script])
                       + ac.encode_frame(ac.T_HELLO, 99))  # unanswered: dropped
            pid = read_pid(pidf)
            if half:
                c.sock.shutdown(socket.SHUT_WR)
                try:
                    f = c.recv_frame()
                    raise AssertionError(f"a reply after the end of the input: {f}")
                except EOFError:
                    pass
            c.close()
            assert wait_for(lambda: proc_gone(pid), 5), "the command outlived its client"
            assert os.path.exists(marker), "the command did not get SIGTERM first"
            assert wait_for(lambda: not a.handlers(), 5), a.handlers()
        with a.connect() as c:
            assert c.exec(["echo", "next"]).stdout == b"next\n"


def test_stdin_closed_during_exec_stops_the_command_and_the_agent():
    a = StdioAgent()
    try:
        with tempfile.TemporaryDirectory() as d:
            pidf = os.path.join(d, "pid")
            a.client.hello()
            a.client.send_raw(exec_frame(5, ["sh", "-c", f"echo $$ > {pidf}; exec sleep 30"]))
            pid = read_pid(pidf)
            a.proc.stdin.close()
            assert a.proc.wait(5) == 0
            assert proc_gone(pid), "the command outlived the agent's client"
            assert a.proc.stdout.read() == b""  # no reply to the abandoned EXEC
    finally:
        if a.proc.poll() is None:
            a.proc.kill()
            a.proc.wait()
        a.close()


def test_serial_hangup_stops_the_command():
    """A fake virtio-serial port on a pty: closing the master is the host side
    going away, and the agent stops the running command. (A hung-up pty never
    comes back, unlike a virtio-serial port: the next session on a real port
    is tests/boot's part.)"""
    d = tempfile.mkdtemp()
    sysdir, devdir = os.path.join(d, "sys"), os.path.join(d, "dev")
    os.makedirs(os.path.join(sysdir, "vport0p1"))
    os.makedirs(devdir)
    with open(os.path.join(sysdir, "vport0p1", "name"), "w") as fh:
        fh.write("org.supermachine.agent\n")
    master, slave = pty.openpty()
    tty.setraw(slave)
    os.symlink(os.ttyname(slave), os.path.join(devdir, "vport0p1"))
    log = open(os.path.join(d, "log"), "w+")
    proc = subprocess.Popen([AGENT, "--no-vsock", "--exit-on-shutdown", "--sysfs-dir", sysdir,
                             "--dev-dir", devdir], stderr=log)
    rfile = os.fdopen(os.dup(master), "rb", buffering=0)
    wfile = os.fdopen(os.dup(master), "wb", buffering=0)
    try:
        assert wait_for(lambda: "supermachine-agent: ready" in open(log.name).read(), 5)
        c = ac.AgentClient(rfile=rfile, wfile=wfile)
        assert c.hello()["transport"] == "serial"
        pidf = os.path.join(d, "pid")
        c.send_raw(exec_frame(3, ["sh", "-c", f"echo $$ > {pidf}; exec sleep 30"])
                   + ac.encode_frame(ac.T_HELLO, 4)[:9])  # and half a frame
        pid = read_pid(pidf)
        for fd in (master, slave):  # every fd of the host's side: a hangup
            os.close(fd)
        rfile.close()
        wfile.close()
        master = slave = None
        assert wait_for(lambda: proc_gone(pid), 5), "the command outlived the session"
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)
        rfile.close()
        wfile.close()
        log.close()
        shutil.rmtree(d)


def test_flood_of_pipelined_requests_is_bounded_and_answered_in_order():
    """Requests pipelined without reading replies: the agent stops reading
    while its replies are not read (the sender blocks), its memory stays
    bounded (one frame in, one reply out), and every reply comes, in order."""
    a = StdioAgent()
    try:
        c = a.client
        c.hello()
        base = vm_hwm(a.proc.pid)
        n = 30000
        frames, want = [], []
        for i in range(1, n + 1):
            if i % 1000 == 0:
                frames.append(exec_frame(i, ["echo", str(i)]))
            else:
                frames.append(ac.encode_frame(ac.T_HELLO if i % 2 else ac.T_STAT, i,
                                              b"" if i % 2 else ac._str("/") + b"\0"))
            want.append(i)
        sender = threading.Thread(target=c.send_raw, args=(b"".join(frames),))
        sender.start()
        time.sleep(0.5)
        assert sender.is_alive(), "the agent read everything without its replies being read"
        got = [c.recv_frame() for _ in range(n)]
        sender.join(10)
        assert [f.id for f in got] == want
        assert all(f.type != ac.T_ERROR for f in got)
        assert got[999].payload.endswith(ac._bytes(b"1000\n") + ac._bytes(b""))

        # Replies of 4 MiB each, none read for a while: not queued in memory.
        with tempfile.TemporaryDirectory() as d:
            big = os.path.join(d, "big")
            with open(big, "wb") as fh:
                fh.write(os.urandom(CAP))
            reads = b"".join(ac.encode_frame(ac.T_READ_FILE, 100000 + i, ac._str(big))
                             for i in range(24))
            sender = threading.Thread(target=c.send_raw, args=(reads,))
            sender.start()
            time.sleep(1.0)
            grew = vm_hwm(a.proc.pid) - base
            assert grew < 40 << 20, f"memory grew by {grew >> 20} MiB for 96 MiB of replies"
            for i in range(24):
                f = c.recv_frame()
                assert (f.id, f.type, len(f.payload)) == (100000 + i, 0x84, 4 + CAP), f.id
            sender.join(10)
        assert c.exec(["echo", "after"]).stdout == b"after\n"
    finally:
        a.close()


def test_flood_then_client_gone_without_reading():
    with UnixAgent() as a:
        c = a.connect(timeout=10)
        c.hello()
        blob = b"".join(ac.encode_frame(ac.T_HELLO, i) for i in range(1, 50001))
        errors = []

        def send():
            try:
                c.send_raw(blob)
            except OSError as e:
                errors.append(e)
        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.5)
        assert sender.is_alive()
        c.sock.shutdown(socket.SHUT_RDWR)
        sender.join(10)
        c.close()
        assert wait_for(lambda: not a.handlers(), 5), a.handlers()
        with a.connect() as c:
            assert c.exec(["echo", "next"]).stdout == b"next\n"


def test_output_over_the_cap_closes_the_pipe():
    """Past 4 MiB the agent closes its end of that pipe: the command gets
    SIGPIPE (or EPIPE, if it ignores SIGPIPE) instead of running on or
    blocking; output up to the cap is kept."""
    with StdioAgent() as c:
        r = c.exec(["yes"], timeout_ms=5000)
        assert not r.timed_out and r.signal == signal.SIGPIPE, r.signal
        assert r.stdout_truncated and r.stdout == b"y\n" * (CAP // 2)
        assert not r.stderr_truncated and r.stderr == b""
        r = c.exec(["sh", "-c", "trap '' PIPE; exec yes"], timeout_ms=5000)
        assert not r.timed_out and r.exit_code not in (None, 0), r.exit_code
        assert r.stdout_truncated and len(r.stdout) == CAP
        r = c.exec(["sh", "-c", "exec yes >&2"], timeout_ms=5000)
        assert not r.timed_out and r.signal == signal.SIGPIPE
        assert r.stderr_truncated and len(r.stderr) == CAP
        assert not r.stdout_truncated and r.stdout == b""
        # Exactly the cap is not truncated.
        r = c.exec(["head", "-c", str(CAP), "/dev/zero"], timeout_ms=5000)
        assert r.exit_code == 0 and len(r.stdout) == CAP and not r.stdout_truncated
        # Output on one stream over the cap leaves the other captured.
        r = c.exec(["sh", "-c", "head -c 5000000 /dev/zero; echo done >&2"], timeout_ms=5000)
        assert r.stdout_truncated and r.stderr == b"done\n"


def test_timeout_sends_sigterm_then_sigkill_after_the_grace():
    with StdioAgent() as c:
        # Honours SIGTERM: dies of it at the deadline.
        r = c.exec(["sleep", "10"], timeout_ms=300)
        assert r.timed_out and r.signal == signal.SIGTERM, r
        assert 250 <= r.duration_ms < 300 + KILL_GRACE_MS - 200, r.duration_ms
        # Handles SIGTERM: cleans up and its own exit status is reported.
        r = c.exec(["sh", "-c", "trap 'echo cleanup; exit 3' TERM; sleep 10 & wait"],
                   timeout_ms=300)
        assert r.timed_out and r.exit_code == 3 and r.stdout == b"cleanup\n", r
        # Ignores SIGTERM: SIGKILL once the grace is over.
        t0 = time.monotonic()
        r = c.exec(["sh", "-c", "trap '' TERM; sleep 10"], timeout_ms=300)
        elapsed = time.monotonic() - t0
        assert r.timed_out and r.signal == signal.SIGKILL, r
        assert 300 + KILL_GRACE_MS - 50 <= r.duration_ms < 300 + KILL_GRACE_MS + 700, r.duration_ms
        assert elapsed < (300 + KILL_GRACE_MS + OUTPUT_GRACE_MS) / 1000 + 1.0, elapsed


def test_descendants_in_other_sessions_are_killed():
    """Nothing a command starts outlives it, even in a new session (setsid) or
    after a double fork: the agent is a child subreaper and kills what is left
    once the command is done, before it replies."""
    if NO_SUBREAPER:
        raise Skip(NO_SUBREAPER)
    a = StdioAgent()
    try:
        c = a.client
        with tempfile.TemporaryDirectory() as d:
            # A daemon outliving the timeout: the reply does not wait for it.
            pidf = os.path.join(d, "pid1")
            daemon = f"setsid sh -c 'echo $$ > {pidf}; exec sleep 30'"
            t0 = time.monotonic()
            r = c.exec(["sh", "-c", f"{daemon} & sleep 10"], timeout_ms=500)
            elapsed = time.monotonic() - t0
            assert r.timed_out and elapsed < 0.5 + (OUTPUT_GRACE_MS + 500) / 1000, elapsed
            assert proc_gone(read_pid(pidf)), "a setsid'd daemon outlived the timeout"
            # Double-forked, stdio closed, after a normal exit.
            pidf = os.path.join(d, "pid2")
            daemon = f"setsid sh -c 'echo $$ > {pidf}; exec sleep 30' </dev/null >/dev/null 2>&1"
            r = c.exec(["sh", "-c", f"({daemon} &); while [ ! -s {pidf} ]; do sleep 0.01; done;"
                        " echo started"])
            assert (r.exit_code, r.stdout) == (0, b"started\n"), r
            assert proc_gone(read_pid(pidf)), "a double-forked daemon outlived its command"
            # Holding stdout after a normal exit: waited for 200 ms at most.
            pidf = os.path.join(d, "pid3")
            t0 = time.monotonic()
            r = c.exec(["sh", "-c", f"setsid sh -c 'echo $$ > {pidf}; exec sleep 30' &"
                        f" while [ ! -s {pidf} ]; do sleep 0.01; done"])
            elapsed = time.monotonic() - t0
            assert r.exit_code == 0 and elapsed < (OUTPUT_GRACE_MS + 600) / 1000, elapsed
            assert proc_gone(read_pid(pidf)), "a daemon holding stdout outlived its command"
            # A background job that finishes within the grace keeps its output.
            r = c.exec(["sh", "-c", "(sleep 0.05; echo late) & echo early"])
            assert r.stdout == b"early\nlate\n", r.stdout
            assert children_of(a.proc.pid) == [], "the agent left children (zombies?)"
    finally:
        a.close()


def main(argv):
    global AGENT, NO_SUBREAPER
    argv = list(argv)
    if len(argv) > 2 and argv[1] == "--no-subreaper":
        NO_SUBREAPER = argv[2]
        del argv[1:3]
    if len(argv) > 1:
        AGENT = argv[1]
    if not AGENT or not os.access(AGENT, os.X_OK):
        print("usage: test_agent_host.py [--no-subreaper REASON] PATH/TO/supermachine-agent",
              file=sys.stderr)
        return 2
    faulthandler.dump_traceback_later(240, exit=True)  # a hang must fail, not stall ctest
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    passed = failed = skipped = 0
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}")
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print(f"ok   {name} ({time.monotonic() - t0:.2f}s)")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
