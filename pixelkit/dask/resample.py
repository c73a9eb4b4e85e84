"""Resizing Dask arrays of images tile by tile, each tile exactly as the whole-image resize makes it."""

from __future__ import annotations

import itertools
import math
from typing import SupportsIndex

import dask
import dask.array as da
import numpy as np
from dask.utils import parse_bytes

from pixelkit import ops
from pixelkit.dask.blocks import Images, _assemble, _grid, _meta, _resize_block, _rgb
from pixelkit.image import dimension
from pixelkit.ops import Rect, ResizeMethod


def _scaled_bounds(bounds: list[int], source: int, target: int, limit: int) -> list[int]:
    """Tile boundaries of the result axis: the source chunks' boundaries scaled, none longer than ``limit``."""
    scaled = sorted({round(b * target / source) for b in bounds} | {0, target})
    out = [0]
    for end in scaled[1:]:
        start = out[-1]
        pieces = max(1, math.ceil((end - start) / limit))
        out += [start + (end - start) * (k + 1) // pieces for k in range(pieces)]
    return sorted(set(out))


def resize(images: Images, width: SupportsIndex, height: SupportsIndex, method: ResizeMethod = "bilinear") -> da.Array:
    """Each image resized to ``width`` x ``height`` (:func:`pixelkit.resize`), tile by tile, exactly.

    The result's tiles follow the source's chunks, scaled; each tile reads
    just the source pixels that the whole-image resize reads for it
    (:func:`pixelkit.ops.resize_source`), so the result equals the
    whole-image result pixel for pixel.

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8.
    width, height : int
        The size of each result image.
    method : {"bilinear", "nearest", "area"}, optional
        As for :func:`pixelkit.resize`.

    Returns
    -------
    dask.array.Array
        The lazy resized images.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array, or a size is not an integer.
    ValueError
        Not RGB images, unknown chunk sizes, a size out of range, or an unknown ``method``.

    Examples
    --------
    >>> import dask.array as da
    >>> a = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    >>> tiled = pkd.resize(da.from_array(a, chunks=(16, 16, 3)), 25, 17, "area")
    >>> np.array_equal(tiled.compute(), pixelkit.resize(a, 25, 17, "area").array)
    True
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    x = _rgb(images)
    sh, sw = x.shape[-3:-1]
    size, source_size = (w, h), (sw, sh)
    ops.resize_source(source_size, size, Rect(0, 0, 1, 1), method)  # checks the method
    rows, columns = _grid(x)
    # Tiles of enlarged images are cut to at most a source block's or Dask's chunk size.
    largest_block = max(x.chunks[-3]) * max(x.chunks[-2]) * 3
    tile_pixels = max(parse_bytes(dask.config.get("array.chunk-size")), largest_block) // 3
    column_bounds = _scaled_bounds(columns, sw, w, w)
    widest = max(b - a for a, b in itertools.pairwise(column_bounds))
    row_bounds = _scaled_bounds(rows, sh, h, max(1, tile_pixels // widest))
    lead = (slice(None),) * (x.ndim - 3)
    tiles = []
    for y0, y1 in itertools.pairwise(row_bounds):
        row = []
        for x0, x1 in itertools.pairwise(column_bounds):
            part = Rect(x0, y0, x1 - x0, y1 - y0)
            src = ops.resize_source(source_size, size, part, method)
            if (src.width, src.height) == source_size and len(x.chunks[-3]) == len(x.chunks[-2]) == 1:
                piece = x  # whole images per block (frames): no slicing, so the task fuses with its neighbours
            else:
                window = (*lead, slice(src.y, src.y + src.height), slice(src.x, src.x + src.width))
                piece = x[window].rechunk({x.ndim - 3: -1, x.ndim - 2: -1})
            row.append(
                piece.map_blocks(
                    _resize_block,
                    origin=(src.x, src.y),
                    source_size=source_size,
                    size=size,
                    part=part,
                    method=method,
                    chunks=(*piece.chunks[:-3], (part.height,), (part.width,), (3,)),
                    dtype=np.uint8,
                    meta=_meta(x.ndim),
                )
            )
        tiles.append(row)
    return _assemble(tiles)
