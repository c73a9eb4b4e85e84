"""Flips, transposes, quarter turns and paste on Dask arrays: the blocks rearranged, each in one pass."""

from __future__ import annotations

import itertools
import operator
from typing import SupportsIndex

import dask.array as da
import numpy as np

from pixelkit.dask.blocks import (
    Images,
    _assemble,
    _da,
    _flip_horizontal_block,
    _flip_vertical_block,
    _grid,
    _lazy,
    _meta,
    _paste_block,
    _rgb,
    _rotate_block,
    _transpose_block,
)


def flip_vertical(images: Images) -> da.Array:
    """Top to bottom, like ``np.flipud`` on each image (:func:`pixelkit.flip_vertical`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.

    Returns
    -------
    dask.array.Array
        The lazy result; its blocks are the source's, rearranged.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.

    Examples
    --------
    >>> import dask.array as da
    >>> a = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    >>> x = pkd.flip_vertical(da.from_array(a, chunks=(2, 3, 3)))
    >>> np.array_equal(x.compute(), np.flipud(a))
    True
    """
    x = _rgb(images)
    view = x[..., ::-1, :, :]
    return _lazy(view.map_blocks(_flip_vertical_block, dtype=np.uint8, meta=_meta(x.ndim)))


def flip_horizontal(images: Images) -> da.Array:
    """Left to right, like ``np.fliplr`` on each image (:func:`pixelkit.flip_horizontal`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.

    Returns
    -------
    dask.array.Array
        The lazy result; its blocks are the source's, rearranged.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.

    Examples
    --------
    >>> import dask.array as da
    >>> a = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    >>> x = pkd.flip_horizontal(da.from_array(a, chunks=(2, 3, 3)))
    >>> np.array_equal(x.compute(), np.fliplr(a))
    True
    """
    x = _rgb(images)
    view = x[..., ::-1, :]
    return _lazy(view.map_blocks(_flip_horizontal_block, dtype=np.uint8, meta=_meta(x.ndim)))


def transpose(images: Images) -> da.Array:
    """x and y swapped in each image (:func:`pixelkit.transpose`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.

    Returns
    -------
    dask.array.Array
        The lazy ``(W, H, 3)`` (or ``(N, W, H, 3)``) result.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.

    Examples
    --------
    >>> import dask.array as da
    >>> a = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    >>> np.array_equal(pkd.transpose(da.from_array(a, chunks=(2, 3, 3))).compute(), a.transpose(1, 0, 2))
    True
    """
    x = _rgb(images)
    view = _da.swapaxes(x, -3, -2)
    return _lazy(view.map_blocks(_transpose_block, dtype=np.uint8, meta=_meta(x.ndim)))


def rotate90(images: Images, k: SupportsIndex = 1) -> da.Array:
    """``k`` counter-clockwise quarter turns of each image, like ``np.rot90`` (:func:`pixelkit.rotate90`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.
    k : int, optional
        Quarter turns counter-clockwise (default 1).

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
        ``k`` is not an integer.

    Examples
    --------
    >>> import dask.array as da
    >>> a = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    >>> np.array_equal(pkd.rotate90(da.from_array(a, chunks=(2, 3, 3)), 3).compute(), np.rot90(a, 3))
    True
    """
    if isinstance(k, bool) or not hasattr(k, "__index__"):
        raise TypeError(f"k must be an integer, got {type(k).__name__}")
    turns = operator.index(k) % 4
    x = _rgb(images)
    view = _da.rot90(x, turns, axes=(x.ndim - 3, x.ndim - 2))
    return _lazy(view.map_blocks(_rotate_block, k=turns, dtype=np.uint8, meta=_meta(x.ndim)))


def paste(dst: Images, src: Images, x: SupportsIndex, y: SupportsIndex) -> da.Array:
    """``dst`` with ``src`` copied in at (x, y), clipped (:func:`pixelkit.paste`).

    Blocks that ``src`` does not reach are passed through untouched.

    Parameters
    ----------
    dst : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8.
    src : dask.array.Array or numpy.ndarray
        One ``(h, w, 3)`` image, pasted into every frame when ``dst`` holds frames,
        or as many frames as ``dst``.
    x, y : int
        Where ``src``'s top-left pixel goes; may be negative or beyond ``dst``.

    Returns
    -------
    dask.array.Array
        The lazy result, chunked like ``dst``.

    Raises
    ------
    TypeError
        ``dst`` or ``src`` is not a uint8 dask or numpy array, or ``x`` or ``y`` is not an integer.
    ValueError
        Shapes that are not RGB images, or frames of ``src`` that do not match ``dst``'s.

    Examples
    --------
    >>> import dask.array as da
    >>> canvas = da.zeros((4, 6, 3), dtype=np.uint8, chunks=(2, 3, 3))
    >>> out = pkd.paste(canvas, np.full((2, 2, 3), 9, np.uint8), x=2, y=1).compute()
    >>> out[:, :, 0].tolist()
    [[0, 0, 0, 0, 0, 0], [0, 0, 9, 9, 0, 0], [0, 0, 9, 9, 0, 0], [0, 0, 0, 0, 0, 0]]
    """
    base, piece = _rgb(dst, "dst"), _rgb(src, "src")
    left, top = operator.index(x), operator.index(y)
    per_frame = piece.ndim == 4
    if per_frame and (base.ndim != 4 or piece.shape[0] != base.shape[0]):
        raise ValueError(f"src of shape {piece.shape} does not match dst of shape {base.shape}")
    if per_frame:
        piece = piece.rechunk({0: base.chunks[0]})
    sh, sw = piece.shape[-3:-1]
    rows, columns = _grid(base)
    lead = (slice(None),) * (base.ndim - 3)
    tiles = []
    for i, (r0, r1) in enumerate(itertools.pairwise(rows)):
        row = []
        for j, (c0, c1) in enumerate(itertools.pairwise(columns)):
            block_index = (*lead, i, j, 0)
            block = base.blocks[block_index]
            y0, y1, x0, x1 = max(r0, top), min(r1, top + sh), max(c0, left), min(c1, left + sw)
            if y0 >= y1 or x0 >= x1:
                row.append(block)
                continue
            part = piece[..., y0 - top : y1 - top, x0 - left : x1 - left, :].rechunk(
                {piece.ndim - 3: -1, piece.ndim - 2: -1}
            )
            base_index = "nyxc"[4 - base.ndim :]
            part_index = "nhwd" if per_frame else "hwd"
            row.append(
                _da.blockwise(
                    _paste_block,
                    base_index,
                    block,
                    base_index,
                    part,
                    part_index,
                    x=x0 - c0,
                    y=y0 - r0,
                    dtype=np.uint8,
                    concatenate=True,
                    meta=_meta(base.ndim),
                )
            )
        tiles.append(row)
    return _assemble(tiles)
