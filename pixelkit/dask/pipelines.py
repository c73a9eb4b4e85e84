""":class:`pixelkit.Pipeline` over Dask arrays: each run of stages between geometry stages one task per block."""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np
from numpy.typing import NDArray

from pixelkit.dask.blocks import Images, _da, _image_layout, _lazy, _meta, _rgb
from pixelkit.dask.convert import to_tensor
from pixelkit.dask.geometry import flip_horizontal, flip_vertical
from pixelkit.dask.resample import resize
from pixelkit.image import new_bytes

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
