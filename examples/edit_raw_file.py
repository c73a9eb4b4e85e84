"""Edit one pixel of a headerless RGB file the way a C program would.

The file (default ``data``, 800x600 rgb24, no header) is read straight into
C memory; pixel 100 is set through the ``pixel_t *`` exactly as in C
(``pixel[100].r = 255;`` ...) and the file is written back atomically.  A
missing file is first created as a gradient.

    python examples/edit_raw_file.py data --size 800x600 --index 100
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import numpy as np

import pixelkit


def size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="data", help="raw rgb24 file (default: %(default)s)")
    parser.add_argument("--size", type=size, default=(800, 600), help="WIDTHxHEIGHT (default: 800x600)")
    parser.add_argument("--index", type=int, default=100, help="pixel index, row-major (default: %(default)s)")
    args = parser.parse_args(argv)
    width, height = args.size
    if not 0 <= args.index < width * height:
        parser.error(f"--index must be in 0..{width * height - 1}")

    if not os.path.exists(args.path):
        gradient = np.zeros((height, width, 3), np.uint8)
        gradient[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)
        gradient[..., 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, np.newaxis]
        pixelkit.write_raw(gradient, args.path)
        print(f"created {args.path}: {width}x{height} gradient")

    img = pixelkit.read_raw(args.path, width, height)  # contiguous: pixel i is cdata[i]
    pixel = img.cdata  # pixel_t *
    pixel[args.index].r = 255
    pixel[args.index].g = 192
    pixel[args.index].b = 128
    pixelkit.write_raw(img, args.path)
    y, x = divmod(args.index, width)
    print(f"pixel {args.index} (x={x}, y={y}) of {args.path} is now {img[y, x]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
