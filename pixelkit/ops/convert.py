"""Conversions (c/convert.c): BT.601 luma planes and float tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, SupportsFloat

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check
from pixelkit.image import Image, data_pointer, new_bytes
from pixelkit.ops._common import ImageLike, _finite
from pixelkit.rawio import as_image

TensorLayout = Literal["CHW", "HWC"]


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
