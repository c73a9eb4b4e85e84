"""Edit a region of a huge raw RGB file in place through a memory map.

The file (default 20000x20000 rgb24: 1.2 GB) is never read as a whole:
``open_raw(mode="r+")`` maps it and only the pages of the edited rows are
touched.  A missing file is created with ``mode="w+"``: sparse, all zeros,
no disk blocks until written.  The region is filled with ``--color`` and
its central half inverted; leaving the ``with`` block flushes to the file.

    python examples/mmap_edit.py big.rgb --size 20000x20000 --region 1000,2000,3000,1500
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
from collections.abc import Sequence
from typing import Literal

import pixelkit


def ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.replace("x", ",").split(","))


def peak_rss() -> int:
    """This process's peak resident memory in bytes.

    On Linux from /proc (VmHWM): ru_maxrss would include the peak of the
    process that started this one, which Linux carries across fork + exec.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="big.rgb")
    parser.add_argument("--size", type=ints, default=(20000, 20000), help="WIDTHxHEIGHT (default: 20000x20000)")
    parser.add_argument("--region", type=ints, default=(1000, 2000, 3000, 1500), help="X,Y,WIDTH,HEIGHT")
    parser.add_argument("--color", type=ints, default=(255, 128, 0), help="R,G,B (default: 255,128,0)")
    args = parser.parse_args(argv)
    (width, height), (x, y, w, h) = args.size, args.region

    mode: Literal["r+", "w+"] = "r+" if os.path.exists(args.path) else "w+"
    with pixelkit.open_raw(args.path, width, height, mode=mode) as img:
        region = img.crop(x, y, w, h)  # a view into the mapping
        pixelkit.fill(region, args.color)
        center = region.crop(w // 4, h // 4, w // 2, h // 2)
        pixelkit.invert(center, out=center)
    peak_mib = peak_rss() / 2**20
    verb = "created" if mode == "w+" else "edited"
    print(f"{verb} {args.path} ({width}x{height}, {os.path.getsize(args.path)} bytes): "
          f"filled {w}x{h} at ({x}, {y}); peak RSS {peak_mib:.0f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
