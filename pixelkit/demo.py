"""The job pixelkit was made for, end to end: ``python -m pixelkit.demo``.

Writes an 800x600 raw RGB file, reads it back straight into C memory that
numpy sees without a copy, sets pixel 100 to (255, 192, 128) through the
``pixel_t *`` exactly as C would, writes the file back and converts it to
PPM (and a greyscale PGM) that any image viewer opens.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import numpy as np

import pixelkit

WIDTH, HEIGHT = 800, 600


def _gradient() -> pixelkit.Image:
    image = pixelkit.Image(WIDTH, HEIGHT)
    pixels = image.array
    pixels[..., 0] = np.linspace(0, 255, WIDTH, dtype=np.uint8)[np.newaxis, :]
    pixels[..., 1] = np.linspace(0, 255, HEIGHT, dtype=np.uint8)[:, np.newaxis]
    pixels[..., 2] = 96
    return image


def run(out_dir: str) -> dict[str, str]:
    """Run the demo in ``out_dir``; returns the files it wrote."""
    os.makedirs(out_dir, exist_ok=True)
    raw_path = os.path.join(out_dir, "data")
    ppm_path = os.path.join(out_dir, "data.ppm")
    pgm_path = os.path.join(out_dir, "data.pgm")

    pixelkit.write_raw(_gradient(), raw_path)
    print(f"wrote {raw_path}: {WIDTH}x{HEIGHT} raw rgb24, {os.path.getsize(raw_path)} bytes")

    image = pixelkit.read_raw(raw_path, WIDTH, HEIGHT)
    view = image.array
    print(f"read it back into C memory: {image!r}")
    print(f"numpy view {view.shape} {view.dtype} shares that memory: {np.shares_memory(view, image.pixels)}")

    pixel = image.cdata  # a pixel_t *, as in C
    pixel[100].r = 255
    pixel[100].g = 192
    pixel[100].b = 128
    print(f"set pixel 100 through pixel_t *: numpy sees {tuple(view[0, 100].tolist())}")

    pixelkit.write_raw(image, raw_path)
    pixelkit.write_ppm(image, ppm_path)
    pixelkit.write_pgm(pixelkit.to_gray(image), pgm_path)
    check = pixelkit.read_raw(raw_path, WIDTH, HEIGHT)[0, 100]
    print(f"wrote it back: pixel 100 in {raw_path} is now {check}")
    print(f"converted to {ppm_path} and greyscale {pgm_path}: open them in any image viewer")
    return {"raw": raw_path, "ppm": ppm_path, "pgm": pgm_path}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixelkit.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="pixelkit-demo", help="directory for the demo files (default: %(default)s)")
    args = parser.parse_args(argv)
    run(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
