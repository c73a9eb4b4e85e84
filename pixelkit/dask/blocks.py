"""Applying pixelkit's kernels to the blocks of Dask arrays: the checks of an input array, the kernel
of each operation on one block (module-level functions, so graphs pickle for dask.distributed), the
halos of neighbourhood filters and the tiling helpers of the operations that rearrange blocks."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import dask.array as da
import numpy as np
from numpy.typing import NDArray

from pixelkit import ops
from pixelkit.image import Image, new_bytes
from pixelkit.ops import Rect, ResizeMethod, TensorLayout

Images = da.Array | NDArray[np.uint8]
# Dask's own annotations are partial; the module works with Any inside and
# hands out dask.array.Array.
_da: Any = da
_U8 = np.dtype(np.uint8)


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


def _grid(x: Any) -> tuple[list[int], list[int]]:
    """Block boundaries of the row and column axes."""
    rows = [0, *itertools.accumulate(x.chunks[-3])]
    columns = [0, *itertools.accumulate(x.chunks[-2])]
    return rows, columns


def _assemble(tiles: list[list[Any]]) -> da.Array:
    if len(tiles) == 1 and len(tiles[0]) == 1:
        return _lazy(tiles[0][0])
    return _lazy(_da.concatenate([_da.concatenate(row, axis=-2) for row in tiles], axis=-3))
