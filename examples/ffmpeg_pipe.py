"""Process raw video from ffmpeg frame by frame.

Reads rgb24 frames from stdin, converts each to greyscale (BT.601, as
Pillow's ``convert("L")``) or blurs it, writes ``frame-NNNNN.pgm``/``.ppm``
into ``--out`` and prints one line per frame:

    ffmpeg -v error -i video.mp4 -f rawvideo -pix_fmt rgb24 - \\
        | python examples/ffmpeg_pipe.py --size 1920x1080 --op gray --out frames
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import pixelkit


def size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=size, required=True, help="frame size WIDTHxHEIGHT")
    parser.add_argument("--op", choices=("gray", "blur"), default="gray", help="what to do (default: gray)")
    parser.add_argument("--sigma", type=float, default=2.0, help="gaussian sigma for --op blur")
    parser.add_argument("--out", default="frames", help="directory for the frames (default: %(default)s)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    count = 0
    try:
        for index, frame in enumerate(pixelkit.iter_raw_frames(sys.stdin.buffer, *args.size)):
            if args.op == "gray":
                gray = pixelkit.to_gray(frame)
                pixelkit.write_pgm(gray, os.path.join(args.out, f"frame-{index:05d}.pgm"))
                print(f"frame {index}: mean luma {gray.mean():.2f}")
            else:
                blurred = pixelkit.gaussian_blur(frame, args.sigma)
                pixelkit.write_ppm(blurred, os.path.join(args.out, f"frame-{index:05d}.ppm"))
                print(f"frame {index}: blurred, sigma {args.sigma}")
            count += 1
    except pixelkit.FormatError as exc:  # a truncated last frame, or the wrong --size
        print(f"error after {count} frames: {exc}", file=sys.stderr)
        return 1
    print(f"{count} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
