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

_StrOrBytesPath: TypeAlias = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__version__: Final[str]

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
def extract_all_to(dir: _StrOrBytesPath) -> None: ...
def default_dir() -> pathlib.Path: ...
def ensure_assets(dir: Optional[_StrOrBytesPath] = None) -> pathlib.Path: ...
def verify(dir: _StrOrBytesPath) -> None: ...
def verify_file(asset: str, path: _StrOrBytesPath) -> None: ...
def assets() -> Tuple[AssetInfo, ...]: ...
def kernel_info() -> KernelInfo: ...
