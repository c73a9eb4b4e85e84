"""Image operations: argument checks in Python, the work in C.

Every operation accepts an Image or an ``(H, W, 3) uint8`` array (wrapped
without copying) and returns a new result unless ``out=`` is given, in
which case it writes there and returns ``out``.  ``out`` may be the input
itself (in place) for every operation whose result has the input's shape;
an ``out`` that shares some but not all of its bytes with the input is
refused.  Overlap is decided byte by byte, not by address ranges: crops
side by side in one image (whose rows interleave) share no byte, so one
may be the ``out`` of the other.  Parameter arrays (lookup tables) are
read as they were before the call, even if ``out`` writes over them.
Arguments are checked before any C code touches memory.
"""

from __future__ import annotations

# The operations live in one module per kernel family, as in c/; the ``_name as _name`` imports are
# the checks and descriptors that other modules (pixelkit.pipeline) build their own calls with.
from pixelkit.ops import filter as _filter
from pixelkit.ops._common import ImageLike, ImageOrArray
from pixelkit.ops._common import _finite as _finite
from pixelkit.ops._common import _output as _output
from pixelkit.ops._common import _run as _run
from pixelkit.ops._common import _same_memory as _same_memory
from pixelkit.ops._common import _unary as _unary
from pixelkit.ops.convert import TensorLayout, to_gray, to_tensor
from pixelkit.ops.convert import _plane as _plane
from pixelkit.ops.convert import _tensor_coefficients as _tensor_coefficients
from pixelkit.ops.convert import _tensor_output as _tensor_output
from pixelkit.ops.filter import (
    MAX_CONVOLVE_SCALE,
    MAX_KERNEL_SIZE,
    MAX_KERNEL_WEIGHT,
    box_blur,
    convolve,
    convolve_kernel,
    gaussian_blur,
    gaussian_radius,
)
from pixelkit.ops.geometry import flip_horizontal, flip_vertical, paste, rotate90, transpose
from pixelkit.ops.point import _lut_array as _lut_array
from pixelkit.ops.point import adjust, adjust_lut, apply_lut, blend, fill, invert, swap_rb
from pixelkit.ops.resample import Rect, ResizeMethod, resize, resize_part, resize_source
from pixelkit.ops.resample import _method_code as _method_code
from pixelkit.ops.stats import histogram

MAX_BLUR_RADIUS: int = _filter.MAX_BLUR_RADIUS
"""Largest radius of :func:`~pixelkit.box_blur`."""
MAX_GAUSSIAN_SIGMA: int = _filter.MAX_GAUSSIAN_SIGMA
"""Largest sigma of :func:`~pixelkit.gaussian_blur`."""

__all__ = [
    "MAX_BLUR_RADIUS",
    "MAX_CONVOLVE_SCALE",
    "MAX_GAUSSIAN_SIGMA",
    "MAX_KERNEL_SIZE",
    "MAX_KERNEL_WEIGHT",
    "ImageLike",
    "ImageOrArray",
    "Rect",
    "ResizeMethod",
    "TensorLayout",
    "adjust",
    "adjust_lut",
    "apply_lut",
    "blend",
    "box_blur",
    "convolve",
    "convolve_kernel",
    "fill",
    "flip_horizontal",
    "flip_vertical",
    "gaussian_blur",
    "gaussian_radius",
    "histogram",
    "invert",
    "paste",
    "resize",
    "resize_part",
    "resize_source",
    "rotate90",
    "swap_rb",
    "to_gray",
    "to_tensor",
    "transpose",
]
