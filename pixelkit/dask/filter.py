"""Neighbourhood filters on Dask arrays, each block with a halo from its neighbours."""

from __future__ import annotations

import operator
from typing import SupportsIndex

import dask.array as da

from pixelkit import ops
from pixelkit.dask.blocks import Images, _box_block, _gaussian_block, _probe, _rgb, _with_halo


def box_blur(images: Images, radius: SupportsIndex) -> da.Array:
    """Mean over the (2 radius + 1)^2 square (:func:`pixelkit.box_blur`), equal to the whole-image result.

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.
    radius : int
        As for :func:`pixelkit.box_blur`; blocks take a halo of ``radius`` pixels from their neighbours.

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
        ``radius`` is not an integer.
    ValueError
        ``radius`` is out of range.

    Examples
    --------
    >>> import dask.array as da
    >>> a = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    >>> blurred = pkd.box_blur(da.from_array(a, chunks=(7, 8, 3)), 2)
    >>> np.array_equal(blurred.compute(), pixelkit.box_blur(a, 2).array)
    True
    """
    x = _rgb(images)
    ops.box_blur(_probe(), radius)
    r = operator.index(radius)
    return _with_halo(x, _box_block, r, radius=r)


def gaussian_blur(images: Images, sigma: float) -> da.Array:
    """Gaussian blur (:func:`pixelkit.gaussian_blur`), equal to the whole-image result.

    Parameters
    ----------
    images : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8, e.g. from :func:`from_raw` or :func:`from_raw_frames`.
    sigma : float
        As for :func:`pixelkit.gaussian_blur`; blocks take a halo of
        :func:`pixelkit.ops.gaussian_radius` pixels from their neighbours.

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
        ``sigma`` is not a number.
    ValueError
        ``sigma`` is out of range or not finite.

    Examples
    --------
    >>> import dask.array as da
    >>> a = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    >>> blurred = pkd.gaussian_blur(da.from_array(a, chunks=(7, 8, 3)), 1.5)
    >>> np.array_equal(blurred.compute(), pixelkit.gaussian_blur(a, 1.5).array)
    True
    """
    x = _rgb(images)
    reach = ops.gaussian_radius(sigma)
    return _with_halo(x, _gaussian_block, reach, sigma=float(sigma))
