"""Shared fixtures of the Python package's tests.

The tests exercise the *installed* package (bindings/python/run-tests.sh
pip-installs the repository into a fresh venv); they refuse to run against
the source tree.  Expected sizes and digests come from payloads/manifest.json
(format 2: one set per architecture) and the shared cases from
tests/conformance/cases.json, as in the C tests.

run-tests.sh passes on what the package was built with: SMK_PAYLOAD_DIR
(another payload directory: its manifest.json is the one expected) and
SMK_ARCHS (the architectures embedded, a ';' or ',' separated list;
default: every architecture of the manifest).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import pickle
import platform
import re
import subprocess
import sys
import tempfile
import traceback
from typing import Any, Callable, Dict

import pytest

import supermachine_kernel

REPO = pathlib.Path(__file__).resolve().parents[2]
#: The payload directory the installed package was built from.
PAYLOAD_DIR = pathlib.Path(os.environ.get("SMK_PAYLOAD_DIR") or REPO / "payloads")
SOURCE_PACKAGE = REPO / "bindings" / "python" / "supermachine_kernel"
ASSETS = ("kernel", "init_oci", "supermachine_agent")
NOBODY = 65534
#: Per asset: its extract function and its with-parents variant.
EXTRACT = {
    "kernel": (
        supermachine_kernel.extract_kernel_to,
        supermachine_kernel.extract_kernel_to_with_parents,
    ),
    "init_oci": (
        supermachine_kernel.extract_init_oci_to,
        supermachine_kernel.extract_init_oci_to_with_parents,
    ),
    "supermachine_agent": (
        supermachine_kernel.extract_supermachine_agent_to,
        supermachine_kernel.extract_supermachine_agent_to_with_parents,
    ),
}


def pytest_configure(config: pytest.Config) -> None:
    installed = pathlib.Path(supermachine_kernel.__file__).resolve().parent
    if installed == SOURCE_PACKAGE.resolve():
        raise pytest.UsageError(
            f"supermachine_kernel was imported from the source tree ({installed}); "
            "run the tests against an installed package (bindings/python/run-tests.sh)"
        )


def load_manifest_assets(payload_dir: "os.PathLike[str] | str" = PAYLOAD_DIR) -> list:
    """Every entry of the manifest, in its order (format 2: unique by
    (arch, name))."""
    path = pathlib.Path(payload_dir) / "manifest.json"
    with open(path, encoding="utf-8") as f:
        manifest: Dict[str, Any] = json.load(f)
    if manifest.get("format") != 2:
        raise pytest.UsageError(f"{path}: format {manifest.get('format')!r}, these tests read format 2")
    entries: list = manifest["assets"]
    return entries


def manifest_archs(payload_dir: "os.PathLike[str] | str" = PAYLOAD_DIR) -> list:
    """The architectures of the manifest, in its order."""
    archs: list = []
    for a in load_manifest_assets(payload_dir):
        if a["arch"] not in archs:
            archs.append(a["arch"])
    return archs


def embedded_archs() -> list:
    """The architectures the build embeds, in the manifest's order."""
    chosen = [a for a in re.split(r"[;,\s]+", os.environ.get("SMK_ARCHS", "")) if a]
    return [a for a in manifest_archs() if not chosen or a in chosen]


def expected_default_arch() -> str:
    """The host's architecture (cases.json's 'host' table) if the build
    embeds its set, else the first embedded."""
    host = load_cases()["architectures"]["host"].get(platform.machine())
    archs = embedded_archs()
    return host if host in archs else archs[0]


def load_manifest(arch: "str | None" = None, payload_dir: "os.PathLike[str] | str" = PAYLOAD_DIR) -> Dict[str, Any]:
    """The manifest entries of *arch*'s set (default: the default
    architecture's), by asset name."""
    if arch is None:
        arch = expected_default_arch()
    return {a["name"]: a for a in load_manifest_assets(payload_dir) if a["arch"] == arch}


def load_cases() -> Dict[str, Any]:
    with open(REPO / "tests" / "conformance" / "cases.json", encoding="utf-8") as f:
        cases: Dict[str, Any] = json.load(f)
    return cases


def unpercent(text: str) -> bytes:
    """A path of a cases.json case with "bytes": %HH is the byte 0xHH, %%
    is %, any other character its UTF-8 bytes."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] != "%":
            out += text[i].encode()
            i += 1
        elif text[i + 1 : i + 2] == "%":
            out += b"%"
            i += 2
        else:
            hh = text[i + 1 : i + 3]
            if len(hh) != 2 or not all(c in "0123456789abcdefABCDEF" for c in hh) or hh == "00":
                raise ValueError(f"cases.json: bad %-escape in {text!r}")
            out.append(int(hh, 16))
            i += 3
    return bytes(out)


@pytest.fixture(scope="session")
def manifest() -> Dict[str, Any]:
    """The default architecture's manifest entries, by asset name: the set
    of the names without an architecture."""
    return load_manifest()


def sha256_file(path: "os.PathLike[str] | str") -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def assert_is_asset(path: "os.PathLike[str] | str", asset: str, manifest: Dict[str, Any]) -> None:
    """path is a regular file (not a symlink) with the asset's bytes and mode."""
    entry = manifest[asset]
    st = os.lstat(path)
    import stat

    assert stat.S_ISREG(st.st_mode), f"{path} is not a regular file"
    assert stat.S_IMODE(st.st_mode) == int(entry["mode"], 8)
    assert st.st_size == entry["size"]
    assert sha256_file(path) == entry["sha256"]


def leftover_temporaries(root: "os.PathLike[str] | str") -> list:
    return [
        os.path.join(d, f)
        for d, _, files in os.walk(root)
        for f in files
        if f.startswith(".smk-tmp")
    ]


def run_cli(*args: str, env: Dict[str, str] | None = None, cwd: Any = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "supermachine_kernel", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def unprivileged_dir() -> str:
    """A fresh directory that user nobody can enter and write (tmp_path's
    parents are private to root)."""
    d = tempfile.mkdtemp(prefix="smk-py-")
    os.chmod(d, 0o777)
    return d


def run_as_nobody(fn: Callable[[], Any], uid: int = NOBODY) -> Any:
    """Run fn in a forked child with root's privileges dropped (to uid);
    return its result, or re-raise its exception (both pickled through a
    pipe).  Runs fn directly when not root and uid is NOBODY."""
    if os.geteuid() != 0:
        if uid != NOBODY:
            pytest.skip("needs root to switch users")
        return fn()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        status = 0
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(uid)
            try:
                payload = pickle.dumps((True, fn()))
            except BaseException as e:  # noqa: BLE001 - carried to the parent
                payload = pickle.dumps((False, e))
            with os.fdopen(w, "wb") as f:
                f.write(payload)
        except BaseException:
            traceback.print_exc()
            status = 1
        os._exit(status)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and data, "the unprivileged child failed"
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value
