"""Statistics of Dask arrays of images, as tree reductions."""

from __future__ import annotations

import dask.array as da
import numpy as np

from pixelkit.dask.blocks import Images, _histogram_block, _lazy, _meta, _rgb


def histogram(images: Images) -> da.Array:
    """Per-channel counts ``(3, 256) uint64`` over all pixels (and frames), as a tree reduction.

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.

    Returns
    -------
    dask.array.Array
        The lazy ``(3, 256)`` uint64 counts.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.

    Examples
    --------
    >>> import dask.array as da
    >>> counts = pkd.histogram(da.zeros((4, 2, 3, 3), dtype=np.uint8, chunks=(1, 2, 3, 3))).compute()
    >>> counts.shape, int(counts[0, 0])
    ((3, 256), 24)
    """
    x = _rgb(images)
    per_block = x.map_blocks(
        _histogram_block,
        chunks=(*((1,) * len(c) for c in x.chunks[:-1]), (3,), (256,)),
        new_axis=x.ndim,
        dtype=np.uint64,
        meta=_meta(x.ndim + 1, np.uint64),
    )
    return _lazy(per_block.sum(axis=tuple(range(x.ndim - 1)), dtype=np.uint64))
