"""pixelkit kernels on Dask arrays: images larger than memory, and many frames.

A raw file becomes a lazy ``dask.array`` with :func:`from_raw` (one image,
``(H, W, 3)``, cut into row bands or tiles) or :func:`from_raw_frames`
(``(N, H, W, 3)``, one frame per chunk).  Each block is memory-mapped in
the process that computes it, so nothing but a path and a few numbers
travels through the task graph.  The functions here mirror
:mod:`pixelkit.ops` and return lazy arrays; every block is processed by the
same C kernels, without the GIL:

- point kernels and geometry per block (flips, transposes and quarter
  turns also rearrange the blocks);
- ``box_blur`` and ``gaussian_blur`` with a halo of the kernel's radius
  taken from the neighbouring blocks (reflect-101 at the image's own
  edges), so the result equals the whole-image result exactly;
- ``resize`` tile by tile, each tile reading exactly the source pixels the
  whole-image resize would (:func:`pixelkit.ops.resize_part`): exact too;
- ``histogram`` as a tree reduction.

:func:`to_raw`, :func:`to_ppm` and :func:`to_pgm` write a result block by
block into a temporary file next to the target, renamed over it when every
block is written, so memory stays at a few chunks whatever the image size.

Everything runs on Dask's threaded scheduler and on ``dask.distributed``
(worker processes on this or other machines: the files must be visible to
every worker under the same path).

Install with ``pip install 'pixelkit[dask]'``.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import math
import mmap
import operator
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any, SupportsFloat, SupportsIndex, cast

import numpy as np
from numpy.typing import NDArray

try:
    import dask
    import dask.array as da
    from dask.base import tokenize
    from dask.utils import parse_bytes
except ImportError as error:  # pragma: no cover - tested in a subprocess without Dask
    raise ImportError(
        "pixelkit.dask needs Dask: install it with pip install 'pixelkit[dask]' "
        "(or pip install 'dask[array]', plus 'distributed' for clusters)"
    ) from error

from pixelkit import ops
from pixelkit._fileio import COPIED_MODE_BITS, StrPath, current_umask, fsync_directory
from pixelkit.errors import FormatError
from pixelkit.image import MAX_DIMENSION, Color, Image, dimension, new_bytes, pixel_color
from pixelkit.ops import Rect, ResizeMethod, TensorLayout

__all__ = [
    "adjust",
    "apply_lut",
    "blend",
    "box_blur",
    "fill",
    "flip_horizontal",
    "flip_vertical",
    "from_raw",
    "from_raw_frames",
    "gaussian_blur",
    "histogram",
    "invert",
    "paste",
    "pipeline",
    "resize",
    "rotate90",
    "swap_rb",
    "to_gray",
    "to_pgm",
    "to_ppm",
    "to_raw",
    "to_tensor",
    "transpose",
]

Images = da.Array | NDArray[np.uint8]
Chunks = str | int | tuple[int, int]
# Dask's own annotations are partial; the module works with Any inside and
# hands out dask.array.Array.
_da: Any = da
_U8 = np.dtype(np.uint8)
# MAP_POPULATE reads a block's pages in one go instead of one fault per page.
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)


# ---- memory-mapped sources ---------------------------------------------------------


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
    """Raw rgb24 frames in one or more files, as an array ``(N, H, W, 3) uint8``.

    ``counts[i]`` frames are in ``paths[i]``; a slice maps only the frames
    it covers.
    """

    def __init__(self, paths: Sequence[str], counts: Sequence[int], width: int, height: int) -> None:
        self.paths, self.counts, self.width, self.height = list(paths), list(counts), width, height
        self.starts = [0, *itertools.accumulate(counts)]
        self.shape = (self.starts[-1], height, width, 3)
        self.dtype = _U8
        self.ndim = 4

    def _frames(self, first: int, stop: int) -> NDArray[np.uint8]:
        frame_bytes = self.width * self.height * 3
        pieces = []
        while first < stop:
            index = bisect.bisect_right(self.starts, first) - 1
            local = first - self.starts[index]
            count = min(stop, self.starts[index + 1]) - first
            mapped = _map_rows(self.paths[index], local * frame_bytes, count, frame_bytes, frame_bytes)
            pieces.append(mapped.reshape(count, self.height, self.width, 3))
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
    *,
    frames_per_chunk: SupportsIndex = 1,
) -> da.Array:
    """Raw rgb24 frames as a lazy ``(N, height, width, 3) uint8`` Dask array, one frame per chunk.

    ``paths`` is one file of frames back to back (ffmpeg's ``-f rawvideo
    -pix_fmt rgb24`` output) or several such files (one or more frames each),
    in order.  Every file must hold a whole number of frames.

    Parameters
    ----------
    paths : str, os.PathLike or iterable of them
        One file of frames, or several in order.
    width, height : int
        The frame size in pixels.
    frames_per_chunk : int, optional
        Frames per block (default 1); about ten make Dask's per-task cost small for small frames.

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
        No file, or a size out of range.
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
    frame_bytes = 3 * w * h
    counts, stamps = [], []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"paths must be str or os.PathLike of str, got {name!r}")
        size, mtime = _file_size(name)
        frames, extra = divmod(size, frame_bytes)
        if extra or frames == 0:
            raise FormatError(
                f"{name}: {size} bytes is not a whole number of {w}x{h} rgb24 frames ({frame_bytes} bytes each)"
            )
        counts.append(frames)
        stamps.append((size, mtime))
    source = RawFrameFiles(names, counts, w, h)
    token = tokenize([os.path.abspath(n) for n in names], stamps, w, h, per_chunk)
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


# ---- applying kernels to blocks ---------------------------------------------------------


def _rgb(images: Images, name: str = "images") -> Any:
    """A Dask array of RGB images, (H, W, 3) or (N, H, W, 3), with the channels in one chunk."""
    array = images if isinstance(images, da.Array) else _da.asarray(images)
    if not isinstance(images, (da.Array, np.ndarray)):
        raise TypeError(f"{name} must be a dask or numpy array, got {type(images).__name__}")
    if array.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8, got {array.dtype}")
    if array.ndim not in (3, 4) or array.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (H, W, 3) or (N, H, W, 3), got {array.shape}")
    if any(math.isnan(n) for n in array.shape):
        raise ValueError(f"{name} has unknown chunk sizes; call compute_chunk_sizes() first")
    if len(array.chunks[-1]) > 1:
        array = array.rechunk({array.ndim - 1: -1})
    return array


def _lazy(array: Any) -> da.Array:
    return cast(da.Array, array)


def _meta(ndim: int, dtype: Any = np.uint8) -> NDArray[Any]:
    return np.empty((0,) * ndim, dtype)


def _image_layout(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``frame`` itself if pixelkit can wrap it, else a contiguous copy."""
    h, w = frame.shape[:2]
    row, pixel, sample = frame.strides
    if (sample == 1 or w * 3 == 1) and (pixel == 3 or w == 1) and (row >= 3 * w or h == 1):
        return frame
    return np.ascontiguousarray(frame)


def _each_image(
    inputs: Sequence[NDArray[np.uint8]],
    shape: tuple[int, ...],
    kernel: Callable[..., object],
    dtype: Any = np.uint8,
) -> NDArray[Any]:
    """``kernel(*images, out)`` on the images of a block, or frame by frame, into a new array of ``shape``.

    A frame batch is an input of 4 dimensions; 3-dimensional inputs go
    with every frame.
    """
    out: NDArray[Any] = new_bytes(*shape) if np.dtype(dtype) == _U8 else np.empty(shape, dtype)
    if 0 in shape or any(0 in a.shape for a in inputs):
        return out
    if inputs[0].ndim == 3:
        kernel(*(_image_layout(a) for a in inputs), out)
    else:
        for i in range(inputs[0].shape[0]):
            kernel(*(_image_layout(a[i] if a.ndim == 4 else a) for a in inputs), out[i])
    return out


def _invert_block(block: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return _each_image([block], block.shape, lambda s, d: ops.invert(s, out=d))


def _lut_block(block: NDArray[np.uint8], lut: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return _each_image([block], block.shape, lambda s, d: ops.apply_lut(s, lut, out=d))


def _swap_block(block: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return _each_image([block], block.shape, lambda s, d: ops.swap_rb(s, out=d))


def _fill_block(block: NDArray[Any], color: tuple[int, int, int]) -> NDArray[np.uint8]:
    out = new_bytes(*block.shape)
    if 0 not in block.shape:
        for frame in out.reshape(-1, *block.shape[-3:]):
            ops.fill(frame, color)
    return out


def _blend_block(a: NDArray[np.uint8], b: NDArray[np.uint8], alpha: float) -> NDArray[np.uint8]:
    return _each_image([a, b], a.shape, lambda s, t, d: ops.blend(s, t, alpha, out=d))


def _gray_block(block: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return _each_image([block], block.shape[:-1], lambda s, d: ops.to_gray(s, out=d))


def _tensor_block(
    view: NDArray[np.uint8], mean: tuple[float, ...], std: tuple[float, ...], layout: TensorLayout
) -> NDArray[np.float32]:
    # For CHW the block arrives as a (3, h, w) view of an (h, w, 3) block.
    block = np.moveaxis(view, -3, -1) if layout == "CHW" else view
    kernel = lambda s, d: ops.to_tensor(s, mean, std, layout, out=d)  # noqa: E731
    return _each_image([block], view.shape, kernel, np.float32)


# Geometry: Dask moves the blocks with a lazy numpy view (view(block));
# pixelkit undoes that view and computes the same result in one pass.


def _flip_vertical_block(view: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return _each_image([view[..., ::-1, :, :]], view.shape, lambda s, d: ops.flip_vertical(s, out=d))


def _flip_horizontal_block(view: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return _each_image([view[..., ::-1, :]], view.shape, lambda s, d: ops.flip_horizontal(s, out=d))


def _transpose_block(view: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return _each_image([np.swapaxes(view, -3, -2)], view.shape, lambda s, d: ops.transpose(s, out=d))


def _rotate_block(view: NDArray[np.uint8], k: int) -> NDArray[np.uint8]:
    axes = (view.ndim - 3, view.ndim - 2)
    return _each_image([np.rot90(view, -k, axes)], view.shape, lambda s, d: ops.rotate90(s, k, out=d))


def _box_block(block: NDArray[np.uint8], radius: int) -> NDArray[np.uint8]:
    return _each_image([block], block.shape, lambda s, d: ops.box_blur(s, radius, out=d))


def _gaussian_block(block: NDArray[np.uint8], sigma: float) -> NDArray[np.uint8]:
    return _each_image([block], block.shape, lambda s, d: ops.gaussian_blur(s, sigma, out=d))


def _histogram_block(block: NDArray[np.uint8]) -> NDArray[np.uint64]:
    counts = np.zeros((3, 256), np.uint64)
    if 0 not in block.shape:
        part = np.empty((3, 256), np.uint64)
        for frame in [block] if block.ndim == 3 else list(block):
            ops.histogram(_image_layout(frame), out=part)
            counts += part
    return counts.reshape((1,) * (block.ndim - 1) + (3, 256))


def _resize_block(
    piece: NDArray[np.uint8],
    origin: tuple[int, int],
    source_size: tuple[int, int],
    size: tuple[int, int],
    part: Rect,
    method: ResizeMethod,
) -> NDArray[np.uint8]:
    shape = (*piece.shape[:-3], part.height, part.width, 3)
    return _each_image([piece], shape, lambda s, d: ops.resize_part(s, origin, source_size, size, part, method, out=d))


def _paste_block(base: NDArray[np.uint8], src: NDArray[np.uint8], x: int, y: int) -> NDArray[np.uint8]:
    def kernel(s: NDArray[np.uint8], piece: NDArray[np.uint8], d: NDArray[np.uint8]) -> None:
        np.copyto(d, s)
        ops.paste(d, piece, x, y)

    return _each_image([base, src], base.shape, kernel)


def _probe() -> Image:
    """A 2x2 image to run an operation on once, so a bad parameter fails before any graph is built."""
    return Image(2, 2)


# ---- point operations --------------------------------------------------------------------


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


# ---- geometry ------------------------------------------------------------------------


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


def _grid(x: Any) -> tuple[list[int], list[int]]:
    """Block boundaries of the row and column axes."""
    rows = [0, *itertools.accumulate(x.chunks[-3])]
    columns = [0, *itertools.accumulate(x.chunks[-2])]
    return rows, columns


def _assemble(tiles: list[list[Any]]) -> da.Array:
    if len(tiles) == 1 and len(tiles[0]) == 1:
        return _lazy(tiles[0][0])
    return _lazy(_da.concatenate([_da.concatenate(row, axis=-2) for row in tiles], axis=-3))


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


# ---- neighbourhood filters ----------------------------------------------------------------


def _with_halo(x: Any, block: Callable[..., NDArray[np.uint8]], reach: int, **params: Any) -> da.Array:
    """Apply ``block`` to blocks grown by ``radius`` pixels of their neighbours, then trimmed.

    At the image's own edges no halo is added: the kernel reflects there
    (reflect-101) exactly as it does on the whole image.
    """
    depth = {axis: 0 for axis in range(x.ndim)}
    for axis in (x.ndim - 3, x.ndim - 2):
        if reach >= x.shape[axis]:
            # The kernel reaches across the whole axis (reflecting more than once): keep it in one piece.
            x = x.rechunk({axis: -1})
        elif len(x.chunks[axis]) > 1:
            depth[axis] = reach
    if not any(depth.values()):
        # Whole images per block (frames, say): no halo, and the task can fuse with its neighbours.
        return _lazy(x.map_blocks(block, dtype=np.uint8, meta=_meta(x.ndim), **params))
    return _lazy(x.map_overlap(block, depth=depth, boundary="none", dtype=np.uint8, meta=_meta(x.ndim), **params))


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


# ---- statistics ------------------------------------------------------------------------


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


# ---- writing block by block ---------------------------------------------------------------


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


# ---- fused pipelines --------------------------------------------------------------------------

_GEOMETRY = frozenset({"crop", "resize", "flip_horizontal", "flip_vertical"})


def _run_block(
    block: NDArray[np.uint8],
    steps: list[tuple[str, dict[str, Any]]],
    terminal: str | None,
    grid: tuple[tuple[int, ...], ...],
    depth: tuple[int, int],
    block_id: tuple[int, ...] | None = None,
) -> NDArray[Any]:
    """One block (grown by ``depth`` rows and columns where it has neighbours) through the steps, trimmed.

    The trim is the pipeline's own last crop, so each block is one call into C.
    """
    from pixelkit.pipeline import Pipeline

    assert block_id is not None
    ay, ax = block.ndim - 3, block.ndim - 2
    i, j = block_id[ay], block_id[ax]
    top = depth[0] if i > 0 else 0
    left = depth[1] if j > 0 else 0
    height, width = grid[ay][i], grid[ax][j]
    y0, x0 = sum(grid[ay][:i]) - top, sum(grid[ax][:j]) - left
    rows, cols = block.shape[ay], block.shape[ax]
    local: list[tuple[str, dict[str, Any]]] = []
    for name, kwargs in steps:
        if name == "blend":
            # The fixed image's piece under this block, halo included.
            kwargs = {**kwargs, "b": kwargs["b"][y0 : y0 + rows, x0 : x0 + cols]}
        local.append((name, kwargs))
    if (top, left, height, width) != (0, 0, rows, cols):
        local.append(("crop", {"x": left, "y": top, "width": width, "height": height}))
    if terminal is not None:
        local.append((terminal, {}))
    pipe = Pipeline.from_steps(local)
    if terminal == "histogram":
        frames = [block] if block.ndim == 3 else list(block)
        counts = np.zeros((3, 256), np.uint64)
        for f in frames:
            counts += pipe(_image_layout(f))
        return counts.reshape((1,) * (block.ndim - 1) + (3, 256))
    shape = (*block.shape[:ay], height, width) + (() if terminal == "to_gray" else (3,))
    out: NDArray[Any] = new_bytes(*shape)
    if block.ndim == 3:
        pipe(_image_layout(block), out=out)
    else:
        for k in range(block.shape[0]):
            pipe(_image_layout(block[k]), out=out[k])
    return out


def _fused_run(x: Any, steps: list[tuple[str, dict[str, Any]]], reach: tuple[int, int], terminal: str | None) -> Any:
    """The stages of one run (no geometry) as one task per block, with the halo of their summed reach."""
    if not steps and terminal is None:
        return x
    ay, ax = x.ndim - 3, x.ndim - 2
    depth = [0, 0]
    for k, axis in enumerate((ay, ax)):
        r = reach[k]
        if r == 0 or len(x.chunks[axis]) == 1:
            continue
        if r >= x.shape[axis]:
            # The halo would span the whole axis: keep it in one piece.
            x = x.rechunk({axis: -1})
            continue
        if min(x.chunks[axis]) < r:
            # Dask's halos come from the next block only: blocks at least as thick as the halo,
            # each thinner one merged into its neighbour.
            sizes = list(x.chunks[axis])
            while len(sizes) > 1 and min(sizes) < r:
                t = sizes.index(min(sizes))
                n = t + 1 if t == 0 or (t + 1 < len(sizes) and sizes[t + 1] < sizes[t - 1]) else t - 1
                sizes[min(t, n)] = sizes[t] + sizes[n]
                del sizes[max(t, n)]
            x = x.rechunk({axis: tuple(sizes)})
            if len(sizes) == 1:
                continue
        depth[k] = r
    chunks = tuple(x.chunks)
    grown = x
    if any(depth):
        grown = _da.overlap.overlap(x, depth={ay: depth[0], ax: depth[1]}, boundary="none")
    params = {"steps": steps, "terminal": terminal, "grid": chunks, "depth": (depth[0], depth[1])}
    if terminal == "histogram":
        per_block = grown.map_blocks(
            _run_block,
            chunks=(*((1,) * len(c) for c in chunks[:-1]), (3,), (256,)),
            new_axis=x.ndim,
            dtype=np.uint64,
            meta=_meta(x.ndim + 1, np.uint64),
            **params,
        )
        return per_block.sum(axis=tuple(range(x.ndim - 1)), dtype=np.uint64)
    if terminal == "to_gray":
        return grown.map_blocks(
            _run_block, chunks=chunks[:-1], drop_axis=x.ndim - 1, dtype=np.uint8, meta=_meta(x.ndim - 1), **params
        )
    return grown.map_blocks(_run_block, chunks=chunks, dtype=np.uint8, meta=_meta(x.ndim), **params)


def pipeline(images: Images, pipe: Any) -> da.Array:
    """A :class:`pixelkit.Pipeline` over a Dask array of images, equal to the whole-image result.

    Each run of stages between geometry stages is one task per block: the block is grown by the
    sum of the run's reaches (each filter's radius) from its neighbours, goes through the stages
    in one fused call and is trimmed there.  Crops, resizes and flips rearrange blocks as
    :func:`resize` and the flips here do; ``to_tensor`` follows :func:`to_tensor`.

    Parameters
    ----------
    images : dask or numpy array
        ``(H, W, 3)`` or ``(N, H, W, 3)`` uint8.
    pipe : pixelkit.Pipeline
        The chain to run.

    Returns
    -------
    dask.array.Array
        The lazy result: as the pipeline's own (an RGB or grey image, a tensor, or the
        ``(3, 256)`` counts of every pixel and frame).

    Raises
    ------
    TypeError
        For a ``pipe`` that is not a Pipeline, or images that are not uint8 arrays.
    ValueError
        For a crop that does not fit or a blend image of another size.

    Examples
    --------
    >>> import numpy as np, dask.array as da, pixelkit as pk, pixelkit.dask as pkd
    >>> img = np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    >>> pipe = pk.Pipeline().gaussian_blur(1.5).invert().to_gray()
    >>> lazy = pkd.pipeline(da.from_array(img, chunks=(16, 16, 3)), pipe)
    >>> bool(np.array_equal(lazy.compute(), pipe(img)))
    True
    """
    from pixelkit.pipeline import Pipeline

    if not isinstance(pipe, Pipeline):
        raise TypeError(f"pipe must be a pixelkit.Pipeline, got {type(pipe).__name__}")
    x = _rgb(images)
    height, width = x.shape[-3], x.shape[-2]
    pipe.output_shape(width, height)  # a stage that does not fit raises here, before any graph is built
    run: list[tuple[str, dict[str, Any]]] = []
    reach = [0, 0]
    for stage, (name, kwargs) in zip(pipe._stages, pipe.steps(), strict=True):
        if name in _GEOMETRY or name == "to_tensor":
            x = _fused_run(x, run, (reach[0], reach[1]), None)
            run, reach = [], [0, 0]
        if name == "crop":
            sx, sy, sw, sh = kwargs["x"], kwargs["y"], kwargs["width"], kwargs["height"]
            x = x[..., sy : sy + sh, sx : sx + sw, :]
        elif name == "resize":
            x = resize(x, kwargs["width"], kwargs["height"], kwargs["method"])
        elif name == "flip_horizontal":
            x = flip_horizontal(x)
        elif name == "flip_vertical":
            x = flip_vertical(x)
        elif name == "to_tensor":
            return to_tensor(x, kwargs["mean"], kwargs["std"], kwargs["layout"])
        elif name in ("to_gray", "histogram"):
            return _lazy(_fused_run(x, run, (reach[0], reach[1]), name))
        else:
            run.append((name, kwargs))
            reach = [reach[0] + stage.reach[0], reach[1] + stage.reach[1]]
    return _lazy(_fused_run(x, run, (reach[0], reach[1]), None))
