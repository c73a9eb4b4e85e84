"""Writing Dask arrays block by block into a temporary file that replaces the target once complete."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from typing import Any

import dask.array as da
import numpy as np
from numpy.typing import NDArray

from pixelkit._fileio import COPIED_MODE_BITS, StrPath, current_umask, fsync_directory
from pixelkit.dask.blocks import Images, _da
from pixelkit.image import MAX_DIMENSION


class RawFileTarget:
    """Where ``dask.array.store`` puts blocks: a byte range of a file, written with ``pwrite``.

    Pickles as a path and a shape, so blocks are written by whichever
    process computed them; blocks never overlap, so no lock is needed.
    """

    def __init__(self, path: str, shape: tuple[int, ...], offset: int) -> None:
        self.path, self.shape, self.offset = path, shape, offset

    def __setitem__(self, key: tuple[slice, ...], value: NDArray[np.uint8]) -> None:
        starts = [s.indices(n)[0] for s, n in zip(key, self.shape, strict=True)]
        block = np.ascontiguousarray(value, dtype=np.uint8)
        if block.size == 0:
            return
        # Runs: the block's innermost axes that span the whole array are contiguous in the file.
        inner = len(self.shape)
        while inner > 0 and block.shape[inner - 1] == self.shape[inner - 1]:
            inner -= 1
        cut = max(inner - 1, 0)
        steps = [math.prod(self.shape[k + 1 :]) for k in range(len(self.shape))]
        fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            for outer in np.ndindex(*block.shape[:cut]):
                index = [a + b for a, b in zip(starts, outer, strict=False)] + starts[len(outer) :]
                position = self.offset + sum(i * s for i, s in zip(index, steps, strict=True))
                data = memoryview(block[outer]).cast("B")
                while data:
                    written = os.pwrite(fd, data, position)
                    data, position = data[written:], position + written
        finally:
            os.close(fd)


def _store(array: Any, path: StrPath, header: bytes, **compute: Any) -> None:
    """Compute ``array`` into a temporary file next to ``path``, then rename it over ``path``."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & COPIED_MODE_BITS
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    temporary = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        os.pwrite(fd, header, 0)
        # The final size up front: blocks land anywhere, and unwritten space stays sparse.
        os.ftruncate(fd, len(header) + int(array.size))
        _da.store(array, RawFileTarget(temporary, tuple(array.shape), len(header)), lock=False, **compute)
        os.fchmod(fd, mode)
        os.fsync(fd)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        os.close(fd)
    fsync_directory(directory)


def _uint8(array: Images, name: str) -> Any:
    x = array if isinstance(array, da.Array) else _da.asarray(array)
    if not isinstance(array, (da.Array, np.ndarray)):
        raise TypeError(f"{name} must be a dask or numpy array, got {type(array).__name__}")
    if x.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8, got {x.dtype}")
    if any(math.isnan(n) for n in x.shape):
        raise ValueError(f"{name} has unknown chunk sizes; call compute_chunk_sizes() first")
    return x


def to_raw(array: Images, path: StrPath, **compute: Any) -> None:
    """Write any uint8 array (an image, gray planes, frames) as raw bytes in C order, block by block.

    Blocks are computed by the current Dask scheduler (``compute`` is
    passed on, e.g. ``scheduler="threads"``) and written into a temporary
    file in ``path``'s directory, which replaces ``path`` once every block
    is written.  On any error ``path`` is untouched and the temporary file
    removed.  On a cluster the directory must be shared with the workers.

    Parameters
    ----------
    array : dask.array.Array or numpy.ndarray
        Any uint8 array; its bytes are written in C order.
    path : str or os.PathLike
        The file to create or replace.
    **compute
        Passed to ``dask.array.store`` (``scheduler=...`` and the like).

    Raises
    ------
    TypeError
        ``array`` is not a uint8 dask or numpy array.
    ValueError
        ``array``'s chunk sizes are unknown.
    OSError
        The file cannot be written (``path`` is left as it was).

    Examples
    --------
    >>> import dask.array as da
    >>> gray = pkd.to_gray(da.full((4, 6, 3), 255, dtype=np.uint8, chunks=(2, 3, 3)))
    >>> pkd.to_raw(gray, tmp / "gray.raw", scheduler="threads")
    >>> (tmp / "gray.raw").read_bytes() == bytes([255]) * 24
    True
    """
    _store(_uint8(array, "array"), path, b"", **compute)


def _netpbm_size(width: int, height: int) -> None:
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise ValueError(f"netpbm images are limited to {MAX_DIMENSION} pixels a side, got {width}x{height}")


def to_ppm(image: Images, path: StrPath, **compute: Any) -> None:
    """Write an ``(H, W, 3)`` uint8 array as a binary PPM (P6, maxval 255), block by block (see :func:`to_raw`).

    Parameters
    ----------
    image : dask.array.Array or numpy.ndarray
        ``(H, W, 3)`` uint8.
    path : str or os.PathLike
        The file to create or replace, atomically.
    **compute
        Passed to ``dask.array.store``.

    Raises
    ------
    TypeError
        ``image`` is not a uint8 dask or numpy array.
    ValueError
        Not ``(H, W, 3)``, a side above MAX_DIMENSION, or unknown chunk sizes.
    OSError
        The file cannot be written (``path`` is left as it was).

    Examples
    --------
    >>> import dask.array as da
    >>> pkd.to_ppm(da.zeros((4, 6, 3), dtype=np.uint8, chunks=(2, 3, 3)), tmp / "black.ppm")
    >>> pixelkit.read_ppm(tmp / "black.ppm")
    <pixelkit.Image 6x4 stride=18>
    """
    x = _uint8(image, "image")
    if x.ndim != 3 or x.shape[-1] != 3:
        raise ValueError(f"to_ppm needs an (H, W, 3) array, got shape {x.shape}")
    height, width = int(x.shape[0]), int(x.shape[1])
    _netpbm_size(width, height)
    _store(x, path, f"P6\n{width} {height}\n255\n".encode("ascii"), **compute)


def to_pgm(gray: Images, path: StrPath, **compute: Any) -> None:
    """Write an ``(H, W)`` uint8 array as a binary PGM (P5, maxval 255), block by block (see :func:`to_raw`).

    Parameters
    ----------
    gray : dask.array.Array or numpy.ndarray
        ``(H, W)`` uint8, e.g. from :func:`to_gray`.
    path : str or os.PathLike
        The file to create or replace, atomically.
    **compute
        Passed to ``dask.array.store``.

    Raises
    ------
    TypeError
        ``gray`` is not a uint8 dask or numpy array.
    ValueError
        Not ``(H, W)``, a side above MAX_DIMENSION, or unknown chunk sizes.
    OSError
        The file cannot be written (``path`` is left as it was).

    Examples
    --------
    >>> import dask.array as da
    >>> pkd.to_pgm(pkd.to_gray(da.zeros((4, 6, 3), dtype=np.uint8, chunks=(2, 3, 3))), tmp / "black.pgm")
    >>> pixelkit.read_pgm(tmp / "black.pgm").shape
    (4, 6)
    """
    x = _uint8(gray, "gray")
    if x.ndim != 2:
        raise ValueError(f"to_pgm needs an (H, W) array, got shape {x.shape}")
    height, width = int(x.shape[0]), int(x.shape[1])
    _netpbm_size(width, height)
    _store(x, path, f"P5\n{width} {height}\n255\n".encode("ascii"), **compute)
