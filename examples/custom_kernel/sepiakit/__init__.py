"""sepiakit: kernels pixelkit does not have, written in C and C++ over pixelkit images.

Each function takes a pixelkit.Image or an (H, W, 3) uint8 array (wrapped
without copying) and returns a new result, or writes into ``out=``.
"""

from __future__ import annotations

import importlib

import pixelkit

# The compiled module (built by setuptools from build_kernels.py).
_native = importlib.import_module("sepiakit._native")
_kernels = pixelkit.bind(_native, "sepiakit")

sepia = _kernels.sepia
sobel = _kernels.sobel
median3 = _kernels.median3
unsharp = _kernels.unsharp

__all__ = ["median3", "sepia", "sobel", "unsharp"]
