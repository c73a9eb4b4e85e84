"""Raw files as lazy Dask arrays (:func:`from_raw`, :func:`from_raw_frames`), each block memory-mapped
by the process that computes it."""

from __future__ import annotations

import bisect
import itertools
import mmap
import operator
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex

import dask
import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.utils import parse_bytes
from numpy.typing import NDArray

from pixelkit._fileio import StrPath
from pixelkit.dask.blocks import _U8, _da, _lazy
from pixelkit.errors import FormatError
from pixelkit.image import dimension
from pixelkit.pixfmt import check_conversion, decode, pixel_format

if TYPE_CHECKING:
    from pixelkit.yuv import YuvMatrix, YuvRange

Chunks = str | int | tuple[int, int]
# MAP_POPULATE reads a block's pages in one go instead of one fault per page.
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)


def _map_rows(path: str, start: int, rows: int, row_bytes: int, stride: int) -> NDArray[np.uint8]:
    """``rows`` rows of ``row_bytes`` bytes, ``stride`` apart from byte ``start``, as a read-only mapped view."""
    if rows == 0:
        return np.empty((0, row_bytes), np.uint8)
    end = start + (rows - 1) * stride + row_bytes
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        # Touching a page past the end of a mapped file kills the process (SIGBUS): check first.
        if size < end:
            raise FormatError(f"{path}: the file is {size} bytes, the image needs {end} (was it truncated?)")
        base = start - start % mmap.ALLOCATIONGRANULARITY
        mapped = mmap.mmap(fd, end - base, flags=_MAP_FLAGS, prot=mmap.PROT_READ, offset=base)
    finally:
        os.close(fd)
    view: NDArray[np.uint8] = np.ndarray(
        (rows, row_bytes), np.uint8, buffer=mapped, offset=start - base, strides=(stride, 1)
    )
    return view


def _full_key(key: Any, ndim: int) -> tuple[Any, ...]:
    parts: tuple[Any, ...] = key if isinstance(key, tuple) else (key,)
    if any(k is Ellipsis or k is None for k in parts):
        raise IndexError("raw file sources take plain slices and integers")
    return parts + (slice(None),) * (ndim - len(parts))


def _span(index: Any, size: int) -> tuple[int, int, Any]:
    """The range [low, high) that a slice or an integer along an axis touches, and the index relative to low."""
    if isinstance(index, slice):
        span = range(*index.indices(size))
        if len(span) == 0:
            return 0, 0, slice(0, 0)
        low, high = min(span[0], span[-1]), max(span[0], span[-1]) + 1
        local = range(span.start - low, span.stop - low, span.step)
        # A negative step that ends at row 0 needs stop None: -1 would mean the last row.
        return low, high, slice(local.start, None if local.stop < 0 else local.stop, local.step)
    position = operator.index(index)
    if not -size <= position < size:
        raise IndexError(f"index {position} is out of bounds for an axis of size {size}")
    position %= size
    return position, position + 1, 0


class RawImageFile:
    """A raw RGB file seen as an array ``(H, W, 3) uint8`` by ``dask.array.from_array``.

    Holds only the path and the geometry (it pickles in a few bytes); a
    slice memory-maps just the rows it covers, when and where it is read.
    """

    def __init__(self, path: str, width: int, height: int, stride: int, offset: int) -> None:
        self.path, self.width, self.height, self.stride, self.offset = path, width, height, stride, offset
        self.shape = (height, width, 3)
        self.dtype = _U8
        self.ndim = 3

    def __getitem__(self, key: Any) -> NDArray[np.uint8]:
        rows, *rest = _full_key(key, 3)
        low, high, local = _span(rows, self.height)
        band = _map_rows(self.path, self.offset + low * self.stride, high - low, 3 * self.width, self.stride)
        index = (local, *rest)
        return band.reshape(high - low, self.width, 3)[index]  # type: ignore[no-any-return]


class RawFrameFiles:
    """Raw frames in one or more files, as an array ``(N, H, W, 3) uint8``.

    ``counts[i]`` frames are in ``paths[i]``; a slice maps only the frames
    it covers.  Frames of another ``pix_fmt`` than rgb24 are converted as
    they are read.
    """

    def __init__(
        self,
        paths: Sequence[str],
        counts: Sequence[int],
        width: int,
        height: int,
        pix_fmt: str = "rgb24",
        matrix: YuvMatrix = "bt601",
        range: YuvRange | None = None,
    ) -> None:
        self.paths, self.counts, self.width, self.height = list(paths), list(counts), width, height
        self.pix_fmt, self.matrix, self.range = pix_fmt, matrix, range
        self.starts = [0, *itertools.accumulate(counts)]
        self.shape = (self.starts[-1], height, width, 3)
        self.dtype = _U8
        self.ndim = 4

    def _frames(self, first: int, stop: int) -> NDArray[np.uint8]:
        fmt = pixel_format(getattr(self, "pix_fmt", "rgb24"))  # graphs pickled before pix_fmt existed
        frame_bytes = fmt.frame_bytes(self.width, self.height)
        pieces = []
        while first < stop:
            index = bisect.bisect_right(self.starts, first) - 1
            local = first - self.starts[index]
            count = min(stop, self.starts[index + 1]) - first
            mapped = _map_rows(self.paths[index], local * frame_bytes, count, frame_bytes, frame_bytes)
            if fmt.family == "rgb24":
                pieces.append(mapped.reshape(count, self.height, self.width, 3))
            else:
                rgb = np.empty((count, self.height, self.width, 3), np.uint8)
                for k in range(count):
                    decode(fmt, mapped[k], self.width, self.height, self.matrix, self.range, out=rgb[k])
                pieces.append(rgb)
            first += count
        if len(pieces) == 1:
            return pieces[0]
        if not pieces:
            return np.empty((0, self.height, self.width, 3), np.uint8)
        return np.concatenate(pieces)

    def __getitem__(self, key: Any) -> NDArray[np.uint8]:
        frames, *rest = _full_key(key, 4)
        low, high, local = _span(frames, self.shape[0])
        index = (local, *rest)
        return self._frames(low, high)[index]  # type: ignore[no-any-return]


def _band_rows(width: int, chunks: Chunks) -> tuple[int, int | None]:
    """Rows per chunk and columns per chunk (None: whole rows) for a chunks argument."""
    if isinstance(chunks, str):
        target = parse_bytes(dask.config.get("array.chunk-size") if chunks == "auto" else chunks)
        return max(1, target // (3 * width)), None
    if isinstance(chunks, tuple) and len(chunks) == 2:
        return dimension(chunks[0], "chunk rows"), dimension(chunks[1], "chunk columns")
    if isinstance(chunks, int) and not isinstance(chunks, bool):
        return dimension(chunks, "chunk rows"), None
    raise TypeError(f"chunks must be 'auto', a size such as '64MiB', rows, or (rows, columns); got {chunks!r}")


def _file_size(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def from_raw(
    path: StrPath,
    width: SupportsIndex,
    height: SupportsIndex,
    stride: SupportsIndex | None = None,
    *,
    offset: SupportsIndex = 0,
    chunks: Chunks = "auto",
) -> da.Array:
    """A raw RGB file as a lazy ``(height, width, 3) uint8`` Dask array, memory-mapped block by block.

    ``stride`` is the row pitch in bytes (default ``width * 3``) and
    ``offset`` the bytes before the first row; the file must hold exactly
    ``offset + height * stride`` bytes.  ``chunks`` is ``"auto"`` (whole-row
    bands of Dask's ``array.chunk-size``, 128 MiB by default), a band size
    such as ``"64MiB"``, a number of rows per band, or ``(rows, columns)``
    for tiles.  Each block is memory-mapped by the process that computes it.

    Parameters
    ----------
    path : str or os.PathLike
        The raw file; on a cluster, visible to the workers under the same path.
    width, height : int
        The image's size in pixels.
    stride : int, optional
        Bytes from one row to the next (default ``width * 3``).
    offset : int, optional
        Bytes before the first row (a header to skip).
    chunks : str, int or (int, int), optional
        ``"auto"``, a band size, rows per band, or (rows, columns) tiles.

    Returns
    -------
    dask.array.Array
        ``(height, width, 3)`` uint8, lazy.

    Raises
    ------
    FormatError
        The file's size is not ``offset + height * stride``.
    TypeError
        A size is not an integer.
    ValueError
        A size out of range, a stride below ``width * 3`` or a negative offset.
    OSError
        The file does not exist.

    Examples
    --------
    >>> np.arange(6 * 4 * 3, dtype=np.uint8).tofile(tmp / "scan.rgb")
    >>> scan = pkd.from_raw(tmp / "scan.rgb", 4, 6, chunks=2)  # bands of 2 rows
    >>> scan.shape, scan.chunks[0]
    ((6, 4, 3), (2, 2, 2))
    >>> scan[5, 3].compute().tolist()
    [69, 70, 71]
    """
    name = os.fspath(path)
    w, h = dimension(width, "width"), dimension(height, "height")
    pitch = 3 * w if stride is None else operator.index(stride)
    start = operator.index(offset)
    if pitch < 3 * w:
        raise ValueError(f"stride must be at least width * 3 = {3 * w}, got {pitch}")
    if start < 0:
        raise ValueError(f"offset must be >= 0, got {start}")
    size, mtime = _file_size(name)
    expected = start + h * pitch
    if size != expected:
        raise FormatError(f"{name}: a {w}x{h} raw image needs {expected} bytes, the file has {size}")
    rows, columns = _band_rows(w, chunks)
    source = RawImageFile(name, w, h, pitch, start)
    token = tokenize(os.path.abspath(name), size, mtime, w, h, pitch, start, rows, columns)
    return _lazy(
        _da.from_array(
            source,
            chunks=(rows, w if columns is None else columns, 3),
            name=f"pixelkit-raw-{token}",
            lock=False,
            asarray=False,
            meta=np.empty((0, 0, 0), np.uint8),
        )
    )


def from_raw_frames(
    paths: StrPath | Iterable[StrPath],
    width: SupportsIndex,
    height: SupportsIndex,
    pix_fmt: str = "rgb24",
    *,
    frames_per_chunk: SupportsIndex = 1,
    matrix: YuvMatrix = "bt601",
    range: YuvRange | None = None,
) -> da.Array:
    """Raw frames as a lazy ``(N, height, width, 3) uint8`` Dask array, one frame per chunk.

    ``paths`` is one file of frames back to back (ffmpeg's ``-f rawvideo
    -pix_fmt rgb24`` output) or several such files (one or more frames each),
    in order.  Every file must hold a whole number of frames.  Frames in
    another of ffmpeg's pixel formats (``pix_fmt="yuv420p"``, ``"nv12"``,
    ``"bgra"``, ``"bayer_rggb8"``, ...: those of
    :func:`pixelkit.iter_raw_frames`) are converted to RGB block by block,
    in the workers.

    Parameters
    ----------
    paths : str, os.PathLike or iterable of them
        One file of frames, or several in order.
    width, height : int
        The frame size in pixels.
    pix_fmt : str, optional
        ffmpeg's name of the frames' pixel format (default ``"rgb24"``).
    frames_per_chunk : int, optional
        Frames per block (default 1); about ten make Dask's per-task cost small for small frames.
    matrix, range : str, optional
        For the YUV formats, as for :func:`pixelkit.from_yuv` (range defaults
        to limited, full for the ``yuvj`` formats).

    Returns
    -------
    dask.array.Array
        ``(N, height, width, 3)`` uint8, lazy.

    Raises
    ------
    FormatError
        A file does not hold a whole number of frames (or none).
    TypeError
        A path is not a str or os.PathLike of str, or a size is not an integer.
    ValueError
        No file, a size out of range or one the format refuses, or an unknown
        pix_fmt, matrix or range.
    OSError
        A file does not exist.

    Examples
    --------
    >>> frames = np.zeros((5, 2, 4, 3), np.uint8)
    >>> frames[::2] = 255
    >>> frames.tofile(tmp / "clip.rgb")
    >>> clip = pkd.from_raw_frames(tmp / "clip.rgb", 4, 2, frames_per_chunk=2)
    >>> clip.shape, clip.chunks[0]
    ((5, 2, 4, 3), (2, 2, 1))
    >>> pkd.to_gray(clip)[:, 0, 0].compute().tolist()
    [255, 0, 255, 0, 255]
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    per_chunk = dimension(frames_per_chunk, "frames_per_chunk")
    names = [os.fspath(paths)] if isinstance(paths, (str, bytes, os.PathLike)) else [os.fspath(p) for p in paths]
    if not names:
        raise ValueError("from_raw_frames needs at least one file")
    fmt = pixel_format(pix_fmt)
    check_conversion(fmt, matrix, range)
    frame_bytes = fmt.frame_bytes(w, h)
    counts, stamps = [], []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"paths must be str or os.PathLike of str, got {name!r}")
        size, mtime = _file_size(name)
        frames, extra = divmod(size, frame_bytes)
        if extra or frames == 0:
            raise FormatError(
                f"{name}: {size} bytes is not a whole number of {w}x{h} {pix_fmt} frames ({frame_bytes} bytes each)"
            )
        counts.append(frames)
        stamps.append((size, mtime))
    source = RawFrameFiles(names, counts, w, h, pix_fmt, matrix, range)
    token = tokenize([os.path.abspath(n) for n in names], stamps, w, h, per_chunk, pix_fmt, matrix, range)
    return _lazy(
        _da.from_array(
            source,
            chunks=(per_chunk, h, w, 3),
            name=f"pixelkit-frames-{token}",
            lock=False,
            asarray=False,
            meta=np.empty((0, 0, 0, 0), np.uint8),
        )
    )
