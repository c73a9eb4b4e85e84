"""Image operations: argument checks in Python, the work in C.

Every operation accepts an Image or an ``(H, W, 3) uint8`` array (wrapped
without copying) and returns a new result unless ``out=`` is given, in
which case it writes there and returns ``out``.  Where the shapes allow,
``out`` may be the input itself; an ``out`` that partially overlaps the
input is refused.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check
from pixelkit.image import Color, Image, allocate, pixel_color
from pixelkit.rawio import as_image

ImageOrArray = TypeVar("ImageOrArray", Image, NDArray[np.uint8])


def _output_image(out: Image | NDArray[Any], src: Image, op: str) -> Image:
    image = as_image(out, "out")
    if image.shape != src.shape:
        raise ValueError(f"{op}: out has shape {image.shape}, the result has shape {src.shape}")
    if image.readonly:
        raise ValueError(f"{op}: out is read-only")
    return image


def _plane(array: NDArray[Any], width: int, height: int, op: str) -> CData:
    """A pk_plane descriptor for a writable (H, W) uint8 array."""
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
        raise TypeError(f"{op}: out must be an (H, W) uint8 numpy array")
    if array.shape != (height, width):
        raise ValueError(f"{op}: out has shape {array.shape}, the result has shape {(height, width)}")
    if not array.flags.writeable:
        raise ValueError(f"{op}: out is read-only")
    row, step = array.strides
    if (width > 1 and step != 1) or (height > 1 and row < width):
        raise ValueError(f"{op}: out needs adjacent samples and positive row strides, got strides {array.strides}")
    return ffi.new(
        "pk_plane *",
        {
            "data": ffi.cast("uint8_t *", array.__array_interface__["data"][0]),
            "width": width,
            "height": height,
            "stride": row if height > 1 else width,
            "writable": 1,
        },
    )


def fill(img: ImageOrArray, color: Color) -> ImageOrArray:
    """Set every pixel of ``img`` to ``color`` (r, g, b); returns ``img``."""
    image = as_image(img)
    r, g, b = pixel_color(color)
    if image.readonly:
        raise ValueError("fill: the image is read-only")
    check(lib.pk_fill(image._desc, r, g, b), "fill")
    return img


def invert(img: Image | NDArray[Any], out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """``255 - v`` for every sample."""
    src = as_image(img)
    if out is None:
        result = Image._empty(src.width, src.height)
        check(lib.pk_invert(src._desc, result._desc), "invert")
        return result
    check(lib.pk_invert(src._desc, _output_image(out, src, "invert")._desc), "invert")
    return out


def to_gray(img: Image | NDArray[Any], out: NDArray[np.uint8] | None = None) -> NDArray[np.uint8]:
    """ITU-R BT.601 luma as an ``(H, W) uint8`` array.

    Exactly ``(19595 R + 38470 G + 7471 B + 0x8000) >> 16``, the formula of
    Pillow's ``convert("L")``.
    """
    src = as_image(img)
    width, height = src.width, src.height
    result = allocate(width * height, zeroed=False).reshape(height, width) if out is None else out
    check(lib.pk_to_gray(src._desc, _plane(result, width, height, "to_gray")), "to_gray")
    return result
