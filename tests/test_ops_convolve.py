"""convolve against OpenCV's filter2D (BORDER_REFLECT_101) and an exact numpy int64 reference.

The numpy reference computes the documented rounding (the integer sum divided by the scale, rounded
half to even, plus the offset, saturated); OpenCV's float filter2D must agree within one level and
without bias.  Then the identities: every instruction set and thread count give the same bytes.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from kernel_refs import LAYOUTS, SIZES, RandomRGB, as_layout, assert_close_unbiased, pixels

SHARPEN = [[-1, -1, -1], [-1, 16, -1], [-1, -1, -1]]
AVAILABLE = pixelkit.cpu_features()["available"]


def reflect101(index: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    if n == 1:
        return np.zeros_like(index)
    period = 2 * n - 2
    index = np.mod(index, period)
    return np.where(index < n, index, period - index)


def ref_convolve(a: NDArray[np.uint8], kernel: Any, scale: int | None = None, offset: int = 0) -> NDArray[np.uint8]:
    """The documented result in int64: exact sums, division rounded half to even, offset, saturation."""
    k = np.asarray(kernel, np.int64)
    kh, kw = k.shape
    if scale is None:
        scale = int(k.sum()) or 1
    if scale < 0:
        k, scale = -k, -scale
    height, width, _ = a.shape
    rows = reflect101(np.arange(-(kh // 2), height + kh // 2), height)
    cols = reflect101(np.arange(-(kw // 2), width + kw // 2), width)
    padded = a.astype(np.int64)[rows][:, cols]
    acc = np.zeros((height, width, 3), np.int64)
    for i in range(kh):
        for j in range(kw):
            acc += k[i, j] * padded[i : i + height, j : j + width]
    q = np.floor_divide(acc, scale)
    rem = acc - q * scale
    q += (2 * rem > scale) | ((2 * rem == scale) & (q % 2 == 1))
    result: NDArray[np.uint8] = np.clip(q + offset, 0, 255).astype(np.uint8)
    return result


def ref_cv2(a: NDArray[np.uint8], kernel: Any, scale: int | None = None, offset: int = 0) -> NDArray[np.uint8]:
    k = np.asarray(kernel, np.float64)
    divisor = float(scale) if scale is not None else float(k.sum() or 1)
    out = cv2.filter2D(np.ascontiguousarray(a), -1, k / divisor, delta=offset, borderType=cv2.BORDER_REFLECT_101)
    return np.asarray(out, np.uint8)


KERNELS: dict[str, tuple[Any, int | None, int]] = {
    "sharpen": (SHARPEN, 8, 0),
    "box3-default-scale": (np.ones((3, 3), np.int64), None, 0),
    "sobel-offset": ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], 1, 128),
    "row5": ([[1, 4, 6, 4, 1]], 16, 0),
    "col7": ([[1], [2], [3], [4], [3], [2], [1]], None, 0),
    "odd-scale-5x3": ([[1, 2, 3, 2, 1], [2, 5, 7, 5, 2], [1, 2, 3, 2, 1]], 37, -3),
    "negative-scale": ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], -1, 255),
    "identity1": ([[1]], None, 0),
    "random7": (np.random.default_rng(5).integers(-9, 20, (7, 7)), 100, 7),
}


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_convolve_against_numpy_and_opencv(name: str, width: int, height: int, random_rgb: RandomRGB) -> None:
    kernel, scale, offset = KERNELS[name]
    data = random_rgb(width, height)
    result = pixelkit.convolve(data, kernel, scale, offset)
    np.testing.assert_array_equal(pixels(result), ref_convolve(data, kernel, scale, offset))
    if height >= 4 and width >= 4:  # OpenCV refuses nothing, but its tiny-image borders differ
        assert_close_unbiased(result, ref_cv2(data, kernel, scale, offset))


def test_convolve_sharpen_equals_opencv_exactly(random_rgb: RandomRGB) -> None:
    # Weights / 8 are exact in float, so OpenCV's ties are real ties, rounded to even like pixelkit's.
    data = random_rgb(301, 203)
    np.testing.assert_array_equal(pixels(pixelkit.convolve(data, SHARPEN, 8)), ref_cv2(data, SHARPEN, 8))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_convolve_layouts_and_out(layout: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(67, 41)
    expected = ref_convolve(data, SHARPEN, 8)
    np.testing.assert_array_equal(pixels(pixelkit.convolve(as_layout(data, layout), SHARPEN, 8)), expected)
    out = np.zeros_like(data)
    assert pixelkit.convolve(as_layout(data, layout), SHARPEN, 8, out=out) is out
    np.testing.assert_array_equal(out, expected)


def test_convolve_in_place(random_rgb: RandomRGB) -> None:
    data = random_rgb(50, 30)
    expected = ref_convolve(data, SHARPEN, 8)
    pixelkit.convolve(data, SHARPEN, 8, out=data)
    np.testing.assert_array_equal(data, expected)


@pytest.mark.usefixtures("restore_runtime")
@pytest.mark.parametrize("name", ["sharpen", "odd-scale-5x3", "random7"])
def test_convolve_same_bytes_for_every_isa_and_thread_count(name: str, random_rgb: RandomRGB) -> None:
    kernel, scale, offset = KERNELS[name]
    data = random_rgb(1031, 517)  # several bands per thread
    expected = ref_convolve(data, kernel, scale, offset)
    for isa in AVAILABLE:
        for threads in (1, 2):
            pixelkit.set_isa(isa)
            pixelkit.set_num_threads(threads)
            np.testing.assert_array_equal(pixels(pixelkit.convolve(data, kernel, scale, offset)), expected)


@pytest.mark.parametrize(
    ("kernel", "scale", "offset"),
    [
        ([[1, 1]], None, 0),  # even width
        ([[1], [1]], None, 0),  # even height
        (np.ones((9, 9), np.int64), None, 0),  # larger than 7
        (np.ones((3, 3, 3), np.int64), None, 0),  # not 2-D
        ([1, 2, 1], None, 0),  # 1-D
        ([[0.5, 1, 0.5]], None, 0),  # not integers
        ([[np.nan, 1, 1]], None, 0),
        ([["a", "b", "c"]], None, 0),
        (np.zeros((0, 3), np.int64), None, 0),
        ([[1, 2, 1]], 0, 0),  # scale 0
        ([[1, 2, 1]], 2.5, 0),  # fractional scale
        ([[1, 2, 1]], 1 << 30, 0),  # scale out of range
        ([[70000, 1, 1]], None, 0),  # weight out of range
        ([[1, 2, 1]], None, 0.5),  # fractional offset
        ([[1, 2, 1]], None, 1 << 30),  # offset out of range
    ],
)
def test_convolve_refuses_bad_kernels(kernel: Any, scale: Any, offset: Any) -> None:
    data = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError):
        pixelkit.convolve(data, kernel, scale, offset)


def test_convolve_checks_out() -> None:
    data = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError):
        pixelkit.convolve(data, SHARPEN, out=np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(TypeError):
        pixelkit.convolve("not an image", SHARPEN)  # type: ignore[arg-type]
