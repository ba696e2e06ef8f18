"""python -m supermachine_kernel beyond the shared contract
(tests/conformance/cli.json, run by test_cli_conformance.py): what only the
Python package can check — info agreeing with the package's own API, the
per-asset functions the CLI reports from, a missing home directory."""

from __future__ import annotations

import errno
import json
import os

import pytest

import supermachine_kernel as smk
from supermachine_kernel import _native
from conftest import run_as_nobody, run_cli

EACH = (_native.extract_all_to_each, _native.verify_each, _native.ensure_assets_each)


def one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("supermachine-kernel: "), stderr
    for f in fragments:
        assert f in lines[0], stderr


def test_ensure_without_a_home_fails_in_one_line():
    # No HOME, no usable XDG_CACHE_HOME, and a user the password database
    # does not know: there is no default directory.
    def attempt():
        import contextlib
        import io

        from supermachine_kernel import _cli

        os.environ.pop("HOME", None)
        os.environ["XDG_CACHE_HOME"] = "relative/is/ignored"
        try:
            smk.default_dir()
        except FileNotFoundError as e:
            api = (e.errno, e.filename)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status = _cli.main(["ensure"])
        return api, status, err.getvalue()

    api, status, stderr = run_as_nobody(attempt, uid=54321)
    assert api == (errno.ENOENT, None)
    assert status == 1
    one_error_line(stderr, "$XDG_CACHE_HOME or $HOME", os.strerror(errno.ENOENT))


def test_info_agrees_with_the_api():
    r = run_cli("info")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    for line, a in zip(lines[1:4], smk.assets()):
        assert line.split() == [a.name, a.file_name, str(a.size), a.sha256, f"{a.mode:04o}", a.arch]
    k = smk.kernel_info()
    assert lines[-1] == (
        f"kernel release {k.release}, text_offset {k.text_offset:#x}, "
        f"image_size {k.image_size}, flags {k.flags:#x}"
    )

    r = run_cli("info", "--json")
    assert r.returncode == 0 and r.stderr == ""
    doc = json.loads(r.stdout)
    for got, a in zip(doc["assets"], smk.assets()):
        assert (got["compressed"], got["embedded_size"]) == (a.compressed, a.embedded_size)
    assert doc["kernel"] == dict(k._asdict())


# ---- The per-asset functions (private, in _native) ---------------------------


@pytest.mark.parametrize("each", EACH, ids=lambda f: f.__name__)
def test_each_returns_every_assets_code(each, tmp_path):
    smk.extract_all_to(tmp_path)
    assert each(tmp_path) == (0,) * _native.ASSET_COUNT
    assert each(os.fsencode(tmp_path)) == (0,) * _native.ASSET_COUNT
    with pytest.raises(ValueError):
        each(f"{tmp_path}\0x")
    with pytest.raises(TypeError):
        each(3)


@pytest.mark.parametrize("each", EACH, ids=lambda f: f.__name__)
def test_each_on_empty_dir_attempts_nothing(each, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        each("")
    assert info.value.filename == ""
    assert info.value.results == (_native.NOT_ATTEMPTED,) * _native.ASSET_COUNT
    assert list(tmp_path.iterdir()) == []


def test_each_failure_carries_every_result(tmp_path):
    smk.extract_all_to(tmp_path)
    os.chmod(tmp_path / "init-oci", 0o600)
    with pytest.raises(smk.PayloadError) as info:
        _native.verify_each(tmp_path)
    # The code of the first failure, as verify() raises it, and each
    # asset's own.
    assert (info.value.name, info.value.filename) == ("SMK_ERR_MODE", str(tmp_path))
    assert info.value.results == (0, _native.ERR_MODE, 0)

    with pytest.raises(FileNotFoundError) as info:
        _native.verify_each(tmp_path / "none")
    assert info.value.results == (-errno.ENOENT,) * _native.ASSET_COUNT

    os.mkdir(tmp_path / "d")
    os.mkdir(tmp_path / "d" / "kernel")
    with pytest.raises(IsADirectoryError) as info:
        _native.extract_all_to_each(tmp_path / "d")
    assert info.value.results == (-errno.EISDIR, 0, 0)
