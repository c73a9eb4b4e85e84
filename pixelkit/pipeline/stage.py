"""The stages of a :class:`pixelkit.Pipeline`: what each one is, and its C descriptor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pixelkit._native import CData, ffi, lib
from pixelkit.image import Image

KINDS = {
    "invert": lib.PK_STAGE_INVERT,
    "apply_lut": lib.PK_STAGE_APPLY_LUT,
    "adjust": lib.PK_STAGE_APPLY_LUT,
    "swap_rb": lib.PK_STAGE_SWAP_RB,
    "blend": lib.PK_STAGE_BLEND,
    "flip_horizontal": lib.PK_STAGE_FLIP_HORIZONTAL,
    "flip_vertical": lib.PK_STAGE_FLIP_VERTICAL,
    "crop": lib.PK_STAGE_CROP,
    "resize": lib.PK_STAGE_RESIZE,
    "box_blur": lib.PK_STAGE_BOX_BLUR,
    "gaussian_blur": lib.PK_STAGE_GAUSSIAN_BLUR,
    "convolve": lib.PK_STAGE_CONVOLVE,
    "to_gray": lib.PK_STAGE_TO_GRAY,
    "to_tensor": lib.PK_STAGE_TO_TENSOR,
    "histogram": lib.PK_STAGE_HISTOGRAM,
}
# Stages after which nothing may follow: their results are not RGB images.
TERMINAL = frozenset({"to_gray", "to_tensor", "histogram"})
MAX_STAGES: int = lib.PK_MAX_STAGES


@dataclass(frozen=True)
class Stage:
    """One stage: the operation's name, its parameters as given (for repr) and what C needs."""

    name: str
    shown: tuple[tuple[str, Any], ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    # Objects the C descriptor points into (tables, kernels, the blend image).
    keep: tuple[Any, ...] = ()
    reach: tuple[int, int] = (0, 0)  # rows, columns a neighbourhood stage reads beyond its pixel

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={show(v)}" for k, v in self.shown)
        return f"{self.name}({args})"


def show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array {value.dtype} {value.shape}>"
    if isinstance(value, Image):
        return f"<Image {value.width}x{value.height}>"
    return repr(value)


def c_stages(stages: Sequence[Stage]) -> CData:
    """The ``pk_stage`` array that ``pk_pipeline`` takes for ``stages``."""
    array = ffi.new("pk_stage[]", max(1, len(stages)))
    for i, stage in enumerate(stages):
        array[i].kind = KINDS[stage.name]
        for key, value in stage.fields.items():
            if key != "layout":
                setattr(array[i], key, value)
    return array
