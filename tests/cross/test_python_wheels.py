"""The manylinux wheels of scripts/build-wheels, in SMK_WHEEL_DIR:

- each is tagged cp39-abi3-manylinux_2_17_ARCH (and manylinux2014), and
  `auditwheel show` agrees;
- its extension is an ELF of that architecture that needs glibc alone
  (libc, libpthread, the loader: liblzma is inside), no glibc symbol newer than 2.17, exports only
  PyInit__native; both embed both guest sets within the 6 MiB budget and
  carry NOTICE and the licences;
- the aarch64 wheel, installed by the host's pip for the platform
  manylinux2014_aarch64, passes tests/cross/python_smoke.py in Debian's
  arm64 Python 3.11 under qemu-user; the x86_64 one there fails to import
  with a message that says why.

Run by tests/cross/python-wheels.sh with the tools venv of
scripts/build-wheels (pytest, auditwheel, pyelftools).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import zipfile

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "boot"))
import guest_debs  # noqa: E402

WHEEL_DIR = pathlib.Path(os.environ.get("SMK_WHEEL_DIR", REPO / "dist"))
ARCHS = ("x86_64", "aarch64")
ELF_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
# glibc's loader: on aarch64, __stack_chk_guard (liblzma.a is built with
# -fstack-protector-strong) is its symbol.
LOADER = {"x86_64": "ld-linux-x86-64.so.2", "aarch64": "ld-linux-aarch64.so.1"}
GLIBC_BASELINE = (2, 17)
WHEEL_LIMIT = 6 * 1024 * 1024
LICENCES = {"NOTICE", "LICENSE-APACHE", "LICENSE-GPL-2.0", "LICENSE-MIT"}
# Debian's arm64 Python 3.11 and every library it and the stdlib modules
# the smoke suite uses load (guest_debs does not resolve dependencies).
PYTHON_PACKAGES = [
    "python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "libc6", "zlib1g",
    "libexpat1", "libssl3", "libffi8", "libbz2-1.0", "liblzma5", "libuuid1", "libcrypt1",
]


def version():
    text = (REPO / "core" / "include" / "supermachine_kernel.h").read_text()
    return ".".join(re.search(rf"#define SMK_VERSION_{p} (\d+)", text).group(1) for p in ("MAJOR", "MINOR", "PATCH"))


def wheel(arch):
    name = f"supermachine_kernel-{version()}-cp39-abi3-manylinux2014_{arch}.manylinux_2_17_{arch}.whl"
    path = WHEEL_DIR / name
    assert path.is_file(), f"{path} missing (scripts/build-wheels {WHEEL_DIR}): {sorted(os.listdir(WHEEL_DIR))}"
    return path


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def clean_env(**extra):
    """The environment of a child: nothing of the caller's library or Python
    paths."""
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="module", params=ARCHS)
def arch(request):
    return request.param


@pytest.fixture(scope="module")
def extension(arch, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"ext-{arch}")
    with zipfile.ZipFile(wheel(arch)) as z:
        (name,) = [n for n in z.namelist() if n.startswith("supermachine_kernel/_native")
                   and n.endswith(".so")]
        assert name == "supermachine_kernel/_native.abi3.so"
        (out / "_native.abi3.so").write_bytes(z.read(name))
    return out / "_native.abi3.so"


def test_wheel_is_tagged_manylinux_2_17_abi3(arch):
    with zipfile.ZipFile(wheel(arch)) as z:
        meta = z.read(f"supermachine_kernel-{version()}.dist-info/WHEEL").decode()
    tags = sorted(line.split(": ", 1)[1] for line in meta.splitlines() if line.startswith("Tag: "))
    assert tags == [f"cp39-abi3-manylinux2014_{arch}", f"cp39-abi3-manylinux_2_17_{arch}"], meta
    assert "Root-Is-Purelib: false" in meta


def test_auditwheel_show_finds_it_manylinux_2_17(arch):
    r = run([sys.executable, "-m", "auditwheel", "show", str(wheel(arch))])
    text = " ".join(r.stdout.split())
    assert f'is consistent with the following platform tag: "manylinux_2_17_{arch}"' in text, r.stdout


def test_extension_needs_only_libc_up_to_glibc_2_17(arch, extension):
    with open(extension, "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == ELF_MACHINE[arch]
        dynamic = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
        tags = {t.entry.d_tag: t for t in dynamic.iter_tags()}
        needed = sorted(t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED")
        assert set(needed) <= {"libc.so.6", "libpthread.so.0", LOADER[arch]} and "libc.so.6" in needed, needed
        assert "DT_RPATH" not in tags and "DT_RUNPATH" not in tags
        verneed = next(s for s in elf.iter_sections() if isinstance(s, GNUVerNeedSection))
        versions = [aux.name for _, auxes in verneed.iter_versions() for aux in auxes]
        glibc = [tuple(int(x) for x in v[len("GLIBC_"):].split(".")) for v in versions if v.startswith("GLIBC_")]
        assert glibc and max(glibc) <= GLIBC_BASELINE, versions
        assert all(v.startswith("GLIBC_") for v in versions), versions
        dynsym = elf.get_section_by_name(".dynsym")
        exported = [s.name for s in dynsym.iter_symbols()
                    if s["st_shndx"] != "SHN_UNDEF" and s["st_info"]["bind"] == "STB_GLOBAL"]
        assert exported == ["PyInit__native"], exported
        # liblzma is linked in: nothing of it is left to resolve.
        undefined = {s.name for s in dynsym.iter_symbols() if s["st_shndx"] == "SHN_UNDEF" and s.name}
        assert not {u for u in undefined if u.startswith("lzma_")}, undefined


def test_wheels_hold_the_same_files_both_sets_and_the_licences():
    names = {}
    for a in ARCHS:
        path = wheel(a)
        size = path.stat().st_size
        print(f"{path.name}: {size} bytes")
        assert size <= WHEEL_LIMIT, (path, size)
        with zipfile.ZipFile(path) as z:
            names[a] = sorted(z.namelist())
            dist_info = f"supermachine_kernel-{version()}.dist-info"
            for lic in LICENCES:
                assert z.read(f"{dist_info}/licenses/{lic}") == (REPO / lic).read_bytes(), lic
            entry_points = z.read(f"{dist_info}/entry_points.txt").decode()
            assert "supermachine-kernel = supermachine_kernel._cli:main" in entry_points
    assert names["x86_64"] == names["aarch64"]


@pytest.fixture(scope="module")
def arm64_python():
    root = pathlib.Path(guest_debs.fetch("aarch64", PYTHON_PACKAGES, name="python"))
    python = root / "usr" / "bin" / "python3.11"
    assert python.is_file(), python
    return root, python


def qemu(root, python, *args, site):
    return subprocess.run(["qemu-aarch64-static", "-L", str(root), str(python), "-s", *args],
                          capture_output=True, text=True, env=clean_env(PYTHONPATH=str(site)),
                          cwd=site, timeout=600)


def test_aarch64_wheel_passes_the_smoke_suite_under_qemu(arm64_python, tmp_path):
    root, python = arm64_python
    site = tmp_path / "site"
    # The host's pip, for the platform the wheel names: what a user's pip
    # on an aarch64 machine would choose.
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--only-binary", ":all:",
         "--platform", "manylinux2014_aarch64", "--python-version", "3.11", "--implementation", "cp",
         "--target", str(site), "--find-links", str(WHEEL_DIR), f"supermachine-kernel=={version()}"],
         env=clean_env())
    assert (site / "supermachine_kernel" / "_native.abi3.so").is_file()
    r = qemu(root, python, str(REPO / "tests" / "cross" / "python_smoke.py"),
             str(REPO / "payloads" / "manifest.json"), "aarch64", str(site), site=site)
    print(r.stdout)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}"
    assert r.stdout.splitlines()[-1] == "9 passed, 0 failed", r.stdout


def test_x86_64_wheel_under_arm64_python_says_why_it_cannot_load(arm64_python, tmp_path):
    root, python = arm64_python
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel("x86_64")) as z:
        z.extractall(site)
    r = qemu(root, python, "-c", "import supermachine_kernel", site=site)
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: supermachine_kernel's extension cannot be loaded: "), r.stderr
    assert "_native.abi3.so" in last and "(is the installed wheel for another platform?)" in last, last
