"""Packaging, and behaviour that needs a build of its own (marked slow):

- `python -m build` makes an sdist that is a complete source (the build's
  inputs, the payloads' recipes and sources, the tests; no build output)
  and an abi3 wheel (with the project URLs and the console script
  supermachine-kernel) within the size limit (both guest sets: 6 MiB),
  carrying NOTICE and the licences; installing the sdist into a fresh venv
  works;
- a wheel built with -C cmake.define.SMK_ARCHS=x86_64 embeds that one set
  (and is about half the size);
- a build from deliberately damaged payloads raises PayloadError and leaves
  no file behind;
- the C CLI, built from this repository, prints what the Python CLI prints.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile

import pytest

import supermachine_kernel as smk
from conftest import PAYLOAD_DIR, REPO, embedded_archs, load_manifest, load_manifest_assets

# What `python -m build` of the repository embeds: its own payloads, not
# those of SMK_PAYLOAD_DIR.
REPO_PAYLOADS = REPO / "payloads"

pytestmark = pytest.mark.slow

# Issue 11: every package with both guest sets within 6 MiB.
WHEEL_LIMIT = 6 * 1024 * 1024
# What the package adds to its compressed payloads (the extension's code,
# the Python files, the licences, zip's own overhead).
WHEEL_OVERHEAD_LIMIT = 512 * 1024


def payload_xz_size(arch=None):
    """Bytes of the repository's compressed payloads (of one arch's set, or
    of all): what a wheel embeds, zip cannot shrink."""
    return sum(a["xz_size"] for a in load_manifest_assets(REPO_PAYLOADS) if arch in (None, a["arch"]))
PACKAGE_FILES = {
    "__init__.py",
    "__init__.pyi",
    "__main__.py",
    "_cli.py",
    "_errors.py",
    "py.typed",
    "_native.abi3.so",
    "_native.pyi",
}
LICENCES = {"NOTICE", "LICENSE-APACHE", "LICENSE-GPL-2.0", "LICENSE-MIT"}

SMOKE = textwrap.dedent(
    """\
    import hashlib, json, os, sys, tempfile
    import supermachine_kernel as smk
    d = tempfile.mkdtemp()
    smk.extract_all_to(d)
    smk.verify(d)
    assert smk.ensure_assets(d).is_dir()
    print(json.dumps({"file": smk.__file__, "version": smk.__version__,
                      "kernel": hashlib.sha256(smk.KERNEL_BYTES).hexdigest()}))
    """
)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """An sdist, and a wheel built from it, by `python -m build`."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)])
    sdists = list(out.glob("*.tar.gz"))
    wheels = list(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, os.listdir(out)
    return sdists[0], wheels[0]


def test_wheel_is_abi3_small_and_complete(dist):
    _, wheel = dist
    assert wheel.name.startswith(f"supermachine_kernel-{smk.__version__}-cp39-abi3-")
    size = wheel.stat().st_size
    print(f"wheel {wheel.name}: {size} bytes ({size / 2**20:.2f} MiB)")
    assert size - payload_xz_size() <= WHEEL_OVERHEAD_LIMIT, (size, payload_xz_size())
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        package = {n.split("/", 1)[1] for n in names if n.startswith("supermachine_kernel/")}
        assert package == PACKAGE_FILES
        dist_info = f"supermachine_kernel-{smk.__version__}.dist-info"
        licences = {n.rsplit("/", 1)[1] for n in names if n.startswith(f"{dist_info}/licenses/")}
        assert licences == LICENCES
        for name in LICENCES:
            assert z.read(f"{dist_info}/licenses/{name}") == (REPO / name).read_bytes()
        meta = z.read(f"{dist_info}/METADATA").decode()
        assert f"Version: {smk.__version__}" in meta
        assert "Requires-Python: >=3.9" in meta
        wheel_tags = z.read(f"{dist_info}/WHEEL").decode()
        assert "Tag: cp39-abi3-" in wheel_tags
        home = "https://github.com/supermachine-dev/supermachine-kernel"
        for url in (f"Homepage, {home}", f"Source, {home}", f"Issues, {home}/issues"):
            assert f"Project-URL: {url}\n" in meta, url
        entry_points = z.read(f"{dist_info}/entry_points.txt").decode()
        assert "[console_scripts]\nsupermachine-kernel = supermachine_kernel._cli:main\n" in entry_points


def test_wheel_with_both_sets_is_within_the_budget(dist):
    _, wheel = dist
    size, payloads = wheel.stat().st_size, payload_xz_size()
    assert size <= WHEEL_LIMIT, (f"{size} bytes ({size / 2**20:.2f} MiB), over {WHEEL_LIMIT}; "
                                 f"its payloads are {payloads} bytes")


def other_pythons() -> dict:
    """CPython interpreters to try the wheel on: python3.X on PATH, and
    pyenv's installed versions (their shims only run the selected one)."""
    found = {}
    for minor in range(9, 15):
        exe = shutil.which(f"python3.{minor}")
        if exe:
            found[f"3.{minor}"] = exe
    root = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    for exe in sorted(root.glob("versions/3.*/bin/python3")):
        minor = ".".join(exe.parent.parent.name.split(".")[:2])
        if minor.split(".")[1].isdigit() and int(minor.split(".")[1]) >= 9:
            found.setdefault(minor, str(exe))
            if "shims" in found[minor]:
                found[minor] = str(exe)
    return found


OTHER_PYTHONS = other_pythons()


@pytest.mark.parametrize("version", sorted(OTHER_PYTHONS, key=lambda v: int(v.split(".")[1])))
def test_the_one_wheel_runs_on_every_cpython(dist, version, tmp_path):
    """The abi3 wheel, built by this interpreter, installs and works on the
    other CPython versions found."""
    _, wheel = dist
    python = OTHER_PYTHONS[version]
    probe = subprocess.run([python, "-c", "import sys; print(sys.implementation.name, sys.version_info >= (3, 9))"],
                           capture_output=True, text=True)
    if probe.returncode or probe.stdout.split() != ["cpython", "True"]:
        pytest.skip(f"{python} is not a usable CPython >= 3.9")
    venv = tmp_path / "venv"
    r = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"{python} cannot make a venv: {r.stderr.strip()[-200:]}")
    py = venv / "bin" / "python"
    run([str(py), "-m", "pip", "install", "--quiet", "--no-index", str(wheel)])
    got = json.loads(run([str(py), "-c", SMOKE], cwd=tmp_path).stdout)
    assert got["file"].startswith(str(venv))
    assert got["kernel"] == load_manifest(payload_dir=REPO_PAYLOADS)["kernel"]["sha256"]


def test_wheel_extension_uses_only_the_stable_abi(dist, tmp_path):
    _, wheel = dist
    if sys.version_info < (3, 10):
        pytest.skip("abi3audit runs on Python >= 3.10")
    r = run([sys.executable, "-m", "abi3audit", "--strict", "--report", str(wheel)],
            env=dict(os.environ, HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path)))
    report = json.loads(r.stdout)
    (result,) = [ext["result"] for spec in report["specs"].values() for ext in spec["wheel"]]
    assert result["is_abi3"] and result["is_abi3_baseline_compatible"], result
    assert result["baseline"] == "3.9" and result["non_abi3_symbols"] == [], result


def test_extension_exports_only_its_init_function():
    nm = shutil.which("nm")
    if not nm:
        pytest.skip("nm not on PATH")
    ext = next(pathlib.Path(smk.__file__).parent.glob("_native*.so"))
    r = run([nm, "-D", "--defined-only", str(ext)])
    assert [line.split()[-1] for line in r.stdout.splitlines()] == ["PyInit__native"]


def tracked_files(*tops):
    """The files git tracks under the given top-level directories, or None
    outside a git checkout (tests run from an unpacked sdist)."""
    if not (REPO / ".git").exists() or not shutil.which("git"):
        return None
    r = run(["git", "-C", str(REPO), "ls-files", "-z", "--", *tops])
    return {n for n in r.stdout.split("\0") if n}


def test_sdist_is_a_complete_source(dist):
    sdist, _ = dist
    with tarfile.open(sdist) as t:
        root = t.getnames()[0].split("/", 1)[0]
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    xz = {f"payloads/{a['xz']}" for a in load_manifest_assets(REPO_PAYLOADS)}
    required = {
        "pyproject.toml",
        "CMakeLists.txt",
        "README.md",
        "core/CMakeLists.txt",
        "core/include/supermachine_kernel.h",
        "core/supermachine_kernel.map",
        "cmake/SmkPayloads.cmake",
        "payloads/manifest.json",
        "bindings/python/CMakeLists.txt",
        "bindings/python/swig/python.i",
        "bindings/python/swig/smk_common.i",
        "bindings/python/supermachine_kernel/__init__.py",
        *LICENCES,
        *xz,
        # What NOTICE names as the kernels' corresponding source, and the
        # other payloads' recipes and sources.
        "payloads/pins.sh",
        "payloads/build.sh",
        "payloads/manifest.py",
        "payloads/kernel/build.sh",
        "payloads/kernel/common.config",
        "payloads/kernel/arm64.config",
        "payloads/kernel/x86_64.config",
        "payloads/init-oci/build.sh",
        "payloads/init-oci/main.c",
        "payloads/agent/build.sh",
        "payloads/agent/main.c",
        "payloads/agent/PROTOCOL.md",
        # The tests.
        "tests/CMakeLists.txt",
        "tests/conformance/cases.json",
        "tests/python/conftest.py",
        "tests/python/test_packaging.py",
    }
    assert required <= names, required - names
    assert root == f"supermachine_kernel-{smk.__version__}"
    # Every file git tracks there, where the tests run from a checkout.
    tracked = tracked_files("core", "cmake", "payloads", "tests", "bindings/python")
    if tracked is not None:
        assert tracked <= names, sorted(tracked - names)
    for n in names:
        top = n.split("/", 1)[0]
        assert top not in ("scripts", ".ci", "build", "dist", ".git", ".deps"), n
        assert "__pycache__" not in n.split("/") and not n.endswith(".pyc"), n
        if n.startswith("payloads/") and tracked is not None:
            # The committed files, never a build's output.
            assert n in tracked or n.endswith("/"), n


def test_sdist_installs_into_a_fresh_venv(dist, tmp_path):
    sdist, _ = dist
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    run([str(py), "-m", "pip", "install", "--quiet", str(sdist)])
    r = run([str(py), "-c", SMOKE], cwd=tmp_path)
    got = json.loads(r.stdout)
    assert got["file"].startswith(str(venv))
    assert got["version"] == smk.__version__
    assert got["kernel"] == load_manifest(payload_dir=REPO_PAYLOADS)["kernel"]["sha256"]
    r = run([str(py), "-m", "supermachine_kernel", "--version"])
    assert r.stdout == f"supermachine-kernel {smk.__version__}\n"
    # The console script, installed beside the interpreter.
    r = run([str(venv / "bin" / "supermachine-kernel"), "--version"])
    assert r.stdout == f"supermachine-kernel {smk.__version__}\n"


# ---- A build with one guest set ----------------------------------------------------


@pytest.fixture(scope="module")
def one_set_wheel(tmp_path_factory):
    """A wheel of the repository built with SMK_ARCHS=x86_64 (no build
    isolation: the test venv has the build tools), and a --target install
    of it."""
    work = tmp_path_factory.mktemp("one-set")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps",
         "--wheel-dir", str(work / "dist"), "--config-settings=cmake.define.SMK_ARCHS=x86_64", str(REPO)])
    (wheel,) = (work / "dist").glob("*.whl")
    target = work / "site"
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)])
    return wheel, target


ONE_SET_PROBE = textwrap.dedent(
    """\
    import json, sys, tempfile
    import supermachine_kernel as smk
    d = tempfile.mkdtemp()
    smk.extract_all_to(d)
    smk.verify(d, arch="x86_64")
    try:
        smk.assets(arch="aarch64")
        refused = None
    except ValueError as e:
        refused = str(e)
    print(json.dumps({"file": smk.__file__, "archs": smk.ARCHS, "default": smk.DEFAULT_ARCH,
                      "assets": [[a.arch, a.name, a.sha256] for a in smk.assets()],
                      "kernel": smk.kernel_info().format, "refused": refused}))
    """
)


def test_a_build_with_one_set_embeds_only_it(one_set_wheel, dist, tmp_path):
    wheel, target = one_set_wheel
    _, both = dist
    size, both_size = wheel.stat().st_size, both.stat().st_size
    print(f"wheel, x86_64 only: {size} bytes ({size / 2**20:.2f} MiB); "
          f"both sets: {both_size} bytes ({both_size / 2**20:.2f} MiB)")
    entries = load_manifest("x86_64", payload_dir=REPO_PAYLOADS)
    # The aarch64 set is not in it: smaller by about its compressed size.
    assert both_size - size > payload_xz_size("aarch64") * 0.9, (size, both_size)
    assert size - payload_xz_size("x86_64") <= WHEEL_OVERHEAD_LIMIT, size
    env = dict(os.environ, PYTHONPATH=str(target))
    got = json.loads(run([sys.executable, "-c", ONE_SET_PROBE], env=env, cwd=tmp_path).stdout)
    assert got["file"].startswith(str(target))
    assert got["archs"] == ["x86_64"] and got["default"] == "x86_64"
    assert got["assets"] == [["x86_64", n, entries[n]["sha256"]] for n in ("kernel", "init_oci", "supermachine_agent")]
    assert got["kernel"] == "ELF"
    assert got["refused"] and "'aarch64'" in got["refused"] and "'x86_64'" in got["refused"]
    r = subprocess.run([sys.executable, "-m", "supermachine_kernel", "extract", "--arch", "aarch64", "d"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert "--arch 'aarch64': no guest set for it here (x86_64)" in r.stderr
    assert not (tmp_path / "d").exists()


# ---- A build from damaged payloads ---------------------------------------------


@pytest.fixture(scope="module")
def corrupt_build(tmp_path_factory):
    """The package built from payloads with one flipped byte in kernel.xz and
    a truncated supermachine-agent.xz (the manifest updated to accept them:
    the build checks the .xz files against it)."""
    work = tmp_path_factory.mktemp("corrupt")
    payloads = work / "payloads"
    payloads.mkdir()
    with open(REPO / "payloads" / "manifest.json", encoding="utf-8") as f:
        manifest = json.load(f)
    # Every architecture's kernel and agent alike.
    for a in manifest["assets"]:
        data = bytearray((REPO / "payloads" / a["xz"]).read_bytes())
        if a["name"] == "kernel":
            data[len(data) // 3] ^= 1
        elif a["name"] == "supermachine_agent":
            del data[len(data) // 2:]
        (payloads / a["xz"]).parent.mkdir(parents=True, exist_ok=True)
        (payloads / a["xz"]).write_bytes(bytes(data))
        a["xz_size"] = len(data)
        a["xz_sha256"] = hashlib.sha256(data).hexdigest()
    (payloads / "manifest.json").write_text(json.dumps(manifest, indent=2))
    target = work / "site"
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
         "--target", str(target), f"--config-settings=cmake.define.SMK_PAYLOAD_DIR={payloads}", str(REPO)])
    return target


CORRUPT_PROBE = textwrap.dedent(
    """\
    import json, os, sys
    import supermachine_kernel as smk
    d = sys.argv[1]
    out = {"file": smk.__file__}
    def attempt(key, fn):
        try:
            fn()
            out[key] = None
        except smk.PayloadError as e:
            out[key] = [e.name, e.code, e.filename]
    attempt("bytes", lambda: smk.KERNEL_BYTES)
    attempt("extract", lambda: smk.extract_kernel_to(os.path.join(d, "kernel")))
    with open(os.path.join(d, "old"), "w") as f:
        f.write("old")
    attempt("replace", lambda: smk.extract_kernel_to(os.path.join(d, "old")))
    attempt("agent", lambda: smk.extract_supermachine_agent_to_with_parents(os.path.join(d, "x", "agent")))
    attempt("init_oci", lambda: smk.extract_init_oci_to(os.path.join(d, "init-oci")))
    attempt("ensure", lambda: smk.ensure_assets(os.path.join(d, "cache")))
    out["listing"] = sorted(os.listdir(d))
    print(json.dumps(out))
    """
)


def test_damaged_payloads_raise_payload_error_and_leave_nothing(corrupt_build, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(corrupt_build))
    r = run([sys.executable, "-c", CORRUPT_PROBE, str(tmp_path)], env=env, cwd=tmp_path)
    got = json.loads(r.stdout)
    assert got["file"].startswith(str(corrupt_build))
    corrupt = ["SMK_ERR_CORRUPT", -10001]
    assert got["bytes"] == corrupt + [None]
    assert got["extract"] == corrupt + [str(tmp_path / "kernel")]
    assert got["replace"] == corrupt + [str(tmp_path / "old")]
    assert got["agent"] == corrupt + [str(tmp_path / "x" / "agent")]
    assert got["init_oci"] is None
    assert got["ensure"][:2] == corrupt
    # Nothing half-written: no kernel, the old file intact, no temporaries.
    assert (tmp_path / "old").read_text() == "old"
    assert got["listing"] == ["cache", "init-oci", "old", "x"]
    assert sorted(os.listdir(tmp_path / "x")) == []
    assert all(not n.startswith(".smk-tmp") for n in os.listdir(tmp_path / "cache"))

    cli = subprocess.run([sys.executable, "-m", "supermachine_kernel", "extract", str(tmp_path / "all")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    # One line for each asset that failed, naming its file.
    assert cli.returncode == 1
    lines = cli.stderr.splitlines()
    assert all(line.startswith("supermachine-kernel: ") and "corrupt" in line for line in lines)
    assert [line.split(": ")[1] for line in lines] == [
        str(tmp_path / "all" / name) for name in ("kernel", "supermachine-agent")
    ]


# ---- The C CLI, for comparison --------------------------------------------------


@pytest.fixture(scope="module")
def c_cli(tmp_path_factory):
    cmake = shutil.which("cmake")
    if not cmake:
        pytest.skip("cmake not on PATH")
    build = tmp_path_factory.mktemp("c-build")
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    # The payloads and sets of the package under test.
    archs = ";".join(embedded_archs())
    run([cmake, "-S", str(REPO), "-B", str(build), *gen, "-DBUILD_TESTING=OFF", "-DSMK_BUILD_SHARED=OFF",
         f"-DSMK_PAYLOAD_DIR={PAYLOAD_DIR}", f"-DSMK_ARCHS={archs}"])
    run([cmake, "--build", str(build), "--target", "supermachine-kernel"])
    return build / "core" / "supermachine-kernel"


def both(c_cli, *args, **kw):
    c = subprocess.run([str(c_cli), *args], capture_output=True, text=True, **kw)
    py = subprocess.run([sys.executable, "-m", "supermachine_kernel", *args],
                        capture_output=True, text=True, **kw)
    return c, py


@pytest.mark.parametrize("args", [("--version",), ("info",), ("info", "--json")], ids=" ".join)
def test_python_cli_prints_what_the_c_cli_prints(c_cli, args):
    c, py = both(c_cli, *args)
    assert (py.returncode, py.stdout, py.stderr) == (c.returncode, c.stdout, c.stderr)


def test_python_cli_fails_like_the_c_cli(c_cli, tmp_path):
    smk.extract_all_to(tmp_path / "good")
    os.chmod(tmp_path / "good" / "kernel", 0o600)
    (tmp_path / "file").write_text("x")
    smk.extract_all_to(tmp_path / "other", arch=smk.ARCHS[-1])
    for args in (
        ("verify", str(tmp_path / "good")),
        *(("verify", "--arch", arch, str(tmp_path / "other")) for arch in smk.ARCHS),
        *(("verify", f"--arch={arch}", str(tmp_path / "good")) for arch in smk.ARCHS),
        ("extract", "--arch", smk.ARCHS[-1], str(tmp_path / "x")),
        ("ensure", "--arch=arm64", str(tmp_path / "y")),
        ("ensure", "--arch", "amd64", str(tmp_path / "y")),
        ("verify", str(tmp_path / "missing")),
        ("extract", str(tmp_path / "file")),
        ("ensure", str(tmp_path / "file")),
        ("ensure", str(tmp_path / "fresh")),
        ("verify", ""),
        ("extract", ""),
    ):
        c, py = both(c_cli, *args)
        assert (py.returncode, py.stdout, py.stderr) == (c.returncode, c.stdout, c.stderr), args
    # Usage errors: the same line but for the hint of how to run the CLI.
    for args in (
        ("extract", "--arch", "riscv64", str(tmp_path / "z")),
        ("verify", "--arch=", str(tmp_path / "good")),
        ("ensure", "--arch"),
        ("extract", "--arch", "x86_64"),
        ("verify", "--arch", "a" * 100, str(tmp_path / "good")),
        ("ensure", "--arch", "aarch64", "a", "b"),
    ):
        c, py = both(c_cli, *args)
        hinted = py.stderr.replace("(try 'python -m supermachine_kernel --help')", "(try 'supermachine-kernel --help')")
        assert (py.returncode, py.stdout, hinted) == (c.returncode, c.stdout, c.stderr), args
        assert c.returncode == 2, args
    assert sorted(os.listdir(tmp_path)) == ["file", "fresh", "good", "other", "x", "y"]
    for args in ((), ("nope",), ("verify",), ("info", "x")):
        c, py = both(c_cli, *args)
        assert py.returncode == c.returncode == 2, args
