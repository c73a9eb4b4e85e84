"""What the benchmark scripts share: a test frame and side-by-side timing in rounds of random order."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Call = Callable[[], object]


def frame(width: int, height: int, seed: int = 0) -> NDArray[np.uint8]:
    """A frame with smooth gradients, edges and noise (not pure noise: resizes and blurs see structure)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 127 + 100 * np.sin(x / 37.0) * np.cos(y / 53.0)
    g = 255 * ((x // 64 + y // 64) % 2)
    b = 255 * x / max(1, width - 1)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, (height, width, 3)).astype(np.float32)
    result: NDArray[np.uint8] = np.clip(img, 0, 255).astype(np.uint8)
    return result


def measure(calls: dict[str, Call], repeat: int, seed: int = 7, warm: bool = False) -> dict[str, dict[str, float]]:
    """Seconds per call of each (min and median), measured in rounds after a warm-up.

    Each round runs every call once in a new random order: a call that always followed the same
    one (a rotation keeps the cyclic order) would always find the caches as that one left them.
    ``warm``: each sample starts with one untimed call, so that every call is timed with its own
    data in the caches (as in a loop over frames) rather than right after another evicted them.
    """
    names = list(calls)
    for name in names:
        calls[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    order = np.random.default_rng(seed)
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for index in order.permutation(len(names)):
                name = names[int(index)]
                if warm:
                    calls[name]()
                start = time.perf_counter()
                calls[name]()
                samples[name].append(time.perf_counter() - start)
    finally:
        gc.enable()
    return {n: {"min": min(s), "median": statistics.median(s)} for n, s in samples.items()}
