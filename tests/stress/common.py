"""Shared by the stress suites (crash.py, faults.py, concurrency.py): the
asset table, the CLIs under test, and the one invariant they all check --
every asset path holds either exactly what was there before or exactly the
asset, never a part or a mix, and no temporary of ours is left.

Standard library only; Python >= 3.9.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shlex
import stat
from typing import Dict, List, Optional

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
MANIFEST = json.loads((REPO / "payloads" / "manifest.json").read_text())
# The CLIs' `extract DIR` and `ensure` write the default set: the host's
# architecture when the manifest has it, else the first (as the core picks).
_HOST = {"amd64": "x86_64", "arm64": "aarch64"}.get(os.uname().machine, os.uname().machine)
_ARCHS = [a["arch"] for a in MANIFEST["assets"]]
DEFAULT_ARCH = _HOST if _HOST in _ARCHS else _ARCHS[0]
ASSETS = [a for a in MANIFEST["assets"] if a["arch"] == DEFAULT_ARCH]

# What a destination holds before a run: small, recognisable, and never a
# prefix of an asset.
OLD = b"old contents, never part of an asset\n"


def sha256(path: "os.PathLike[str] | str") -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def clis_from_env() -> Dict[str, List[str]]:
    """The CLIs under test: SMK_STRESS_CLIS, "NAME=COMMAND;NAME=COMMAND"
    (each COMMAND split like a shell would), default the C CLI of
    build/test."""
    spec = os.environ.get("SMK_STRESS_CLIS")
    if not spec:
        return {"c": [str(REPO / "build" / "test" / "core" / "supermachine-kernel")]}
    out = {}
    for item in spec.split(";"):
        if item.strip():
            name, _, cmd = item.partition("=")
            out[name.strip()] = shlex.split(cmd)
    return out


def plant_old(dir: pathlib.Path) -> None:
    """Fill dir with OLD under every asset's file name."""
    dir.mkdir(parents=True, exist_ok=True)
    for a in ASSETS:
        (dir / a["file"]).write_bytes(OLD)


def temporaries(dir: pathlib.Path) -> List[str]:
    return sorted(e for e in os.listdir(dir) if e.startswith(".smk-tmp."))


def check_dir(dir: pathlib.Path, allow_absent: bool = False,
              allow_old: bool = True) -> Dict[str, str]:
    """The state of every asset in dir: 'new' (exactly the asset, with its
    mode), 'old' (exactly OLD), 'absent'.  Raises AssertionError on anything
    else: a partial, mixed or wrong file, a symlink, a wrong mode."""
    states = {}
    for a in ASSETS:
        p = dir / a["file"]
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            if not allow_absent:
                raise AssertionError(f"{p}: missing")
            states[a["name"]] = "absent"
            continue
        if not stat.S_ISREG(st.st_mode):
            raise AssertionError(f"{p}: not a regular file (mode {st.st_mode:o})")
        if st.st_size == len(OLD) and p.read_bytes() == OLD:
            if not allow_old:
                raise AssertionError(f"{p}: still the old file")
            states[a["name"]] = "old"
            continue
        if st.st_size != a["size"]:
            raise AssertionError(f"{p}: {st.st_size} bytes, neither old nor the asset's {a['size']}: PARTIAL")
        if sha256(p) != a["sha256"]:
            raise AssertionError(f"{p}: the asset's size but not its bytes: MIXED")
        if f"{stat.S_IMODE(st.st_mode):04o}" != a["mode"]:
            raise AssertionError(f"{p}: mode {stat.S_IMODE(st.st_mode):04o}, want {a['mode']}")
        states[a["name"]] = "new"
    return states


def repair(cli: List[str], dir: pathlib.Path) -> None:
    """`CLI ensure DIR` after a kill or a fault: it must exit 0, leave every
    asset right and no temporary of ours.  Raises AssertionError."""
    import subprocess
    r = subprocess.run(cli + ["ensure", str(dir)], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"repair: ensure exited {r.returncode}: {r.stderr.strip()}")
    check_dir(dir, allow_old=False)
    if temporaries(dir):
        raise AssertionError(f"repair left {temporaries(dir)}")


def figure(name: str, value: object, note: Optional[str] = None) -> None:
    """One line of a suite's report, easy to grep and to copy into
    RELIABILITY.md."""
    print(f"FIGURE {name}: {value}" + (f"  ({note})" if note else ""), flush=True)
