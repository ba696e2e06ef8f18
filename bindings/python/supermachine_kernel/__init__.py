"""The guest side of a microVM, embedded: a Linux kernel, the ``init-oci``
PID 1 and the ``supermachine-agent``, one set per guest architecture
(aarch64: an arm64 ``Image``; x86_64: a PVH ``vmlinux``).

The artifacts ship xz-compressed inside this package's extension and are
decoded on demand by the supermachine-kernel C core: straight to a file
(``extract_*_to``, :func:`ensure_assets`) or into memory (``KERNEL_BYTES``
and friends, decoded on first access, never at import)::

    import supermachine_kernel as smk

    assets = smk.ensure_assets()          # a per-version cache directory
    smk.extract_kernel_to("vm/kernel")    # or one file, atomically
    print(smk.KERNEL_LEN, smk.kernel_info().release)

Under KVM a guest must match its host, so the names without an
architecture (``KERNEL_BYTES``, ``extract_kernel_to``, :func:`assets`, ...)
mean the set of :data:`DEFAULT_ARCH`, the host's.  Every embedded set
(:data:`ARCHS`) stays reachable: the set-wide and per-asset functions take
a keyword-only ``arch`` ("aarch64" or "x86_64"; also "arm64", "amd64",
"x64"), e.g. ``smk.extract_all_to("vm", arch="aarch64")``.  An
architecture whose set this package does not embed raises ``ValueError``.

Paths may be ``str``, ``bytes`` or ``os.PathLike``.  Failures of the
operating system raise the matching ``OSError`` subclass with ``errno``,
``strerror`` and ``filename`` set; damaged data raises :class:`PayloadError`.
Files are never left half-written: extraction decodes into a temporary file
in the destination's directory and renames it into place.  The GIL is
released while decoding, so threads extract in parallel.
"""

# typing is never imported: this module is meant to cost next to nothing
# at import.  Its types are in __init__.pyi.
import os as _os

try:
    from . import _native
except ImportError as e:  # pragma: no cover - a source tree, or a wrong wheel
    if any(n.startswith("_native.") and n.endswith(".so") for n in _os.listdir(_os.path.dirname(__file__))):
        # There, but not loadable here: a wheel of another architecture or
        # libc, say.
        raise ImportError(
            f"supermachine_kernel's extension cannot be loaded: {e} "
            "(is the installed wheel for another platform?)",
            name=__name__,
        ) from e
    raise ImportError(
        f"supermachine_kernel's extension (_native) is not beside {__file__}: "
        "importing the sources instead of an installed package? "
        "Install it with `pip install .` from the repository root.",
        name=__name__,
    ) from e
from ._errors import PayloadError

__all__ = [
    # the seed's surface (KERNEL_BYTES & co. are left out on purpose:
    # a star import would decode all three)
    "KERNEL_LEN",
    "INIT_OCI_LEN",
    "SUPERMACHINE_AGENT_LEN",
    "extract_kernel_to",
    "extract_kernel_to_with_parents",
    "extract_init_oci_to",
    "extract_init_oci_to_with_parents",
    "extract_supermachine_agent_to",
    "extract_supermachine_agent_to_with_parents",
    "extract_to",
    "extract_to_with_parents",
    # beyond it
    "ARCHS",
    "DEFAULT_ARCH",
    "AssetInfo",
    "KernelInfo",
    "PayloadError",
    "asset_bytes",
    "assets",
    "default_dir",
    "ensure_assets",
    "extract_all_to",
    "extract_asset_to",
    "kernel_info",
    "verify",
    "verify_file",
]

__version__: str = _native.version_string()

#: The guest architectures whose sets the package embeds, the default one
#: first: ("x86_64", "aarch64") on an x86_64 host, ("aarch64", "x86_64") on
#: an aarch64 one, fewer if the build chose fewer (SMK_ARCHS).
ARCHS: tuple = tuple(_native.arch_name(i) for i in range(_native.arch_count()))
#: The architecture of the names without one (KERNEL_BYTES, extract_kernel_to,
#: assets(), ...): the host's when its set is embedded, else ARCHS[0].
DEFAULT_ARCH: str = _native.default_arch()

#: Decoded sizes in bytes of the default architecture's set; reading them
#: decodes nothing.
KERNEL_LEN: int = _native.kernel_len()
INIT_OCI_LEN: int = _native.init_oci_len()
SUPERMACHINE_AGENT_LEN: int = _native.supermachine_agent_len()

# Asset names ("kernel", "init_oci", "supermachine_agent") and file names
# ("kernel", "init-oci", "supermachine-agent", the same for every
# architecture), in the core's order, and both kinds of name -> the kind
# (the default architecture's smk_asset value).
_ASSET_NAMES = tuple(_native.asset_get_info(i)[0] for i in range(_native.ASSET_COUNT))
_FILE_NAMES = tuple(_native.asset_get_info(i)[1] for i in range(_native.ASSET_COUNT))
_ASSET_IDS = {name: i for names in (_ASSET_NAMES, _FILE_NAMES) for i, name in enumerate(names)}

# The lazy constants of PEP 562: name -> asset.
_LAZY_BYTES = {
    "KERNEL_BYTES": _native.ASSET_KERNEL,
    "INIT_OCI_BYTES": _native.ASSET_INIT_OCI,
    "SUPERMACHINE_AGENT_BYTES": _native.ASSET_SUPERMACHINE_AGENT,
}
# Defined on first use, so that importing costs no collections import.
_LAZY_TYPES = ("AssetInfo", "KernelInfo")
# Decoded assets, by smk_asset value: one bytes object per asset, shared by
# KERNEL_BYTES & co. and asset_bytes().
_DECODED: dict = {}


def __getattr__(name: str) -> object:
    """Decode ``KERNEL_BYTES``, ``INIT_OCI_BYTES`` or
    ``SUPERMACHINE_AGENT_BYTES`` on first access, then keep it as a module
    attribute (so later accesses never come back here).  Also defines
    ``AssetInfo`` and ``KernelInfo`` when first needed."""
    asset = _LAZY_BYTES.get(name)
    if asset is not None:
        # The core decodes once even under concurrent callers; setdefault
        # gives every thread the same bytes object.
        return globals().setdefault(name, _decoded(asset))
    if name in _LAZY_TYPES:
        _define_types()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_BYTES) | set(_LAZY_TYPES))


def _decoded(value):
    data = _DECODED.get(value)
    if data is None:
        data = _DECODED.setdefault(value, _native.asset_bytes(value))
    return data


# ---- Architectures and assets ----------------------------------------------


def _arch(arch):
    """None (the default architecture) for None, else the canonical name
    of *arch* ("arm64" -> "aarch64"); ValueError if the package embeds no
    set for it, TypeError if it is not a str."""
    if arch is None:
        return None
    if not isinstance(arch, str):
        raise TypeError(f"arch must be a str or None, not {type(arch).__name__}")
    # "" means the default to the core; to Python that is None's job.
    if arch and "\0" not in arch:
        try:
            return _native.asset_get_info(_native.asset_find(arch, 0))[5]
        except PayloadError:  # SMK_ERR_NO_ARCH
            pass
    names = ", ".join(repr(a) for a in ARCHS)
    raise ValueError(f"no guest set for architecture {arch!r} here (ARCHS: {names})")


def _asset_kind(asset):
    try:
        return _ASSET_IDS[asset]
    except (KeyError, TypeError):
        names = ", ".join(repr(n) for n in _ASSET_NAMES)
        raise ValueError(f"unknown asset {asset!r} (expected one of {names})") from None


def _asset_value(asset, arch):
    """The core's smk_asset value of *asset* (a name or file name) of
    *arch*'s set; ValueError for either unknown."""
    kind = _asset_kind(asset)
    arch = _arch(arch)
    return kind if arch is None else _native.asset_find(arch, kind)


def asset_bytes(asset, *, arch=None):
    """The bytes of *asset* ("kernel", "init_oci", "supermachine_agent", or
    its file name) of *arch*'s set (default: :data:`DEFAULT_ARCH`).

    Decoded on the first call for that asset, then kept: every later call
    (and ``KERNEL_BYTES`` & co. for the default set) gives the same
    ``bytes`` object.
    """
    return _decoded(_asset_value(asset, arch))


# ---- Extraction ----------------------------------------------------------


def extract_kernel_to(path):
    """Write the kernel (of :data:`DEFAULT_ARCH`, as every ``extract_*_to``)
    to *path* (mode 0644), atomically.

    An existing file (or symlink) at *path* is replaced; the directory must
    exist.  On failure *path* is left as it was.
    """
    _native.extract_kernel_to(path)


def extract_kernel_to_with_parents(path):
    """Like :func:`extract_kernel_to`, creating missing parent directories."""
    _native.extract_kernel_to_with_parents(path)


def extract_init_oci_to(path):
    """Write init-oci to *path* (mode 0755), atomically."""
    _native.extract_init_oci_to(path)


def extract_init_oci_to_with_parents(path):
    """Like :func:`extract_init_oci_to`, creating missing parent directories."""
    _native.extract_init_oci_to_with_parents(path)


def extract_supermachine_agent_to(path):
    """Write supermachine-agent to *path* (mode 0755), atomically."""
    _native.extract_supermachine_agent_to(path)


def extract_supermachine_agent_to_with_parents(path):
    """Like :func:`extract_supermachine_agent_to`, creating missing parent
    directories."""
    _native.extract_supermachine_agent_to_with_parents(path)


def extract_to(path):
    """Deprecated alias of :func:`extract_kernel_to`."""
    import warnings

    warnings.warn(
        "extract_to() is deprecated; use extract_kernel_to()",
        DeprecationWarning,
        stacklevel=2,
    )
    _native.extract_kernel_to(path)


def extract_to_with_parents(path):
    """Deprecated alias of :func:`extract_kernel_to_with_parents`."""
    import warnings

    warnings.warn(
        "extract_to_with_parents() is deprecated; use extract_kernel_to_with_parents()",
        DeprecationWarning,
        stacklevel=2,
    )
    _native.extract_kernel_to_with_parents(path)


def extract_asset_to(asset, path, *, arch=None, with_parents=False):
    """Write *asset* ("kernel", "init_oci", "supermachine_agent", or its
    file name) of *arch*'s set (default: :data:`DEFAULT_ARCH`) to *path*,
    atomically, as ``extract_kernel_to`` & co. do; with *with_parents*,
    creating missing parent directories."""
    value = _asset_value(asset, arch)
    if with_parents:
        _native.asset_extract_to_with_parents(value, path)
    else:
        _native.asset_extract_to(value, path)


def extract_all_to(dir, *, arch=None):
    """Write *arch*'s set (default: :data:`DEFAULT_ARCH`) into *dir* under
    the plain file names ("kernel", "init-oci", "supermachine-agent", the
    same for every architecture), creating *dir* and its parents if
    missing.  Each file is written atomically; the assets are decoded
    together, on all cores."""
    _native.extract_set_to(_arch(arch), dir)


# ---- Directories of assets -----------------------------------------------


def default_dir(*, arch=None):
    """The directory :func:`ensure_assets` uses by default:
    ``$XDG_CACHE_HOME/supermachine-kernel/<version>`` (when XDG_CACHE_HOME
    is absolute), else ``~/.cache/supermachine-kernel/<version>``; for an
    *arch* other than :data:`DEFAULT_ARCH`, its subdirectory ``<arch>``
    (the canonical name, "aarch64" or "x86_64")."""
    import pathlib

    return pathlib.Path(_native.default_dir_for(_arch(arch)))


def ensure_assets(dir=None, *, arch=None):
    """Make *dir* (default: ``default_dir(arch=arch)``) hold *arch*'s set
    (default: :data:`DEFAULT_ARCH`), complete and current, under the plain
    file names, and return it as a :class:`pathlib.Path`.

    Only what is missing or differs is extracted; when nothing changed since
    the last call the check is a few ``lstat`` calls.  Safe under concurrent
    callers, threads or processes.  A directory holds one set: ensuring
    another architecture's in it replaces the files.
    """
    arch = _arch(arch)
    if dir is None:
        dir = _native.default_dir_for(arch)
    _native.ensure_set(arch, dir)
    import pathlib

    return pathlib.Path(_os.fsdecode(dir))


def verify_file(asset, path, *, arch=None):
    """Check that *path* holds *asset* ("kernel", "init_oci",
    "supermachine_agent", or its file name) of *arch*'s set (default:
    :data:`DEFAULT_ARCH`): a regular file (not a symlink) of the asset's
    size and mode, with exactly its bytes.  Reads the whole file, and
    computes no digest: it compares the file with the decoded payload.

    Raises the ``OSError`` of a file that cannot be read, or
    :class:`PayloadError` (``SMK_ERR_NOT_REGULAR``, ``SMK_ERR_SIZE``,
    ``SMK_ERR_MODE``, ``SMK_ERR_CHECKSUM``, checked in that order).
    """
    _native.verify_file(_asset_value(asset, arch), path)


def verify(dir, *, arch=None):
    """Check *arch*'s set (default: :data:`DEFAULT_ARCH`) in *dir*, each
    asset under its file name, as :func:`verify_file` does, the files
    compared together on all cores.  Returns ``None`` when all match; the
    exception names the first file (in asset order) that does not."""
    arch = _arch(arch)
    try:
        _native.verify_set(arch, dir)
    except (OSError, PayloadError) as err:
        # The core's per-asset results name the first file that fails;
        # raise what verify_file() would have raised for it.
        failed = [(i, c) for i, c in enumerate(getattr(err, "results")) if c < 0]
        if not failed:
            raise  # the directory's own failure
        asset, code = failed[0]
        base = _os.fspath(dir)
        if isinstance(base, bytes):
            path = _os.path.join(base, _os.fsencode(_FILE_NAMES[asset]))
        else:
            path = _os.path.join(base, _FILE_NAMES[asset])
        if -4096 < code < 0:
            # OSError's constructor picks the subclass, as the extension's.
            raise OSError(-code, _native.strerror(code), path) from None
        raise PayloadError(code, _native.error_name(code), _native.strerror(code), path) from None


# ---- Descriptions ----------------------------------------------------------

def _define_types():
    # collections is imported when first needed, not at import.
    if "KernelInfo" not in globals():
        from collections import namedtuple

        asset_info = namedtuple(
            "AssetInfo",
            "name file_name size sha256 mode arch compressed embedded_size",
            module=__name__,
        )
        asset_info.__doc__ = (
            "What the build recorded about an asset: name (\"kernel\", "
            "\"init_oci\", \"supermachine_agent\"), file_name, size (decoded, "
            "bytes), sha256 (of the decoded bytes, as the build recorded it), "
            "mode (0o644 or 0o755), arch (\"aarch64\" or \"x86_64\"), "
            "compressed (embedded as xz), embedded_size (bytes in the package)."
        )
        kernel_info_type = namedtuple(
            "KernelInfo",
            "text_offset image_size flags release arch format entry pvh_entry load_address",
            module=__name__,
        )
        kernel_info_type.__doc__ = (
            "What a VMM needs to load a kernel.  format is \"Image\" (arm64 "
            "Image: text_offset, image_size and flags from its header; entry, "
            "pvh_entry, load_address 0) or \"ELF\" (x86_64 vmlinux: entry is "
            "e_entry, pvh_entry the physical PVH entry of its Xen note, "
            "load_address the lowest physical address loaded, image_size the "
            "span loaded in physical memory; text_offset and flags 0).  "
            "release is the kernel's, e.g. \"6.12.117\"; arch its architecture."
        )
        globals().setdefault("AssetInfo", asset_info)
        globals().setdefault("KernelInfo", kernel_info_type)


def assets(*, arch=None):
    """Describe *arch*'s set (default: :data:`DEFAULT_ARCH`), in the core's
    order (kernel, init_oci, supermachine_agent).  Decodes nothing."""
    arch = _arch(arch)
    _define_types()
    make = globals()["AssetInfo"]._make
    kinds = range(_native.ASSET_COUNT)
    values = kinds if arch is None else [_native.asset_find(arch, k) for k in kinds]
    return tuple(make(_native.asset_get_info(v)) for v in values)


def kernel_info(*, arch=None):
    """The kernel of *arch*'s set (default: :data:`DEFAULT_ARCH`): its
    loading fields (arm64 Image header, or the ELF and PVH entries of an
    x86_64 vmlinux) and release.  The first call for an architecture
    decodes the payload's first bytes (never the whole kernel)."""
    arch = _arch(arch)
    _define_types()
    return globals()["KernelInfo"]._make(_native.kernel_get_info_for(arch))
