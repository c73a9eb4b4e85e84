"""resize, box_blur and gaussian_blur against OpenCV.

cv2.resize (INTER_NEAREST exactly, INTER_LINEAR and INTER_AREA within one level), cv2.blur and
cv2.GaussianBlur with BORDER_REFLECT_101 (within one level) are the references, on random images
of many sizes and layouts and on real frames made by ffmpeg.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from kernel_refs import (
    CV2_RESIZE,
    FRAME_SOURCES,
    LAYOUTS,
    RESAMPLE_AND_FILTER_OPS,
    SIZES,
    ImageLike,
    RandomRGB,
    as_layout,
    assert_close_unbiased,
    assert_matches,
    assert_outside_unchanged,
    ffmpeg_frame,
    forbid_kernels,
    in_place_target,
    out_in_canvas,
    pixels,
    ref_box,
    ref_gaussian,
    ref_resize,
    ref_resize_exact,
    ref_resize_float64,
    resize_either,
)
from pixelkit import MAX_DIMENSION, Image
from pixelkit.ops import MAX_BLUR_RADIUS, MAX_GAUSSIAN_SIGMA, ResizeMethod

OPS = {op.name: op for op in RESAMPLE_AND_FILTER_OPS}
METHODS = tuple(CV2_RESIZE)


def tolerance(method: ResizeMethod) -> int:
    return 0 if method == "nearest" else 1


# ---- every operation, every size, every layout, real frames -----------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("width, height", SIZES)
@pytest.mark.parametrize("name", OPS)
def test_matches_reference(name: str, width: int, height: int, layout: str, random_rgb: RandomRGB) -> None:
    op = OPS[name]
    data = random_rgb(width, height)
    img = as_layout(data, layout)
    result = op.call(img)
    assert isinstance(result, Image) and result is not img
    assert_matches(result, op.reference(data), op.tolerance, op.exact_of(data))
    assert np.array_equal(pixels(img), data), "the input changed"


@pytest.mark.parametrize("source", FRAME_SOURCES)
@pytest.mark.parametrize("name", OPS)
def test_matches_reference_on_real_frames(name: str, source: str) -> None:
    op = OPS[name]
    frame = ffmpeg_frame(source)
    assert_matches(op.call(frame), op.reference(frame), op.tolerance, op.exact_of(frame))
    window = frame[2:233, 5:316]  # odd-sized, rows 960 bytes apart
    assert_matches(
        op.call(Image.from_array(frame).crop(5, 2, 311, 231)), op.reference(window), op.tolerance, op.exact_of(window)
    )


# ---- resize --------------------------------------------------------------------------------------------

# ((source width, height), (target width, height))
RESIZE_PAIRS = [
    ((64, 48), (32, 24)),  # 1/2
    ((2, 2), (1, 1)),
    ((34, 2), (17, 1)),
    ((2, 34), (1, 17)),
    ((194, 6), (97, 3)),
    ((63, 48), (21, 16)),  # 1/3
    ((48, 32), (3, 2)),  # 1/16 on both axes (largest integer area factor of the exact path)
    ((51, 17), (3, 1)),  # 1/17: whole factors beyond the exact path
    ((256, 256), (8, 8)),  # 1/32
    ((64, 48), (45, 31)),  # non-integer down
    ((100, 75), (77, 61)),
    ((100, 100), (7, 7)),
    ((640, 480), (223, 167)),
    ((20, 15), (40, 30)),  # 2x
    ((2, 2), (4, 4)),
    ((3, 2), (6, 4)),
    ((2, 5), (4, 10)),
    ((1, 5), (2, 10)),
    ((5, 1), (10, 2)),
    ((97, 3), (194, 6)),
    ((20, 15), (60, 45)),  # 3x
    ((20, 15), (37, 23)),  # non-integer up
    ((13, 11), (50, 29)),
    ((7, 5), (700, 3)),
    ((40, 30), (80, 10)),  # mixed: up in x, down in y
    ((40, 30), (13, 70)),  # mixed: down in x, up in y
    ((40, 30), (40, 61)),  # one axis unchanged
    ((1, 17), (5, 3)),  # 1xN in
    ((17, 1), (3, 5)),  # Nx1 in
    ((1, 17), (1, 40)),
    ((40, 1), (7, 1)),
    ((9, 7), (1, 13)),  # 1xN out
    ((9, 7), (13, 1)),  # Nx1 out
    ((1, 1), (4, 4)),  # 1x1 in
    ((1, 1), (9, 2)),
    ((9, 7), (1, 1)),  # 1x1 out
    ((64, 48), (1, 1)),
    ((1, 1), (1, 1)),
    ((33, 21), (33, 21)),  # same size
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("src, dst", RESIZE_PAIRS, ids=lambda s: "x".join(map(str, s)))
def test_resize_size_pairs(
    src: tuple[int, int], dst: tuple[int, int], method: ResizeMethod, random_rgb: RandomRGB
) -> None:
    data = random_rgb(*src)
    result = pixelkit.resize(data, dst[0], dst[1], method)
    assert result.shape == (dst[1], dst[0], 3)
    assert_matches(result, ref_resize(data, *dst, method), tolerance(method), ref_resize_exact(data, *dst, method))
    # The reverse direction too.
    back = random_rgb(*dst)
    assert_matches(
        pixelkit.resize(back, src[0], src[1], method),
        ref_resize(back, *src, method),
        tolerance(method),
        ref_resize_exact(back, *src, method),
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_resize_strided_inputs(layout: str, method: ResizeMethod, random_rgb: RandomRGB) -> None:
    data = random_rgb(77, 53)
    img = as_layout(data, layout)
    for target in [(38, 26), (25, 17), (30, 41), (154, 106), (200, 20), (1, 53), (77, 1)]:
        assert_matches(
            pixelkit.resize(img, *target, method=method),
            ref_resize(data, *target, method),
            tolerance(method),
            ref_resize_exact(data, *target, method),
        )


def test_resize_smooth_content_agrees_closely() -> None:
    """On smooth real content every method lands within one level almost everywhere, and exactly mostly."""
    frame = ffmpeg_frame("mandelbrot")
    for method in METHODS:
        for target in [(160, 120), (107, 80), (500, 333)]:
            got = pixelkit.resize(frame, *target, method=method)
            expected = ref_resize(frame, *target, method)
            assert_close_unbiased(
                got, expected, max_abs=tolerance(method), exact=ref_resize_exact(frame, *target, method)
            )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("layout", ["array", "image", "crop", "padded"])
def test_resize_same_size_in_place(method: ResizeMethod, layout: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(31, 19)
    img, canvas, before = in_place_target(data, layout)
    assert resize_either(img, 31, 19, method, out=img) is img
    assert_matches(pixels(img), ref_resize(data, 31, 19, method))
    if canvas is not None:
        assert_outside_unchanged(canvas, before, data.shape)


@pytest.mark.parametrize("as_image", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_resize_into_out(method: ResizeMethod, as_image: bool, random_rgb: RandomRGB) -> None:
    data = random_rgb(45, 28)
    canvas, view = out_in_canvas((17, 30, 3))
    before = canvas.copy()
    out: ImageLike = Image.from_array(view) if as_image else view
    assert resize_either(as_layout(data, "crop"), 30, 17, method, out=out) is out
    assert_matches(
        pixels(out), ref_resize(data, 30, 17, method), tolerance(method), ref_resize_exact(data, 30, 17, method)
    )
    assert_outside_unchanged(canvas, before, (17, 30))


@pytest.mark.parametrize("target", [(8, 8), (12, 7), (5, 5), (3, 9)])
def test_resize_refuses_out_overlapping_the_input(target: tuple[int, int], random_rgb: RandomRGB) -> None:
    data = random_rgb(30, 20)
    before = data.copy()
    img = Image.from_array(data)
    src = img.crop(4, 4, 8, 8)
    for dx, dy in [(1, 0), (0, 1), (-2, -2), (3, 5)]:
        out = img.crop(4 + dx, 4 + dy, *target)
        with pytest.raises(ValueError, match="overlap"):
            pixelkit.resize(src, *target, out=out)
    assert np.array_equal(data, before)


def test_resize_refuses_bad_out(random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch) -> None:
    data = random_rgb(10, 8)
    before = data.copy()
    forbid_kernels(monkeypatch)
    for shape in [(6, 5, 3), (4, 5, 3), (8, 10, 3), (4, 6, 4)]:
        out = np.zeros(shape, np.uint8)
        with pytest.raises(ValueError):
            pixelkit.resize(data, 6, 4, out=out)
        assert not out.any()
    readonly = np.zeros((4, 6, 3), np.uint8)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.resize(data, 6, 4, out=readonly)
    with pytest.raises(TypeError):
        pixelkit.resize(data, 6, 4, out=[[0]])  # type: ignore[type-var]
    assert np.array_equal(data, before)


@pytest.mark.parametrize(
    "width, height, method, error",
    [
        (0, 4, "bilinear", ValueError),
        (4, 0, "area", ValueError),
        (-1, 4, "nearest", ValueError),
        (4, -3, "bilinear", ValueError),
        (MAX_DIMENSION + 1, 4, "nearest", ValueError),
        (2.0, 4, "bilinear", TypeError),
        (4, 1.5, "bilinear", TypeError),
        (True, 4, "bilinear", TypeError),
        ("4", 4, "bilinear", TypeError),
        (None, 4, "bilinear", TypeError),
        (4, 4, "cubic", ValueError),
        (4, 4, "Nearest", ValueError),
        (4, 4, "", ValueError),
        (4, 4, None, ValueError),
        (4, 4, 0, ValueError),
    ],
)
def test_resize_refuses_bad_parameters(
    width: Any, height: Any, method: Any, error: type[Exception], monkeypatch: pytest.MonkeyPatch, random_rgb: RandomRGB
) -> None:
    data = random_rgb(4, 4)
    before = data.copy()
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.resize(data, width, height, method, out=data)
    with pytest.raises(error):
        pixelkit.resize(data, width, height, method)
    assert np.array_equal(data, before)


# ---- box_blur ---------------------------------------------------------------------------------------------

# Radii of every code path: copy, r = 1, r <= 7 (exact integer division), r = 8, 9 (float division, running sums).
RADII = [0, 1, 2, 5, 7, 8, 9, 20]


@pytest.mark.parametrize("radius", RADII)
@pytest.mark.parametrize("width, height", SIZES)
def test_box_blur_sizes_and_radii(width: int, height: int, radius: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    result = pixelkit.box_blur(data, radius)
    assert_matches(result, ref_box(data, radius), 0 if radius == 0 else 1)


def test_box_blur_radius_zero_is_an_exact_copy(random_rgb: RandomRGB) -> None:
    data = random_rgb(40, 30)
    img = as_layout(data, "padded")
    result = pixelkit.box_blur(img, 0)
    assert result is not img
    assert_matches(result, data)
    assert_matches(pixelkit.box_blur(img, 0, out=img), data)


@pytest.mark.parametrize("radius", [3, 17, 40, 200, MAX_BLUR_RADIUS])
@pytest.mark.parametrize("width, height", [(1, 1), (1, 9), (9, 1), (2, 2), (5, 4), (13, 6)])
def test_box_blur_radius_larger_than_the_image(width: int, height: int, radius: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    assert_matches(pixelkit.box_blur(as_layout(data, "crop"), radius), ref_box(data, radius), 1)


def test_box_blur_wide_image_large_radius(random_rgb: RandomRGB) -> None:
    """Rows too wide to keep one horizontal sum per window row (the recomputing path)."""
    data = random_rgb(6000, 9)
    assert_matches(pixelkit.box_blur(data, 250), ref_box(data, 250), 1)


# ---- gaussian_blur --------------------------------------------------------------------------------------------

SIGMAS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.7, 5.0]


@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("width, height", SIZES)
def test_gaussian_blur_sizes_and_sigmas(width: int, height: int, sigma: float, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    assert_matches(pixelkit.gaussian_blur(data, sigma), ref_gaussian(data, sigma), 1)


@pytest.mark.parametrize("sigma", [0.01, 1e-6, 4.2, 20.0, 77.7, MAX_GAUSSIAN_SIGMA])
@pytest.mark.parametrize("width, height", [(1, 1), (1, 9), (9, 1), (3, 2), (6, 5), (31, 17)])
def test_gaussian_blur_sigma_large_or_tiny_for_the_image(
    width: int, height: int, sigma: float, random_rgb: RandomRGB
) -> None:
    data = random_rgb(width, height)
    assert_matches(pixelkit.gaussian_blur(as_layout(data, "slice"), sigma), ref_gaussian(data, sigma), 1)


def test_gaussian_blur_in_column_strips(random_rgb: RandomRGB) -> None:
    """A kernel so long that the filtered rows are processed in column strips."""
    data = random_rgb(3700, 2)
    assert_matches(pixelkit.gaussian_blur(data, MAX_GAUSSIAN_SIGMA), ref_gaussian(data, MAX_GAUSSIAN_SIGMA), 1)


def test_gaussian_blur_of_a_flat_image_is_flat() -> None:
    data = np.full((25, 31, 3), (0, 128, 255), np.uint8)
    for sigma in SIGMAS:
        assert_matches(pixelkit.gaussian_blur(data, sigma), data)


# ---- both filters: out=, in place, refusals -----------------------------------------------------------------

FILTERS: dict[str, Callable[..., Any]] = {
    "box_blur-1": lambda img, out=None: pixelkit.box_blur(img, 1, out=out),
    "box_blur-6": lambda img, out=None: pixelkit.box_blur(img, 6, out=out),
    "box_blur-11": lambda img, out=None: pixelkit.box_blur(img, 11, out=out),
    "gaussian_blur-0.8": lambda img, out=None: pixelkit.gaussian_blur(img, 0.8, out=out),
    "gaussian_blur-3": lambda img, out=None: pixelkit.gaussian_blur(img, 3.0, out=out),
}
FILTER_REFERENCES: dict[str, Callable[[NDArray[np.uint8]], NDArray[Any]]] = {
    "box_blur-1": lambda a: ref_box(a, 1),
    "box_blur-6": lambda a: ref_box(a, 6),
    "box_blur-11": lambda a: ref_box(a, 11),
    "gaussian_blur-0.8": lambda a: ref_gaussian(a, 0.8),
    "gaussian_blur-3": lambda a: ref_gaussian(a, 3.0),
}


@pytest.mark.parametrize("layout", ["array", "image", "crop", "padded"])
@pytest.mark.parametrize("width, height", [(1, 1), (1, 12), (12, 1), (47, 33)])
@pytest.mark.parametrize("name", FILTERS)
def test_filter_in_place(name: str, width: int, height: int, layout: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    img, canvas, before = in_place_target(data, layout)
    assert FILTERS[name](img, img) is img
    assert_matches(pixels(img), FILTER_REFERENCES[name](data), 1)
    if canvas is not None:
        assert_outside_unchanged(canvas, before, data.shape)


@pytest.mark.parametrize("as_image", [False, True])
@pytest.mark.parametrize("name", FILTERS)
def test_filter_into_out(name: str, as_image: bool, random_rgb: RandomRGB) -> None:
    data = random_rgb(39, 26)
    canvas, view = out_in_canvas(data.shape)
    before = canvas.copy()
    out: ImageLike = Image.from_array(view) if as_image else view
    assert FILTERS[name](as_layout(data, "padded"), out) is out
    assert_matches(pixels(out), FILTER_REFERENCES[name](data), 1)
    assert_outside_unchanged(canvas, before, data.shape)


@pytest.mark.parametrize("dx, dy", [(1, 0), (0, 1), (-1, -1), (4, 3), (-6, 0)])
@pytest.mark.parametrize("name", FILTERS)
def test_filter_refuses_out_overlapping_the_input(name: str, dx: int, dy: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(30, 24)
    before = data.copy()
    img = Image.from_array(data)
    with pytest.raises(ValueError, match="overlap"):
        FILTERS[name](img.crop(8, 8, 10, 9), img.crop(8 + dx, 8 + dy, 10, 9))
    assert np.array_equal(data, before)


@pytest.mark.parametrize("name", FILTERS)
def test_filter_refuses_bad_out(name: str, random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch) -> None:
    data = random_rgb(6, 5)
    before = data.copy()
    forbid_kernels(monkeypatch)
    for shape in [(6, 5, 3), (5, 7, 3), (4, 6, 3), (5, 6, 4)]:
        out = np.zeros(shape, np.uint8)
        with pytest.raises(ValueError):
            FILTERS[name](data, out)
        assert not out.any()
    readonly = np.zeros((5, 6, 3), np.uint8)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        FILTERS[name](data, readonly)
    data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        FILTERS[name](data, data)
    with pytest.raises(TypeError):
        FILTERS[name](data, [[0]])
    assert np.array_equal(data, before)


@pytest.mark.parametrize(
    "radius, error",
    [
        (-1, ValueError),
        (-(10**6), ValueError),
        (MAX_BLUR_RADIUS + 1, ValueError),
        (10**30, ValueError),
        (1.0, TypeError),
        (2.5, TypeError),
        (True, TypeError),
        ("2", TypeError),
        (None, TypeError),
    ],
)
def test_box_blur_refuses_bad_radius(
    radius: Any, error: type[Exception], monkeypatch: pytest.MonkeyPatch, random_rgb: RandomRGB
) -> None:
    data = random_rgb(5, 5)
    before = data.copy()
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.box_blur(data, radius, out=np.zeros_like(data))
    with pytest.raises(error):
        pixelkit.box_blur(data, radius)
    assert np.array_equal(data, before)


@pytest.mark.parametrize(
    "sigma, error",
    [
        (0.0, ValueError),
        (-0.0, ValueError),
        (-1.0, ValueError),
        (-1e-300, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (-float("inf"), ValueError),
        (MAX_GAUSSIAN_SIGMA * 1.001, ValueError),
        (1e300, ValueError),
        (None, TypeError),
        ([1.0], TypeError),
        (1j, TypeError),
    ],
)
def test_gaussian_blur_refuses_bad_sigma(
    sigma: Any, error: type[Exception], monkeypatch: pytest.MonkeyPatch, random_rgb: RandomRGB
) -> None:
    data = random_rgb(5, 5)
    before = data.copy()
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.gaussian_blur(data, sigma, out=np.zeros_like(data))
    with pytest.raises(error):
        pixelkit.gaussian_blur(data, sigma)
    assert np.array_equal(data, before)


def test_filters_accept_numpy_scalars(random_rgb: RandomRGB) -> None:
    data = random_rgb(12, 9)
    assert_matches(pixelkit.box_blur(data, np.int64(2)), ref_box(data, 2), 1)
    assert_matches(pixelkit.gaussian_blur(data, np.float32(1.5)), ref_gaussian(data, 1.5), 1)
    assert_matches(
        pixelkit.resize(data, np.int32(7), np.uint16(5), "area"),
        ref_resize(data, 7, 5, "area"),
        1,
        ref_resize_exact(data, 7, 5, "area"),
    )


# ---- the comparisons have teeth ----------------------------------------------------------------------------


@pytest.mark.parametrize("flaw", ["off-by-one", "truncation", "opencv-fixed-point"])
def test_a_biased_result_within_one_level_fails_the_comparison(flaw: str, random_rgb: RandomRGB) -> None:
    """Every +-1 comparison also bounds bias and spread: results always within one level of the
    reference, but off by one nearly everywhere or truncated instead of rounded, are refused."""
    data = random_rgb(200, 150)
    exact = ref_resize_float64(data, 140, 105, "bilinear")
    assert exact is not None
    reference = ref_resize(data, 140, 105, "bilinear")
    good = pixels(pixelkit.resize(data, 140, 105, "bilinear"))
    assert_close_unbiased(good, reference)  # pixelkit rounds as OpenCV does
    if flaw == "off-by-one":
        bad = np.where(reference < 255, reference + 1, reference).astype(np.uint8)
        with pytest.raises(AssertionError, match=r"mean signed error|samples right"):
            assert_close_unbiased(bad, reference)
    elif flaw == "truncation":
        bad = np.floor(exact).astype(np.uint8)
        assert np.abs(bad.astype(int) - reference).max() <= 1
        with pytest.raises(AssertionError, match="samples right"):
            assert_close_unbiased(bad, reference, exact=exact)
    else:
        # OpenCV's own bilinear (11-bit weights, truncating shifts) is within one level of the
        # exact value but low on average: the comparison against the exact value catches it.
        with pytest.raises(AssertionError, match=r"samples right|mean signed error"):
            assert_close_unbiased(reference, reference, exact=exact)
