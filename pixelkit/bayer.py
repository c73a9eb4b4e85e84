"""Bayer demosaicing: one-sample-per-pixel camera mosaics to RGB images."""

from __future__ import annotations

import operator
from typing import Any, Literal, SupportsIndex

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import ffi, lib
from pixelkit.errors import check
from pixelkit.image import Image, data_pointer, dimension
from pixelkit.ops import ImageOrArray, _output

BayerPattern = Literal["RGGB", "BGGR", "GRBG", "GBRG"]
DemosaicMethod = Literal["bilinear", "edge_aware"]

PATTERNS: dict[str, int] = {
    "RGGB": lib.PK_BAYER_RGGB,
    "BGGR": lib.PK_BAYER_BGGR,
    "GRBG": lib.PK_BAYER_GRBG,
    "GBRG": lib.PK_BAYER_GBRG,
}
"""The Bayer patterns :func:`demosaic` reads, by their 2x2 block at pixel (0, 0)."""

METHODS: dict[str, int] = {"bilinear": lib.PK_DEMOSAIC_BILINEAR, "edge_aware": lib.PK_DEMOSAIC_EDGE_AWARE}
"""The interpolations :func:`demosaic` offers."""

_NATIVE_UINT16 = np.dtype(np.uint16)


def _choice(value: Any, table: dict[str, int], name: str) -> int:
    key = value.upper() if name == "pattern" and isinstance(value, str) else value
    if not isinstance(key, str) or key not in table:
        valid = ", ".join(repr(k) for k in table)
        raise ValueError(f"demosaic: unknown {name} {value!r}; valid {name}s are {valid}")
    return table[key]


def _bits(bits: SupportsIndex | None, dtype: np.dtype[Any]) -> int:
    if bits is not None and (isinstance(bits, bool) or not hasattr(bits, "__index__")):
        raise TypeError(f"demosaic: bits must be an integer or None, got {type(bits).__name__}")
    number = None if bits is None else operator.index(bits)
    if dtype == np.uint8:
        if number not in (None, 8):
            raise ValueError(f"demosaic: a uint8 mosaic has 8 bits, got bits={number}; pass bits=None or 8")
        return 8
    if number is None:
        raise ValueError(
            "demosaic: a uint16 mosaic needs bits=, the bits its samples use (9 to 16; sensors give 10, 12 or 14)"
        )
    if not 9 <= number <= 16:
        raise ValueError(f"demosaic: bits must be between 9 and 16 for a uint16 mosaic, got {number}")
    return number


def _mosaic(raw: Any) -> NDArray[Any]:
    """``raw`` as a 2-D uint8 or native uint16 array with adjacent samples (copied only if it has neither)."""
    if not isinstance(raw, np.ndarray):
        raise TypeError(
            f"demosaic: raw must be an (H, W) uint8 or uint16 numpy array, got {type(raw).__name__}; "
            "wrap a buffer with np.frombuffer(data, np.uint8).reshape(height, width)"
        )
    if raw.ndim != 2 or raw.dtype.kind != "u" or raw.dtype.itemsize not in (1, 2):
        raise ValueError(
            f"demosaic: raw must be an (H, W) uint8 or uint16 array, got shape {raw.shape} and dtype {raw.dtype}"
        )
    height, width = raw.shape
    dimension(height, "height")
    dimension(width, "width")
    if height < 3 or width < 3:
        raise ValueError(f"demosaic: the mosaic must be at least 3x3 pixels, got {width}x{height}")
    if raw.dtype.itemsize == 2 and raw.dtype != _NATIVE_UINT16:
        return raw.astype(_NATIVE_UINT16)  # the other byte order
    row, step = raw.strides
    if step != raw.itemsize or row < width * raw.itemsize:
        return np.ascontiguousarray(raw)
    return raw


def demosaic(
    raw: NDArray[Any],
    pattern: BayerPattern | str,
    method: DemosaicMethod | str = "bilinear",
    bits: SupportsIndex | None = None,
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """Interpolate an RGB image from a Bayer mosaic (one colour sample per pixel).

    ``pattern`` names the 2x2 block at the top-left corner of the mosaic: pixel (0, 0), (0, 1) on the
    first row, then (1, 0), (1, 1) -- ``"RGGB"`` has red at (0, 0) and blue at (1, 1) (ffmpeg's
    ``bayer_rggb8``); a crop that starts at an odd row or column has another pattern (``"RGGB"`` cropped
    at column 1 is ``"GRBG"``).  The result equals OpenCV's ``cv2.cvtColor(raw, code)`` on every sample, borders
    and odd sizes included, with these codes (OpenCV's older names go by the block that starts at
    pixel (1, 1); its newer aliases by the one at (0, 0)):

    ========  ===========================  ==============================  ====================
    pattern   ``method="bilinear"``        ``method="edge_aware"``         OpenCV alias
    ========  ===========================  ==============================  ====================
    RGGB      ``COLOR_BayerBG2RGB``        ``COLOR_BayerBG2RGB_EA``        ``COLOR_BayerRGGB2*``
    BGGR      ``COLOR_BayerRG2RGB``        ``COLOR_BayerRG2RGB_EA``        ``COLOR_BayerBGGR2*``
    GRBG      ``COLOR_BayerGB2RGB``        ``COLOR_BayerGB2RGB_EA``        ``COLOR_BayerGRBG2*``
    GBRG      ``COLOR_BayerGR2RGB``        ``COLOR_BayerGR2RGB_EA``        ``COLOR_BayerGBRG2*``
    ========  ===========================  ==============================  ====================

    Each inner pixel keeps its own sample and takes the others from its 3x3 neighbourhood, rounding
    half up: the mean of the 2 nearest samples of a colour (left and right, or above and below), or
    of the 4 (the diagonal ones, and green around a red or blue sample).  ``"edge_aware"`` takes
    that green from the 2 neighbours (left and right, or above and below) that differ less, the
    pair above and below when left and right differ more; red and blue as bilinear.  Edges: the
    first and last rows and columns repeat their inner neighbours (row 0 is row 1, column ``W - 1``
    is column ``W - 2``, ...), for even and odd sizes alike.  Both sides must be at least 3 pixels.

    A uint16 mosaic holds ``bits``-bit samples (0 .. ``2**bits - 1``; sensors give 10, 12 or 14
    bits).  It is interpolated at 16 bits as above (what OpenCV does with a 16-bit mosaic) and each
    result is then rounded to 8 bits once, ``(v * 255 + m // 2) // m`` with ``m = 2**bits - 1``:
    nearest, as netpbm readers scale, so full scale stays full scale (a shift would give 255 only to
    the top ``2**(bits - 8)`` values).  The result is OpenCV's on the 16-bit mosaic, so rounded.
    Rounding the samples first and interpolating the 8-bit mosaic would round twice (measured on
    noise: 13% of the samples one level off, 0.12 levels too bright on average) and would take the
    edge-aware decisions on coarser data.  A sample above ``m`` is refused (ValueError), not
    clamped: it means the wrong ``bits``.

    Parameters
    ----------
    raw : numpy.ndarray
        The mosaic, ``(H, W)`` uint8, or uint16 with ``bits``; rows may be any number of bytes apart
        (crops read in place).  Samples not adjacent in a row, or uint16 of the other byte order, are
        copied first.
    pattern : {"RGGB", "BGGR", "GRBG", "GBRG"}
        The colours of pixels (0, 0), (0, 1), (1, 0), (1, 1); case does not matter.
    method : {"bilinear", "edge_aware"}, optional
        The interpolation (default ``"bilinear"``).
    bits : int, optional
        Bits per sample of a uint16 mosaic (9 .. 16; required for uint16); None or 8 for uint8.
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or ``(H, W, 3) uint8`` array that does not share memory
        with ``raw``.

    Returns
    -------
    Image or numpy.ndarray
        A new ``W`` x ``H`` Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``raw`` is not a numpy array, ``bits`` is not an integer, or ``out`` is neither an Image nor
        an array.
    ValueError
        ``raw`` has another shape or dtype or is smaller than 3x3; an unknown ``pattern`` or
        ``method`` (the message lists the valid ones); ``bits`` missing for uint16, out of range, or
        a sample above ``2**bits - 1`` (the message gives its position); ``out`` of another shape,
        read-only or sharing memory with ``raw``.

    Examples
    --------
    >>> raw = np.array([[200, 100, 200, 100],
    ...                 [100,  50, 100,  50],
    ...                 [200, 100, 200, 100]], np.uint8)
    >>> rgb = pixelkit.demosaic(raw, "RGGB")
    >>> rgb[1, 1], rgb[1, 2]
    ((200, 100, 50), (200, 100, 50))
    >>> pixelkit.demosaic(raw.astype(np.uint16) * 257, "RGGB", bits=16)[1, 1]
    (200, 100, 50)
    """
    pattern_code = _choice(pattern, PATTERNS, "pattern")
    method_code = _choice(method, METHODS, "method")
    mosaic = _mosaic(raw)
    depth = _bits(bits, mosaic.dtype)
    height, width = mosaic.shape
    dst = _output(out, width, height, "demosaic")
    row_stride = int(mosaic.strides[0]) if height > 1 else width * mosaic.itemsize
    if depth == 8:
        plane = ffi.new("pk_plane *")
        plane.data = data_pointer(mosaic, "uint8_t *")
        plane.width = width
        plane.height = height
        plane.stride = row_stride
        plane.writable = 0
        status = lib.pk_demosaic(plane, pattern_code, method_code, dst._desc)
    else:
        bad = ffi.new("size_t *")
        status = lib.pk_demosaic_u16(
            data_pointer(mosaic, "uint16_t *"),
            width,
            height,
            row_stride,
            depth,
            pattern_code,
            method_code,
            dst._desc,
            bad,
        )
        if status == lib.PK_ERR_SAMPLE_RANGE:
            y, x = divmod(int(bad[0]), width)
            raise ValueError(
                f"demosaic: sample {int(mosaic[y, x])} at row {y}, column {x} is above 2**{depth} - 1 = "
                f"{(1 << depth) - 1}; pass the mosaic's real bits="
            )
    if status == lib.PK_ERR_OVERLAP:
        raise ValueError("demosaic: out shares memory with raw")
    check(status, "demosaic")
    return dst if out is None else out
