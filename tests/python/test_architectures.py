"""The "architectures" section of tests/conformance/cases.json (its
"about" is the contract), and the rest of the per-architecture surface:
ARCHS and DEFAULT_ARCH, the keyword-only ``arch`` of the set-wide and
per-asset functions, asset_bytes and extract_asset_to, the kernel info of
an arm64 Image and of a PVH vmlinux (parsed here from the kernel's bytes,
not trusted from the core), and the refusal of every name the package
embeds no set for, before anything is written."""

from __future__ import annotations

import hashlib
import os
import pathlib
import platform
import struct
from typing import Any, Callable, Dict, List, Optional

import pytest

import supermachine_kernel as smk
from supermachine_kernel import _native
from conftest import (
    ASSETS,
    assert_is_asset,
    embedded_archs,
    expected_default_arch,
    leftover_temporaries,
    load_cases,
    load_manifest,
)

SECTION = load_cases()["architectures"]
KNOWN = {k["arch"]: k for k in SECTION["known"]}
EMBEDDED = embedded_archs()
# Every name of every embedded architecture: (canonical, name).
NAMES = [(arch, name) for arch in EMBEDDED for name in (arch, *KNOWN[arch]["aliases"])]
# What no build here has a set for: the cases' names, the known
# architectures this build left out, and the names only the core takes
# for the default ("" : Python's default is None).
REFUSED = [*SECTION["unknown"], *(a for a in KNOWN if a not in EMBEDDED), "", "x86_64\0"]


def name_id(pair: Any) -> str:
    return f"{pair[0]}-as-{pair[1]}" if isinstance(pair, tuple) else str(pair)


# ---- ARCHS and DEFAULT_ARCH ---------------------------------------------------


def test_archs_are_the_embedded_sets_default_first():
    assert type(smk.ARCHS) is tuple and all(type(a) is str for a in smk.ARCHS)
    assert sorted(smk.ARCHS) == sorted(EMBEDDED)
    assert smk.ARCHS[0] == smk.DEFAULT_ARCH
    assert smk.ARCHS == tuple(_native.arch_name(i) for i in range(_native.arch_count()))
    assert _native.arch_name(len(smk.ARCHS)) is None
    assert _native.asset_total() == len(smk.ARCHS) * _native.ASSET_COUNT


def test_default_arch_is_the_hosts():
    host = SECTION["host"][platform.machine()]
    assert SECTION["host"][os.uname().machine] == host
    assert smk.DEFAULT_ARCH == expected_default_arch()
    if host in EMBEDDED:
        assert smk.DEFAULT_ARCH == host


def test_names_without_an_arch_mean_the_default_set(tmp_path):
    default = smk.assets(arch=smk.DEFAULT_ARCH)
    assert smk.assets() == default
    assert (smk.KERNEL_LEN, smk.INIT_OCI_LEN, smk.SUPERMACHINE_AGENT_LEN) == tuple(a.size for a in default)
    # One bytes object per asset, whichever way it is asked for.
    assert smk.asset_bytes("init_oci") is smk.INIT_OCI_BYTES
    assert smk.asset_bytes("init-oci", arch=smk.DEFAULT_ARCH) is smk.INIT_OCI_BYTES
    assert smk.default_dir() == smk.default_dir(arch=smk.DEFAULT_ARCH)
    smk.extract_init_oci_to(tmp_path / "init-oci")
    smk.verify_file("init_oci", tmp_path / "init-oci", arch=smk.DEFAULT_ARCH)


# ---- Each embedded architecture ------------------------------------------------


@pytest.mark.parametrize("pair", NAMES, ids=name_id)
def test_assets_of_an_arch_are_its_manifest_entries(pair):
    arch, name = pair
    entries = load_manifest(arch)
    infos = smk.assets(arch=name)
    assert [a.name for a in infos] == list(ASSETS)
    for a in infos:
        entry = entries[a.name]
        assert (a.name, a.file_name, a.size, a.sha256, a.mode, a.arch) == (
            entry["name"], entry["file"], entry["size"], entry["sha256"], int(entry["mode"], 8), arch
        )
        assert a.compressed is True
        assert a.embedded_size == entry["xz_size"]
    # The core's values: kind k of architecture a is a * 3 + k.
    index = smk.ARCHS.index(arch)
    for kind in range(_native.ASSET_COUNT):
        assert _native.asset_find(name, kind) == index * _native.ASSET_COUNT + kind


@pytest.mark.parametrize("arch", EMBEDDED)
def test_asset_bytes_of_an_arch_are_its_assets(arch):
    for name, entry in load_manifest(arch).items():
        data = smk.asset_bytes(name, arch=arch)
        assert type(data) is bytes and len(data) == entry["size"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert smk.asset_bytes(entry["file"], arch=arch) is data


@pytest.mark.parametrize("arch", EMBEDDED)
def test_extract_a_set_and_verify_it_for_its_arch_only(arch, tmp_path):
    entries = load_manifest(arch)
    target = tmp_path / "set"
    assert smk.extract_all_to(target, arch=arch) is None
    assert sorted(os.listdir(target)) == sorted(e["file"] for e in entries.values())
    for name, entry in entries.items():
        assert_is_asset(target / entry["file"], name, entries)
        smk.verify_file(name, target / entry["file"], arch=arch)
    assert smk.verify(target, arch=arch) is None
    assert smk.verify(os.fsencode(target), arch=arch) is None
    for other in EMBEDDED:
        if other == arch:
            continue
        with pytest.raises(smk.PayloadError) as info:
            smk.verify(target, arch=other)
        assert (info.value.name, info.value.filename) == ("SMK_ERR_SIZE", str(target / "kernel"))
        with pytest.raises(smk.PayloadError) as info:
            smk.verify_file("kernel", target / "kernel", arch=other)
        assert info.value.name == "SMK_ERR_SIZE"
    assert leftover_temporaries(tmp_path) == []


@pytest.mark.parametrize("arch", EMBEDDED)
def test_extract_asset_to_writes_one_asset_of_an_arch(arch, tmp_path):
    entries = load_manifest(arch)
    for name in ASSETS:
        dest = tmp_path / name
        assert smk.extract_asset_to(name, dest, arch=arch) is None
        assert_is_asset(dest, name, entries)
        deep = tmp_path / "a" / name / "b"
        with pytest.raises(FileNotFoundError):
            smk.extract_asset_to(name, deep, arch=arch)
        smk.extract_asset_to(entries[name]["file"], str(deep), arch=arch, with_parents=True)
        assert_is_asset(deep, name, entries)


@pytest.mark.parametrize("arch", EMBEDDED)
def test_ensure_assets_of_an_arch(arch, tmp_path, monkeypatch):
    entries = load_manifest(arch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    base = tmp_path / "xdg" / "supermachine-kernel" / smk.__version__
    expected = base if arch == smk.DEFAULT_ARCH else base / arch
    assert smk.default_dir(arch=arch) == expected
    assert smk.ensure_assets(arch=arch) == expected
    for alias in KNOWN[arch]["aliases"]:
        assert smk.default_dir(arch=alias) == expected
    for name, entry in entries.items():
        assert_is_asset(expected / entry["file"], name, entries)
    smk.verify(expected, arch=arch)


def test_ensure_assets_switches_a_directory_between_sets(tmp_path):
    for arch in [*EMBEDDED, *reversed(EMBEDDED)]:
        entries = load_manifest(arch)
        assert smk.ensure_assets(tmp_path, arch=arch) == tmp_path
        for name, entry in entries.items():
            assert_is_asset(tmp_path / entry["file"], name, entries)
        smk.verify(tmp_path, arch=arch)


# ---- Kernel info -----------------------------------------------------------------


def elf_facts(data: bytes) -> Dict[str, Optional[int]]:
    """What a VMM reads from an ELF64 little-endian vmlinux: e_entry; the
    span of its PT_LOAD segments in physical memory; and the PVH entry, the
    value of the "Xen" note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY) in a
    PT_NOTE segment (None if there is none)."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not an ELF64 little-endian file"
    (entry, phoff) = struct.unpack_from("<QQ", data, 0x18)
    (phentsize, phnum) = struct.unpack_from("<HH", data, 0x36)
    loads: List[tuple] = []
    pvh = None
    for i in range(phnum):
        p_type, _flags, offset, _vaddr, paddr, filesz, memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize
        )
        if p_type == 1:  # PT_LOAD
            loads.append((paddr, paddr + memsz))
        elif p_type == 4:  # PT_NOTE: namesz, descsz, type, name, desc; 4-aligned
            pos, end = offset, offset + filesz
            while pos + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
                name = data[pos + 12 : pos + 12 + namesz]
                desc_at = pos + 12 + (namesz + 3) // 4 * 4
                desc = data[desc_at : desc_at + descsz]
                if name == b"Xen\0" and ntype == 18:
                    pvh = int.from_bytes(desc, "little")
                pos = desc_at + (descsz + 3) // 4 * 4
    assert loads, "no PT_LOAD segment"
    low = min(start for start, _ in loads)
    return {"entry": entry, "pvh_entry": pvh, "load_address": low,
            "image_size": max(stop for _, stop in loads) - low}


@pytest.mark.parametrize("pair", NAMES, ids=name_id)
def test_kernel_info_of_an_arch(pair):
    arch, name = pair
    info = smk.kernel_info(arch=name)
    assert isinstance(info, smk.KernelInfo)
    assert info.arch == arch
    assert info.format == KNOWN[arch]["kernel_format"]
    assert info.release == load_manifest(arch)["kernel"]["release"]
    data = smk.asset_bytes("kernel", arch=arch)
    if info.format == "ELF":
        facts = elf_facts(data)
        assert facts["pvh_entry"] is not None, "the vmlinux has no PVH note"
        assert info.pvh_entry == facts["pvh_entry"]
        assert (info.entry, info.load_address, info.image_size) == (
            facts["entry"], facts["load_address"], facts["image_size"]
        )
        assert (info.text_offset, info.flags) == (0, 0)
    else:
        # arm64 Image header: text_offset, image_size, flags (le64 at 8,
        # 16, 24), magic "ARM\x64" at 56.
        assert data[56:60] == b"ARM\x64"
        assert (info.text_offset, info.image_size, info.flags) == struct.unpack_from("<QQQ", data, 8)
        assert info.image_size >= len(data)
        assert (info.entry, info.pvh_entry, info.load_address) == (0, 0, 0)


# ---- Names without a set here ---------------------------------------------------


def arch_calls(root: pathlib.Path) -> Dict[str, Callable[[str], Any]]:
    """Every function that takes an architecture, each writing (if it
    wrote at all) below root."""
    return {
        "assets": lambda a: smk.assets(arch=a),
        "kernel_info": lambda a: smk.kernel_info(arch=a),
        "asset_bytes": lambda a: smk.asset_bytes("kernel", arch=a),
        "extract_asset_to": lambda a: smk.extract_asset_to("kernel", root / "kernel", arch=a),
        "extract_asset_to-with-parents": lambda a: smk.extract_asset_to(
            "init_oci", root / "new" / "init-oci", arch=a, with_parents=True),
        "extract_all_to": lambda a: smk.extract_all_to(root / "all", arch=a),
        "ensure_assets": lambda a: smk.ensure_assets(root / "ensured", arch=a),
        "ensure_assets-default-dir": lambda a: smk.ensure_assets(arch=a),
        "default_dir": lambda a: smk.default_dir(arch=a),
        "verify": lambda a: smk.verify(root, arch=a),
        "verify_file": lambda a: smk.verify_file("kernel", root / "kernel", arch=a),
    }


@pytest.mark.parametrize("call", list(arch_calls(pathlib.Path("."))))
@pytest.mark.parametrize("name", REFUSED, ids=repr)
def test_a_name_without_a_set_is_refused_before_anything_is_written(name, call, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(ValueError) as info:
        arch_calls(tmp_path)[call](name)
    message = str(info.value)
    assert repr(name) in message
    assert all(repr(a) in message for a in smk.ARCHS), message
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [3, b"x86_64", ["x86_64"]], ids=repr)
def test_an_arch_that_is_not_a_str_raises_type_error(bad, tmp_path):
    for fn in arch_calls(tmp_path).values():
        with pytest.raises(TypeError):
            fn(bad)
    assert os.listdir(tmp_path) == []


def test_the_core_refuses_those_names_with_no_arch():
    for name in SECTION["unknown"]:
        for fn in (lambda: _native.asset_find(name, 0), lambda: _native.kernel_get_info_for(name),
                   lambda: _native.default_dir_for(name)):
            with pytest.raises(smk.PayloadError) as info:
                fn()
            assert (info.value.name, info.value.code) == ("SMK_ERR_NO_ARCH", _native.ERR_NO_ARCH)
    with pytest.raises(ValueError):
        _native.asset_find("x86_64\0", 0)
    with pytest.raises(OSError):  # -EINVAL: not a kind
        _native.asset_find(None, _native.ASSET_COUNT)


def test_arch_is_keyword_only():
    for fn, args in ((smk.assets, ()), (smk.kernel_info, ()), (smk.default_dir, ()),
                     (smk.asset_bytes, ("kernel",)), (smk.extract_all_to, (".",)),
                     (smk.verify, (".",)), (smk.verify_file, ("kernel", ".")),
                     (smk.ensure_assets, (".",)), (smk.extract_asset_to, ("kernel", "k"))):
        with pytest.raises(TypeError):
            fn(*args, smk.DEFAULT_ARCH)
