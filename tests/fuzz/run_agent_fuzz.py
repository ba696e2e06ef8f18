"""Generate the seed corpus for agent_frame_fuzz and run it for a bounded time.

    python3 run_agent_fuzz.py --fuzzer BIN --workdir DIR [--seconds N]

Seeds are built here by the Python client's encoders, so the repository
holds no binary fixtures. Input layout: see agent_frame_fuzz.c.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "agent"))
import agent_client as ac  # noqa: E402


def u32(v):
    return struct.pack("<I", v)


def blob(b):
    return u32(len(b)) + b


def seeds():
    exec_payload = ac.encode_exec(["/bin/sh", "-c", "echo hi"], env={"PATH": "/bin"},
                                  cwd="/tmp", stdin=b"input", timeout_ms=1000)
    exec_inherit = ac.encode_exec(["true"])
    write_payload = blob(b"/tmp/f") + u32(0o644) + blob(b"content")
    read_payload = blob(b"/etc/hostname")
    stat_payload = blob(b"/") + b"\x01"
    hello_reply = (b"".join(u32(v) for v in (1, 16 << 20, 8 << 20, 8 << 20, 4 << 20, 1024, 1024))
                   + blob(b"supermachine-agent 1.0") + blob(b"vsock"))
    exec_reply = b"\x01\x03" + u32(9) + u32(10) + blob(b"out") + blob(b"err")
    stat_reply = b"\x02" + u32(0o755) + struct.pack("<QqIII", 4096, 5, 6, 0, 0)
    error_reply = u32(7) + u32(2) + blob(b"exec x: No such file or directory")
    f = ac.encode_frame
    frames = [
        f(ac.T_HELLO, 1), f(ac.T_EXEC, 2, exec_payload), f(ac.T_EXEC, 3, exec_inherit),
        f(ac.T_WRITE_FILE, 4, write_payload), f(ac.T_READ_FILE, 5, read_payload),
        f(ac.T_STAT, 6, stat_payload), f(ac.T_SHUTDOWN, 7),
        f(ac.T_REPLY | ac.T_HELLO, 8, hello_reply), f(ac.T_REPLY | ac.T_EXEC, 9, exec_reply),
        f(ac.T_REPLY | ac.T_READ_FILE, 10, blob(b"data")),
        f(ac.T_REPLY | ac.T_STAT, 11, stat_reply), f(ac.T_ERROR, 12, error_reply),
    ]
    out = {}
    for i, fr in enumerate(frames):
        out[f"frame-{i}"] = bytes([i % 64]) + fr
    out["pipelined"] = b"\x00" + b"".join(frames)
    out["bytewise"] = b"\x00" + frames[1] + frames[3]
    out["garbage"] = b"\x05" + b"junkSMAjunkSMAG" + frames[0] + b"\xff" * 30 + frames[4]
    bad_crc = bytearray(frames[0])
    bad_crc[9] ^= 1
    out["bad-crc"] = b"\x07" + bytes(bad_crc) + frames[0]
    out["bad-version"] = b"\x02" + f(ac.T_HELLO, 13, b"abc", version=2) + frames[0]
    out["flags"] = b"\x02" + f(ac.T_HELLO, 14, b"", flags=1) + frames[0]
    out["oversized"] = b"\x41" + f(ac.T_WRITE_FILE, 15, write_payload * 8) + frames[0]
    out["truncated-field"] = b"\x00" + f(ac.T_EXEC, 16, exec_payload[:-3])
    payloads = [(ac.T_EXEC, exec_payload), (ac.T_WRITE_FILE, write_payload),
                (ac.T_READ_FILE, read_payload), (ac.T_STAT, stat_payload),
                (ac.T_REPLY | ac.T_HELLO, hello_reply), (ac.T_REPLY | ac.T_EXEC, exec_reply),
                (ac.T_REPLY | ac.T_STAT, stat_reply), (ac.T_ERROR, error_reply)]
    for t, p in payloads:
        out[f"raw-{t:02x}"] = b"\x80" + bytes([t]) + p
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fuzzer", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    corpus = os.path.join(args.workdir, "corpus")
    seed_dir = os.path.join(args.workdir, "seeds")
    shutil.rmtree(seed_dir, ignore_errors=True)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(seed_dir)
    for name, data in seeds().items():
        with open(os.path.join(seed_dir, name), "wb") as fh:
            fh.write(data)
    cmd = [args.fuzzer, f"-max_total_time={args.seconds}", "-timeout=10",
           "-rss_limit_mb=2048", "-print_final_stats=1",
           f"-artifact_prefix={args.workdir}/", corpus, seed_dir]
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
