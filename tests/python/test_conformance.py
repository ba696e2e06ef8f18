"""The shared cases of tests/conformance/cases.json, which the C, Go and
Node suites run too: each extract case for each asset, each verify case for
each asset.  Errors named by errno map to the OSError subclass of that
errno; SMK_ERR_* names to PayloadError with that code.  A case with
"bytes" (paths that are not UTF-8) runs twice: its paths as bytes, and as
the str os.fsdecode() makes of them (undecodable bytes as lone surrogates,
PEP 383); the exception's filename is the path as passed, either way."""

from __future__ import annotations

import errno
import os
import pathlib
import shutil
import sys

import pytest

import supermachine_kernel as smk
from conftest import REPO

sys.path.insert(0, str(REPO / "tests" / "conformance"))
import cli_cases  # noqa: E402  (the verify changes, written once)
from conftest import (
    EXTRACT,
    assert_is_asset,
    leftover_temporaries,
    load_cases,
    run_as_nobody,
    unprivileged_dir,
    unpercent,
)

CASES = load_cases()
ASSET_ENTRIES = CASES["assets"]
# The OSError subclass Python picks for an errno (OSError itself for the
# others).
SUBCLASS = {
    errno.ENOENT: FileNotFoundError,
    errno.EISDIR: IsADirectoryError,
    errno.ENOTDIR: NotADirectoryError,
    errno.EACCES: PermissionError,
    errno.EPERM: PermissionError,
    errno.EEXIST: FileExistsError,
}


def test_the_cases_cover_every_asset():
    assert sorted(a["asset"] for a in ASSET_ENTRIES) == sorted(EXTRACT)
    for a in ASSET_ENTRIES:
        info = next(i for i in smk.assets() if i.name == a["asset"])
        assert (info.file_name, info.mode) == (a["file"], int(a["mode"], 8))


def test_error_codes_are_the_cores():
    from supermachine_kernel import _native

    for name, code in CASES["error_codes"].items():
        assert getattr(_native, name[len("SMK_"):]) == code
        assert _native.error_name(code) == name


def check_error(exc: BaseException, expected: str, filename: object) -> None:
    if expected.startswith("SMK_ERR_"):
        assert isinstance(exc, smk.PayloadError), repr(exc)
        assert exc.name == expected
        assert exc.code == CASES["error_codes"][expected]
    else:
        code = getattr(errno, expected)
        assert isinstance(exc, OSError), repr(exc)
        assert type(exc) is SUBCLASS.get(code, OSError)
        assert exc.errno == code
        assert exc.strerror == os.strerror(code)
    assert exc.filename == filename


def case_path(case: dict, text: str) -> str:
    """A path of the case as a str: a "bytes" case's decoded, then
    os.fsdecode()d (pathlib and os take that str for those bytes)."""
    return os.fsdecode(unpercent(text)) if case.get("bytes") else text


# The types a case's paths are passed in: a "bytes" case's both ways.
def variants(case: dict) -> tuple:
    return ("bytes", "str") if case.get("bytes") else ("str",)


def as_variant(path: str, variant: str) -> "str | bytes":
    return os.fsencode(path) if variant == "bytes" else path


def params(kind: str) -> list:
    return [
        pytest.param(c, v, id=c["id"] if len(variants(c)) == 1 else f"{c['id']}-as-{v}")
        for c in CASES[kind]
        for v in variants(c)
    ]


def apply_setup(root: pathlib.Path, case: dict) -> None:
    for step in case.get("setup", []):
        if "mkdir" in step:
            p = root / case_path(case, step["mkdir"])
            p.mkdir(parents=True)
            os.chmod(p, int(step.get("mode", "0755"), 8))
        elif "file" in step:
            (root / case_path(case, step["file"])).write_text(step["content"])
        elif "symlink" in step:
            (root / case_path(case, step["symlink"])).symlink_to(case_path(case, step["to"]))
        else:
            raise AssertionError(f"unknown setup step {step}")


def check_after(root: pathlib.Path, case: dict, asset: str, manifest: dict) -> None:
    for key, state in case.get("after", {}).items():
        rel = case_path(case, key)
        p = root / rel
        if state == "absent":
            assert not os.path.lexists(p), rel
        elif state == "directory":
            assert p.is_dir() and not p.is_symlink(), rel
        elif state == "asset":
            assert_is_asset(p, asset, manifest)
        elif state.startswith("content:"):
            assert not p.is_symlink() and p.read_text() == state[len("content:"):], rel
        else:
            raise AssertionError(f"unknown state {state}")


@pytest.mark.parametrize("asset", [a["asset"] for a in ASSET_ENTRIES])
@pytest.mark.parametrize("case,variant", params("extract"))
def test_extract_case(case, variant, asset, tmp_path, monkeypatch, manifest):
    fn = EXTRACT[asset][1 if case.get("with_parents") else 0]
    root = pathlib.Path(unprivileged_dir()) if case.get("unprivileged") else tmp_path
    try:
        apply_setup(root, case)
        # Paths are relative to the case's directory.
        monkeypatch.chdir(root)
        dest = as_variant(case_path(case, case["dest"]), variant)
        if "error" in case:
            with pytest.raises((OSError, smk.PayloadError)) as info:
                if case.get("unprivileged"):
                    run_as_nobody(lambda: fn(dest))
                else:
                    fn(dest)
            check_error(info.value, case["error"], dest)
        else:
            fn(dest)
        check_after(root, case, asset, manifest)
        assert leftover_temporaries(root) == []
    finally:
        if root != tmp_path:
            for d, dirs, _ in os.walk(root):
                for name in dirs:
                    os.chmod(os.path.join(d, name), 0o755)
            shutil.rmtree(root)


@pytest.mark.parametrize("asset", [a["asset"] for a in ASSET_ENTRIES])
@pytest.mark.parametrize("case,variant", params("verify"))
def test_verify_case(case, variant, asset, tmp_path):
    entry = next(a for a in ASSET_ENTRIES if a["asset"] == asset)
    dir = tmp_path / case_path(case, case.get("dir", ""))
    file = dir / entry["file"]
    # A str variant passes the os.PathLike; its filename is os.fspath's.
    path = os.fsencode(file) if variant == "bytes" else file
    EXTRACT[asset][1](path)
    cli_cases.damage(file, case["change"])
    if "error" in case:
        with pytest.raises((OSError, smk.PayloadError)) as info:
            smk.verify_file(asset, path)
        check_error(info.value, case["error"], os.fspath(path))
    else:
        assert smk.verify_file(asset, path) is None
    # verify() of the whole directory names the same file, in the type of
    # the directory given.
    for other in ASSET_ENTRIES:
        if other is not entry:
            EXTRACT[other["asset"]][0](dir / other["file"])
    whole = os.fsencode(dir) if variant == "bytes" else dir
    if "error" in case:
        with pytest.raises((OSError, smk.PayloadError)) as info:
            smk.verify(whole)
        check_error(info.value, case["error"], os.fspath(path))
    else:
        assert smk.verify(whole) is None
