"""Host-side client for the supermachine-agent protocol (payloads/agent/PROTOCOL.md).

Standard library only. Works over any connected byte stream: a socket
(vsock, Unix, or the Unix socket behind QEMU's virtio-serial chardev) or a
pair of binary file objects (e.g. a subprocess's pipes):

    client = AgentClient.connect_unix("/tmp/agent.sock")
    client.hello()
    result = client.exec(["uname", "-m"])
    print(result.exit_code, result.stdout)
"""

from __future__ import annotations

import os
import socket
import struct
import time
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Mapping, Optional, Sequence, Union

VERSION = 1
MAGIC = b"SMAG"
HEADER = struct.Struct("<4sBBHII")  # magic, version, type, flags, id, length
HEADER_SIZE = HEADER.size + 4  # + CRC-32 of the 16 bytes above

T_HELLO, T_EXEC, T_WRITE_FILE, T_READ_FILE, T_STAT, T_SHUTDOWN = range(1, 7)
T_REPLY = 0x80
T_ERROR = 0xFF

E_MALFORMED, E_OVERSIZED, E_UNKNOWN_TYPE, E_BAD_VERSION = 1, 2, 3, 4
E_BAD_MAGIC, E_BAD_HEADER, E_OS, E_LIMIT, E_INTERNAL = 5, 6, 7, 8, 9
ERROR_NAMES = {
    1: "MALFORMED", 2: "OVERSIZED", 3: "UNKNOWN_TYPE", 4: "BAD_VERSION",
    5: "BAD_MAGIC", 6: "BAD_HEADER", 7: "OS", 8: "LIMIT", 9: "INTERNAL",
}
FILE_TYPES = {0: "unknown", 1: "file", 2: "dir", 3: "symlink", 4: "chardev",
              5: "blockdev", 6: "fifo", 7: "socket"}

EXEC_TIMED_OUT, EXEC_STDOUT_TRUNCATED, EXEC_STDERR_TRUNCATED = 1, 2, 4


class AgentError(Exception):
    """An error reply. code is an E_* value, errno the guest's errno or 0."""

    def __init__(self, code: int, errno: int, message: str, request_id: int = 0):
        super().__init__(f"{ERROR_NAMES.get(code, code)}: {message}")
        self.code = code
        self.errno = errno
        self.message = message
        self.request_id = request_id


class AgentOSError(AgentError):
    """E_OS: an OS call failed in the guest; errno says which way."""


class ProtocolError(Exception):
    """The agent sent something this client cannot parse."""


@dataclass
class Frame:
    version: int
    type: int
    flags: int
    id: int
    payload: bytes


@dataclass
class ExecResult:
    exit_code: Optional[int]  # None when killed by a signal
    signal: Optional[int]
    timed_out: bool
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    duration_ms: int


@dataclass
class Stat:
    type: str
    mode: int
    size: int
    mtime: float
    mtime_ns: int
    uid: int
    gid: int


def encode_frame(type_: int, request_id: int, payload: bytes = b"", *,
                 version: int = VERSION, flags: int = 0,
                 length: Optional[int] = None) -> bytes:
    """A complete frame. length overrides the header's payload length (to
    build deliberately inconsistent frames in tests)."""
    head = HEADER.pack(MAGIC, version, type_, flags, request_id,
                       len(payload) if length is None else length)
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def _u32(v: int) -> bytes:
    return struct.pack("<I", v)


def _bytes(b: bytes) -> bytes:
    return _u32(len(b)) + b


def _str(s: Union[str, bytes, os.PathLike]) -> bytes:
    b = os.fsencode(s)
    if b"\0" in b:
        raise ValueError("strings cannot contain NUL bytes")
    return _bytes(b)


def encode_exec(argv: Sequence, env: Optional[Union[Mapping, Sequence]] = None,
                cwd=None, stdin: bytes = b"", timeout_ms: int = 0) -> bytes:
    if isinstance(env, Mapping):
        env = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
    out = [_u32(timeout_ms), _u32(len(argv))] + [_str(a) for a in argv]
    out.append(b"\x01" if env is not None else b"\x00")
    out.append(_u32(len(env) if env is not None else 0))
    out += [_str(e) for e in (env or [])]
    out += [_str(cwd or b""), _bytes(bytes(stdin))]
    return b"".join(out)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError("reply payload truncated")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def i32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def i64(self) -> int:
        return struct.unpack("<q", self.take(8))[0]

    def bytes(self) -> bytes:
        return self.take(self.u32())

    def end(self):
        if self.pos != len(self.data):
            raise ProtocolError("trailing bytes in reply payload")


def decode_error(payload: bytes, request_id: int = 0) -> AgentError:
    r = _Reader(payload)
    code, err, msg = r.u32(), r.i32(), r.bytes().decode("utf-8", "replace")
    r.end()
    cls = AgentOSError if code == E_OS else AgentError
    return cls(code, err, msg, request_id)


class AgentClient:
    """One connection. Methods send a request and wait for the reply with
    the same id; error replies raise AgentError. Stray replies (other ids,
    or agent-originated framing errors with id 0) are kept in self.strays."""

    def __init__(self, sock: Optional[socket.socket] = None, *,
                 rfile: Optional[BinaryIO] = None, wfile: Optional[BinaryIO] = None):
        if sock is not None:
            self.sock = sock
            self._recv = sock.recv
            self._send = sock.sendall
        elif rfile is not None and wfile is not None:
            self.sock = None
            self._recv = getattr(rfile, "read1", rfile.read)
            self._send = lambda b: (wfile.write(b), wfile.flush())
        else:
            raise ValueError("need a socket or rfile and wfile")
        self._buf = bytearray()
        self._next_id = 1
        self.strays: list = []

    @classmethod
    def connect_unix(cls, path: str, timeout: Optional[float] = 60.0) -> "AgentClient":
        """timeout bounds every socket wait, so it must exceed the longest
        command you run (None: wait forever)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(path)
        return cls(s)

    @classmethod
    def connect_vsock(cls, cid: int, port: int = 1024,
                      timeout: Optional[float] = 60.0) -> "AgentClient":
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect((cid, port))
        return cls(s)

    def close(self):
        if self.sock is not None:
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- raw access, for tests of the framing --------------------------------

    def send_raw(self, data: bytes):
        self._send(data)

    def _fill(self, n: int):
        while len(self._buf) < n:
            chunk = self._recv(max(65536, n - len(self._buf)))
            if not chunk:
                raise EOFError("agent closed the connection")
            self._buf += chunk

    def recv_frame(self) -> Frame:
        """The next frame from the agent, whatever its id or type. Bytes that
        do not start a valid header are skipped (so a stale partial frame
        on a serial line cannot wedge the client)."""
        while True:
            self._fill(HEADER_SIZE)
            i = self._buf.find(MAGIC)
            if i != 0:
                del self._buf[:i if i > 0 else max(0, len(self._buf) - 3)]
                continue
            head = bytes(self._buf[:16])
            (crc,) = struct.unpack_from("<I", self._buf, 16)
            if zlib.crc32(head) != crc:
                del self._buf[:1]
                continue
            _, version, type_, flags, rid, length = HEADER.unpack(head)
            self._fill(HEADER_SIZE + length)
            payload = bytes(self._buf[HEADER_SIZE:HEADER_SIZE + length])
            del self._buf[:HEADER_SIZE + length]
            return Frame(version, type_, flags, rid, payload)

    def new_id(self) -> int:
        rid = self._next_id
        self._next_id = rid % 0xFFFFFFFF + 1  # ids stay non-zero
        return rid

    @staticmethod
    def _session_id(avoid=()) -> int:
        """A random non-zero id for a session-starting HELLO: no frame an
        earlier session left queued can carry it (PROTOCOL.md, "Starting a
        session")."""
        while True:
            rid = int.from_bytes(os.urandom(4), "little")
            if rid and rid not in avoid:
                return rid

    def call(self, type_: int, payload: bytes = b"", request_id: Optional[int] = None) -> Frame:
        """Send one request and return its reply frame; raise on an error.
        Frames with other ids are discarded into self.strays."""
        rid = self.new_id() if request_id is None else request_id
        self._send(encode_frame(type_, rid, payload))
        while True:
            f = self.recv_frame()
            if f.id != rid:
                self.strays.append(f)
                continue
            if f.type == T_ERROR:
                raise decode_error(f.payload, rid)
            if f.type != T_REPLY | type_:
                raise ProtocolError(f"reply type 0x{f.type:02x} to request 0x{type_:02x}")
            return f

    # -- requests -------------------------------------------------------------

    def hello(self) -> dict:
        """Start the session: HELLO with a random id, everything before its
        reply discarded."""
        return self._parse_hello(self.call(T_HELLO, request_id=self._session_id()).payload)

    version = hello

    def wait_ready(self, timeout: float = 30.0, interval: float = 0.5) -> dict:
        """hello() for a virtio-serial socket connected before the guest agent
        is up, where a HELLO can be lost: resent every interval seconds until
        the agent answers. Follows PROTOCOL.md's rule so that no reply to a
        resent HELLO is left in flight: only the reply to the last HELLO sent
        is accepted; a reply to an earlier one stops the resending (the agent
        is reading) and is discarded. Sockets only (a file pair cannot time
        out, so it is a plain hello())."""
        if self.sock is None:
            return self.hello()
        deadline = time.monotonic() + timeout
        saved = self.sock.gettimeout()
        sent: list = []
        answered = False  # some HELLO of ours got a reply: stop resending
        next_send = 0.0
        try:
            while True:
                now = time.monotonic()
                if not answered and now >= next_send:
                    sent.append(self._session_id(sent))
                    self._send(encode_frame(T_HELLO, sent[-1]))
                    next_send = now + interval
                if now >= deadline:
                    raise socket.timeout(f"no reply to HELLO within {timeout}s")
                until = deadline if answered else min(next_send, deadline)
                self.sock.settimeout(max(until - now, 0.001))
                try:
                    f = self.recv_frame()  # a partial frame stays buffered
                except socket.timeout:
                    continue
                if f.id == sent[-1]:
                    if f.type == T_ERROR:
                        raise decode_error(f.payload, f.id)
                    if f.type != T_REPLY | T_HELLO:
                        raise ProtocolError(f"reply type 0x{f.type:02x} to HELLO")
                    return self._parse_hello(f.payload)
                answered = answered or f.id in sent
                self.strays.append(f)
        finally:
            self.sock.settimeout(saved)

    @staticmethod
    def _parse_hello(payload: bytes) -> dict:
        r = _Reader(payload)
        keys = ("version", "max_payload", "max_file", "max_stdin", "max_output",
                "max_argv", "max_env")
        info = {k: r.u32() for k in keys}
        info["agent"] = r.bytes().decode("utf-8", "replace")
        info["transport"] = r.bytes().decode("utf-8", "replace")
        r.end()
        return info

    def exec(self, argv: Sequence, env=None, cwd=None, stdin: bytes = b"",
             timeout_ms: int = 30000) -> ExecResult:
        """Run argv. env: None inherits the agent's environment; a mapping or
        a list of "K=V" replaces it. timeout_ms 0 means no timeout; at the
        deadline the command gets SIGTERM, SIGKILL 1 s later, and the result
        has timed_out set (signal or exit_code then say how it ended)."""
        f = self.call(T_EXEC, encode_exec(argv, env, cwd, stdin, timeout_ms))
        r = _Reader(f.payload)
        signaled, flags, status, duration = r.u8(), r.u8(), r.u32(), r.u32()
        out, err = r.bytes(), r.bytes()
        r.end()
        return ExecResult(
            exit_code=None if signaled else status, signal=status if signaled else None,
            timed_out=bool(flags & EXEC_TIMED_OUT), stdout=out, stderr=err,
            stdout_truncated=bool(flags & EXEC_STDOUT_TRUNCATED),
            stderr_truncated=bool(flags & EXEC_STDERR_TRUNCATED), duration_ms=duration)

    def write_file(self, path, data: bytes, mode: int = 0o644):
        self.call(T_WRITE_FILE, _str(path) + _u32(mode) + _bytes(bytes(data)))

    def read_file(self, path) -> bytes:
        r = _Reader(self.call(T_READ_FILE, _str(path)).payload)
        data = r.bytes()
        r.end()
        return data

    def stat(self, path, follow_symlinks: bool = False) -> Stat:
        f = self.call(T_STAT, _str(path) + bytes([1 if follow_symlinks else 0]))
        r = _Reader(f.payload)
        ftype, mode, size = r.u8(), r.u32(), r.u64()
        sec, nsec, uid, gid = r.i64(), r.u32(), r.u32(), r.u32()
        r.end()
        return Stat(FILE_TYPES.get(ftype, "unknown"), mode, size, sec + nsec / 1e9,
                    sec * 10**9 + nsec, uid, gid)

    def shutdown(self):
        """Ask the guest to power off (a host-mode agent exits instead)."""
        self.call(T_SHUTDOWN)
