"""Packed RGB pixel formats: rgba, bgra, argb, abgr, bgr24, rgb565le, bgr565le, rgb48le, rgb48be (and rgb24).

Format names are ffmpeg's ``-pix_fmt`` names, and each buffer holds exactly
the bytes ffmpeg's ``-f rawvideo -pix_fmt NAME`` writes for a frame.
:func:`~pixelkit.from_packed` converts such pixels to an rgb24 :class:`~pixelkit.Image`,
:func:`~pixelkit.to_packed` converts an image to them.  Alpha is dropped on the way in
and set to 255 on the way out; the 5- and 6-bit fields of rgb565le and
bgr565le widen to 8 bits by bit replication (``(v << 3) | (v >> 2)`` and
``(v << 2) | (v >> 4)``, as ffmpeg) and narrow by truncation (``v >> 3`` and
``v >> 2``, as ffmpeg with ``-sws_flags neighbor``; its default dithers); the
16-bit samples of rgb48le and rgb48be narrow with netpbm's rounding,
``(v * 255 + 32767) // 65535`` (as :func:`~pixelkit.read_ppm` and netpbm's
``pamdepth 255``), and widen as ``v * 257``.  (ffmpeg 5.1 converts rgb48 to
rgb24 and back through its generic scaler, which is off by one for about
half of the samples whatever ``-sws_flags`` say.)
"""

from __future__ import annotations

import math
from typing import Any, Literal, SupportsIndex, TypeVar, cast, overload

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import CData, lib
from pixelkit.errors import check
from pixelkit.image import Image, data_pointer, dimension, new_bytes
from pixelkit.rawio import as_image

PackedFormat = Literal["rgb24", "bgr24", "rgba", "bgra", "argb", "abgr", "rgb565le", "bgr565le", "rgb48le", "rgb48be"]

_FORMATS: dict[PackedFormat, int] = {
    "rgb24": lib.PK_PACKED_RGB24,
    "bgr24": lib.PK_PACKED_BGR24,
    "rgba": lib.PK_PACKED_RGBA,
    "bgra": lib.PK_PACKED_BGRA,
    "argb": lib.PK_PACKED_ARGB,
    "abgr": lib.PK_PACKED_ABGR,
    "rgb565le": lib.PK_PACKED_RGB565LE,
    "bgr565le": lib.PK_PACKED_BGR565LE,
    "rgb48le": lib.PK_PACKED_RGB48LE,
    "rgb48be": lib.PK_PACKED_RGB48BE,
}

PACKED_FORMATS: tuple[PackedFormat, ...] = tuple(_FORMATS)
"""The names :func:`~pixelkit.from_packed` and :func:`~pixelkit.to_packed` take."""

ArrayT = TypeVar("ArrayT", bound="np.ndarray[Any, Any]")


def _format(format: str, op: str) -> tuple[int, int]:
    """(the PK_PACKED_* code, bytes per pixel) of a format name, or ValueError listing the valid ones."""
    code = _FORMATS.get(cast(PackedFormat, format)) if isinstance(format, str) else None
    if code is None:
        raise ValueError(f"{op}: unknown packed format {format!r}; valid formats: {', '.join(_FORMATS)}")
    return code, int(lib.pk_packed_pixel_bytes(code))


def _packed_rows(
    data: Any, width: int, height: int, format: str, pixel_bytes: int, op: str, name: str, writable: bool
) -> tuple[NDArray[Any], CData, int]:
    """(an array over ``data``'s memory, a ``uint8_t *`` to its first byte, the row stride).

    A contiguous buffer of any shape must hold exactly the frame's bytes; a
    numpy array with gaps between rows (a crop of a larger frame) must have
    ``height`` rows, each ``width * pixel_bytes`` contiguous bytes.
    """
    row_bytes = width * pixel_bytes
    total = row_bytes * height
    what = f"a {width}x{height} {format} frame"
    if isinstance(data, np.ndarray):
        array: NDArray[Any] = data
    else:
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(
                f"{op}: {name} must be bytes, bytearray, memoryview, mmap or a numpy array, got {type(data).__name__}"
            ) from None
        if not view.c_contiguous:
            raise ValueError(f"{op}: {name} must be a contiguous buffer")
        array = np.frombuffer(view.cast("B") if view.format != "B" or view.ndim != 1 else view, np.uint8)
    if writable and not array.flags.writeable:
        raise ValueError(f"{op}: {name} is read-only")
    if array.flags.c_contiguous:
        if array.nbytes != total:
            raise ValueError(f"{op}: {what} is {total} bytes, but {name} holds {array.nbytes}")
        return array, data_pointer(array, "uint8_t *"), row_bytes
    # Rows apart from one another: each must be one contiguous row of the frame.
    inner = math.prod(array.shape[1:]) * array.itemsize if array.ndim >= 2 else 0
    if array.ndim < 2 or array.shape[0] != height or inner != row_bytes or not array[0].flags.c_contiguous:
        raise ValueError(
            f"{op}: {name} is not contiguous, so it must hold {height} rows of {row_bytes} contiguous bytes "
            f"({what}), got shape {array.shape}, dtype {array.dtype} and strides {array.strides}"
        )
    stride = array.strides[0]
    if stride < row_bytes:
        raise ValueError(f"{op}: the rows of {name} must be at least {row_bytes} bytes apart, got stride {stride}")
    return array, data_pointer(array, "uint8_t *"), stride


def from_packed(
    data: Any,
    width: SupportsIndex,
    height: SupportsIndex,
    format: PackedFormat,
    out: Image | NDArray[np.uint8] | None = None,
) -> Image:
    """Convert a frame of packed pixels (bgra, rgb565le, rgb48be, ...) to an rgb24 Image.

    The pixels are read where they are (no copy of ``data`` is made): a
    contiguous buffer holding exactly the frame, or a numpy array whose
    rows may lie apart (a crop of a larger frame).  Alpha is dropped; 5/6-bit
    fields widen by bit replication, 16-bit samples narrow to
    ``(v * 255 + 32767) // 65535`` (see :mod:`pixelkit.packed`).

    Parameters
    ----------
    data : bytes, bytearray, memoryview, mmap or numpy.ndarray
        The packed pixels in ffmpeg's layout of ``format``: ``height`` rows of
        ``width`` pixels of 2 (rgb565le, bgr565le), 3 (rgb24, bgr24), 4 (rgba,
        bgra, argb, abgr) or 6 (rgb48le, rgb48be) bytes.  A contiguous buffer or
        array of any shape and dtype must hold exactly ``width * height`` pixels;
        a non-contiguous array must have ``height`` rows (its first axis), each
        one contiguous row of the frame, such as ``(H, W, 4)`` uint8, ``(H, W)``
        uint16 or ``(H, W, 3)`` uint16 crops.
    width, height : int
        The frame's size in pixels.
    format : str
        One of ``"rgb24"``, ``"bgr24"``, ``"rgba"``, ``"bgra"``, ``"argb"``,
        ``"abgr"``, ``"rgb565le"``, ``"bgr565le"``, ``"rgb48le"``, ``"rgb48be"``.
    out : Image or numpy.ndarray, optional
        A writable ``width`` x ``height`` Image or ``(H, W, 3) uint8`` array to
        write the pixels to, instead of a new Image.

    Returns
    -------
    Image
        A new Image; or, with ``out``, ``out`` itself (an Image) or an Image
        over ``out``'s memory (an array).

    Raises
    ------
    TypeError
        ``data`` has no buffer protocol, or a size is not an integer.
    ValueError
        An unknown format (the message lists the valid ones), a size out of
        range, ``data`` of another size than the frame (the message gives both
        byte counts) or with rows that are not contiguous, or ``out`` of
        another shape, read-only or sharing memory with ``data``.

    Examples
    --------
    >>> bgra = bytes([30, 20, 10, 0, 3, 2, 1, 128])  # 2 pixels: b, g, r, alpha
    >>> pixelkit.from_packed(bgra, 2, 1, "bgra").array.tolist()
    [[[10, 20, 30], [1, 2, 3]]]
    >>> pixelkit.from_packed(np.array([[0xF800, 0x07E0]], np.uint16), 2, 1, "rgb565le")[0, 1]
    (0, 255, 0)
    >>> frame = np.zeros((4, 6, 4), np.uint8)  # a crop of a larger rgba frame
    >>> pixelkit.from_packed(frame[1:3, 2:5], 3, 2, "rgba")
    <pixelkit.Image 3x2 stride=9>
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    code, pixel_bytes = _format(format, "from_packed")
    array, pointer, stride = _packed_rows(data, w, h, format, pixel_bytes, "from_packed", "data", writable=False)
    if out is None:
        image = Image._empty(w, h)
    else:
        image = out if isinstance(out, Image) else as_image(out, "out")
        if image.width != w or image.height != h:
            raise ValueError(f"from_packed: out has shape {image.shape}, the result has shape {(h, w, 3)}")
        if image.readonly:
            raise ValueError("from_packed: out is read-only")
    status = lib.pk_packed_to_rgb(pointer, stride, code, image._desc)
    del array  # kept alive through the call
    check(status, f"from_packed ({format})")
    return image


@overload
def to_packed(img: Image | NDArray[np.uint8], format: PackedFormat, out: None = None) -> NDArray[np.uint8]: ...
@overload
def to_packed(img: Image | NDArray[np.uint8], format: PackedFormat, out: ArrayT) -> ArrayT: ...
@overload
def to_packed(img: Image | NDArray[np.uint8], format: PackedFormat, out: Any) -> NDArray[Any]: ...


def to_packed(img: Image | NDArray[np.uint8], format: PackedFormat, out: Any = None) -> NDArray[Any]:
    """Convert an rgb24 image to packed pixels (bgra, rgb565le, rgb48be, ...).

    The bytes are ffmpeg's ``-f rawvideo -pix_fmt`` layout of ``format``.
    Alpha is set to 255; 8-bit samples narrow to 5/6 bits by truncation and
    widen to 16 bits as ``v * 257`` (see :mod:`pixelkit.packed`).

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array.
    format : str
        One of ``"rgb24"``, ``"bgr24"``, ``"rgba"``, ``"bgra"``, ``"argb"``,
        ``"abgr"``, ``"rgb565le"``, ``"bgr565le"``, ``"rgb48le"``, ``"rgb48be"``.
    out : writable buffer or numpy.ndarray, optional
        Where to write the pixels: a contiguous writable buffer (bytearray,
        memoryview, mmap, array of any shape and dtype) of exactly the frame's
        bytes, or a numpy array whose ``height`` rows lie apart, each one
        contiguous row of the frame (a crop of a larger frame).

    Returns
    -------
    numpy.ndarray
        Without ``out``: a new 1-D uint8 array of ``width * height * bytes per
        pixel`` bytes, the frame's rows back to back.  With ``out``: ``out``
        itself when it is a numpy array, else a 1-D uint8 array over its memory.

    Raises
    ------
    TypeError
        ``img`` is neither an Image nor an array, or ``out`` has no buffer protocol.
    ValueError
        An unknown format (the message lists the valid ones), or ``out`` of
        another size than the frame (the message gives both byte counts),
        read-only, with rows that are not contiguous, or sharing memory with ``img``.

    Examples
    --------
    >>> img = pixelkit.Image(2, 1, fill=(10, 20, 30))
    >>> pixelkit.to_packed(img, "argb").tolist()
    [255, 10, 20, 30, 255, 10, 20, 30]
    >>> pixelkit.to_packed(img, "rgb48be")[:2].tolist()  # 10 * 257, big-endian
    [10, 10]
    >>> frame = bytearray(4)
    >>> _ = pixelkit.to_packed(img, "bgr565le", out=frame)
    >>> hex(int.from_bytes(frame[:2], "little"))  # b >> 3, g >> 2, r >> 3
    '0x18a1'
    """
    src = img if isinstance(img, Image) else as_image(img)
    w, h = src.width, src.height
    code, pixel_bytes = _format(format, "to_packed")
    if out is None:
        result = new_bytes(w * h * pixel_bytes)
        check(lib.pk_rgb_to_packed(src._desc, code, data_pointer(result, "uint8_t *"), w * pixel_bytes), "to_packed")
        return result
    array, pointer, stride = _packed_rows(out, w, h, format, pixel_bytes, "to_packed", "out", writable=True)
    check(lib.pk_rgb_to_packed(src._desc, code, pointer, stride), f"to_packed ({format})")
    return out if isinstance(out, np.ndarray) else array
