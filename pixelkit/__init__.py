"""pixelkit: raw RGB image buffers from Python at C speed.

``pixel_t`` images live in memory that C kernels and numpy share without
copies; raw and netpbm files are read straight into that memory.
"""

from __future__ import annotations

# numpy first: what it imports anyway (typing, re, enum) is then counted as numpy's import, not ours.
import numpy as _numpy  # noqa: F401  # isort: skip
import importlib
from typing import TYPE_CHECKING

from pixelkit import _layout, memory, runtime
from pixelkit._layout import PIXEL_DTYPE
from pixelkit._version import __version__ as __version__
from pixelkit.bayer import demosaic
from pixelkit.binding import bind
from pixelkit.errors import FormatError, LayoutError, PixelkitError
from pixelkit.image import MAX_DIMENSION, Image
from pixelkit.memory import buffer_cache_info, release_memory, set_buffer_cache
from pixelkit.netpbm import read_pgm, read_ppm, write_pgm, write_ppm
from pixelkit.ops import (
    adjust,
    apply_lut,
    blend,
    box_blur,
    convolve,
    fill,
    flip_horizontal,
    flip_vertical,
    gaussian_blur,
    histogram,
    invert,
    paste,
    resize,
    rotate90,
    swap_rb,
    to_gray,
    to_tensor,
    transpose,
)
from pixelkit.packed import from_packed, to_packed
from pixelkit.rawio import iter_raw_frames, open_raw, read_raw, write_raw
from pixelkit.runtime import cpu_features, get_num_threads, set_isa, set_num_threads
from pixelkit.yuv import from_yuv, to_yuv, yuv_layout

if TYPE_CHECKING:
    from pixelkit.pipeline import Pipeline
    from pixelkit.y4m import Y4MHeader, Y4MReader, count_y4m_frames, iter_y4m, read_y4m, write_y4m


# Imported on first use, to keep `import pixelkit` well within 20 ms of numpy's: pixelkit.y4m
# needs fractions (and with it decimal), 2 ms that only video users need; pixelkit.pipeline builds
# its stage table and dataclasses, 1.5 ms.
_LAZY = {
    **dict.fromkeys(
        ("Y4MHeader", "Y4MReader", "count_y4m_frames", "iter_y4m", "read_y4m", "write_y4m"), "pixelkit.y4m"
    ),
    "Pipeline": "pixelkit.pipeline",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pixelkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def get_include() -> str:
    """The folder holding ``pixelkit.h``: pass it to the compiler as ``-I`` (like numpy.get_include()).

    The same as :func:`pixelkit.build.get_include`, imported on first call (pixelkit.build is the
    compiler side of pixelkit, which ``import pixelkit`` does not load).

    Returns
    -------
    str
        The installed package's ``include`` folder, or the checkout's.

    Examples
    --------
    >>> from pathlib import Path
    >>> (Path(pixelkit.get_include()) / "pixelkit.h").is_file()
    True
    """
    from pixelkit.build import get_include as build_get_include

    return build_get_include()


# Refuse to run with a pixel layout that C, cffi and numpy disagree on.
_layout.verify(PIXEL_DTYPE)
runtime.configure_from_environment()
memory.configure_from_environment()

__all__ = [
    "MAX_DIMENSION",
    "PIXEL_DTYPE",
    "FormatError",
    "Image",
    "LayoutError",
    "Pipeline",
    "PixelkitError",
    "Y4MHeader",
    "Y4MReader",
    "adjust",
    "apply_lut",
    "bind",
    "blend",
    "box_blur",
    "buffer_cache_info",
    "convolve",
    "count_y4m_frames",
    "cpu_features",
    "demosaic",
    "fill",
    "flip_horizontal",
    "flip_vertical",
    "from_packed",
    "from_yuv",
    "gaussian_blur",
    "get_include",
    "get_num_threads",
    "histogram",
    "invert",
    "iter_raw_frames",
    "iter_y4m",
    "open_raw",
    "paste",
    "read_pgm",
    "read_ppm",
    "read_raw",
    "read_y4m",
    "release_memory",
    "resize",
    "rotate90",
    "set_buffer_cache",
    "set_isa",
    "set_num_threads",
    "swap_rb",
    "to_gray",
    "to_packed",
    "to_tensor",
    "to_yuv",
    "transpose",
    "write_pgm",
    "write_ppm",
    "write_raw",
    "write_y4m",
    "yuv_layout",
]
