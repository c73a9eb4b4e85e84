"""resize over a grid of factors against cv2.resize, unbiased, and the same on every setting.

For each method and factor (down and up, whole and fractional, each axis on its own): INTER_NEAREST
exactly; INTER_LINEAR and INTER_AREA within one level, with a mean signed difference within 0.05
and at least 95% of the samples equal.  The images are large enough for the work to be split
between threads, and the result is the same with 1 and 2 threads, on every instruction set, from
a crop with a padded stride and into ``out=``.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from kernel_refs import ref_resize
from pixelkit import Image
from pixelkit.ops import ResizeMethod

METHODS: tuple[ResizeMethod, ...] = ("nearest", "bilinear", "area")
AVAILABLE = pixelkit.cpu_features()["available"]

# (name, x factor, y factor); None: 224 x 224 whatever the source.
FACTORS: tuple[tuple[str, float | None, float | None], ...] = (
    ("70%", 0.7, 0.7),
    ("130%", 1.3, 1.3),
    ("1/3", 1 / 3, 1 / 3),
    ("224", None, None),
    ("0.5x1.7", 0.5, 1.7),
    ("1.7x0.6", 1.7, 0.6),
    ("2.5x", 2.5, 2.5),
    ("1/7", 1 / 7, 1 / 7),
    ("odd", 0.6131, 0.4173),
    ("1x0.5", 1.0, 0.5),
    ("1/2", 0.5, 0.5),
    ("2x", 2.0, 2.0),
    ("0.45", 0.45, 0.45),
    ("1/4x1/3", 0.25, 1 / 3),
)


# Every test leaves the instruction set and thread count as it found them.
pytestmark = pytest.mark.usefixtures("restore_runtime")


def source(fx: float | None, fy: float | None) -> tuple[int, int]:
    """Large sources for shrinking (so that 2 threads split the work), smaller ones for enlarging."""
    if fx is not None and fy is not None and max(fx, fy) > 1:
        return 643, 481
    return 2101, 1403


def target(size: tuple[int, int], fx: float | None, fy: float | None) -> tuple[int, int]:
    if fx is None or fy is None:
        return 224, 224
    return max(1, round(size[0] * fx)), max(1, round(size[1] * fy))


def natural(width: int, height: int) -> NDArray[np.uint8]:
    """Gradients with noise: smooth content where rounding differences would show as a bias."""
    rng = np.random.default_rng(width * 7919 + height)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // (width - 1), y * 255 // (height - 1), (x + 2 * y) % 256], axis=-1)
    return np.clip(base + rng.integers(-40, 41, (height, width, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, fx, fy", FACTORS, ids=[f[0] for f in FACTORS])
def test_resize_grid_matches_opencv_unbiased(
    name: str, fx: float | None, fy: float | None, method: ResizeMethod
) -> None:
    size = source(fx, fy)
    w, h = target(size, fx, fy)
    data = natural(*size)
    expected = ref_resize(data, w, h, method).astype(np.int32)
    pixelkit.set_num_threads(2)
    got = np.asarray(pixelkit.resize(data, w, h, method)).astype(np.int32)
    assert got.shape == expected.shape
    diff = got - expected
    if method == "nearest":
        assert not diff.any(), name
        return
    assert np.abs(diff).max() <= 1, name
    assert abs(float(diff.mean())) <= 0.05, (name, float(diff.mean()))
    assert float(np.mean(diff == 0)) >= 0.95, (name, float(np.mean(diff == 0)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, fx, fy", FACTORS, ids=[f[0] for f in FACTORS])
def test_resize_grid_same_on_every_setting(name: str, fx: float | None, fy: float | None, method: ResizeMethod) -> None:
    size = source(fx, fy)
    w, h = target(size, fx, fy)
    data = natural(*size)
    # The same pixels inside a padded canvas: a crop with a stride wider than its rows.
    canvas = np.zeros((size[1] + 3, size[0] + 9, 3), np.uint8)
    canvas[1 : 1 + size[1], 5 : 5 + size[0]] = data
    crop = Image.from_array(canvas).crop(5, 1, size[0], size[1])
    first: NDArray[np.uint8] | None = None
    for isa in AVAILABLE:
        for threads in (1, 2):
            pixelkit.set_isa(isa)
            pixelkit.set_num_threads(threads)
            results = [np.asarray(pixelkit.resize(data, w, h, method)), np.asarray(pixelkit.resize(crop, w, h, method))]
            out = np.full((h, w, 3), 7, np.uint8)
            assert pixelkit.resize(data, w, h, method, out=out) is out
            results.append(out)
            for result in results:
                if first is None:
                    first = result.copy()
                assert np.array_equal(result, first), (name, isa, threads)
