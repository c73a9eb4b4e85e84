#!/usr/bin/env python3
"""box_blur and gaussian_blur against OpenCV at every radius and sigma, side by side.

Usage::

    python benchmarks/blur_ratios.py                       # radii 1-16 and sigmas 0.5-8, 1080p and 12 MP
    python benchmarks/blur_ratios.py --op box --params 1,2,40 --threads 2 --sizes 1920x1080
    python benchmarks/blur_ratios.py --cpu                 # thread CPU time (1 thread only), for busy machines

For each (size, thread count, parameter) pixelkit and ``cv2.blur`` /
``cv2.GaussianBlur`` (BORDER_REFLECT_101) run once as a warm-up, then
alternately, each starting every other round, writing into preallocated
outputs.  The table gives the median and minimum times and their ratios
(pixelkit / OpenCV: below 1.0 pixelkit is faster), and how far pixelkit's
result is from OpenCV's: the largest difference, the mean signed error and
the share of equal samples.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if importlib.util.find_spec("pixelkit") is None:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pixelkit as pk

DEFAULT_PARAMS = {"box": "1,2,3,5,7,10,15,16", "gaussian": "0.5,1,1.3,2,3,5,8"}


Calls = tuple[Callable[[], Any], Callable[[], Any]]


def measure(calls: Calls, reps: int, cpu: bool) -> list[list[float]]:
    """Times of each call, interleaved round-robin."""
    clock = time.thread_time if cpu else time.perf_counter
    times: list[list[float]] = [[], []]
    for call in calls:
        call()
    for rep in range(reps):
        order = (0, 1) if rep % 2 == 0 else (1, 0)
        for which in order:
            start = clock()
            calls[which]()
            times[which].append(clock() - start)
    return times


def pair(cv2: Any, op: str, param: str, img: Any, ours: Any, theirs: Any) -> Calls:
    """pixelkit's call and OpenCV's for one blur, each into its own output."""
    reflect = cv2.BORDER_REFLECT_101
    if op == "box":
        r = int(param)
        k = 2 * r + 1
        return (
            lambda: pk.box_blur(img, r, out=ours),
            lambda: cv2.blur(img, (k, k), dst=theirs, borderType=reflect),
        )
    s = float(param)
    return (
        lambda: pk.gaussian_blur(img, s, out=ours),
        lambda: cv2.GaussianBlur(img, (0, 0), s, dst=theirs, borderType=reflect),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--op", choices=("box", "gaussian", "both"), default="both")
    parser.add_argument("--params", help="comma-separated radii or sigmas (default: the issue's grid)")
    parser.add_argument("--sizes", default="1920x1080,4000x3000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--cpu", action="store_true", help="time with the thread's CPU clock")
    args = parser.parse_args(argv)
    import cv2

    rng = np.random.default_rng(1)
    ops = ("box", "gaussian") if args.op == "both" else (args.op,)
    print("| op | size | threads | param | pixelkit ms | opencv ms | ratio (median) | ratio (min) ", end="")
    print("| max diff | mean error | equal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        width, height = (int(v) for v in size.split("x"))
        img = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        ours, theirs = np.empty_like(img), np.empty_like(img)
        for threads in (int(t) for t in args.threads.split(",")):
            pk.set_num_threads(threads)
            cv2.setNumThreads(threads)
            for op in ops:
                for param in (args.params or DEFAULT_PARAMS[op]).split(","):
                    calls = pair(cv2, op, param, img, ours, theirs)
                    mine, peer = measure(calls, args.reps, args.cpu)
                    diff = ours.astype(np.int16) - theirs.astype(np.int16)
                    mid, low = statistics.median(mine) / statistics.median(peer), min(mine) / min(peer)
                    print(
                        f"| {op} | {size} | {threads} | {param} | {statistics.median(mine) * 1e3:.2f} "
                        f"| {statistics.median(peer) * 1e3:.2f} | {mid:.2f} | {low:.2f} "
                        f"| {int(np.abs(diff).max())} | {float(diff.mean()):+.4f} | {float(np.mean(diff == 0)):.2%} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
