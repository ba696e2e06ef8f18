#!/usr/bin/env python3
"""Builds the core from damaged payloads and checks every one is refused.

  1. kernel.xz with one flipped byte, the manifest unchanged: the build
     (configure) refuses it, naming the file and xz_sha256.
  2. The manifest updated to accept damage in each region of the .xz
     format -- stream header, block header, compressed data, a block's
     check, index, stream footer -- and a truncated file, spread over three
     builds (three assets each build): every damaged asset fails with
     SMK_ERR_CORRUPT at run time and leaves no file, the intact ones still
     work (corrupt_check.c).

    run.py --source REPO --payloads DIR --work DIR --generator G --cc CC
           --default-arch ARCH [--cmake-arg=ARG ...] [--emulator=WORD ...]

The correct files verify compares with are the set of --default-arch, the
architecture the library built defaults to (tests/core/CMakeLists.txt
passes the one it computed for the build's target).
In a cross build --cmake-arg passes the toolchain file to the nested
configures and --emulator (its words, in order) runs corrupt_check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys

STREAM_HEADER = FOOTER = 12


def regions(data: bytes) -> dict:
    """An offset inside each region of a single-stream .xz file."""
    n = len(data)
    backward = (struct.unpack_from("<I", data, n - FOOTER + 4)[0] + 1) * 4
    index = n - FOOTER - backward
    first_block_header = STREAM_HEADER
    first_data = first_block_header + (data[first_block_header] + 1) * 4
    return {
        "stream-header": 6,                   # stream flags, under the header's CRC32
        "block-header": first_block_header + 2,  # block flags / sizes
        "data": first_data + 100,              # LZMA2 data of the first block
        "check": index - 1,                    # the last block's CRC64
        "index": index + 1,                    # number of records
        "footer": n - FOOTER + 5,              # backward size
    }


def flip(path: pathlib.Path, where: str) -> str:
    data = bytearray(path.read_bytes())
    if where == "truncated":
        path.write_bytes(bytes(data[:-100]))
        return "last 100 bytes cut"
    off = regions(bytes(data))[where]
    data[off] ^= 0x55
    path.write_bytes(bytes(data))
    return f"byte {off} flipped"


# Three builds, each damaging every asset in a different way (or none).
BUILDS = [
    {"kernel": "stream-header", "init_oci": "block-header", "supermachine_agent": "index"},
    {"kernel": "data", "init_oci": "footer", "supermachine_agent": "truncated"},
    {"kernel": "check"},
]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main() -> int:
    ap = argparse.ArgumentParser()
    for opt in ("source", "payloads", "work", "generator", "cc"):
        ap.add_argument(f"--{opt}", required=True)
    ap.add_argument("--default-arch", required=True,
                    help="the architecture whose set the library built defaults to")
    ap.add_argument("--cmake-arg", action="append", default=[], help="passed to each nested configure")
    ap.add_argument("--emulator", action="append", default=[], help="a word of the command running corrupt_check")
    args = ap.parse_args()
    src, payloads, work = (pathlib.Path(p) for p in (args.source, args.payloads, args.work))
    manifest = json.loads((payloads / "manifest.json").read_text())
    archs = [a.get("arch") for a in manifest["assets"]]
    if args.default_arch not in archs:
        ap.error(f"--default-arch {args.default_arch!r}: the manifest's sets are {sorted(set(archs))}")
    shutil.rmtree(work, ignore_errors=True)
    (work / "good").mkdir(parents=True)

    def configure(pdir: pathlib.Path, build: pathlib.Path):
        return run(["cmake", "-S", str(src / "tests" / "core" / "corrupt"), "-B", str(build),
                    "-G", args.generator, f"-DSMK_SOURCE={src}", f"-DSMK_PAYLOAD_DIR={pdir}",
                    *args.cmake_arg, f"-DCMAKE_C_COMPILER={args.cc}"])

    def copy_payloads(pdir: pathlib.Path):
        pdir.mkdir(parents=True)
        for a in manifest["assets"]:
            (pdir / a["xz"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(payloads / a["xz"], pdir / a["xz"])

    # The correct files of the default set, for verify.
    for a in manifest["assets"]:
        if a.get("arch") != args.default_arch:
            continue
        good = work / "good" / a["file"]
        with open(good, "wb") as f:
            subprocess.run(["xz", "-dc", str(payloads / a["xz"])], stdout=f, check=True)
        os.chmod(good, int(a["mode"], 8))

    failures = 0
    # 1. A payload that does not match the manifest: the build refuses it.
    pdir = work / "mismatch"
    copy_payloads(pdir)
    (pdir / "manifest.json").write_text(json.dumps(manifest))
    kernel = next(a for a in manifest["assets"] if a["name"] == "kernel")
    flip(pdir / kernel["xz"], "data")
    r = configure(pdir, work / "build-mismatch")
    if r.returncode == 0 or "differs from xz_sha256" not in " ".join(r.stderr.split()):
        print(f"configure accepted a payload that does not match the manifest:\n{r.stderr}")
        failures += 1
    else:
        print("a payload that does not match the manifest: refused by the build")

    # 2. Damage the manifest accepts: refused at run time.
    for i, damage in enumerate(BUILDS):
        pdir = work / f"payloads-{i}"
        copy_payloads(pdir)
        m = json.loads(json.dumps(manifest))
        for a in m["assets"]:
            if a["name"] in damage:
                how = flip(pdir / a["xz"], damage[a["name"]])
                print(f"build {i}: {a['name']}: {damage[a['name']]} ({how})")
                data = (pdir / a["xz"]).read_bytes()
                a["xz_size"] = len(data)
                a["xz_sha256"] = hashlib.sha256(data).hexdigest()
        (pdir / "manifest.json").write_text(json.dumps(m))
        build = work / f"build-{i}"
        r = configure(pdir, build)
        if r.returncode == 0:
            r = run(["cmake", "--build", str(build)])
        if r.returncode != 0:
            print(f"build {i} failed:\n{r.stdout}\n{r.stderr}")
            failures += 1
            continue
        out = work / f"out-{i}"
        out.mkdir()
        r = run([*args.emulator, str(build / "corrupt_check"), str(out), str(work / "good"), *damage], timeout=300)
        print(r.stdout + r.stderr, end="")
        failures += r.returncode != 0
    if failures:
        print(f"{failures} damaged payload builds not rejected as expected")
        return 1
    print("every damaged region refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
