"""Statistics (c/histogram.c): per-channel histograms."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import ffi, lib
from pixelkit.errors import check
from pixelkit.image import Image
from pixelkit.ops._common import ImageLike
from pixelkit.rawio import as_image


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
