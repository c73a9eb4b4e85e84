"""YUV video layouts (i420, nv12, yuyv, ...) to and from RGB images, in C.

The layouts are ffmpeg's 8-bit ones; :func:`~pixelkit.yuv_layout` gives each plane's
size.  The arithmetic is integer fixed point, the same bits on every
instruction set and thread count:

YUV -> RGB, with ``Kr, Kb`` of the matrix, ``u = U - 128``, ``v = V - 128``
and, for the limited range, ``ys = 255 / 219``, ``cs = 255 / 224``,
``y0 = 16`` (full range: ``ys = cs = 1``, ``y0 = 0``)::

    R = ys (Y - y0) + cs 2 (1 - Kr) v
    G = ys (Y - y0) - cs (2 Kb (1 - Kb) u + 2 Kr (1 - Kr) v) / (1 - Kr - Kb)
    B = ys (Y - y0) + cs 2 (1 - Kb) u

each coefficient rounded to a multiple of ``2**-13``, the integer sum plus
``2**12`` shifted right by 13 bits (rounding to nearest, halves up), clamped to
0..255.  That is within 0.05 of the exact formula before rounding, so every
sample is within 1 of the rounded exact value (and almost all equal to it).

RGB -> YUV, with ``Y' = Kr R + Kg G + Kb B`` and ``yk = 219 / 255``,
``ck = 224 / 255`` (limited) or ``1`` (full)::

    Y = y0 + yk Y'
    U = 128 + ck (B - Y') / (2 (1 - Kb))
    V = 128 + ck (R - Y') / (2 (1 - Kr))

each coefficient rounded to a multiple of ``2**-15`` (luma's summing to the
rounded ``yk``, chroma's to exactly 0, so greys keep U = V = 128), the sum
plus ``2**14`` shifted right by 15 bits, clamped to 0..255.

Chroma subsampling follows OpenCV.  To YUV: 4:2:0 chroma is that of the
top-left pixel of each 2x2 block (OpenCV's ``COLOR_RGB2YUV_I420`` does not
average), 4:2:2 chroma that of the mean of the 2x1 block (as OpenCV's
``COLOR_RGB2YUV_YUYV``): the two pixels' sums of R, G and B times the same
coefficients, plus ``2**15``, shifted right by 16 bits.  To RGB: each chroma
sample is repeated over its block (nearest, no interpolation).  Odd sizes
round the chroma planes up as ffmpeg does (``ceil(w / 2)`` columns,
``ceil(h / 2)`` rows for 4:2:0); the last column or row of blocks then
covers one pixel instead of two.
"""

from __future__ import annotations

from typing import Any, Literal, SupportsIndex, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check
from pixelkit.image import Image, data_pointer, dimension, new_bytes
from pixelkit.rawio import as_image

YuvFormat = Literal["i420", "yv12", "nv12", "nv21", "yuyv", "uyvy", "i422", "i444"]
YuvMatrix = Literal["bt601", "bt709", "bt2020"]
YuvRange = Literal["limited", "full"]
ImageOrArray = TypeVar("ImageOrArray", Image, NDArray[np.uint8])
YuvOut = TypeVar("YuvOut")

_FORMATS = {
    "i420": lib.PK_YUV_I420,
    "yv12": lib.PK_YUV_YV12,
    "nv12": lib.PK_YUV_NV12,
    "nv21": lib.PK_YUV_NV21,
    "yuyv": lib.PK_YUV_YUYV,
    "uyvy": lib.PK_YUV_UYVY,
    "i422": lib.PK_YUV_I422,
    "i444": lib.PK_YUV_I444,
}
_MATRICES = {"bt601": lib.PK_YUV_BT601, "bt709": lib.PK_YUV_BT709, "bt2020": lib.PK_YUV_BT2020}
_RANGES = {"limited": lib.PK_YUV_LIMITED, "full": lib.PK_YUV_FULL}
# The planes of each layout in memory order: names, and the index in pk_yuv (Y, U, V order).
_PLANES: dict[str, tuple[tuple[str, int], ...]] = {
    "i420": (("Y", 0), ("U", 1), ("V", 2)),
    "yv12": (("Y", 0), ("V", 2), ("U", 1)),
    "nv12": (("Y", 0), ("UV", 1)),
    "nv21": (("Y", 0), ("VU", 1)),
    "yuyv": (("YUYV", 0),),
    "uyvy": (("UYVY", 0),),
    "i422": (("Y", 0), ("U", 1), ("V", 2)),
    "i444": (("Y", 0), ("U", 1), ("V", 2)),
}


def _choice(value: Any, choices: dict[str, int], name: str) -> int:
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; valid: {valid}")
    return choices[value]


def _size(format: str, width: SupportsIndex, height: SupportsIndex) -> tuple[int, int, int]:
    code = _choice(format, _FORMATS, "format")
    w, h = dimension(width, "width"), dimension(height, "height")
    if format in ("yuyv", "uyvy") and w % 2:
        raise ValueError(f"{format} needs an even width (two pixels share U and V), got {w}")
    return code, w, h


def yuv_layout(format: YuvFormat, width: SupportsIndex, height: SupportsIndex) -> list[tuple[int, int]]:
    """The ``(rows, row bytes)`` of each plane of a ``format`` image, in memory order.

    The standard contiguous buffer of the layout is these planes one after
    another, rows packed; its size is the sum of ``rows * row_bytes``.

    Parameters
    ----------
    format : {"i420", "yv12", "nv12", "nv21", "yuyv", "uyvy", "i422", "i444"}
        The layout: ffmpeg's yuv420p, yuv420p with V before U, nv12, nv21,
        yuyv422, uyvy422, yuv422p and yuv444p.
    width, height : int
        The image's size in pixels.

    Returns
    -------
    list of (int, int)
        One ``(rows, row_bytes)`` pair per plane (Y, U, V; Y, V, U for yv12;
        Y, UV for nv12; one plane for yuyv and uyvy).

    Raises
    ------
    TypeError
        A size is not an integer.
    ValueError
        An unknown format, a size out of range, or an odd width for yuyv / uyvy.

    Examples
    --------
    >>> pixelkit.yuv_layout("i420", 5, 3)
    [(3, 5), (2, 3), (2, 3)]
    >>> pixelkit.yuv_layout("nv12", 4, 2)
    [(2, 4), (1, 4)]
    """
    code, w, h = _size(format, width, height)
    return _layout(code, format, w, h)


def _layout(code: int, format: str, w: int, h: int) -> list[tuple[int, int]]:
    row_bytes, rows = ffi.new("size_t *"), ffi.new("size_t *")
    result = []
    for _, index in _PLANES[format]:
        check(lib.pk_yuv_plane_size(code, w, h, index, row_bytes, rows), f"{format} {w}x{h}")
        result.append((int(rows[0]), int(row_bytes[0])))
    return result


def _flat(data: Any, name: str, writable: bool) -> NDArray[np.uint8]:
    """A flat uint8 array over a contiguous buffer (no copy)."""
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(
            f"{name} must be a buffer (bytes, bytearray, memoryview, mmap, numpy array) or a tuple of planes, "
            f"got {type(data).__name__}"
        ) from None
    if not view.c_contiguous:
        raise ValueError(f"{name} must be a contiguous buffer; use np.ascontiguousarray() or pass a tuple of planes")
    if writable and view.readonly:
        raise ValueError(f"{name} is read-only")
    flat = np.frombuffer(view.cast("B") if view.format != "B" or view.ndim != 1 else view, np.uint8)
    return flat


def _plane(array: Any, rows: int, row_bytes: int, what: str, writable: bool) -> tuple[NDArray[np.uint8], int]:
    """A plane given as a 2-D (or 3-D, samples grouped) uint8 array, and its row stride."""
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
        raise TypeError(f"{what} must be a uint8 numpy array, got {type(array).__name__}")
    if array.ndim == 3 and array.shape[0] == rows and array.shape[1] * array.shape[2] == row_bytes:
        if (array.shape[1] > 1 and array.strides[1] != array.shape[2]) or (
            array.shape[2] > 1 and array.strides[2] != 1
        ):
            raise ValueError(f"{what} needs adjacent samples in each row, got strides {array.strides}")
    elif array.ndim == 2 and array.shape == (rows, row_bytes):
        if row_bytes > 1 and array.strides[1] != 1:
            raise ValueError(f"{what} needs adjacent samples in each row, got strides {array.strides}")
    else:
        raise ValueError(f"{what} must have shape ({rows}, {row_bytes}), got {array.shape}")
    stride = array.strides[0] if rows > 1 else row_bytes
    if stride < row_bytes:
        raise ValueError(f"{what} needs rows at least {row_bytes} bytes apart, got stride {array.strides[0]}")
    if writable and not array.flags.writeable:
        raise ValueError(f"{what} is read-only")
    return array, stride


def _descriptor(data: Any, code: int, format: str, w: int, h: int, name: str, writable: bool) -> tuple[CData, Any]:
    """The pk_yuv of ``data`` (a buffer or a tuple of planes) and what keeps its memory alive."""
    layout = _layout(code, format, w, h)
    planes = _PLANES[format]
    desc = ffi.new("pk_yuv *")
    desc.format = code
    desc.width = w
    desc.height = h
    desc.writable = int(writable)
    keep: list[Any] = []
    if isinstance(data, tuple):
        if len(data) != len(planes):
            names = ", ".join(n for n, _ in planes)
            raise ValueError(f"{name}: {format} has {len(planes)} planes ({names}), got a tuple of {len(data)}")
        for (plane_name, index), (rows, row_bytes), array in zip(planes, layout, data, strict=True):
            plane, stride = _plane(array, rows, row_bytes, f"{name}: the {plane_name} plane", writable)
            keep.append(plane)
            desc.data[index] = data_pointer(plane, "uint8_t *")
            desc.stride[index] = stride
        return desc, keep
    flat = _flat(data, name, writable)
    expected = sum(rows * row_bytes for rows, row_bytes in layout)
    if flat.size != expected:
        raise ValueError(f"{name}: a {w}x{h} {format} image is {expected} bytes, got {flat.size}")
    offset = 0
    for (_, index), (rows, row_bytes) in zip(planes, layout, strict=True):
        desc.data[index] = data_pointer(flat[offset:], "uint8_t *")
        desc.stride[index] = row_bytes
        offset += rows * row_bytes
    return desc, flat


def _settings(matrix: str, range: str) -> tuple[int, int]:
    return _choice(matrix, _MATRICES, "matrix"), _choice(range, _RANGES, "range")


def from_yuv(
    data: Any,
    width: SupportsIndex,
    height: SupportsIndex,
    format: YuvFormat,
    matrix: YuvMatrix = "bt601",
    range: YuvRange = "limited",
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """Convert a YUV image (i420, nv12, yuyv, ...) to RGB.

    ``R = ys (Y - y0) + cs 2 (1 - Kr) (V - 128)`` and so on (the formulas
    are in :mod:`pixelkit.yuv`), in fixed point with 13 fractional bits,
    rounded to nearest and clamped to 0..255.  Subsampled chroma is
    repeated over its 2x2 (4:2:0) or 2x1 (4:2:2) block, as OpenCV does
    (ffmpeg interpolates where its chroma sits instead).  BT.601 limited
    range matches OpenCV's ``COLOR_YUV2RGB_*`` within 1 on every sample for
    Y >= 16 (OpenCV raises Y below 16 to 16; pixelkit follows the formula).

    Parameters
    ----------
    data : buffer or tuple of numpy arrays
        Either the whole image in the layout's standard contiguous form
        (planes one after another, rows packed; :func:`yuv_layout` gives
        the sizes) as bytes, bytearray, memoryview, mmap or a contiguous
        numpy array of any shape, used without copying; or a tuple of the
        planes in memory order (Y, U, V; Y, V, U for yv12; (Y, UV) for nv12
        and nv21; a 1-tuple for yuyv and uyvy), each a 2-D uint8 array
        ``(rows, row_bytes)`` with adjacent samples and any row stride
        (crops of larger frames work), or 3-D with samples grouped: the UV
        plane as ``(h / 2, w / 2, 2)``, yuyv as ``(h, w, 2)``.
    width, height : int
        The image's size in pixels; yuyv and uyvy need an even width.
    format : {"i420", "yv12", "nv12", "nv21", "yuyv", "uyvy", "i422", "i444"}
        The layout (ffmpeg's yuv420p, -, nv12, nv21, yuyv422, uyvy422, yuv422p, yuv444p).
    matrix : {"bt601", "bt709", "bt2020"}, optional
        The YUV matrix: ``Kr, Kb`` = 0.299, 0.114; 0.2126, 0.0722; 0.2627, 0.0593
        (BT.2020 non-constant luminance).
    range : {"limited", "full"}, optional
        ``"limited"``: Y 16..235, U and V 16..240 (studio swing, the video
        default); ``"full"``: all 0..255 (JPEG).
    out : Image or numpy.ndarray, optional
        A writable ``(height, width, 3)`` uint8 array or Image to write to.

    Returns
    -------
    Image
        A new contiguous Image, or ``out``.

    Raises
    ------
    TypeError
        ``data`` is not a buffer or tuple of arrays, a plane is not a uint8
        array, a size is not an integer, or ``out`` is neither an Image nor an array.
    ValueError
        A buffer of the wrong size (the message says the expected and actual
        bytes), a plane of the wrong shape or strides, an odd width for yuyv
        or uyvy, an unknown format, matrix or range (the message lists the
        valid ones), or an ``out`` of another shape, read-only or overlapping ``data``.

    Examples
    --------
    >>> frame = bytes([235] * 8 + [128] * 2 + [128] * 2)  # white, 4x2 i420
    >>> pixelkit.from_yuv(frame, 4, 2, "i420")[1, 3]
    (255, 255, 255)
    >>> y = np.full((2, 4), 81, np.uint8)
    >>> uv = np.array([[[90, 240], [90, 240]]], np.uint8)  # (h / 2, w / 2, 2)
    >>> pixelkit.from_yuv((y, uv), 4, 2, "nv12")[0, 0]  # BT.601 red, after rounding to 8 bits
    (254, 0, 0)
    >>> pixelkit.from_yuv(bytes([128, 255, 128, 255]), 2, 1, "uyvy", range="full")[0, 1]
    (255, 255, 255)
    """
    code, w, h = _size(format, width, height)
    matrix_code, range_code = _settings(matrix, range)
    desc, keep = _descriptor(data, code, format, w, h, "data", writable=False)
    if out is None:
        result = Image._empty(w, h)
    else:
        result = out if isinstance(out, Image) else as_image(out, "out")
        if (result.width, result.height) != (w, h):
            raise ValueError(f"from_yuv: out has shape {result.shape}, the result has shape {(h, w, 3)}")
        if result.readonly:
            raise ValueError("from_yuv: out is read-only")
    check(lib.pk_yuv_to_rgb(desc, matrix_code, range_code, result._desc), "from_yuv")
    del keep
    return result if out is None else out


@overload
def to_yuv(
    img: Image | NDArray[np.uint8],
    format: YuvFormat,
    matrix: YuvMatrix = "bt601",
    range: YuvRange = "limited",
    out: None = None,
) -> NDArray[np.uint8]: ...


@overload
def to_yuv(
    img: Image | NDArray[np.uint8], format: YuvFormat, matrix: YuvMatrix = "bt601", range: YuvRange = "limited", *,
    out: YuvOut,
) -> YuvOut: ...  # fmt: skip


def to_yuv(
    img: Image | NDArray[np.uint8],
    format: YuvFormat,
    matrix: YuvMatrix = "bt601",
    range: YuvRange = "limited",
    out: Any = None,
) -> Any:
    """Convert an RGB image to a YUV layout (i420, nv12, yuyv, ...).

    ``Y = y0 + yk (Kr R + Kg G + Kb B)`` and so on (the formulas are in
    :mod:`pixelkit.yuv`), in fixed point with 15 fractional bits, rounded
    to nearest and clamped to 0..255.  4:2:0 chroma is that of the
    top-left pixel of each 2x2 block, as OpenCV's ``COLOR_RGB2YUV_I420``
    does (no averaging); 4:2:2 chroma that of the mean of each 2x1 block,
    as OpenCV's ``COLOR_RGB2YUV_YUYV`` does.  BT.601 limited range matches
    OpenCV within 1 on every sample for i420, yv12, yuyv and uyvy.  Converting back with
    :func:`from_yuv` gives each pixel within 2 of the original in 4:4:4,
    and the same for every pixel of a block whose pixels share one colour.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The RGB image: an Image or an ``(H, W, 3) uint8`` array.
    format : {"i420", "yv12", "nv12", "nv21", "yuyv", "uyvy", "i422", "i444"}
        The layout; yuyv and uyvy need an even width.
    matrix : {"bt601", "bt709", "bt2020"}, optional
        The YUV matrix (see :func:`from_yuv`).
    range : {"limited", "full"}, optional
        Limited (Y 16..235, U and V 16..240) or full (0..255) range.
    out : buffer or tuple of numpy arrays, optional
        Where to write: a writable contiguous buffer (bytearray, mmap,
        memoryview, numpy array) of exactly the layout's size, or a tuple of
        writable planes as :func:`from_yuv` takes them.

    Returns
    -------
    numpy.ndarray or out
        A new flat uint8 array holding the standard contiguous layout, or ``out``.

    Raises
    ------
    TypeError
        ``img`` is neither an Image nor an array, or ``out`` is not a buffer or tuple of arrays.
    ValueError
        An unknown format, matrix or range (the message lists the valid
        ones), an odd width for yuyv or uyvy, or an ``out`` of the wrong
        size or shape, read-only or overlapping ``img``.

    Examples
    --------
    >>> red = pixelkit.Image(4, 2, fill=(255, 0, 0))
    >>> pixelkit.to_yuv(red, "i420").tolist()
    [81, 81, 81, 81, 81, 81, 81, 81, 90, 90, 240, 240]
    >>> pixelkit.to_yuv(red, "yuyv", range="full").tolist()[:4]
    [76, 85, 76, 255]
    >>> planes = (np.empty((2, 4), np.uint8), np.empty((1, 2, 2), np.uint8))
    >>> _ = pixelkit.to_yuv(red, "nv12", out=planes)
    >>> planes[1].tolist()
    [[[90, 240], [90, 240]]]
    """
    src = img if isinstance(img, Image) else as_image(img)
    code, w, h = _size(format, src.width, src.height)
    matrix_code, range_code = _settings(matrix, range)
    if out is None:
        total = sum(rows * row_bytes for rows, row_bytes in _layout(code, format, w, h))
        result: Any = new_bytes(total)
    else:
        result = out
    desc, keep = _descriptor(result, code, format, w, h, "out", writable=True)
    check(lib.pk_rgb_to_yuv(src._desc, matrix_code, range_code, desc), "to_yuv")
    del keep
    return result
