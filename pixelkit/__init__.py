"""pixelkit: raw RGB image buffers from Python at C speed.

``pixel_t`` images live in memory that C kernels and numpy share without
copies; raw and netpbm files are read straight into that memory.
"""

from __future__ import annotations

from pixelkit import _layout, runtime
from pixelkit._layout import PIXEL_DTYPE
from pixelkit.binding import bind
from pixelkit.build import get_include
from pixelkit.errors import FormatError, LayoutError, PixelkitError
from pixelkit.image import MAX_DIMENSION, Image
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
from pixelkit.pipeline import Pipeline
from pixelkit.rawio import iter_raw_frames, open_raw, read_raw, write_raw
from pixelkit.runtime import cpu_features, get_num_threads, set_isa, set_num_threads

# Refuse to run with a pixel layout that C, cffi and numpy disagree on.
_layout.verify(PIXEL_DTYPE)
runtime.configure_from_environment()

__version__ = "0.1.0"

__all__ = [
    "MAX_DIMENSION",
    "PIXEL_DTYPE",
    "FormatError",
    "Image",
    "LayoutError",
    "Pipeline",
    "PixelkitError",
    "adjust",
    "apply_lut",
    "bind",
    "blend",
    "box_blur",
    "convolve",
    "cpu_features",
    "fill",
    "flip_horizontal",
    "flip_vertical",
    "gaussian_blur",
    "get_include",
    "get_num_threads",
    "histogram",
    "invert",
    "iter_raw_frames",
    "open_raw",
    "paste",
    "read_pgm",
    "read_ppm",
    "read_raw",
    "resize",
    "rotate90",
    "set_isa",
    "set_num_threads",
    "swap_rb",
    "to_gray",
    "to_tensor",
    "transpose",
    "write_pgm",
    "write_ppm",
    "write_raw",
]
