"""The package's surface: constants, descriptions, extraction, ensure,
verify, and the errors each raises."""

from __future__ import annotations

import errno
import hashlib
import os
import pathlib
import pickle
import re
import shutil
import stat
from importlib import metadata

import pytest

import supermachine_kernel as smk
from conftest import (
    ASSETS,
    EXTRACT,
    REPO,
    assert_is_asset,
    leftover_temporaries,
    run_as_nobody,
    unprivileged_dir,
)

LENS = {
    "kernel": "KERNEL_LEN",
    "init_oci": "INIT_OCI_LEN",
    "supermachine_agent": "SUPERMACHINE_AGENT_LEN",
}
BYTES = {
    "kernel": "KERNEL_BYTES",
    "init_oci": "INIT_OCI_BYTES",
    "supermachine_agent": "SUPERMACHINE_AGENT_BYTES",
}


class BytesPathLike:
    """An os.PathLike whose __fspath__ gives bytes."""

    def __init__(self, path: bytes) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return self.path


PATH_KINDS = {
    "str": str,
    "bytes": os.fsencode,
    "pathlib": pathlib.Path,
    "pathlike-bytes": lambda p: BytesPathLike(os.fsencode(p)),
}


# ---- Version and descriptions ----------------------------------------------


def test_version_is_the_headers():
    header = (REPO / "core" / "include" / "supermachine_kernel.h").read_text()
    parts = [
        re.search(rf"#define SMK_VERSION_{p} (\d+)", header).group(1)
        for p in ("MAJOR", "MINOR", "PATCH")
    ]
    assert smk.__version__ == ".".join(parts)
    assert metadata.version("supermachine-kernel") == smk.__version__


@pytest.mark.parametrize("asset", ASSETS)
def test_len_constants_are_the_manifest_sizes(asset, manifest):
    value = getattr(smk, LENS[asset])
    assert type(value) is int
    assert value == manifest[asset]["size"]


def test_assets_describe_the_manifest(manifest):
    infos = smk.assets()
    assert [a.name for a in infos] == list(ASSETS)
    for a in infos:
        entry = manifest[a.name]
        assert isinstance(a, smk.AssetInfo) and isinstance(a, tuple)
        assert a.file_name == entry["file"]
        assert a.size == entry["size"]
        assert a.sha256 == entry["sha256"]
        assert a.mode == int(entry["mode"], 8)
        assert a.arch == entry["arch"]
        assert a.compressed is True
        assert a.embedded_size == entry["xz_size"]
    assert infos[0]._asdict()["file_name"] == "kernel"
    assert pickle.loads(pickle.dumps(infos)) == infos


def test_kernel_info_is_the_default_architectures(manifest):
    # The fields themselves, per architecture: test_architectures.py.
    info = smk.kernel_info()
    assert isinstance(info, smk.KernelInfo)
    assert info.release == manifest["kernel"]["release"]
    assert info.arch == smk.DEFAULT_ARCH == manifest["kernel"]["arch"]
    assert info == smk.kernel_info(arch=smk.DEFAULT_ARCH)
    assert info.image_size > 0
    assert pickle.loads(pickle.dumps(info)) == info


# ---- Lazy bytes ---------------------------------------------------------------


@pytest.mark.parametrize("asset", ASSETS)
def test_bytes_constants_hold_the_assets(asset, manifest):
    data = getattr(smk, BYTES[asset])
    assert type(data) is bytes
    assert len(data) == manifest[asset]["size"]
    assert hashlib.sha256(data).hexdigest() == manifest[asset]["sha256"]
    # Decoded once, then a plain module attribute.
    assert getattr(smk, BYTES[asset]) is data
    assert vars(smk)[BYTES[asset]] is data


def test_lazy_names_are_listed_by_dir():
    names = dir(smk)
    for name in (*BYTES.values(), *LENS.values(), "AssetInfo", "KernelInfo", "PayloadError"):
        assert name in names
    assert names == sorted(names)


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="NO_SUCH_BYTES"):
        smk.NO_SUCH_BYTES  # noqa: B018
    assert not hasattr(smk, "kernel_bytes")


# ---- Extraction ------------------------------------------------------------------


@pytest.mark.parametrize("kind", PATH_KINDS)
@pytest.mark.parametrize("asset", ASSETS)
def test_extract_writes_the_asset(asset, kind, tmp_path, manifest):
    dest = tmp_path / "out"
    assert EXTRACT[asset][0](PATH_KINDS[kind](str(dest))) is None
    assert_is_asset(dest, asset, manifest)


@pytest.mark.parametrize("kind", PATH_KINDS)
@pytest.mark.parametrize("asset", ASSETS)
def test_extract_with_parents_creates_directories(asset, kind, tmp_path, manifest):
    dest = tmp_path / "a" / "b" / "out"
    EXTRACT[asset][1](PATH_KINDS[kind](str(dest)))
    assert_is_asset(dest, asset, manifest)


def test_extract_replaces_and_keeps_no_temporaries(tmp_path, manifest):
    dest = tmp_path / "kernel"
    dest.write_bytes(b"old")
    os.chmod(dest, 0o600)
    smk.extract_kernel_to(dest)
    assert_is_asset(dest, "kernel", manifest)
    assert sorted(os.listdir(tmp_path)) == ["kernel"]


def test_extract_all_to(tmp_path, manifest):
    smk.extract_all_to(tmp_path / "new" / "dir")
    for a in smk.assets():
        assert_is_asset(tmp_path / "new" / "dir" / a.file_name, a.name, manifest)


# ---- Errors ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", PATH_KINDS)
def test_missing_directory_raises_file_not_found(kind, tmp_path):
    given = PATH_KINDS[kind](str(tmp_path / "missing" / "kernel"))
    with pytest.raises(FileNotFoundError) as info:
        smk.extract_kernel_to(given)
    e = info.value
    assert e.errno == errno.ENOENT
    assert e.strerror == os.strerror(errno.ENOENT)
    # As os functions do: the path as os.fspath() gives it.
    assert e.filename == os.fspath(given)
    assert type(e.filename) is type(os.fspath(given))
    assert str(e) == f"[Errno {errno.ENOENT}] {os.strerror(errno.ENOENT)}: {os.fspath(given)!r}"
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "setup, dest, exc, code",
    [
        (lambda d: (d / "dir").mkdir(), "dir", IsADirectoryError, errno.EISDIR),
        (lambda d: (d / "f").write_text("x"), "f/kernel", NotADirectoryError, errno.ENOTDIR),
        (lambda d: None, "n" * 300, OSError, errno.ENAMETOOLONG),
        (lambda d: None, "", FileNotFoundError, errno.ENOENT),
    ],
    ids=["is-a-directory", "not-a-directory", "name-too-long", "empty"],
)
@pytest.mark.parametrize("with_parents", [False, True])
def test_os_errors_map_to_oserror_subclasses(setup, dest, exc, code, with_parents, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    setup(tmp_path)
    fn = smk.extract_kernel_to_with_parents if with_parents else smk.extract_kernel_to
    with pytest.raises(exc) as info:
        fn(dest)
    assert type(info.value) is exc
    assert info.value.errno == code
    assert info.value.strerror == os.strerror(code)
    assert info.value.filename == dest
    assert leftover_temporaries(tmp_path) == []


def test_read_only_directory_raises_permission_error():
    base = unprivileged_dir()
    try:
        ro = os.path.join(base, "ro")
        os.mkdir(ro)
        os.chmod(ro, 0o555)
        dest = os.path.join(ro, "kernel")

        def attempt():
            smk.extract_kernel_to(dest)

        with pytest.raises(PermissionError) as info:
            run_as_nobody(attempt)
        assert info.value.errno == errno.EACCES
        assert info.value.filename == dest
        assert os.listdir(ro) == []
    finally:
        shutil.rmtree(base)


@pytest.mark.parametrize("path", ["a\0b", b"a\0b", pathlib.Path("a\0b")], ids=["str", "bytes", "pathlib"])
@pytest.mark.parametrize(
    "fn",
    [
        smk.extract_kernel_to,
        smk.extract_init_oci_to_with_parents,
        smk.extract_all_to,
        smk.ensure_assets,
        smk.verify,
        lambda p: smk.verify_file("kernel", p),
    ],
    ids=["extract", "extract-with-parents", "extract-all", "ensure", "verify", "verify-file"],
)
def test_nul_in_path_raises_value_error(fn, path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="null"):
        fn(path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [None, 3, 1.5, ["x"]])
def test_non_path_raises_type_error(bad):
    with pytest.raises(TypeError):
        smk.extract_kernel_to(bad)


def test_payload_error_attributes_and_pickling(tmp_path):
    dest = tmp_path / "kernel"
    smk.extract_kernel_to(dest)
    os.chmod(dest, 0o600)
    with pytest.raises(smk.PayloadError) as info:
        smk.verify_file("kernel", dest)
    e = info.value
    assert not isinstance(e, OSError)
    assert (e.code, e.name, e.filename) == (-10004, "SMK_ERR_MODE", str(dest))
    assert e.strerror == "file mode differs from the asset's"
    assert str(e) == f"[SMK_ERR_MODE] file mode differs from the asset's: {str(dest)!r}"
    copy = pickle.loads(pickle.dumps(e))
    assert (copy.code, copy.name, copy.strerror, copy.filename) == (e.code, e.name, e.strerror, e.filename)


# ---- ensure_assets and verify ------------------------------------------------------


def test_ensure_assets_extracts_then_keeps(tmp_path, manifest):
    target = tmp_path / "cache" / "assets"
    result = smk.ensure_assets(target)
    assert isinstance(result, pathlib.Path) and result == target
    for a in smk.assets():
        assert_is_asset(target / a.file_name, a.name, manifest)
    inodes = {a.file_name: os.stat(target / a.file_name).st_ino for a in smk.assets()}
    assert smk.ensure_assets(str(target)) == target
    assert {n: os.stat(target / n).st_ino for n in inodes} == inodes


def test_ensure_assets_repairs_what_changed(tmp_path, manifest):
    smk.ensure_assets(tmp_path)
    (tmp_path / "init-oci").unlink()
    with open(tmp_path / "kernel", "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))
    os.chmod(tmp_path / "supermachine-agent", 0o700)
    assert smk.ensure_assets(os.fsencode(tmp_path)) == tmp_path
    for a in smk.assets():
        assert_is_asset(tmp_path / a.file_name, a.name, manifest)
    smk.verify(tmp_path)


def test_ensure_assets_default_dir_follows_xdg_cache_home(tmp_path, monkeypatch, manifest):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = tmp_path / "supermachine-kernel" / smk.__version__
    assert smk.default_dir() == expected
    assert smk.ensure_assets() == expected
    assert smk.ensure_assets(None) == expected
    assert_is_asset(expected / "kernel", "kernel", manifest)


def test_ensure_assets_on_a_file_raises_not_a_directory(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(NotADirectoryError) as info:
        smk.ensure_assets(f)
    assert info.value.filename == str(f)


def test_verify_accepts_a_good_directory(tmp_path):
    smk.extract_all_to(tmp_path)
    assert smk.verify(tmp_path) is None
    assert smk.verify(os.fsencode(tmp_path)) is None
    for a in smk.assets():
        smk.verify_file(a.name, tmp_path / a.file_name)
        smk.verify_file(a.file_name, str(tmp_path / a.file_name))


def test_verify_names_the_file_that_differs(tmp_path):
    smk.extract_all_to(tmp_path)
    agent = tmp_path / "supermachine-agent"
    data = bytearray(agent.read_bytes())
    data[len(data) // 2] ^= 1
    agent.write_bytes(bytes(data))
    with pytest.raises(smk.PayloadError) as info:
        smk.verify(tmp_path)
    assert info.value.name == "SMK_ERR_CHECKSUM"
    assert info.value.filename == str(agent)
    with pytest.raises(smk.PayloadError) as info:
        smk.verify(os.fsencode(tmp_path))
    assert info.value.filename == os.fsencode(agent)


def test_verify_of_a_missing_directory_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        smk.verify(tmp_path / "nothing")
    assert info.value.filename == str(tmp_path / "nothing" / "kernel")


def test_verify_file_rejects_unknown_assets(tmp_path):
    for bad in ("kernal", "", 0, None):
        with pytest.raises(ValueError, match="unknown asset"):
            smk.verify_file(bad, tmp_path)


def test_verify_file_does_not_follow_symlinks(tmp_path):
    smk.extract_kernel_to(tmp_path / "real")
    (tmp_path / "link").symlink_to("real")
    with pytest.raises(smk.PayloadError) as info:
        smk.verify_file("kernel", tmp_path / "link")
    assert info.value.name == "SMK_ERR_NOT_REGULAR"
    assert stat.S_ISLNK(os.lstat(tmp_path / "link").st_mode)
