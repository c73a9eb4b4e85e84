"""pixelkit's exceptions, and the translation of C status codes into them."""

from __future__ import annotations

from pixelkit._native import ffi, lib


class PixelkitError(Exception):
    """Base class of every error pixelkit raises on its own.

    Bad arguments raise the built-in ``TypeError`` and ``ValueError`` (and
    refused allocations ``MemoryError``); what is specific to pixelkit
    derives from this class.

    Examples
    --------
    >>> issubclass(pixelkit.FormatError, pixelkit.PixelkitError)
    True
    """


class FormatError(PixelkitError, ValueError):
    """A file or stream is not a valid image of the expected format.

    Also a ``ValueError``.  The message names the file, the reason and, for
    netpbm, the byte offset.

    Examples
    --------
    >>> import io
    >>> try:
    ...     pixelkit.read_ppm(io.BytesIO(b"P6 2 2 255 xyz"))
    ... except pixelkit.FormatError as exc:
    ...     print(exc)
    <BytesIO>: the pixel data needs 12 bytes at byte offset 11, but only 3 remain
    """


class LayoutError(PixelkitError):
    """The C compiler, cffi and numpy disagree on the layout of ``pixel_t`` (or of pixelkit's structs).

    Raised at import of pixelkit when its own layout checks fail, and by
    :func:`pixelkit.bind` when an extension module was compiled with another
    layout; the message names the field and the values.  A correct build never raises it.

    Examples
    --------
    >>> pixelkit.PIXEL_DTYPE.itemsize  # checked at import, or LayoutError
    3
    """


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
