"""Neighbourhood filters (c/filter.c): box and Gaussian blurs, and convolution with integer kernels."""

from __future__ import annotations

import math
import operator
from typing import Any, SupportsFloat, SupportsIndex

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import ffi, lib
from pixelkit.image import Image
from pixelkit.ops._common import ImageLike, ImageOrArray, _finite, _unary

# Documented in pixelkit/ops/__init__.py, the module the reference shows them in.
MAX_BLUR_RADIUS: int = lib.PK_MAX_BLUR_RADIUS
MAX_GAUSSIAN_SIGMA: int = lib.PK_MAX_GAUSSIAN_SIGMA


def gaussian_radius(sigma: float) -> int:
    """How many pixels :func:`~pixelkit.gaussian_blur` reaches on each side (its kernel size // 2).

    Parameters
    ----------
    sigma : float
        The blur's standard deviation, as for :func:`pixelkit.gaussian_blur`.

    Returns
    -------
    int
        The radius: half of OpenCV's kernel size for 8-bit images, ``round(6 sigma + 1)`` made odd.

    Raises
    ------
    TypeError
        ``sigma`` is not a number.
    ValueError
        ``sigma`` is not in (0, MAX_GAUSSIAN_SIGMA].

    Examples
    --------
    >>> pixelkit.ops.gaussian_radius(2.0)
    6
    """
    s = _finite(sigma, "sigma")
    if not 0.0 < s <= MAX_GAUSSIAN_SIGMA:
        raise ValueError(f"sigma must be > 0 and at most {MAX_GAUSSIAN_SIGMA}, got {s}")
    return int(lib.pk_gaussian_radius(s))


def box_blur(img: ImageLike, radius: SupportsIndex, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Mean over the (2 radius + 1)^2 square, borders reflected (OpenCV ``blur``, BORDER_REFLECT_101).

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    radius : int
        0 to ``pixelkit.ops.MAX_BLUR_RADIUS``; 0 copies.
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself (a temporary is used).

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an ``(H, W, 3) uint8`` array.
    ValueError
        ``out`` has another shape, is read-only, or shares only part of its bytes with ``img``.
    TypeError
        ``radius`` is not an integer.
    ValueError
        ``radius`` is out of range.

    Examples
    --------
    >>> a = np.zeros((1, 5, 3), np.uint8)
    >>> a[0, 2] = 90
    >>> pixelkit.box_blur(a, 1).array[0, :, 0].tolist()  # one row: reflected above and below
    [0, 30, 30, 30, 0]
    """
    if isinstance(radius, bool) or not hasattr(radius, "__index__"):
        raise TypeError(f"radius must be an integer, got {type(radius).__name__}")
    r = operator.index(radius)
    if not 0 <= r <= MAX_BLUR_RADIUS:
        raise ValueError(f"radius must be between 0 and {MAX_BLUR_RADIUS}, got {r}")
    return _unary("box_blur", lambda s, d: lib.pk_box_blur(s, r, d), img, out, in_place=False)  # type: ignore[no-any-return]


def gaussian_blur(img: ImageLike, sigma: float, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Separable gaussian blur (OpenCV ``GaussianBlur(ksize=(0, 0), sigmaX=sigma)``, BORDER_REFLECT_101).

    Computed in 8-bit fixed point with OpenCV's kernel, within one level of OpenCV.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    sigma : float
        The standard deviation in pixels, in (0, ``pixelkit.ops.MAX_GAUSSIAN_SIGMA``]; the kernel
        reaches :func:`pixelkit.ops.gaussian_radius` pixels to each side.
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself (a temporary is used).

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an ``(H, W, 3) uint8`` array.
    ValueError
        ``out`` has another shape, is read-only, or shares only part of its bytes with ``img``.
    TypeError
        ``sigma`` is not a number.
    ValueError
        ``sigma`` is out of range or not finite.

    Examples
    --------
    >>> a = np.zeros((1, 7, 3), np.uint8)
    >>> a[0, 3] = 255
    >>> pixelkit.gaussian_blur(a, 1.0).array[0, :, 0].tolist()
    [2, 14, 62, 102, 62, 14, 2]
    """
    s = _finite(sigma, "sigma")
    if not 0.0 < s <= MAX_GAUSSIAN_SIGMA:
        raise ValueError(f"sigma must be > 0 and at most {MAX_GAUSSIAN_SIGMA}, got {s}")
    return _unary("gaussian_blur", lambda src, d: lib.pk_gaussian_blur(src, s, d), img, out, in_place=False)  # type: ignore[no-any-return]


MAX_KERNEL_SIZE: int = lib.PK_MAX_KERNEL_SIZE
MAX_KERNEL_WEIGHT: int = lib.PK_MAX_KERNEL_WEIGHT
MAX_CONVOLVE_SCALE: int = lib.PK_MAX_CONVOLVE_SCALE


def _integer(value: Any, name: str, low: int, high: int) -> int:
    """An integer (or an integral float) in low..high, else ValueError (TypeError for non-numbers)."""
    if isinstance(value, bool) or isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if hasattr(value, "__index__"):
        number = operator.index(value)
    else:
        real = _finite(value, name)
        if real != math.floor(real):
            raise ValueError(f"{name} must be an integer, got {real}")
        number = int(real)
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {number}")
    return number


def convolve_kernel(
    kernel: Any, scale: SupportsFloat | SupportsIndex | None = None, offset: SupportsFloat | SupportsIndex = 0
) -> tuple[NDArray[np.int32], int, int]:
    """The checked (kernel as int32, scale, offset) of :func:`convolve`, scale made positive.

    Raises ValueError for a kernel that is not a 2-D array of integers with odd sides of at most
    MAX_KERNEL_SIZE and weights within MAX_KERNEL_WEIGHT, and for a scale of 0 or out of range.
    """
    try:
        weights = np.asarray(kernel)
    except Exception as exc:
        raise ValueError(f"kernel must be a 2-D array of integers, got {kernel!r}") from exc
    if weights.ndim != 2 or weights.dtype.kind not in "iuf" or weights.size == 0:
        raise ValueError(f"kernel must be a 2-D array of integers, got {weights.dtype} of shape {weights.shape}")
    rows, cols = weights.shape
    if rows % 2 == 0 or cols % 2 == 0 or rows > MAX_KERNEL_SIZE or cols > MAX_KERNEL_SIZE:
        raise ValueError(f"kernel sides must be odd and at most {MAX_KERNEL_SIZE}, got shape {weights.shape}")
    if weights.dtype.kind == "f" and not (np.all(np.isfinite(weights)) and np.all(weights == np.floor(weights))):
        raise ValueError("kernel weights must be integers (divide with scale= instead of using fractions)")
    if np.any(np.abs(weights.astype(np.float64)) > MAX_KERNEL_WEIGHT):
        raise ValueError(f"kernel weights must lie within +-{MAX_KERNEL_WEIGHT}")
    ints = weights.astype(np.int64)
    if scale is None:
        total = int(ints.sum())
        divisor = total if total != 0 else 1
    else:
        divisor = _integer(scale, "scale", -MAX_CONVOLVE_SCALE, MAX_CONVOLVE_SCALE)
        if divisor == 0:
            raise ValueError("scale must not be 0")
    if divisor < 0:
        # round(a / s) = round(-a / -s): the C code divides by a positive scale.
        ints, divisor = -ints, -divisor
    shift = _integer(offset, "offset", -MAX_CONVOLVE_SCALE, MAX_CONVOLVE_SCALE)
    return np.ascontiguousarray(ints, dtype=np.int32), divisor, shift


def convolve(
    img: ImageLike,
    kernel: Any,
    scale: SupportsFloat | SupportsIndex | None = None,
    offset: SupportsFloat | SupportsIndex = 0,
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """Correlate with a small integer kernel, borders reflected (OpenCV ``filter2D``, BORDER_REFLECT_101).

    Each sample is ``clip(round(sum(kernel * window) / scale) + offset, 0, 255)``, the sum
    taken exactly in integers over the window centred on the sample (not flipped, as
    ``filter2D``) and the division rounded half to even.  That is within one level of
    ``cv2.filter2D(img, -1, kernel / scale, delta=offset, borderType=cv2.BORDER_REFLECT_101)``
    and equal to it wherever OpenCV's float sum is exact.

    Parameters
    ----------
    img : Image or (H, W, 3) uint8 array
        The source image.
    kernel : 2-D array-like of integers
        The weights, rows then columns; both sides odd and at most 7 (3x3, 5x3, 7x7...),
        each weight within +-65535.
    scale : int, optional
        The divisor of the weighted sum (non-zero); by default the sum of the weights, or 1
        when they sum to 0.
    offset : int, optional
        Added after the division, before saturating to 0..255.
    out : Image or (H, W, 3) uint8 array, optional
        Where to write the result (it must not overlap ``img`` except being ``img`` itself).

    Returns
    -------
    Image or array
        A new Image, or ``out``.

    Raises
    ------
    ValueError
        For an even or larger than 7 side, non-integer weights, a scale of 0, or an ``out`` of
        another shape.
    TypeError
        For an ``img`` that is not an image.

    Examples
    --------
    >>> import numpy as np, pixelkit
    >>> img = np.zeros((3, 3, 3), np.uint8); img[1, 1] = 80
    >>> sharp = pixelkit.convolve(img, [[-1, -1, -1], [-1, 16, -1], [-1, -1, -1]], scale=8)
    >>> sharp.array[:, :, 0].tolist()
    [[0, 0, 0], [0, 160, 0], [0, 0, 0]]
    >>> pixelkit.convolve(img, [[1, 1]])
    Traceback (most recent call last):
    ...
    ValueError: kernel sides must be odd and at most 7, got shape (1, 2)
    """
    weights, divisor, shift = convolve_kernel(kernel, scale, offset)
    rows, cols = weights.shape
    pointer = ffi.from_buffer("int32_t[]", weights)
    return _unary(  # type: ignore[no-any-return]
        "convolve",
        lambda s, d: lib.pk_convolve(s, pointer, cols, rows, divisor, shift, d),
        img,
        out,
        in_place=False,
    )
