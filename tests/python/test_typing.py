"""The shipped type stubs: mypy --strict accepts a user script using the
whole API, rejects one that misuses it (so the stubs are really read), and
stubtest finds the stubs in step with the runtime module."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

import supermachine_kernel

USER_SCRIPT = """\
from __future__ import annotations

import pathlib

import supermachine_kernel as smk


def stage(dest: pathlib.Path) -> list[str]:
    smk.extract_kernel_to(dest / "kernel")
    smk.extract_init_oci_to(str(dest / "init-oci"))
    smk.extract_supermachine_agent_to_with_parents(bytes(dest / "bin" / "agent"))
    smk.extract_all_to(dest)
    cache: pathlib.Path = smk.ensure_assets()
    smk.ensure_assets(dest)
    smk.verify(cache)
    smk.verify_file("kernel", cache / "kernel")
    where: pathlib.Path = smk.default_dir()
    print(where.name)
    info = smk.kernel_info()
    image: bytes = smk.KERNEL_BYTES[: smk.KERNEL_LEN]
    sizes: int = smk.INIT_OCI_LEN + smk.SUPERMACHINE_AGENT_LEN + len(image)
    version: str = smk.__version__
    try:
        smk.verify(dest)
    except smk.PayloadError as e:
        code: int = e.code
        name: str | None = e.name
        print(code, name, e.strerror, e.filename)
    except FileNotFoundError as e:
        print(e.errno, e.filename)
    names = [a.name + a.file_name + a.sha256 + a.arch for a in smk.assets()]
    for arch in smk.ARCHS:
        smk.extract_all_to(dest / arch, arch=arch)
        smk.verify(dest / arch, arch=arch)
        smk.verify_file("kernel", dest / arch / "kernel", arch=arch)
        smk.ensure_assets(arch=arch)
        smk.extract_asset_to("init_oci", dest / "x" / arch, arch=arch, with_parents=True)
        k = smk.kernel_info(arch=arch)
        entry: int = k.pvh_entry if k.format == "ELF" else k.text_offset
        names.append(f"{k.arch} {entry:#x} {k.entry} {k.load_address}")
        names.extend(a.arch for a in smk.assets(arch=arch))
        names.append(str(smk.default_dir(arch=arch)))
    kernel: bytes = smk.asset_bytes("kernel", arch=smk.DEFAULT_ARCH)
    return names + [info.release, str(info.image_size + sizes + len(kernel)), version]
"""


def mypy(tmp_path: pathlib.Path, source: str, *flags: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user.py"
    script.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--cache-dir", str(tmp_path / ".mypy_cache"), *flags, str(script)],
        cwd=tmp_path, capture_output=True, text=True,
    )


def test_package_ships_stubs_and_py_typed():
    root = pathlib.Path(supermachine_kernel.__file__).parent
    assert (root / "py.typed").is_file()
    assert (root / "__init__.pyi").is_file()


def test_mypy_strict_accepts_a_user_script(tmp_path):
    r = mypy(tmp_path, USER_SCRIPT)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize(
    "line, complaint",
    [
        ("smk.extract_kernel_to(3)", "arg-type"),
        ("x: str = smk.KERNEL_LEN", "assignment"),
        ("y: int = smk.KERNEL_BYTES", "assignment"),
        ("smk.ensure_assets().nonexistent", "attr-defined"),
        ("smk.kernel_info().no_field", "attr-defined"),
        ("smk.KERNEL_LEN = 3", "misc"),
        ("smk.assets('x86_64')", "misc"),
        ("smk.kernel_info(arch=3)", "arg-type"),
        ("z: str = smk.ARCHS", "assignment"),
    ],
)
def test_mypy_rejects_misuse(tmp_path, line, complaint):
    r = mypy(tmp_path, f"import supermachine_kernel as smk\n{line}\n")
    assert r.returncode == 1, r.stdout
    assert f"[{complaint}]" in r.stdout


def test_mypy_flags_the_deprecated_aliases(tmp_path):
    r = mypy(tmp_path, "import supermachine_kernel as smk\nsmk.extract_to('k')\n",
             "--enable-error-code", "deprecated")
    assert r.returncode == 1 and "[deprecated]" in r.stdout, r.stdout


def test_package_checks_against_its_own_stubs(tmp_path):
    # The CLI and the error module, checked against the stubs of __init__
    # and of the extension, for the oldest Python the wheel supports.
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.9",
         "--cache-dir", str(tmp_path / ".mypy_cache"), "-p", "supermachine_kernel"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_stubtest_finds_the_stubs_in_step():
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "supermachine_kernel"],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
