"""Every kernel from 8 Python threads at once over shared read-only inputs.

The C pool runs one job at a time (set_num_threads(2) here): a caller that finds it busy runs
its bands itself, so most calls below run serially on their own thread while one at a time
uses the pool.  Every result must equal, bit for bit, a single-threaded run computed first.
The second test also switches the instruction set and thread count from other threads while
kernels run: results are documented to be identical for every setting.
"""

from __future__ import annotations

import contextlib
import glob
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from pixelkit import Image

THREADS = 8
ROUNDS = 10
LUT1 = np.random.default_rng(1).integers(0, 256, 256, dtype=np.uint8)
LUT3 = np.random.default_rng(2).integers(0, 256, (3, 256), dtype=np.uint8)
for _lut in (LUT1, LUT3):
    _lut.flags.writeable = False

Kernel = Callable[[NDArray[np.uint8], NDArray[np.uint8]], Any]


def _pasted(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> NDArray[np.uint8]:
    dst = a.copy()
    pixelkit.paste(dst, b[: a.shape[0] // 2, : a.shape[1] // 2], a.shape[1] // 3, -5)
    result: NDArray[np.uint8] = dst
    return result


def _filled(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> NDArray[np.uint8]:
    dst = np.empty_like(a)
    pixelkit.fill(dst, (1, 2, 3))
    return dst


KERNELS: dict[str, Kernel] = {
    "invert": lambda a, b: pixelkit.invert(a),
    "apply_lut1": lambda a, b: pixelkit.apply_lut(a, LUT1),
    "apply_lut3": lambda a, b: pixelkit.apply_lut(a, LUT3),
    "adjust": lambda a, b: pixelkit.adjust(a, brightness=0.1, contrast=1.3, gamma=0.8),
    "swap_rb": lambda a, b: pixelkit.swap_rb(a),
    "blend": lambda a, b: pixelkit.blend(a, b, 0.3),
    "to_gray": lambda a, b: pixelkit.to_gray(a),
    "to_tensor_chw": lambda a, b: pixelkit.to_tensor(a, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "to_tensor_hwc": lambda a, b: pixelkit.to_tensor(a, layout="HWC"),
    "flip_horizontal": lambda a, b: pixelkit.flip_horizontal(a),
    "flip_vertical": lambda a, b: pixelkit.flip_vertical(a),
    "transpose": lambda a, b: pixelkit.transpose(a),
    "rotate90_1": lambda a, b: pixelkit.rotate90(a, 1),
    "rotate90_2": lambda a, b: pixelkit.rotate90(a, 2),
    "rotate90_3": lambda a, b: pixelkit.rotate90(a, 3),
    "paste": _pasted,
    "fill": _filled,
    "resize_nearest_up": lambda a, b: pixelkit.resize(a, a.shape[1] * 3 // 2, a.shape[0] * 5 // 4, "nearest"),
    "resize_bilinear_up": lambda a, b: pixelkit.resize(a, a.shape[1] * 3 // 2, a.shape[0] * 5 // 4, "bilinear"),
    "resize_bilinear_down": lambda a, b: pixelkit.resize(a, a.shape[1] // 3, a.shape[0] // 2, "bilinear"),
    "resize_area_down": lambda a, b: pixelkit.resize(a, a.shape[1] // 3, a.shape[0] // 2, "area"),
    "resize_area_up": lambda a, b: pixelkit.resize(a, a.shape[1] + 7, a.shape[0] + 3, "area"),
    "box_blur": lambda a, b: pixelkit.box_blur(a, 3),
    "gaussian_blur": lambda a, b: pixelkit.gaussian_blur(a, 1.7),
    "histogram": lambda a, b: pixelkit.histogram(a),
}


def _as_array(result: Any) -> NDArray[Any]:
    array: NDArray[Any] = np.array(result.array if isinstance(result, Image) else result, copy=True)
    return array


def _inputs() -> list[tuple[NDArray[np.uint8], NDArray[np.uint8]]]:
    """Shared read-only inputs: a large contiguous image (split into bands), a crop, a small one."""
    rng = np.random.default_rng(20261124)
    pairs = []
    for width, height in ((640, 480), (203, 151), (33, 17)):
        a = rng.integers(0, 256, (height + 4, width + 6, 3), dtype=np.uint8)
        b = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        a.flags.writeable = False
        b.flags.writeable = False
        # The middle one is a strided view (a crop) of a larger read-only array.
        pairs.append((a[2 : 2 + height, 3 : 3 + width] if width == 203 else a[:height, :width].copy(), b))
    for a, _ in pairs:
        a.flags.writeable = False
    return pairs


pytestmark = pytest.mark.usefixtures("restore_runtime")  # tests here switch the ISA and threads


def _references(
    pairs: list[tuple[NDArray[np.uint8], NDArray[np.uint8]]],
) -> dict[tuple[str, int], NDArray[Any]]:
    pixelkit.set_num_threads(1)
    return {(name, i): _as_array(kernel(a, b)) for name, kernel in KERNELS.items() for i, (a, b) in enumerate(pairs)}


def _hammer(
    pairs: list[tuple[NDArray[np.uint8], NDArray[np.uint8]]],
    expected: dict[tuple[str, int], NDArray[Any]],
    seed: int,
    rounds: int,
) -> int:
    """Run every kernel on every input ``rounds`` times in a thread-specific order; returns calls."""
    order = [(name, i) for name in KERNELS for i in range(len(pairs))]
    shuffle = np.random.default_rng(seed)
    calls = 0
    for _ in range(rounds):
        for index in shuffle.permutation(len(order)):
            name, i = order[index]
            a, b = pairs[i]
            got = _as_array(KERNELS[name](a, b))
            want = expected[name, i]
            assert got.dtype == want.dtype and got.shape == want.shape, name
            assert got.tobytes() == want.tobytes(), f"{name} on input {i} differs from the single-threaded run"
            calls += 1
    for a, b in pairs:
        assert not a.flags.writeable and not b.flags.writeable
    return calls


def test_all_kernels_from_8_threads_match_single_threaded() -> None:
    pairs = _inputs()
    snapshot = [(a.copy(), b.copy()) for a, b in pairs]
    expected = _references(pairs)
    pixelkit.set_num_threads(2)
    with ThreadPoolExecutor(THREADS) as pool:
        calls = sum(pool.map(lambda seed: _hammer(pairs, expected, seed, ROUNDS), range(THREADS)))
    assert calls == THREADS * ROUNDS * len(KERNELS) * len(pairs)
    for (a, b), (a0, b0) in zip(pairs, snapshot, strict=True):
        assert np.array_equal(a, a0) and np.array_equal(b, b0)
    print(f"\n{calls} kernel calls from {THREADS} threads matched the single-threaded results")


def test_kernels_match_while_other_threads_switch_isa_and_thread_count() -> None:
    pairs = _inputs()
    expected = _references(pairs)
    pixelkit.set_num_threads(2)
    available = pixelkit.cpu_features()["available"]
    stop = threading.Event()
    switches = [0]
    errors: list[BaseException] = []

    def switcher(seed: int) -> None:
        choose = np.random.default_rng(seed)
        try:
            while not stop.is_set():
                if choose.integers(2):
                    pixelkit.set_isa(available[int(choose.integers(len(available)))])
                else:
                    pixelkit.set_num_threads(int(choose.integers(1, 5)))
                switches[0] += 1
                stop.wait(0.0005)
        except BaseException as exc:  # reported below
            errors.append(exc)

    changers = [threading.Thread(target=switcher, args=(seed,)) for seed in (101, 102)]
    for thread in changers:
        thread.start()
    try:
        with ThreadPoolExecutor(THREADS - len(changers)) as pool:
            calls = sum(pool.map(lambda seed: _hammer(pairs, expected, seed, ROUNDS), range(THREADS - len(changers))))
    finally:
        stop.set()
        for thread in changers:
            thread.join()
    assert not errors, errors
    assert switches[0] > 10
    print(f"\n{calls} kernel calls matched while {switches[0]} set_isa/set_num_threads switches ran ({available})")


def _process_cpu_ticks() -> int:
    """User + system clock ticks of every thread of this process (Linux /proc)."""
    total = 0
    for stat in glob.glob(f"/proc/{os.getpid()}/task/*/stat"):
        with contextlib.suppress(OSError):
            with open(stat, encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_idle_pool_workers_sleep() -> None:
    """After parallel kernels, worker threads must sleep, not spin (a worker
    that missed a whole job once looped without ever blocking)."""
    pixelkit.set_num_threads(2)
    image = np.zeros((400, 400, 3), np.uint8)
    busiest = 0
    for _ in range(15):
        pixelkit.box_blur(image, 5)
        time.sleep(0.05)  # longer than the workers' brief spin before sleeping
        before = _process_cpu_ticks()
        time.sleep(0.3)
        busiest = max(busiest, _process_cpu_ticks() - before)
    # A spinning worker burns about 30 ticks in 0.3 s; a sleeping pool none.
    assert busiest <= 5, f"idle process used {busiest} clock ticks in 0.3 s"
