"""The smoke suite of an installed supermachine_kernel, for an interpreter
that has nothing else: no pytest, no subprocess of its own kind (under
qemu-user an aarch64 Python cannot start another aarch64 program without
binfmt), only the standard library.

    python python_smoke.py MANIFEST_JSON EXPECTED_DEFAULT_ARCH SITE

(SITE: the directory the package must be imported from.)

Checks: the import (the extension loads, version, the embedded sets);
every asset's size and digest against the manifest; extract_all_to then
verify; ensure_assets (a fresh directory, then again: idempotent, and it
repairs a damaged file); errors: a missing parent directory raises
FileNotFoundError naming the path, verify refuses a truncated kernel
with a PayloadError, an unknown architecture is refused by name, and the
CLI (in-process) says what failed in one line with exit status 1.
Prints one line per check and 'N passed, N failed'; exits 1 on a failure.
"""

import contextlib
import errno
import hashlib
import io
import json
import os
import sys
import tempfile
import traceback

manifest_path, expected_default, site = sys.argv[1:4]
with open(manifest_path, encoding="utf-8") as f:
    MANIFEST = json.load(f)["assets"]
ARCHS = []
for entry in MANIFEST:
    if entry["arch"] not in ARCHS:
        ARCHS.append(entry["arch"])
ENTRIES = {(a["arch"], a["name"]): a for a in MANIFEST}

results = []


def check(fn):
    try:
        fn()
        results.append((fn.__name__, None))
        print(f"ok      {fn.__name__}")
    except Exception:  # noqa: BLE001 - reported, counted
        results.append((fn.__name__, traceback.format_exc()))
        print(f"FAILED  {fn.__name__}\n{traceback.format_exc()}")
    return fn


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


smk = None


@check
def import_the_package():
    global smk
    import supermachine_kernel

    smk = supermachine_kernel
    assert os.path.realpath(smk.__file__).startswith(os.path.realpath(site) + os.sep), smk.__file__
    assert sorted(smk.ARCHS) == sorted(ARCHS), (smk.ARCHS, ARCHS)
    assert smk.DEFAULT_ARCH == expected_default, smk.DEFAULT_ARCH
    assert smk.__version__.count(".") == 2, smk.__version__
    assert smk._native.__file__.endswith(".abi3.so"), smk._native.__file__
    print(f"        {smk.__file__} {smk.__version__}, sets {', '.join(smk.ARCHS)}")


if smk is None:  # the rest would only repeat that
    print(f"0 passed, {len(results)} failed")
    sys.exit(1)


@check
def every_asset_matches_the_manifest():
    for arch in ARCHS:
        for info in smk.assets(arch=arch):
            entry = ENTRIES[(arch, info.name)]
            assert (info.size, info.sha256, info.mode) == (entry["size"], entry["sha256"], int(entry["mode"], 8)), info
    assert smk.KERNEL_LEN == ENTRIES[(expected_default, "kernel")]["size"]


@check
def extract_then_verify():
    for arch in ARCHS:
        d = tempfile.mkdtemp()
        smk.extract_all_to(d, arch=arch)
        for entry in (e for e in MANIFEST if e["arch"] == arch):
            path = os.path.join(d, entry["file"])
            assert os.stat(path).st_size == entry["size"], path
            assert oct(os.stat(path).st_mode & 0o777) == oct(int(entry["mode"], 8)), path
            assert sha256(path) == entry["sha256"], path
        smk.verify(d, arch=arch)


@check
def kernel_bytes_are_the_kernel():
    assert hashlib.sha256(smk.KERNEL_BYTES).hexdigest() == ENTRIES[(expected_default, "kernel")]["sha256"]


@check
def ensure_is_idempotent_and_repairs():
    d = os.path.join(tempfile.mkdtemp(), "cache")
    assert str(smk.ensure_assets(d)) == d
    kernel = os.path.join(d, "kernel")
    before = os.stat(kernel).st_mtime_ns
    smk.ensure_assets(d)
    assert os.stat(kernel).st_mtime_ns == before, "ensure rewrote a good file"
    with open(kernel, "r+b") as f:
        f.write(b"X")
    smk.ensure_assets(d)
    assert sha256(kernel) == ENTRIES[(expected_default, "kernel")]["sha256"]
    smk.verify(d)


@check
def a_missing_directory_is_a_clear_error():
    path = os.path.join(tempfile.mkdtemp(), "missing", "kernel")
    try:
        smk.extract_kernel_to(path)
    except FileNotFoundError as e:
        assert e.errno == errno.ENOENT and e.filename == path, (e.errno, e.filename)
        assert path in str(e), str(e)
    else:
        raise AssertionError("no error")
    assert not os.path.exists(os.path.dirname(path))


@check
def verify_refuses_a_truncated_kernel():
    d = tempfile.mkdtemp()
    smk.extract_all_to(d)
    with open(os.path.join(d, "kernel"), "r+b") as f:
        f.truncate(1000)
    try:
        smk.verify(d)
    except smk.PayloadError as e:
        assert e.filename == os.path.join(d, "kernel"), e.filename
        assert e.name.startswith("SMK_ERR_"), e.name
    else:
        raise AssertionError("verify accepted a truncated kernel")


@check
def an_unknown_architecture_is_refused_by_name():
    try:
        smk.assets(arch="riscv64")
    except ValueError as e:
        assert "'riscv64'" in str(e), str(e)
    else:
        raise AssertionError("riscv64 accepted")


@check
def the_cli_fails_in_one_line():
    from supermachine_kernel import _cli

    missing = os.path.join(tempfile.mkdtemp(), "missing")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = _cli.main(["verify", missing])
    lines = err.getvalue().splitlines()
    assert status == 1 and out.getvalue() == "", (status, out.getvalue())
    assert lines and all(line.startswith("supermachine-kernel: ") and missing in line for line in lines), lines
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert _cli.main(["--version"]) == 0
    assert out.getvalue() == f"supermachine-kernel {smk.__version__}\n", out.getvalue()


failed = [name for name, error in results if error]
print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
