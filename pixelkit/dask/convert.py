"""Conversions of Dask arrays of images: luma planes and float tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import SupportsFloat

import dask.array as da
import numpy as np

from pixelkit import ops
from pixelkit.dask.blocks import Images, _da, _gray_block, _lazy, _meta, _probe, _rgb, _tensor_block
from pixelkit.ops import TensorLayout


def to_gray(images: Images) -> da.Array:
    """BT.601 luma, ``(H, W)`` or ``(N, H, W)`` uint8 (:func:`pixelkit.to_gray`).

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.

    Returns
    -------
    dask.array.Array
        The lazy luma planes, without the channel axis.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.

    Examples
    --------
    >>> a = np.zeros((2, 2, 3), np.uint8)
    >>> a[..., 0] = 255
    >>> pkd.to_gray(a).compute().tolist()
    [[76, 76], [76, 76]]
    """
    x = _rgb(images)
    return _lazy(x.map_blocks(_gray_block, drop_axis=x.ndim - 1, dtype=np.uint8, meta=_meta(x.ndim - 1)))


def to_tensor(
    images: Images,
    mean: Sequence[SupportsFloat] = (0.0, 0.0, 0.0),
    std: Sequence[SupportsFloat] = (1.0, 1.0, 1.0),
    layout: TensorLayout = "CHW",
) -> da.Array:
    """``(x / 255 - mean) / std`` as float32: ``(3, H, W)`` / ``(N, 3, H, W)`` for CHW, else channels last.

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.
    mean, std : sequence of three floats, optional
        Per channel, as for :func:`pixelkit.to_tensor`.
    layout : {"CHW", "HWC"}, optional
        Channels first (default) or last.

    Returns
    -------
    dask.array.Array
        The lazy float32 tensors.

    Raises
    ------
    TypeError
        ``images`` is not a uint8 dask or numpy array.
    ValueError
        ``images`` is not ``(H, W, 3)`` or ``(N, H, W, 3)``, or its chunk sizes are unknown.
    TypeError
        A mean or std is not a number.
    ValueError
        A zero or non-finite ``std``, or an unknown ``layout``.

    Examples
    --------
    >>> batch = pkd.to_tensor(np.full((4, 2, 3, 3), 255, np.uint8), mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    >>> batch.shape, batch.dtype, float(batch.max().compute())
    ((4, 3, 2, 3), dtype('float32'), 1.0)
    """
    x = _rgb(images)
    ops.to_tensor(_probe(), mean, std, layout)
    means = tuple(float(m) for m in mean)
    stds = tuple(float(s) for s in std)
    view = _da.moveaxis(x, -1, -3) if layout == "CHW" else x
    return _lazy(
        view.map_blocks(
            _tensor_block, mean=means, std=stds, layout=layout, dtype=np.float32, meta=_meta(x.ndim, np.float32)
        )
    )
