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

import math
import operator
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, SupportsFloat, SupportsIndex, TypeVar

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check
from pixelkit.image import Color, Image, data_pointer, dimension, new_bytes, pixel_color
from pixelkit.rawio import as_image

ImageOrArray = TypeVar("ImageOrArray", Image, NDArray[np.uint8])
ImageLike = Image | NDArray[np.uint8]
ResizeMethod = Literal["nearest", "bilinear", "area"]
TensorLayout = Literal["CHW", "HWC"]

_RESIZE_METHODS = {
    "nearest": lib.PK_RESIZE_NEAREST,
    "bilinear": lib.PK_RESIZE_BILINEAR,
    "area": lib.PK_RESIZE_AREA,
}
MAX_BLUR_RADIUS: int = lib.PK_MAX_BLUR_RADIUS
"""Largest radius of :func:`~pixelkit.box_blur`."""
MAX_GAUSSIAN_SIGMA: int = lib.PK_MAX_GAUSSIAN_SIGMA
"""Largest sigma of :func:`~pixelkit.gaussian_blur`."""


# ---- helpers -------------------------------------------------------------------


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


# ---- point operations ------------------------------------------------------------


def fill(img: ImageOrArray, color: Color) -> ImageOrArray:
    """Set every pixel of ``img`` to ``color`` (r, g, b).

    Parameters
    ----------
    img : Image or numpy.ndarray
        The image to fill in place: an Image or an ``(H, W, 3) uint8`` array.
    color : sequence of three ints
        (r, g, b), each 0..255.

    Returns
    -------
    Image or numpy.ndarray
        ``img`` itself.

    Raises
    ------
    TypeError
        ``img`` is neither an Image nor an array, or ``color`` is not three integers.
    ValueError
        ``img`` is read-only, or a channel of ``color`` is outside 0..255.

    Examples
    --------
    >>> frame = np.zeros((2, 3, 3), np.uint8)
    >>> pixelkit.fill(frame, (255, 128, 0))[1, 2].tolist()
    [255, 128, 0]
    """
    image = as_image(img)
    r, g, b = pixel_color(color)
    if image.readonly:
        raise ValueError("fill: the image is read-only")
    check(lib.pk_fill(image._desc, r, g, b), "fill")
    return img


def invert(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """``255 - v`` for every sample.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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

    Examples
    --------
    >>> pixelkit.invert(np.zeros((2, 3, 3), np.uint8)).array[0, 0].tolist()
    [255, 255, 255]
    >>> img = pixelkit.Image(3, 2, fill=(0, 100, 255))
    >>> pixelkit.invert(img, out=img)[0, 0]  # in place
    (255, 155, 0)
    """
    return _unary("invert", lib.pk_invert, img, out)  # type: ignore[no-any-return]


def _lut_array(lut: NDArray[np.uint8]) -> NDArray[np.uint8]:
    if not isinstance(lut, np.ndarray):
        raise TypeError(f"lut must be a uint8 numpy array of shape (256,) or (3, 256), got {type(lut).__name__}")
    if lut.dtype != np.uint8:
        raise TypeError(f"lut must have dtype uint8, got {lut.dtype}; convert with lut.astype(np.uint8)")
    if lut.shape not in ((256,), (3, 256)):
        raise ValueError(f"lut must have shape (256,) or (3, 256), got {lut.shape}")
    return np.ascontiguousarray(lut)


def apply_lut(img: ImageLike, lut: NDArray[np.uint8], out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """``lut[v]`` for every sample; a ``(3, 256)`` lut has one table per channel (r, g, b).

    The same as numpy's ``lut[arr]`` (shared table) or
    ``lut[np.arange(3), arr]`` (one table per channel).

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    lut : numpy.ndarray
        uint8 of shape ``(256,)`` (one table for all channels) or ``(3, 256)`` (one per channel);
        read as it was before the call even if ``out`` overlaps it.
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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
        ``lut`` is not a uint8 array.
    ValueError
        ``lut`` has another shape.

    Examples
    --------
    >>> lut = (255 - np.arange(256)).astype(np.uint8)
    >>> pixelkit.apply_lut(pixelkit.Image(2, 2, fill=(0, 1, 2)), lut)[0, 0]
    (255, 254, 253)
    >>> per_channel = np.stack([np.arange(256), np.zeros(256), np.full(256, 9)]).astype(np.uint8)
    >>> pixelkit.apply_lut(pixelkit.Image(2, 2, fill=(5, 6, 7)), per_channel)[0, 0]
    (5, 0, 9)
    """
    table = _lut_array(lut)
    src = as_image(img)
    dst = _output(out, src.width, src.height, "apply_lut")
    check(lib.pk_apply_lut(src._desc, ffi.from_buffer("uint8_t[]", table), table.size, dst._desc), "apply_lut")
    return dst if out is None else out


def adjust_lut(brightness: float = 0.0, contrast: float = 1.0, gamma: float = 1.0) -> NDArray[np.uint8]:
    """The lookup table of :func:`~pixelkit.adjust` (computed in numpy float64, the documented formula).

    Parameters
    ----------
    brightness, contrast, gamma : float, optional
        As for :func:`pixelkit.adjust`.

    Returns
    -------
    numpy.ndarray
        A ``(256,)`` uint8 table.

    Raises
    ------
    TypeError
        A parameter is not a number.
    ValueError
        A parameter is not finite, ``contrast < 0`` or ``gamma <= 0``.

    Examples
    --------
    >>> pixelkit.ops.adjust_lut(contrast=2.0)[[0, 64, 128, 192, 255]].tolist()
    [0, 0, 129, 255, 255]
    """
    brightness = _finite(brightness, "brightness")
    contrast = _finite(contrast, "contrast")
    gamma = _finite(gamma, "gamma")
    if contrast < 0:
        raise ValueError(f"contrast must be >= 0, got {contrast}")
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    v = np.arange(256, dtype=np.float64) / 255.0
    v = np.clip((v - 0.5) * contrast + 0.5 + brightness, 0.0, 1.0)
    v = v ** (1.0 / gamma)
    return np.floor(v * 255.0 + 0.5).astype(np.uint8)


def adjust(
    img: ImageLike,
    brightness: float = 0.0,
    contrast: float = 1.0,
    gamma: float = 1.0,
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """Brightness, contrast and gamma through one lookup table.

    For each sample ``x``, with ``v = x / 255``::

        v = clip((v - 0.5) * contrast + 0.5 + brightness, 0, 1) ** (1 / gamma)
        result = floor(255 * v + 0.5)

    The table is :func:`pixelkit.ops.adjust_lut`.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    brightness : float, optional
        Added to ``v``: -1..1 spans black to white (default 0).
    contrast : float, optional
        >= 0, scales around mid-grey (default 1).
    gamma : float, optional
        > 0; above 1 brightens mid-tones (default 1).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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
        A parameter is not a number.
    ValueError
        A parameter is not finite, ``contrast < 0`` or ``gamma <= 0``.

    Examples
    --------
    >>> img = pixelkit.Image(2, 1, fill=(0, 128, 255))
    >>> pixelkit.adjust(img, brightness=0.1)[0, 0]
    (26, 154, 255)
    >>> pixelkit.adjust(img, gamma=2.0)[0, 0]
    (0, 181, 255)
    """
    return apply_lut(img, adjust_lut(brightness, contrast, gamma), out=out)


def swap_rb(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """RGB to BGR (and back): ``arr[..., ::-1]``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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

    Examples
    --------
    >>> pixelkit.swap_rb(pixelkit.Image(2, 2, fill=(1, 2, 3)))[0, 0]
    (3, 2, 1)
    """
    return _unary("swap_rb", lib.pk_swap_rb, img, out)  # type: ignore[no-any-return]


def blend(a: ImageLike, b: ImageLike, alpha: float, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """``a * (1 - alpha) + b * alpha`` for alpha in [0, 1], rounded to nearest.

    Computed in 15-bit fixed point, within one level of OpenCV's
    ``addWeighted(a, 1 - alpha, b, alpha, 0)``.

    Parameters
    ----------
    a : Image or numpy.ndarray
        The first image: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    b : Image or numpy.ndarray
        The second image, of the same size as ``a``.
    alpha : float
        The weight of ``b``, from 0 to 1.
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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
        ``alpha`` is not a number.
    ValueError
        ``a`` and ``b`` differ in size, or ``alpha`` is outside [0, 1].

    Examples
    --------
    >>> black, white = pixelkit.Image(2, 2), pixelkit.Image(2, 2, fill=(255, 255, 255))
    >>> pixelkit.blend(black, white, 0.25)[0, 0]
    (64, 64, 64)
    """
    first, second = as_image(a, "a"), as_image(b, "b")
    weight = _finite(alpha, "alpha")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {weight}")
    if first.shape != second.shape:
        raise ValueError(f"blend needs images of the same size, got {first.shape} and {second.shape}")
    dst = _output(out, first.width, first.height, "blend")
    check(lib.pk_blend(first._desc, second._desc, weight, dst._desc), "blend")
    return dst if out is None else out


# ---- conversions -----------------------------------------------------------------


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
    plane = ffi.new("pk_plane *")
    plane.data = data_pointer(array, "uint8_t *")
    plane.width = width
    plane.height = height
    plane.stride = row if height > 1 else width
    plane.writable = 1
    return plane


def to_gray(img: ImageLike, out: NDArray[np.uint8] | None = None) -> NDArray[np.uint8]:
    """ITU-R BT.601 luma as an ``(H, W) uint8`` array.

    Exactly ``(19595 R + 38470 G + 7471 B + 0x8000) >> 16``, the formula of
    Pillow's ``convert("L")``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array.
    out : numpy.ndarray, optional
        A writable ``(H, W)`` uint8 array with adjacent samples to write the result to.

    Returns
    -------
    numpy.ndarray
        A new ``(H, W)`` uint8 array, or ``out``.

    Raises
    ------
    TypeError
        ``img`` is neither an Image nor an array, or ``out`` is not a uint8 array.
    ValueError
        ``out`` has another shape, is read-only or has non-adjacent samples.

    Examples
    --------
    >>> pixelkit.to_gray(pixelkit.Image(3, 2, fill=(255, 0, 0))).tolist()
    [[76, 76, 76], [76, 76, 76]]
    """
    src = img if isinstance(img, Image) else as_image(img)
    width, height = src._width, src._height
    result = new_bytes(height, width) if out is None else out
    check(lib.pk_to_gray(src._desc, _plane(result, width, height, "to_gray")), "to_gray")
    return result


def _three(values: Sequence[SupportsFloat], name: str) -> tuple[float, float, float]:
    try:
        items = [_finite(v, name) for v in values]
    except TypeError:
        raise TypeError(f"{name} must be three numbers (r, g, b), got {values!r}") from None
    if len(items) != 3:
        raise ValueError(f"{name} must be three numbers (r, g, b), got {values!r}")
    return items[0], items[1], items[2]


def _tensor_coefficients(mean: Sequence[SupportsFloat], std: Sequence[SupportsFloat]) -> tuple[CData, CData]:
    """The float[3] scale and bias of :func:`to_tensor` for ``mean`` and ``std``, checked."""
    means, stds = _three(mean, "mean"), _three(std, "std")
    if any(s == 0.0 for s in stds):
        raise ValueError(f"std must not contain zeros, got {std!r}")
    scales = np.array([1.0 / (255.0 * s) for s in stds], np.float64)
    biases = np.array([-m / s for m, s in zip(means, stds, strict=True)], np.float64)
    if not (np.all(np.abs(scales) < np.finfo(np.float32).max) and np.all(np.abs(biases) < np.finfo(np.float32).max)):
        raise ValueError(f"mean / std and 1 / (255 std) must fit float32; got mean={mean!r}, std={std!r}")
    return ffi.new("float[3]", scales.tolist()), ffi.new("float[3]", biases.tolist())


def _tensor_output(
    out: NDArray[np.float32] | None, width: int, height: int, layout: str, op: str
) -> tuple[NDArray[np.float32], CData]:
    """A fresh tensor of :func:`to_tensor`'s shape, or ``out`` checked, and its pk_tensor descriptor."""
    if layout not in ("CHW", "HWC"):
        raise ValueError(f"layout must be 'CHW' or 'HWC', got {layout!r}")
    shape = (3, height, width) if layout == "CHW" else (height, width, 3)
    if out is None:
        result = new_bytes(4 * 3 * width * height).view(np.float32).reshape(shape)
    else:
        result = out
        if not isinstance(result, np.ndarray) or result.dtype != np.float32:
            raise TypeError(f"{op}: out must be a float32 numpy array")
        if tuple(result.shape) != shape:
            raise ValueError(f"{op}: out has shape {result.shape}, the result has shape {shape}")
        if not result.flags.writeable:
            raise ValueError(f"{op}: out is read-only")
        if result.ctypes.data % result.itemsize:
            raise ValueError(
                f"{op}: out must be aligned to {result.itemsize} bytes (float32), "
                f"got an array at address {result.ctypes.data:#x}; use a freshly allocated array"
            )
    strides = [s // 4 if s % 4 == 0 and s >= 0 else -1 for s in result.strides]
    if layout == "CHW":
        channel, row, pixel = strides
    else:
        row, pixel, channel = strides
    if -1 in strides or (layout == "CHW" and pixel != 1) or (layout == "HWC" and (pixel, channel) != (3, 1)):
        raise ValueError(f"{op}: out needs contiguous {layout} rows, got strides {result.strides}")
    descriptor = ffi.new(
        "pk_tensor *",
        {
            "data": data_pointer(result, "float *"),
            "width": width,
            "height": height,
            "channel_stride": channel if layout == "CHW" else 1,
            "row_stride": row if height > 1 else (width if layout == "CHW" else 3 * width),
            "pixel_stride": pixel if width > 1 else (1 if layout == "CHW" else 3),
            "layout": lib.PK_TENSOR_CHW if layout == "CHW" else lib.PK_TENSOR_HWC,
            "writable": 1,
        },
    )
    return result, descriptor


def to_tensor(
    img: ImageLike,
    mean: Sequence[SupportsFloat] = (0.0, 0.0, 0.0),
    std: Sequence[SupportsFloat] = (1.0, 1.0, 1.0),
    layout: TensorLayout = "CHW",
    out: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """``(x / 255 - mean) / std`` per channel as float32, ``(3, H, W)`` or ``(H, W, 3)``.

    Computed as ``x * scale + bias`` with ``scale = 1 / (255 std)`` and
    ``bias = -mean / std`` in float32: within a few units in the last place
    of the exact value.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array.
    mean, std : sequence of three floats, optional
        Per channel (r, g, b); ``std`` must not contain zeros.
    layout : {"CHW", "HWC"}, optional
        Channels first (default, as PyTorch wants) or last.
    out : numpy.ndarray, optional
        A float32 array of the result's shape whose innermost axis is contiguous (e.g. ``batch[i]``).

    Returns
    -------
    numpy.ndarray
        A new float32 array, or ``out``.

    Raises
    ------
    TypeError
        ``img`` is neither an Image nor an array, a mean or std is not a number, or ``out`` is not float32.
    ValueError
        A zero or non-finite ``std``, an unknown ``layout``, or an ``out`` of another shape, read-only,
        misaligned or with non-contiguous rows.

    Examples
    --------
    >>> img = pixelkit.Image(4, 2, fill=(255, 0, 51))
    >>> t = pixelkit.to_tensor(img, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    >>> t.shape, t.dtype, [round(float(v), 3) for v in t[:, 0, 0]]
    ((3, 2, 4), dtype('float32'), [1.0, -1.0, -0.6])
    >>> batch = np.empty((8, 2, 4, 3), np.float32)
    >>> _ = pixelkit.to_tensor(img, layout="HWC", out=batch[0])
    >>> [round(float(v), 3) for v in batch[0, 0, 0]]
    [1.0, 0.0, 0.2]
    """
    src = as_image(img)
    scale, bias = _tensor_coefficients(mean, std)
    result, descriptor = _tensor_output(out, src.width, src.height, layout, "to_tensor")
    check(lib.pk_to_tensor(src._desc, scale, bias, descriptor), "to_tensor")
    return result


# ---- geometry ----------------------------------------------------------------------


def flip_horizontal(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Mirror left to right: ``np.fliplr``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> np.array_equal(pixelkit.flip_horizontal(a).array, np.fliplr(a))
    True
    """
    return _unary("flip_horizontal", lib.pk_flip_horizontal, img, out)  # type: ignore[no-any-return]


def flip_vertical(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Mirror top to bottom: ``np.flipud``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> np.array_equal(pixelkit.flip_vertical(a).array, np.flipud(a))
    True
    """
    return _unary("flip_vertical", lib.pk_flip_vertical, img, out)  # type: ignore[no-any-return]


def transpose(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Swap x and y: ``np.transpose(arr, (1, 0, 2))``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of shape ``(W, H, 3)``.

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

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> pixelkit.transpose(a)
    <pixelkit.Image 2x3 stride=6>
    >>> np.array_equal(pixelkit.transpose(a).array, a.transpose(1, 0, 2))
    True
    """
    src = as_image(img)
    dst = _output(out, src.height, src.width, "transpose")
    _run("transpose", lib.pk_transpose, src, dst, in_place=False)
    return dst if out is None else out


def rotate90(img: ImageLike, k: SupportsIndex = 1, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """``k`` counter-clockwise quarter turns (any integer): ``np.rot90(arr, k)``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    k : int, optional
        Quarter turns counter-clockwise (default 1); negative turns clockwise.
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

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
        ``k`` is not an integer.

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> all(np.array_equal(pixelkit.rotate90(a, k).array, np.rot90(a, k)) for k in range(-1, 5))
    True
    """
    if isinstance(k, bool) or not hasattr(k, "__index__"):
        raise TypeError(f"k must be an integer, got {type(k).__name__}")
    turns = operator.index(k) % 4
    src = as_image(img)
    width, height = (src.height, src.width) if turns % 2 else (src.width, src.height)
    dst = _output(out, width, height, "rotate90")
    _run("rotate90", lambda s, d: lib.pk_rotate90(s, turns, d), src, dst, in_place=turns % 2 == 0)
    return dst if out is None else out


def paste(dst: ImageOrArray, src: ImageLike, x: SupportsIndex, y: SupportsIndex) -> ImageOrArray:
    """Copy ``src`` into ``dst`` with its top-left corner at (x, y), clipped to ``dst``.

    Parameters
    ----------
    dst : Image or numpy.ndarray
        The image written to, in place.
    src : Image or numpy.ndarray
        The image copied.
    x, y : int
        Where ``src``'s top-left pixel goes; may be negative or beyond ``dst``:
        the part of ``src`` that falls outside is dropped.

    Returns
    -------
    Image or numpy.ndarray
        ``dst`` itself.

    Raises
    ------
    TypeError
        ``dst`` or ``src`` is neither an Image nor an array, or ``x`` or ``y`` is not an integer.
    ValueError
        ``dst`` is read-only.

    Examples
    --------
    >>> canvas = np.zeros((3, 4, 3), np.uint8)
    >>> _ = pixelkit.paste(canvas, pixelkit.Image(2, 2, fill=(9, 9, 9)), x=3, y=-1)
    >>> canvas[:, :, 0].tolist()
    [[0, 0, 0, 9], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    target, source = as_image(dst, "dst"), as_image(src, "src")
    left, top = operator.index(x), operator.index(y)
    if target.readonly:
        raise ValueError("paste: dst is read-only")
    # Far-away positions change nothing; keep them inside C's long.
    if abs(left) > 2 * lib.PK_MAX_DIMENSION or abs(top) > 2 * lib.PK_MAX_DIMENSION:
        return dst
    check(lib.pk_paste(target._desc, source._desc, left, top), "paste")
    return dst


# ---- resampling and filters ------------------------------------------------------------


def resize(
    img: ImageLike,
    width: SupportsIndex,
    height: SupportsIndex,
    method: ResizeMethod = "bilinear",
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """Resize to ``width`` x ``height`` as OpenCV's ``cv2.resize`` does.

    ``"nearest"`` equals ``INTER_NEAREST`` exactly; ``"bilinear"``
    (``INTER_LINEAR``) and ``"area"`` (``INTER_AREA``) agree within one level.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array.
    width, height : int
        The result's size.
    method : {"bilinear", "nearest", "area"}, optional
        The interpolation (default ``"bilinear"``); ``"area"`` is the one for shrinking.
    out : Image or numpy.ndarray, optional
        Where to write the result, of shape ``(height, width, 3)``.

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an array, or a size is not an integer.
    ValueError
        A size out of range, an unknown ``method``, or an ``out`` of another shape or read-only.

    Examples
    --------
    >>> img = pixelkit.Image(4, 4)
    >>> img.array[:, 2:] = 200
    >>> pixelkit.resize(img, 2, 2, method="area").array[:, :, 0].tolist()
    [[0, 200], [0, 200]]
    >>> pixelkit.resize(img, 8, 6, method="nearest")
    <pixelkit.Image 8x6 stride=24>
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    if method not in _RESIZE_METHODS:
        raise ValueError(f"method must be one of {tuple(_RESIZE_METHODS)}, got {method!r}")
    src = as_image(img)
    dst = _output(out, w, h, "resize")
    code = _RESIZE_METHODS[method]
    _run("resize", lambda s, d: lib.pk_resize(s, d, code), src, dst, in_place=False)
    return dst if out is None else out


class Rect(NamedTuple):
    """A rectangle of pixels inside a larger image: top-left corner and size.

    Parameters
    ----------
    x, y : int
        The top-left pixel.
    width, height : int
        The size in pixels.

    Examples
    --------
    >>> pixelkit.ops.Rect(0, 10, 64, 32)
    Rect(x=0, y=10, width=64, height=32)
    """

    x: int
    y: int
    width: int
    height: int


def _size_pair(size: tuple[SupportsIndex, SupportsIndex], name: str) -> tuple[int, int]:
    if not isinstance(size, tuple) or len(size) != 2:
        raise TypeError(f"{name} must be a (width, height) tuple")
    return dimension(size[0], f"{name} width"), dimension(size[1], f"{name} height")


def _tile(
    source_size: tuple[SupportsIndex, SupportsIndex], size: tuple[SupportsIndex, SupportsIndex], part: Rect
) -> CData:
    tile = ffi.new("pk_resize_tile *")
    tile.src_width, tile.src_height = _size_pair(source_size, "source_size")
    tile.dst_width, tile.dst_height = _size_pair(size, "size")
    x, y, width, height = (operator.index(v) for v in part)
    if x < 0 or y < 0 or width < 1 or height < 1 or x + width > tile.dst_width or y + height > tile.dst_height:
        raise ValueError(f"part {tuple(part)} does not lie inside the {tile.dst_width}x{tile.dst_height} result")
    tile.dst.x, tile.dst.y, tile.dst.width, tile.dst.height = x, y, width, height
    return tile


def _method_code(method: str) -> int:
    if method not in _RESIZE_METHODS:
        raise ValueError(f"method must be one of {tuple(_RESIZE_METHODS)}, got {method!r}")
    return int(_RESIZE_METHODS[method])


def resize_source(
    source_size: tuple[SupportsIndex, SupportsIndex],
    size: tuple[SupportsIndex, SupportsIndex],
    part: Rect,
    method: ResizeMethod = "bilinear",
) -> Rect:
    """The part of the source that computing ``part`` of a resize reads.

    Parameters
    ----------
    source_size : tuple of two ints
        (width, height) of the whole source.
    size : tuple of two ints
        (width, height) of the whole result.
    part : Rect
        A rectangle of the result.
    method : {"bilinear", "nearest", "area"}, optional
        The interpolation, as for :func:`pixelkit.resize`.

    Returns
    -------
    Rect
        The rectangle of the source to pass to :func:`resize_part`.

    Raises
    ------
    TypeError
        A size is not a (width, height) tuple of integers.
    ValueError
        A size out of range, ``part`` outside the result, or an unknown ``method``.

    Examples
    --------
    >>> pixelkit.ops.resize_source((100, 100), (50, 50), pixelkit.ops.Rect(0, 0, 10, 10), "area")
    Rect(x=0, y=0, width=20, height=20)
    """
    tile = _tile(source_size, size, part)
    check(lib.pk_resize_tile_source(tile, _method_code(method)), "resize_source")
    return Rect(tile.src.x, tile.src.y, tile.src.width, tile.src.height)


def resize_part(
    src: ImageLike,
    origin: tuple[SupportsIndex, SupportsIndex],
    source_size: tuple[SupportsIndex, SupportsIndex],
    size: tuple[SupportsIndex, SupportsIndex],
    part: Rect,
    method: ResizeMethod = "bilinear",
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """One tile of a resize, equal to the same pixels of the whole-image :func:`~pixelkit.resize`.

    This is how an image too large for memory is resized tile by tile
    (:func:`pixelkit.dask.resize` does so).

    Parameters
    ----------
    src : Image or numpy.ndarray
        A piece of the whole source; it must cover ``resize_source(source_size, size, part, method)``.
    origin : tuple of two ints
        (x, y) of ``src``'s top-left pixel in the whole source.
    source_size, size : tuple of two ints
        (width, height) of the whole source and of the whole result.
    part : Rect
        The rectangle of the whole result to compute.
    method : {"bilinear", "nearest", "area"}, optional
        The interpolation, as for :func:`pixelkit.resize`.
    out : Image or numpy.ndarray, optional
        Where to write the tile, of shape ``(part.height, part.width, 3)``.

    Returns
    -------
    Image or numpy.ndarray
        A new Image of the tile, or ``out`` when given.

    Raises
    ------
    TypeError
        ``src`` or ``out`` is neither an Image nor an array, or a size is not a tuple of integers.
    ValueError
        ``src`` does not cover what ``part`` reads, ``part`` lies outside the result, an unknown
        ``method``, or an ``out`` of another shape or read-only.

    Examples
    --------
    >>> whole = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    >>> part = pixelkit.ops.Rect(10, 5, 8, 6)
    >>> need = pixelkit.ops.resize_source((60, 40), (30, 20), part)
    >>> piece = whole[need.y : need.y + need.height, need.x : need.x + need.width]
    >>> tile = pixelkit.ops.resize_part(piece, (need.x, need.y), (60, 40), (30, 20), part)
    >>> full = pixelkit.resize(whole, 30, 20).array
    >>> np.array_equal(tile.array, full[5:11, 10:18])
    True
    """
    tile = _tile(source_size, size, part)
    code = _method_code(method)
    image = as_image(src)
    x, y = (operator.index(v) for v in origin)
    if x < 0 or y < 0 or x + image.width > tile.src_width or y + image.height > tile.src_height:
        raise ValueError(f"src at {(x, y)} with size {(image.width, image.height)} does not lie inside the source")
    tile.src.x, tile.src.y, tile.src.width, tile.src.height = x, y, image.width, image.height
    needed = ffi.new("pk_resize_tile *", tile[0])
    check(lib.pk_resize_tile_source(needed, code), "resize_part")
    n = needed.src
    if n.x < x or n.y < y or n.x + n.width > x + image.width or n.y + n.height > y + image.height:
        raise ValueError(f"resize_part: src must cover {Rect(n.x, n.y, n.width, n.height)} of the source")
    dst = _output(out, tile.dst.width, tile.dst.height, "resize_part")
    _run("resize_part", lambda s, d: lib.pk_resize_part(s, d, code, tile), image, dst, in_place=False)
    return dst if out is None else out


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


# ---- statistics -----------------------------------------------------------------------


def histogram(img: ImageLike, out: NDArray[np.uint64] | None = None) -> NDArray[np.uint64]:
    """Per-channel counts, shape ``(3, 256)`` uint64: ``[c, v]`` pixels with channel c equal to v.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array.
    out : numpy.ndarray, optional
        A writable, contiguous ``(3, 256)`` uint64 array that receives the counts (overwritten).

    Returns
    -------
    numpy.ndarray
        A new ``(3, 256)`` uint64 array, or ``out``.

    Raises
    ------
    TypeError
        ``img`` is neither an Image nor an array, or ``out`` is not a ``(3, 256)`` uint64 array.
    ValueError
        ``out`` is read-only or not contiguous.

    Examples
    --------
    >>> counts = pixelkit.histogram(pixelkit.Image(4, 2, fill=(0, 7, 255)))
    >>> counts.shape, int(counts[0, 0]), int(counts[1, 7]), int(counts[2, 255])
    ((3, 256), 8, 8, 8)
    """
    src = img if isinstance(img, Image) else as_image(img)
    if out is None:
        counts = np.empty((3, 256), np.uint64)
    else:
        counts = out
        if not isinstance(counts, np.ndarray) or counts.dtype != np.uint64 or counts.shape != (3, 256):
            raise TypeError("histogram: out must be a (3, 256) uint64 numpy array")
        if not counts.flags.writeable or not counts.flags.c_contiguous:
            raise ValueError("histogram: out must be writable and contiguous")
    check(lib.pk_histogram(src._desc, ffi.from_buffer("uint64_t[]", counts)), "histogram")
    return counts
