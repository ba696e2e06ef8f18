"""python -m supermachine_kernel beyond the shared contract
(tests/conformance/cli.json, run by test_cli_conformance.py): what only the
Python package can check — info agreeing with the package's own API, the
per-asset functions the CLI reports from, a missing home directory."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

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
    every = [a for arch in smk.ARCHS for a in smk.assets(arch=arch)]
    kernels = [smk.kernel_info(arch=arch) for arch in smk.ARCHS]
    r = run_cli("info")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert len(lines) == 1 + len(every) + 1 + len(kernels)
    for line, a in zip(lines[1:], every):
        assert line.split() == [a.name, a.file_name, str(a.size), a.sha256, f"{a.mode:04o}", a.arch]
    assert lines[1 + len(every)] == ""
    for line, k in zip(lines[2 + len(every):], kernels):
        if k.format == "ELF":
            assert line == (
                f"kernel {k.arch}: release {k.release}, ELF vmlinux, entry {k.entry:#x}, "
                f"pvh_entry {k.pvh_entry:#x}, load_address {k.load_address:#x}, image_size {k.image_size}"
            )
        else:
            assert line == (
                f"kernel {k.arch}: release {k.release}, arm64 Image, text_offset {k.text_offset:#x}, "
                f"image_size {k.image_size}, flags {k.flags:#x}"
            )

    r = run_cli("info", "--json")
    assert r.returncode == 0 and r.stderr == ""
    doc = json.loads(r.stdout)
    assert doc["default_arch"] == smk.DEFAULT_ARCH
    assert [(a["arch"], a["name"]) for a in doc["assets"]] == [(a.arch, a.name) for a in every]
    for got, a in zip(doc["assets"], every):
        assert (got["compressed"], got["embedded_size"]) == (a.compressed, a.embedded_size)
    assert doc["kernels"] == [dict(k._asdict()) for k in kernels]
    assert "kernel" not in doc


@pytest.mark.parametrize("arch", smk.ARCHS)
@pytest.mark.parametrize("option", ["--arch", "--arch="])
def test_arch_option_works_on_that_set(arch, option, tmp_path):
    given = [option + arch] if option.endswith("=") else [option, arch]
    dir = str(tmp_path / "set")
    r = run_cli("extract", *given, dir)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    smk.verify(dir, arch=arch)
    r = run_cli("verify", *given, dir)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines() == [f"{dir}/{a.file_name}: ok" for a in smk.assets(arch=arch)]
    r = run_cli("ensure", *given, dir)
    assert (r.returncode, r.stdout, r.stderr) == (0, dir + "\n", "")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    r = run_cli("ensure", *given, env=env)
    assert (r.returncode, r.stderr) == (0, "")
    base = tmp_path / "xdg" / "supermachine-kernel" / smk.__version__
    assert r.stdout == f"{base if arch == smk.DEFAULT_ARCH else base / arch}\n"
    for other in smk.ARCHS:
        if other != arch:
            r = run_cli("verify", f"--arch={other}", dir)
            assert r.returncode == 1
            assert f"{dir}/kernel: size differs from the recorded size" in r.stderr


@pytest.mark.parametrize("command", ["extract", "ensure", "verify"])
@pytest.mark.parametrize("name", ["riscv64", "", "X86_64"])
def test_arch_option_refuses_an_arch_without_a_set(command, name, tmp_path):
    r = run_cli(command, "--arch", name, str(tmp_path / "d"), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    one_error_line(r.stderr, f"--arch '{name}': no guest set for it here ({', '.join(smk.ARCHS)})")
    assert list(tmp_path.iterdir()) == []


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


# The CLI's exit status per command: 0, 1 for a failure, 2 for usage.
CONSOLE_CASES = {
    "version": (("--version",), 0),
    "help": (("--help",), 0),
    "info-json": (("info", "--json"), 0),
    "ensure": (("ensure", "{tmp}/cache"), 0),
    "verify-missing": (("verify", "{tmp}/missing"), 1),
    "unknown-arch": (("extract", "--arch", "riscv64", "{tmp}/x"), 2),
    "unknown-command": (("nope",), 2),
    "no-args": ((), 2),
}


@pytest.mark.parametrize("case", CONSOLE_CASES)
def test_console_script_prints_what_python_m_prints(case, tmp_path):
    """The `supermachine-kernel` script pip installs beside the interpreter
    (the package's [project.scripts]) is the same CLI."""
    template, status = CONSOLE_CASES[case]
    args = [a.replace("{tmp}", str(tmp_path)) for a in template]
    script = os.path.join(os.path.dirname(sys.executable), "supermachine-kernel")
    assert os.access(script, os.X_OK), f"{script}: no console script installed"
    got = subprocess.run([script, *args], capture_output=True, text=True, timeout=120)
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
    want = run_cli(*args)
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)
    assert want.returncode == status, want
