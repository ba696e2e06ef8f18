"""The exception for payload errors (the core's SMK_ERR_* codes).

Operating-system errors are raised as the matching ``OSError`` subclass
instead, built by the extension from the core's ``-errno`` code.
"""

# Annotations stay strings (PEP 563): importing typing would cost more than
# the whole package.
from __future__ import annotations

__all__ = ["PayloadError"]


class PayloadError(Exception):
    """An asset's data is not what it should be.

    Raised for the core's ``SMK_ERR_*`` codes: the embedded payload is
    corrupt (``SMK_ERR_CORRUPT``, ``SMK_ERR_UNSUPPORTED``,
    ``SMK_ERR_NOT_IMAGE``), or a file checked by :func:`verify` differs
    from the asset (``SMK_ERR_SIZE``, ``SMK_ERR_MODE``,
    ``SMK_ERR_NOT_REGULAR``, ``SMK_ERR_CHECKSUM``).

    Attributes:
        code: the core's negative code, e.g. ``-10003``.
        name: its symbolic name, e.g. ``"SMK_ERR_CHECKSUM"`` (``None`` for a
            code the core does not name).
        strerror: the core's description of the code.
        filename: the path concerned, as ``os.fspath`` gave it, or ``None``.
    """

    code: int
    name: str | None
    strerror: str
    filename: str | bytes | None

    def __init__(
        self,
        code: int,
        name: str | None,
        strerror: str,
        filename: str | bytes | None = None,
    ) -> None:
        super().__init__(code, name, strerror, filename)
        self.code = code
        self.name = name
        self.strerror = strerror
        self.filename = filename

    def __str__(self) -> str:
        text = f"[{self.name or self.code}] {self.strerror}"
        if self.filename is not None:
            text += f": {self.filename!r}"
        return text
