"""pixelkit's exceptions, and the translation of C status codes into them."""

from __future__ import annotations

from pixelkit._native import ffi, lib


class PixelkitError(Exception):
    """Base class of every error pixelkit raises on its own."""


class FormatError(PixelkitError, ValueError):
    """A file or stream is not a valid image of the expected format."""


class LayoutError(PixelkitError):
    """The C compiler, cffi and numpy disagree on the layout of ``pixel_t``."""


_FORMAT_STATUSES = frozenset({lib.PK_ERR_SAMPLE_RANGE, lib.PK_ERR_SYNTAX, lib.PK_ERR_TRUNCATED})


def status_message(status: int) -> str:
    """The C library's description of a status code."""
    return str(ffi.string(lib.pk_status_message(status)).decode("ascii"))


def check(status: int, context: str) -> None:
    """Raise the Python exception for a failed C call; ``context`` names the call."""
    if status == lib.PK_OK:
        return
    message = f"{context}: {status_message(status)}"
    if status == lib.PK_ERR_NO_MEMORY:
        raise MemoryError(message)
    if status in _FORMAT_STATUSES:
        raise FormatError(message)
    raise ValueError(message)
