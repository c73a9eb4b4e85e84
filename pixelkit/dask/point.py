"""Point operations on Dask arrays of images, block by block."""

from __future__ import annotations

import dask.array as da
import numpy as np
from numpy.typing import NDArray

from pixelkit import ops
from pixelkit.dask.blocks import (
    Images,
    _blend_block,
    _da,
    _fill_block,
    _invert_block,
    _lazy,
    _lut_block,
    _meta,
    _probe,
    _rgb,
    _swap_block,
)
from pixelkit.image import Color, pixel_color


def invert(images: Images) -> da.Array:
    """``255 - v`` for every sample (:func:`pixelkit.invert` per block).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.

    Returns
    -------
    dask.array.Array
        The lazy result, chunked like ``images``.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.

    Examples
    --------
    >>> pkd.invert(np.zeros((2, 3, 3), np.uint8)).compute()[0, 0].tolist()
    [255, 255, 255]
    """
    x = _rgb(images)
    return _lazy(x.map_blocks(_invert_block, dtype=np.uint8, meta=_meta(x.ndim)))


def apply_lut(images: Images, lut: NDArray[np.uint8]) -> da.Array:
    """``lut[v]`` per sample; a ``(3, 256)`` lut has one table per channel (:func:`pixelkit.apply_lut`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.
    lut : numpy.ndarray
        uint8 of shape ``(256,)`` or ``(3, 256)``.

    Returns
    -------
    dask.array.Array
        The lazy result, chunked like ``images``.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.
    TypeError
        ``lut`` is not a uint8 array (checked at once, before any block is computed).
    ValueError
        ``lut`` has another shape.

    Examples
    --------
    >>> lut = np.full(256, 7, np.uint8)
    >>> pkd.apply_lut(np.zeros((2, 3, 3), np.uint8), lut).compute()[1, 2].tolist()
    [7, 7, 7]
    """
    x = _rgb(images)
    ops.apply_lut(_probe(), lut)
    table = np.ascontiguousarray(lut)
    return _lazy(x.map_blocks(_lut_block, lut=table, dtype=np.uint8, meta=_meta(x.ndim)))


def adjust(images: Images, brightness: float = 0.0, contrast: float = 1.0, gamma: float = 1.0) -> da.Array:
    """Brightness, contrast and gamma through one lookup table (:func:`pixelkit.adjust`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.
    brightness, contrast, gamma : float, optional
        As for :func:`pixelkit.adjust`.

    Returns
    -------
    dask.array.Array
        The lazy result, chunked like ``images``.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.
    TypeError
        A parameter is not a number.
    ValueError
        A parameter is not finite, ``contrast < 0`` or ``gamma <= 0``.

    Examples
    --------
    >>> pkd.adjust(np.full((2, 2, 3), 128, np.uint8), gamma=2.0).compute()[0, 0].tolist()
    [181, 181, 181]
    """
    return apply_lut(images, ops.adjust_lut(brightness, contrast, gamma))


def swap_rb(images: Images) -> da.Array:
    """RGB to BGR and back (:func:`pixelkit.swap_rb`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.

    Returns
    -------
    dask.array.Array
        The lazy result, chunked like ``images``.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.

    Examples
    --------
    >>> a = np.zeros((2, 2, 3), np.uint8)
    >>> a[..., 0] = 9
    >>> pkd.swap_rb(a).compute()[0, 0].tolist()
    [0, 0, 9]
    """
    x = _rgb(images)
    return _lazy(x.map_blocks(_swap_block, dtype=np.uint8, meta=_meta(x.ndim)))


def fill(images: Images, color: Color) -> da.Array:
    """An array shaped and chunked like ``images`` with every pixel ``color`` (images are not read).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.
    color : sequence of three ints
        (r, g, b), each 0..255.

    Returns
    -------
    dask.array.Array
        The lazy result, chunked like ``images``.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.
    TypeError
        ``color`` is not three integers.
    ValueError
        A channel of ``color`` is outside 0..255.

    Examples
    --------
    >>> pkd.fill(np.zeros((2, 2, 3), np.uint8), (1, 2, 3)).compute()[1, 1].tolist()
    [1, 2, 3]
    """
    x = _rgb(images)
    rgb = pixel_color(color)
    shape_only = _da.empty(x.shape, chunks=x.chunks, dtype=np.uint8)
    return _lazy(shape_only.map_blocks(_fill_block, color=rgb, dtype=np.uint8, meta=_meta(x.ndim)))


def blend(a: Images, b: Images, alpha: float) -> da.Array:
    """``a * (1 - alpha) + b * alpha`` (:func:`pixelkit.blend`); ``a`` and ``b`` have the same shape.

    Parameters
    ----------
    a, b : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, of the same shape (``b`` is rechunked like ``a``).
    alpha : float
        The weight of ``b``, from 0 to 1.

    Returns
    -------
    dask.array.Array
        The lazy result, chunked like ``a``.

    Raises
    ------
    TypeError
        ``a`` or ``b`` is not a uint8 dask or numpy array, or ``alpha`` is not a number.
    ValueError
        The shapes differ or are not RGB images, or ``alpha`` is outside [0, 1].

    Examples
    --------
    >>> white = np.full((2, 2, 3), 255, np.uint8)
    >>> pkd.blend(np.zeros_like(white), white, 0.25).compute()[0, 0].tolist()
    [64, 64, 64]
    """
    first, second = _rgb(a, "a"), _rgb(b, "b")
    if first.shape != second.shape:
        raise ValueError(f"blend needs arrays of the same shape, got {first.shape} and {second.shape}")
    ops.blend(_probe(), _probe(), alpha)
    weight = float(alpha)
    # Same chunks on both: Dask would broadcast a single-chunk array instead of splitting it.
    second = second.rechunk(first.chunks)
    return _lazy(_da.map_blocks(_blend_block, first, second, alpha=weight, dtype=np.uint8, meta=_meta(first.ndim)))
