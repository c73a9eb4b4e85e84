"""What the operations share: the image-or-array types, the check of ``out``, a kernel's run from
source to result (through a temporary where it cannot work in place) and the check of number parameters."""

from __future__ import annotations

import math
from typing import Any, SupportsFloat, TypeVar

import numpy as np
from numpy.typing import NDArray

from pixelkit.errors import check
from pixelkit.image import Image
from pixelkit.rawio import as_image

ImageOrArray = TypeVar("ImageOrArray", Image, NDArray[np.uint8])
ImageLike = Image | NDArray[np.uint8]


def _output(out: ImageLike | None, width: int, height: int, op: str) -> Image:
    """A fresh result image, or ``out`` checked for shape and writability."""
    if out is None:
        return Image._empty(width, height)
    image = out if isinstance(out, Image) else as_image(out, "out")
    if image._width != width or image._height != height:
        raise ValueError(f"{op}: out has shape {image.shape}, the result has shape {(height, width, 3)}")
    if not image._writable:
        raise ValueError(f"{op}: out is read-only")
    return image


def _same_memory(a: Image, b: Image) -> bool:
    return bool(a._desc.pixels == b._desc.pixels)


def _run(op: str, call: Any, src: Image, dst: Image, *args: Any, in_place: bool = True) -> None:
    """Run ``call(src, *args, dst)``; kernels that cannot work in place get a temporary."""
    if not in_place and _same_memory(src, dst):
        temporary = Image._empty(dst.width, dst.height)
        check(call(src._desc, *args, temporary._desc), op)
        np.copyto(dst._array, temporary._array)
        return
    check(call(src._desc, *args, dst._desc), op)


def _finite(value: SupportsFloat, name: str) -> float:
    # float() would also parse strings; a number parameter takes numbers only.
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def _unary(op: str, call: Any, img: ImageLike, out: ImageLike | None, *args: Any, in_place: bool = True) -> Any:
    src = img if isinstance(img, Image) else as_image(img)
    dst = _output(out, src._width, src._height, op)
    if in_place:
        status = call(src._desc, *args, dst._desc)
        if status:
            check(status, op)
    else:
        _run(op, call, src, dst, *args, in_place=False)
    return dst if out is None else out
