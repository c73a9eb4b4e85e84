#!/usr/bin/env python3
"""resize against the best of OpenCV and Pillow at general factors, each axis separately, side by side.

Usage::

    python benchmarks/resize_ratios.py      # 13 factor pairs, 3 methods, 1080p and 12 MP, 1 and 2 threads
    python benchmarks/resize_ratios.py --methods area --factors 0.7x0.7,0.5x1 --threads 2 --sizes 1920x1080

For each (size, thread count, method, factor pair) pixelkit and ``cv2.resize``
write into preallocated outputs, Pillow's ``Image.resize`` allocates (with one
thread only: Pillow has no threads).  All run once as a warm-up, then in a new
seeded order every round.  The table gives the median times, the ratio
pixelkit / best peer (below 1.0 pixelkit is faster) and the largest
difference from OpenCV's result, whose sampling conventions pixelkit follows
(Pillow's bilinear widens its filter when shrinking, and its nearest picks
other pixels).  Area is timed only where neither axis grows: it is a
reduction.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

if importlib.util.find_spec("pixelkit") is None:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pixelkit as pk
from pixelkit.ops import ResizeMethod

DEFAULT_FACTORS = "0.25x0.25,0.333x0.333,0.5x0.5,0.7x0.7,0.75x0.75,0.9x0.9,1.3x1.3,1.5x1.5,2x2,3x3,0.5x1,1x0.7,1.3x0.6"
METHODS = ("bilinear", "area", "nearest")


def measure(calls: dict[str, Callable[[], Any]], rounds: int, seed: int) -> dict[str, float]:
    """Median seconds per call of each entry, interleaved in a new order every round."""
    for call in calls.values():
        call()
    start = time.perf_counter()
    calls["pixelkit"]()
    number = max(1, min(40, int(0.02 / max(time.perf_counter() - start, 1e-6))))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    order = random.Random(seed)
    for _ in range(rounds):
        for name in order.sample(list(calls), len(calls)):
            call = calls[name]
            start = time.perf_counter()
            for _ in range(number):
                call()
            samples[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(times) for name, times in samples.items()}


def largest_difference(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


def resize_calls(
    image: NDArray[np.uint8],
    pil_image: Any,
    size: tuple[int, int],
    method: ResizeMethod,
    outputs: tuple[Any, Any],
    pillow: bool,
) -> dict[str, Callable[[], Any]]:
    """pixelkit's and OpenCV's resize into their outputs, and Pillow's if ``pillow``."""
    import cv2
    from PIL import Image as PILImage

    flag = {"bilinear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA, "nearest": cv2.INTER_NEAREST}[method]
    ours, theirs = outputs
    calls: dict[str, Callable[[], Any]] = {
        "pixelkit": lambda: pk.resize(image, size[0], size[1], method, out=ours),
        "opencv": lambda: cv2.resize(image, size, dst=theirs, interpolation=flag),
    }
    if pillow:
        resampling = PILImage.Resampling
        kind = {"bilinear": resampling.BILINEAR, "area": resampling.BOX, "nearest": resampling.NEAREST}[method]
        calls["pillow"] = lambda: pil_image.resize(size, kind)
    return calls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--factors", default=DEFAULT_FACTORS, help="comma-separated XxY scale factors")
    parser.add_argument("--sizes", default="1920x1080,4000x3000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    import cv2
    from PIL import Image as PILImage

    factors = [tuple(float(v) for v in pair.split("x")) for pair in args.factors.split(",")]
    worst: list[tuple[float, str]] = []
    print("| size | threads | method | factors | output | pixelkit ms | opencv ms | pillow ms | ratio ", end="")
    print("| best peer | max diff from opencv |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        width, height = (int(v) for v in size.split("x"))
        image = np.random.default_rng(1).integers(0, 256, (height, width, 3), np.uint8)
        pil_image = PILImage.fromarray(image)
        for threads in (int(t) for t in args.threads.split(",")):
            pk.set_num_threads(threads)
            cv2.setNumThreads(threads)
            for name in args.methods.split(","):
                if name not in METHODS:
                    parser.error(f"--methods takes {', '.join(METHODS)}, got {name!r}")
                method = cast(ResizeMethod, name)
                for fx, fy in factors:
                    if method == "area" and (fx > 1 or fy > 1):
                        continue
                    w, h = max(1, round(width * fx)), max(1, round(height * fy))
                    ours, theirs = np.empty((h, w, 3), np.uint8), np.empty((h, w, 3), np.uint8)
                    calls = resize_calls(image, pil_image, (w, h), method, (ours, theirs), pillow=threads == 1)
                    times = measure(calls, args.rounds, seed=w * 7919 + h)
                    peer = min((t, name) for name, t in times.items() if name != "pixelkit")
                    ratio = times["pixelkit"] / peer[0]
                    worst.append((ratio, f"{size} {threads}t {method} {fx:g}x{fy:g}"))
                    pillow_ms = f"{times['pillow'] * 1e3:.2f}" if "pillow" in times else "-"
                    print(
                        f"| {size} | {threads} | {method} | {fx:g}x{fy:g} | {w}x{h} | {times['pixelkit'] * 1e3:.2f} "
                        f"| {times['opencv'] * 1e3:.2f} | {pillow_ms} | {ratio:.2f} | {peer[1]} "
                        f"| {largest_difference(ours, theirs)} |",
                        flush=True,
                    )
    worst.sort(reverse=True)
    behind = [label for ratio, label in worst if ratio > 1.0]
    print(f"\n{len(worst)} cells; worst: " + ", ".join(f"{label} {ratio:.2f}" for ratio, label in worst[:5]))
    print(f"behind (ratio above 1.0): {len(behind)}" + (": " + ", ".join(behind) if behind else ""))


if __name__ == "__main__":
    main()
