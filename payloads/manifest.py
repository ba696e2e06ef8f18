#!/usr/bin/env python3
"""Write or check payloads/manifest.json.

  manifest.py write RAWDIR     compress nothing; record RAWDIR's three raw
                               artifacts and the committed .xz files
  manifest.py check RAWDIR [NAME...]
                               fail unless each named raw artifact (default:
                               all) matches the manifest bit for bit
  manifest.py verify           committed .xz files match the manifest, and
                               each decodes to the recorded raw sha256

The raw artifacts in RAWDIR carry their file names (kernel, init-oci,
supermachine-agent). Hashing uses hashlib; decoding uses the lzma module
(both backed by maintained libraries).
"""
import hashlib
import json
import lzma
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.json")

# name (API identifier), file name, mode, recipe
ASSETS = [
    ("kernel", "kernel", "0644", "payloads/kernel/build.sh"),
    ("init_oci", "init-oci", "0755", "payloads/init-oci/build.sh"),
    ("supermachine_agent", "supermachine-agent", "0755", "payloads/agent/build.sh"),
]


def pins():
    out = subprocess.run(["bash", "-c", f"set -a; . '{HERE}/pins.sh'; env"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def deb_version(package):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "not installed"


def toolchain(name):
    gcc = "gcc-12-aarch64-linux-gnu " + deb_version("gcc-12-aarch64-linux-gnu")
    binutils = "binutils-aarch64-linux-gnu " + deb_version("binutils-aarch64-linux-gnu")
    xz = "xz-utils " + deb_version("xz-utils")
    if name == "kernel":
        return ", ".join([gcc, binutils, xz])
    return ", ".join([gcc, binutils, "musl-dev:arm64 " + deb_version("musl-dev:arm64"), xz])


def project_version():
    """The version written once, in the C header."""
    header = os.path.join(HERE, "..", "core", "include", "supermachine_kernel.h")
    with open(header) as f:
        text = f.read()
    parts = [re.search(rf"#define SMK_VERSION_{p}\s+(\d+)", text) for p in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        sys.exit(f"manifest: {header}: SMK_VERSION_MAJOR/MINOR/PATCH not found")
    return ".".join(m.group(1) for m in parts)


def kernel_release(path):
    with open(path, "rb") as f:
        m = re.search(rb"Linux version (\S+)", f.read())
    if not m:
        sys.exit(f"manifest: {path}: no 'Linux version' banner, not a kernel Image?")
    return m.group(1).decode()


def write(rawdir):
    p = pins()
    assets = []
    for name, file, mode, recipe in ASSETS:
        raw = os.path.join(rawdir, file)
        xz = os.path.join(HERE, file + ".xz")
        entry = {
            "name": name, "file": file, "xz": file + ".xz", "mode": mode,
            "arch": "aarch64",
            "size": os.path.getsize(raw), "sha256": sha256_file(raw),
            "xz_size": os.path.getsize(xz), "xz_sha256": sha256_file(xz),
        }
        if name == "kernel":
            entry["source"] = {"package": p["LINUX_SOURCE_PACKAGE"],
                               "version": p["LINUX_SOURCE_VERSION"]}
            entry["release"] = kernel_release(raw)
        else:
            entry["source"] = {"package": "supermachine-kernel",
                               "version": project_version(),
                               "path": os.path.dirname(recipe),
                               "libc": "musl-dev:arm64 " + deb_version("musl-dev:arm64")}
        entry["toolchain"] = toolchain(name)
        entry["recipe"] = recipe
        entry["build_timestamp"] = p["BUILD_TIMESTAMP"]
        assets.append(entry)
    doc = {"format": 1, "compression": p["XZ_FLAGS"], "assets": assets}
    tmp = MANIFEST + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, MANIFEST)


def load():
    with open(MANIFEST) as f:
        return {a["name"]: a for a in json.load(f)["assets"]}


def check(rawdir, names):
    manifest = load()
    bad = 0
    for name, file, _, _ in ASSETS:
        if names and name not in names and file not in names:
            continue
        got = sha256_file(os.path.join(rawdir, file))
        want = manifest[name]["sha256"]
        if got != want:
            bad += 1
            print(f"{file}: rebuilt sha256 {got} differs from manifest {want}"
                  f" (manifest toolchain: {manifest[name]['toolchain']};"
                  f" here: {toolchain(name)})", file=sys.stderr)
        else:
            print(f"{file}: rebuilt bit for bit ({got})")
    return 1 if bad else 0


def verify():
    bad = 0
    for name, a in load().items():
        xz = os.path.join(HERE, a["xz"])
        if sha256_file(xz) != a["xz_sha256"] or os.path.getsize(xz) != a["xz_size"]:
            print(f"{a['xz']}: size or sha256 differs from manifest", file=sys.stderr)
            bad += 1
            continue
        h, n = hashlib.sha256(), 0
        with lzma.open(xz) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                n += len(chunk)
        if h.hexdigest() != a["sha256"] or n != a["size"]:
            print(f"{a['xz']}: decodes to {n} bytes sha256 {h.hexdigest()},"
                  f" manifest says {a['size']} bytes {a['sha256']}", file=sys.stderr)
            bad += 1
        else:
            print(f"{a['xz']}: matches manifest ({a['size']} bytes raw)")
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "write":
        write(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] == "check":
        return check(argv[1], argv[2:])
    if argv == ["verify"]:
        return verify()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
