"""python -m supermachine_kernel: the commands of the C CLI, its output,
its exit codes (0, 1 failure, 2 usage), one-line errors."""

from __future__ import annotations

import errno
import json
import os

import pytest

import supermachine_kernel as smk
from conftest import assert_is_asset, run_as_nobody, run_cli


def one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("supermachine-kernel: "), stderr
    for f in fragments:
        assert f in lines[0], stderr


def test_version_and_help():
    r = run_cli("--version")
    assert (r.returncode, r.stdout) == (0, f"supermachine-kernel {smk.__version__}\n")
    for flag in ("--help", "-h", "help"):
        r = run_cli(flag)
        assert r.returncode == 0
        for word in ("extract", "ensure", "verify", "info", "--json", "--version"):
            assert word in r.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "missing command"),
        (("frobnicate",), "unknown command 'frobnicate'"),
        (("extract",), "extract needs exactly one DIR"),
        (("extract", "a", "b"), "extract needs exactly one DIR"),
        (("ensure", "a", "b"), "ensure takes at most one DIR"),
        (("verify",), "verify needs exactly one DIR"),
        (("info", "--yaml"), "info takes only --json"),
    ],
)
def test_usage_errors_exit_2(args, message):
    r = run_cli(*args)
    assert r.returncode == 2
    one_error_line(r.stderr, message)
    assert r.stdout == ""


def test_extract(tmp_path, manifest):
    r = run_cli("extract", str(tmp_path / "a" / "b"))
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    for a in smk.assets():
        assert_is_asset(tmp_path / "a" / "b" / a.file_name, a.name, manifest)


def test_extract_failure_names_the_path(tmp_path):
    (tmp_path / "file").write_text("x")
    r = run_cli("extract", str(tmp_path / "file"))
    assert r.returncode == 1
    one_error_line(r.stderr, str(tmp_path / "file" / "kernel"), os.strerror(errno.ENOTDIR))


def test_ensure_prints_the_directory(tmp_path, manifest):
    r = run_cli("ensure", str(tmp_path / "d"))
    assert (r.returncode, r.stdout) == (0, f"{tmp_path / 'd'}\n")
    assert_is_asset(tmp_path / "d" / "kernel", "kernel", manifest)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    r = run_cli("ensure", env=env)
    expected = tmp_path / "xdg" / "supermachine-kernel" / smk.__version__
    assert (r.returncode, r.stdout) == (0, f"{expected}\n")
    smk.verify(expected)


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


def test_verify(tmp_path):
    smk.extract_all_to(tmp_path)
    r = run_cli("verify", str(tmp_path))
    assert r.returncode == 0
    assert r.stdout.splitlines() == [f"{tmp_path / a.file_name}: ok" for a in smk.assets()]
    os.chmod(tmp_path / "init-oci", 0o644)
    r = run_cli("verify", str(tmp_path))
    assert r.returncode == 1
    one_error_line(r.stderr, str(tmp_path / "init-oci"), "file mode differs")
    assert r.stdout.splitlines() == [
        f"{tmp_path / 'kernel'}: ok",
        f"{tmp_path / 'supermachine-agent'}: ok",
    ]


def test_verify_missing_directory(tmp_path):
    r = run_cli("verify", str(tmp_path / "none"))
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 3  # one line per asset
    assert all("No such file or directory" in line for line in r.stderr.splitlines())


@pytest.mark.parametrize("cmd", ["verify", "extract"])
def test_empty_dir_is_no_directory(cmd, tmp_path):
    # "" names no directory: never the root directory's files (as the C
    # CLI, tests/core/run_cli.cmake).
    r = run_cli(cmd, "", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    one_error_line(r.stderr, "supermachine-kernel: '': No such file or directory")
    assert list(tmp_path.iterdir()) == []


def test_info_table(manifest):
    r = run_cli("info")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ASSET", "FILE", "SIZE", "SHA256", "MODE", "ARCH"]
    for line, a in zip(lines[1:4], smk.assets()):
        assert line.split() == [a.name, a.file_name, str(a.size), a.sha256, f"{a.mode:04o}", a.arch]
    k = smk.kernel_info()
    assert lines[-1] == (
        f"kernel release {k.release}, text_offset {k.text_offset:#x}, "
        f"image_size {k.image_size}, flags {k.flags:#x}"
    )


def test_info_json(manifest):
    r = run_cli("info", "--json")
    assert r.returncode == 0 and r.stderr == ""
    doc = json.loads(r.stdout)
    assert doc["version"] == smk.__version__
    for got, a in zip(doc["assets"], smk.assets()):
        assert got == {
            "name": a.name,
            "file": a.file_name,
            "size": a.size,
            "sha256": a.sha256,
            "mode": f"{a.mode:04o}",
            "arch": a.arch,
            "compressed": a.compressed,
            "embedded_size": a.embedded_size,
        }
        assert got["sha256"] == manifest[a.name]["sha256"]
    assert doc["kernel"] == dict(smk.kernel_info()._asdict())
