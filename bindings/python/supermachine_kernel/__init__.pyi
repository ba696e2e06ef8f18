# Type stubs of supermachine_kernel.  The module itself never imports
# typing (it would cost more at import than the module), so its types live
# here.  Docs are in __init__.py.
import os
import pathlib
from typing import Final, NamedTuple, Optional, Tuple, Union

from typing_extensions import TypeAlias, deprecated

from ._errors import PayloadError as PayloadError

__all__ = [
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

_StrOrBytesPath: TypeAlias = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__version__: Final[str]

ARCHS: Final[Tuple[str, ...]]
DEFAULT_ARCH: Final[str]

KERNEL_BYTES: Final[bytes]
INIT_OCI_BYTES: Final[bytes]
SUPERMACHINE_AGENT_BYTES: Final[bytes]

KERNEL_LEN: Final[int]
INIT_OCI_LEN: Final[int]
SUPERMACHINE_AGENT_LEN: Final[int]

class AssetInfo(NamedTuple):
    name: str
    file_name: str
    size: int
    sha256: str
    mode: int
    arch: str
    compressed: bool
    embedded_size: int

class KernelInfo(NamedTuple):
    text_offset: int
    image_size: int
    flags: int
    release: str
    arch: str
    format: str
    entry: int
    pvh_entry: int
    load_address: int

def extract_kernel_to(path: _StrOrBytesPath) -> None: ...
def extract_kernel_to_with_parents(path: _StrOrBytesPath) -> None: ...
def extract_init_oci_to(path: _StrOrBytesPath) -> None: ...
def extract_init_oci_to_with_parents(path: _StrOrBytesPath) -> None: ...
def extract_supermachine_agent_to(path: _StrOrBytesPath) -> None: ...
def extract_supermachine_agent_to_with_parents(path: _StrOrBytesPath) -> None: ...
@deprecated("use extract_kernel_to()")
def extract_to(path: _StrOrBytesPath) -> None: ...
@deprecated("use extract_kernel_to_with_parents()")
def extract_to_with_parents(path: _StrOrBytesPath) -> None: ...
def extract_asset_to(
    asset: str, path: _StrOrBytesPath, *, arch: Optional[str] = None, with_parents: bool = False
) -> None: ...
def extract_all_to(dir: _StrOrBytesPath, *, arch: Optional[str] = None) -> None: ...
def default_dir(*, arch: Optional[str] = None) -> pathlib.Path: ...
def ensure_assets(dir: Optional[_StrOrBytesPath] = None, *, arch: Optional[str] = None) -> pathlib.Path: ...
def verify(dir: _StrOrBytesPath, *, arch: Optional[str] = None) -> None: ...
def verify_file(asset: str, path: _StrOrBytesPath, *, arch: Optional[str] = None) -> None: ...
def asset_bytes(asset: str, *, arch: Optional[str] = None) -> bytes: ...
def assets(*, arch: Optional[str] = None) -> Tuple[AssetInfo, ...]: ...
def kernel_info(*, arch: Optional[str] = None) -> KernelInfo: ...
