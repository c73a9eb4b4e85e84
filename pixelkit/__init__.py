"""pixelkit: raw RGB image buffers from Python at C speed.

``pixel_t`` images live in memory that C kernels and numpy share without
copies; raw and netpbm files are read straight into that memory.
"""

from __future__ import annotations

from pixelkit import _layout
from pixelkit._layout import PIXEL_DTYPE
from pixelkit.errors import FormatError, LayoutError, PixelkitError
from pixelkit.image import MAX_DIMENSION, Image
from pixelkit.netpbm import read_pgm, read_ppm, write_pgm, write_ppm
from pixelkit.ops import fill, invert, to_gray
from pixelkit.rawio import iter_raw_frames, open_raw, read_raw, write_raw

# Refuse to run with a pixel layout that C, cffi and numpy disagree on.
_layout.verify(PIXEL_DTYPE)

__version__ = "0.1.0"

__all__ = [
    "MAX_DIMENSION",
    "PIXEL_DTYPE",
    "FormatError",
    "Image",
    "LayoutError",
    "PixelkitError",
    "fill",
    "invert",
    "iter_raw_frames",
    "open_raw",
    "read_pgm",
    "read_ppm",
    "read_raw",
    "to_gray",
    "write_pgm",
    "write_ppm",
    "write_raw",
]
