"""The guest side of a microVM, embedded: an aarch64 Linux kernel ``Image``,
the ``init-oci`` PID 1 and the ``supermachine-agent``.

The three artifacts ship xz-compressed inside this package's extension and
are decoded on demand by the supermachine-kernel C core: straight to a file
(``extract_*_to``, :func:`ensure_assets`) or into memory (``KERNEL_BYTES``
and friends, decoded on first access, never at import)::

    import supermachine_kernel as smk

    assets = smk.ensure_assets()          # a per-version cache directory
    smk.extract_kernel_to("vm/kernel")    # or one file, atomically
    print(smk.KERNEL_LEN, smk.kernel_info().release)

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
except ImportError as e:  # pragma: no cover - a source tree, not an install
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
    "AssetInfo",
    "KernelInfo",
    "PayloadError",
    "assets",
    "default_dir",
    "ensure_assets",
    "extract_all_to",
    "kernel_info",
    "verify",
    "verify_file",
]

__version__: str = _native.version_string()

#: Decoded sizes in bytes; reading them decodes nothing.
KERNEL_LEN: int = _native.kernel_len()
INIT_OCI_LEN: int = _native.init_oci_len()
SUPERMACHINE_AGENT_LEN: int = _native.supermachine_agent_len()

# Asset names ("kernel", "init_oci", "supermachine_agent") and file names
# ("kernel", "init-oci", "supermachine-agent"), in the core's order, and
# both kinds of name -> the core's smk_asset value.
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


def __getattr__(name: str) -> object:
    """Decode ``KERNEL_BYTES``, ``INIT_OCI_BYTES`` or
    ``SUPERMACHINE_AGENT_BYTES`` on first access, then keep it as a module
    attribute (so later accesses never come back here).  Also defines
    ``AssetInfo`` and ``KernelInfo`` when first needed."""
    asset = _LAZY_BYTES.get(name)
    if asset is not None:
        # The core decodes once even under concurrent callers; setdefault
        # gives every thread the same bytes object.
        return globals().setdefault(name, _native.asset_bytes(asset))
    if name in _LAZY_TYPES:
        _define_types()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_BYTES) | set(_LAZY_TYPES))


# ---- Extraction ----------------------------------------------------------


def extract_kernel_to(path):
    """Write the kernel Image to *path* (mode 0644), atomically.

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


def extract_all_to(dir):
    """Write every asset into *dir* under its file name ("kernel",
    "init-oci", "supermachine-agent"), creating *dir* and its parents if
    missing.  Each file is written atomically; the assets are decoded
    together, on all cores."""
    _native.extract_all_to(dir)


# ---- Directories of assets -----------------------------------------------


def default_dir():
    """The directory :func:`ensure_assets` uses by default:
    ``$XDG_CACHE_HOME/supermachine-kernel/<version>`` (when XDG_CACHE_HOME
    is absolute), else ``~/.cache/supermachine-kernel/<version>``."""
    import pathlib

    return pathlib.Path(_native.default_dir())


def ensure_assets(dir=None):
    """Make *dir* (default: :func:`default_dir`) hold every asset, complete
    and current, and return it as a :class:`pathlib.Path`.

    Only what is missing or differs is extracted; when nothing changed since
    the last call the check is a few ``lstat`` calls.  Safe under concurrent
    callers, threads or processes.
    """
    if dir is None:
        dir = _native.default_dir()
    _native.ensure_assets(dir)
    import pathlib

    return pathlib.Path(_os.fsdecode(dir))


def _asset_id(asset):
    try:
        return _ASSET_IDS[asset]
    except (KeyError, TypeError):
        names = ", ".join(repr(n) for n in _ASSET_NAMES)
        raise ValueError(f"unknown asset {asset!r} (expected one of {names})") from None


def verify_file(asset, path):
    """Check that *path* holds *asset* ("kernel", "init_oci",
    "supermachine_agent"): a regular file (not a symlink) of the asset's
    size and mode, with exactly its bytes.  Reads the whole file, and
    computes no digest: it compares the file with the decoded payload.

    Raises the ``OSError`` of a file that cannot be read, or
    :class:`PayloadError` (``SMK_ERR_NOT_REGULAR``, ``SMK_ERR_SIZE``,
    ``SMK_ERR_MODE``, ``SMK_ERR_CHECKSUM``, checked in that order).
    """
    _native.verify_file(_asset_id(asset), path)


def verify(dir):
    """Check every asset in *dir* under its file name, as :func:`verify_file`
    does, the files compared together on all cores.  Returns ``None`` when
    all match; the exception names the first file (in asset order) that
    does not."""
    try:
        _native.verify_each(dir)
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
            "mode (0o644 or 0o755), arch, compressed (embedded as xz), "
            "embedded_size (bytes in the package)."
        )
        kernel_info_type = namedtuple(
            "KernelInfo", "text_offset image_size flags release", module=__name__
        )
        kernel_info_type.__doc__ = (
            "The arm64 Image header of the kernel (text_offset, image_size, "
            "flags) and its release string, e.g. \"6.12.117\"."
        )
        globals().setdefault("AssetInfo", asset_info)
        globals().setdefault("KernelInfo", kernel_info_type)


def assets():
    """Describe the embedded assets, in the core's order (kernel, init_oci,
    supermachine_agent).  Decodes nothing."""
    _define_types()
    make = globals()["AssetInfo"]._make
    return tuple(make(_native.asset_get_info(i)) for i in range(_native.ASSET_COUNT))


def kernel_info():
    """The kernel's arm64 Image header fields and release.  The first call
    decodes the payload's first bytes (never the whole kernel)."""
    _define_types()
    return globals()["KernelInfo"]._make(_native.kernel_get_info())
