"""box_blur and gaussian_blur on each of their code paths, against OpenCV.

box_blur keeps running sums both ways: column sums (16-bit up to radius 127, 32-bit beyond), then
horizontal sums added directly up to radius 3, as 16-bit running sums up to 7 and 32-bit ones above,
divided exactly with 16-bit multiplies, in single (up to 39) or double precision; gaussian_blur is
8-bit fixed point like OpenCV's.  Every radius and a range of sigmas are compared with
cv2.blur / cv2.GaussianBlur (BORDER_REFLECT_101): within one level, unbiased (mean signed error
within +-0.05) and equal for at least 95% of the samples.  The images are large enough to be split
in bands, and the results must not depend on the thread count or the instruction set.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from conftest import CHILD_PEAK_RSS, subprocess_env
from kernel_refs import LAYOUTS, RandomRGB, as_layout, pixels, ref_box, ref_gaussian

AVAILABLE = pixelkit.cpu_features()["available"]
# 320x240 RGB is well above the size at which a blur is split in bands (parallel.c: 256 KiB of
# work per band), so 2 and 3 threads really run 2 and 3 bands.
WIDTH, HEIGHT = 320, 240
BOX_RADII = [*range(1, 17), 20, 31, 39, 40, 47, 127, 128, 300]
SIGMAS = [0.3, 0.5, 0.8, 1.0, 1.3, 1.7, 2.0, 2.5, 3.0, 4.0, 5.0, 6.5, 8.0]


# Every test leaves the instruction set and thread count as it found them.
pytestmark = pytest.mark.usefixtures("restore_runtime")


def assert_close_unbiased(result: Any, expected: NDArray[Any]) -> None:
    """Within one level of OpenCV, mean signed error within +-0.05, >= 95% of samples equal."""
    got = np.asarray(pixels(result)).astype(np.int64)
    assert got.shape == expected.shape
    diff = got - expected.astype(np.int64)
    assert np.abs(diff).max() <= 1, f"off by {np.abs(diff).max()}"
    assert abs(diff.mean()) <= 0.05, f"mean signed error {diff.mean():+.4f}"
    assert np.mean(diff == 0) >= 0.95, f"only {np.mean(diff == 0):.2%} of samples equal"


def inputs(rng: np.random.Generator, width: int = WIDTH, height: int = HEIGHT) -> list[NDArray[np.uint8]]:
    """Random noise, noise of only 0 and 255 (the largest sums), and a smooth gradient with flat blocks."""
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    extremes = (rng.integers(0, 2, (height, width, 3), dtype=np.uint8) * 255).astype(np.uint8)
    extremes[: height // 3] = 255
    y, x = np.mgrid[0:height, 0:width]
    smooth = np.stack(
        [(x * 255) // max(width - 1, 1), (y * 255) // max(height - 1, 1), ((x // 40 + y // 40) % 2) * 255]
    )
    return [noise, extremes, np.ascontiguousarray(smooth.transpose(1, 2, 0).astype(np.uint8))]


@pytest.mark.parametrize("radius", BOX_RADII)
def test_box_blur_every_radius_matches_opencv_unbiased(radius: int, rng: np.random.Generator) -> None:
    for data in inputs(rng):
        assert_close_unbiased(pixelkit.box_blur(data, radius), ref_box(data, radius))


@pytest.mark.parametrize("sigma", SIGMAS)
def test_gaussian_blur_sigmas_match_opencv_unbiased(sigma: float, rng: np.random.Generator) -> None:
    for data in inputs(rng):
        assert_close_unbiased(pixelkit.gaussian_blur(data, sigma), ref_gaussian(data, sigma))


Blur = Callable[[Any, Any], Any]


def box(radius: int) -> Blur:
    return lambda img, out: pixelkit.box_blur(img, radius, out=out)


def gaussian(sigma: float) -> Blur:
    return lambda img, out: pixelkit.gaussian_blur(img, sigma, out=out)


BLURS: dict[str, Blur] = {
    **{f"box-{r}": box(r) for r in (1, 2, 3, 5, 7, 8, 16, 39, 40, 127, 128)},
    **{f"gaussian-{s}": gaussian(s) for s in (0.5, 1.3, 3.0, 8.0)},
}


@pytest.mark.parametrize("name", BLURS)
def test_same_result_for_every_thread_count_and_instruction_set(name: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(WIDTH + 3, HEIGHT + 1)
    results = {}
    for isa in AVAILABLE:
        pixelkit.set_isa(isa)
        for threads in (1, 2, 3):
            pixelkit.set_num_threads(threads)
            results[isa, threads] = np.asarray(pixels(BLURS[name](data, None))).copy()
    first = next(iter(results.values()))
    for key, result in results.items():
        assert np.array_equal(result, first), f"{key} differs from {next(iter(results))}"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", BLURS)
def test_layouts_and_out_give_the_same_pixels(name: str, layout: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(WIDTH - 5, HEIGHT // 2 + 3)
    expected = np.asarray(pixels(BLURS[name](data, None))).copy()
    assert np.array_equal(np.asarray(pixels(BLURS[name](as_layout(data, layout), None))), expected)
    out = as_layout(np.zeros_like(data), layout)
    returned = BLURS[name](as_layout(data, layout), out)
    assert np.array_equal(np.asarray(pixels(out)), expected)
    assert np.array_equal(np.asarray(pixels(returned)), expected)


@pytest.mark.parametrize("radius", [1, 2, 3, 4])
def test_box_blur_of_an_output_larger_than_the_cache(radius: int, rng: np.random.Generator) -> None:
    """From 16 MiB of output the small boxes store past the cache (aligned stores after a few
    samples): a crop with odd row starts, every instruction set and 1 or 2 threads."""
    data = rng.integers(0, 256, (1500, 4001, 3), dtype=np.uint8)[:, 1:]
    expected = ref_box(data, radius)
    first = None
    for isa in AVAILABLE:
        pixelkit.set_isa(isa)
        for threads in (1, 2):
            pixelkit.set_num_threads(threads)
            result = np.asarray(pixels(pixelkit.box_blur(data, radius)))
            assert_close_unbiased(result, expected)
            if first is None:
                first = result.copy()
            assert np.array_equal(result, first), (isa, threads)


@pytest.mark.parametrize("width, height", [(1, 1), (1, 9), (9, 1), (1, 40), (40, 1), (2, 2), (3, 50), (50, 3)])
@pytest.mark.parametrize("radius", [1, 2, 3, 4, 7, 8, 16, 39, 40, 100, 128, 1024])
def test_box_blur_tiny_images_and_radius_beyond_the_size(
    width: int, height: int, radius: int, random_rgb: RandomRGB
) -> None:
    data = random_rgb(width, height)
    assert_close_unbiased(pixelkit.box_blur(data, radius), ref_box(data, radius))


@pytest.mark.parametrize("width, height", [(1, 1), (1, 9), (9, 1), (1, 40), (40, 1), (2, 2), (3, 50), (50, 3)])
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0, 5.0, 8.0, 20.0])
def test_gaussian_blur_tiny_images_and_kernel_beyond_the_size(
    width: int, height: int, sigma: float, random_rgb: RandomRGB
) -> None:
    data = random_rgb(width, height)
    assert_close_unbiased(pixelkit.gaussian_blur(data, sigma), ref_gaussian(data, sigma))


# A box whose window of row sums (2001 rows of 1024 pixels, 24 MiB) was once kept by each of 196
# bands at once (1.8 GiB); the bands of one call now share a fixed total of scratch memory.
_SCRATCH = f"""
import sys
import numpy as np
import pixelkit
pixelkit.set_num_threads(256)
data = np.random.default_rng(5).integers(0, 256, (2100, 1024, 3), dtype=np.uint8)
out = np.empty_like(data)
pixelkit.box_blur(data[:64], 3, out=out[:64])
before = int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) * 1024
pixelkit.box_blur(data, 1000, out=out)
np.save(sys.argv[1], out)
print({CHILD_PEAK_RSS} - before)
"""


def test_blur_scratch_memory_is_bounded_in_total(tmp_path: Path) -> None:
    saved = tmp_path / "out.npy"
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRATCH), str(saved)], capture_output=True, text=True, check=True,
        timeout=600, env=subprocess_env(),
    )  # fmt: skip
    growth = int(result.stdout.split()[-1])
    assert growth < 320 * 2**20, f"the blur grew the process by {growth >> 20} MiB"
    data = np.random.default_rng(5).integers(0, 256, (2100, 1024, 3), dtype=np.uint8)
    assert_close_unbiased(np.load(saved), ref_box(data, 1000))
