"""Running a :class:`pixelkit.Pipeline`: the result's shape and buffer, and the one C call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pixelkit import ops
from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check
from pixelkit.image import Image, new_bytes
from pixelkit.ops import ImageLike
from pixelkit.pipeline.stage import Stage
from pixelkit.rawio import as_image


def output_shape(stages: Sequence[Stage], width: int, height: int) -> tuple[int, ...]:
    """The shape of the result of ``stages`` for a ``width`` x ``height`` input (see Pipeline.output_shape)."""
    w, h = width, height
    for stage in stages:
        f = stage.fields
        if stage.name == "crop":
            if f["x"] + f["width"] > w or f["y"] + f["height"] > h:
                raise ValueError(
                    f"crop ({f['x']}, {f['y']}, {f['width']}, {f['height']}) does not fit in the {w}x{h} image"
                )
            w, h = f["width"], f["height"]
        elif stage.name == "resize":
            w, h = f["width"], f["height"]
        elif stage.name == "blend":
            other = stage.keep[0]
            if (other.height, other.width) != (h, w):
                raise ValueError(f"blend needs images of the same size, got {(h, w, 3)} and {other.shape}")
    last = stages[-1].name if stages else None
    if last == "to_gray":
        return (h, w)
    if last == "histogram":
        return (3, 256)
    if last == "to_tensor":
        return (3, h, w) if stages[-1].fields["layout"] == "CHW" else (h, w, 3)
    return (h, w, 3)


def run(stages: Sequence[Stage], c_array: CData, img: ImageLike, out: Any) -> Any:
    """``stages`` (``c_array`` their C descriptors) on ``img``, into ``out`` or a new result (see Pipeline.__call__)."""
    src = img if isinstance(img, Image) else as_image(img)
    shape = output_shape(stages, src._width, src._height)
    last = stages[-1].name if stages else None
    count = len(stages)
    null: Any = ffi.NULL
    if last == "to_gray":
        result = new_bytes(*shape) if out is None else out
        plane = ops._plane(result, shape[1], shape[0], "Pipeline")
        check(lib.pk_pipeline(src._desc, c_array, count, null, plane, null, null), "Pipeline")
        return result
    if last == "to_tensor":
        layout = stages[-1].fields["layout"]
        width, height = (shape[2], shape[1]) if layout == "CHW" else (shape[1], shape[0])
        tensor, descriptor = ops._tensor_output(out, width, height, layout, "Pipeline")
        check(lib.pk_pipeline(src._desc, c_array, count, null, null, descriptor, null), "Pipeline")
        return tensor
    if last == "histogram":
        counts = np.empty((3, 256), np.uint64) if out is None else out
        if not isinstance(counts, np.ndarray) or counts.dtype != np.uint64 or counts.shape != (3, 256):
            raise TypeError("Pipeline: out must be a (3, 256) uint64 numpy array for a histogram")
        if not counts.flags.writeable or not counts.flags.c_contiguous:
            raise ValueError("Pipeline: out must be writable and contiguous")
        check(
            lib.pk_pipeline(src._desc, c_array, count, null, null, null, ffi.from_buffer("uint64_t[]", counts)),
            "Pipeline",
        )
        return counts
    height, width = shape[0], shape[1]
    dst = ops._output(out, width, height, "Pipeline")
    if out is not None and _shares_memory(stages, dst, src):
        # The chain reads its input while writing: work in a fresh image, then copy.
        temporary = Image._empty(width, height)
        check(lib.pk_pipeline(src._desc, c_array, count, temporary._desc, null, null, null), "Pipeline")
        np.copyto(dst._array, temporary._array)
    else:
        check(lib.pk_pipeline(src._desc, c_array, count, dst._desc, null, null, null), "Pipeline")
    return dst if out is None else out


def _shares_memory(stages: Sequence[Stage], dst: Image, src: Image) -> bool:
    images = [src] + [s.keep[0] for s in stages if s.name == "blend"]
    return any(np.may_share_memory(dst._array, i._array) for i in images)
