"""Point operations (c/point.c): fill, invert, lookup tables, adjust, swap_rb and blend."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import ffi, lib
from pixelkit.errors import check
from pixelkit.image import Color, Image, pixel_color
from pixelkit.ops._common import ImageLike, ImageOrArray, _finite, _output, _unary
from pixelkit.rawio import as_image


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
    ``addWeighted(a, 1 - alpha, b, alpha, 0)``: with ``w = round(alpha * 32768)``
    (halves away from zero), each sample is ``(a * (32768 - w) + b * w + 16384) >> 15``,
    the same bits under every instruction set.

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
