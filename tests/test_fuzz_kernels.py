"""Fuzzing of every operation of pixelkit.ops against the references of kernel_refs.py.

Images of random sizes (1x1, 1xN, Nx1 up to 70x70), contents and memory layouts (numpy slices,
Image crops, padded rows at odd offsets) go through each operation with random parameters, on every
dispatch configuration: the portable kernels and the best ones of this CPU, each with 1 and 2
threads.  Every configuration must give bit-identical results, equal to the reference, or within
one level of it where the operation's documentation allows (resize bilinear/area, box_blur,
gaussian_blur and blend against OpenCV; to_tensor within float32 rounding).  Dispatch settings are
restored after each example.  Small images always stay on one thread, so a second test feeds
images of 420..640 pixels a side (resized to 420..700), above the split threshold of every kernel
(``pixelkit.runtime.MIN_BAND_WORK``, 256 KiB of work per band; the histogram, with the least work
per pixel, needs 174,763 pixels for two bands), and crops of 620..700 pixels a side for the
memory-bound flips and rotations (``MIN_COPY_WORK``, 2 MiB of work in all): the test asserts that
each call was cut into at least two bands with 2 threads.

Cases per run: 2500 (point operations) + 2000 (geometry) + 2500 (resample/filter) + 120 (large
images) hypothesis examples, each run on every configuration (about 20-30 s).  As in test_fuzz_readers.py
the examples vary from run to run, and ``database=None`` writes no ``.hypothesis/`` directory.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from fuzz_strategies import CONFIGS, ImageLike, image_data, laid_out, run_everywhere, time_limit
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import pixelkit
from kernel_refs import (
    assert_matches,
    fill_either,
    paste_either,
    ref_adjust,
    ref_blend,
    ref_blend_exact,
    ref_box,
    ref_gaussian,
    ref_gray,
    ref_histogram,
    ref_lut,
    ref_paste,
    ref_resize,
    ref_resize_exact,
    ref_rot90,
    ref_tensor,
    split_of,
)
from pixelkit.ops import ResizeMethod


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=10),
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# One case: what pixelkit computes (called once per configuration), the reference, the tolerance.
# The last item: the unrounded value where the reference's own rounding is biased (assert_matches).
Case = tuple[str, Callable[[], Any], NDArray[Any], float, NDArray[np.float64] | None]


def check_case(case: Case) -> None:
    name, call, expected, tolerance, exact = case
    note(f"operation: {name}")
    event(f"operation: {name.split('(')[0]}")
    with time_limit(20.0):
        results = run_everywhere(call)
    for (isa, threads), result in zip(CONFIGS[1:], results[1:], strict=True):
        assert result.shape == results[0].shape and result.dtype == results[0].dtype, (isa, threads)
        differ = result != results[0]
        assert not differ.any(), (
            f"{name}: {isa} with {threads} threads differs from {CONFIGS[0]} in {np.count_nonzero(differ)} samples, "
            f"first at {tuple(int(i) for i in np.argwhere(differ)[0])}"
        )
    assert_matches(results[0], expected, tolerance, exact)
    side = max(expected.shape[:2]) if expected.ndim >= 2 else 0
    event(f"largest result side: {'1' if side == 1 else '2-9' if side < 10 else '10-99' if side < 100 else '100+'}")


def pixels_of(img: ImageLike) -> NDArray[np.uint8]:
    copy: NDArray[np.uint8] = np.array(img, copy=True)
    return copy


# ---- point operations and conversions ---------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def point_cases(draw: st.DrawFn) -> Case:
    data = draw(image_data())
    img = draw(laid_out(data))
    op = draw(
        st.sampled_from(
            ["invert", "apply_lut", "adjust", "swap_rb", "blend", "to_gray", "to_tensor", "histogram", "fill"]
        )
    )
    if op == "invert":
        return op, lambda: pixelkit.invert(img), 255 - data, 0, None
    if op == "apply_lut":
        shape = draw(st.sampled_from([(256,), (3, 256)]))
        lut = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, 256, shape, dtype=np.uint8)
        return f"apply_lut{shape}", lambda: pixelkit.apply_lut(img, lut), ref_lut(data, lut), 0, None
    if op == "adjust":
        brightness = draw(st.floats(-1.5, 1.5))
        contrast = draw(st.floats(0.0, 4.0))
        gamma = draw(st.floats(0.05, 8.0))
        name = f"adjust({brightness!r}, {contrast!r}, {gamma!r})"
        return (
            name,
            lambda: pixelkit.adjust(img, brightness, contrast, gamma),
            ref_adjust(data, brightness, contrast, gamma),
            0,
            None,
        )
    if op == "swap_rb":
        return op, lambda: pixelkit.swap_rb(img), data[..., ::-1], 0, None
    if op == "blend":
        seed = draw(st.integers(0, 2**32 - 1))
        other_data = np.random.default_rng(seed).integers(0, 256, data.shape, dtype=np.uint8)
        other = draw(laid_out(other_data))
        alpha = draw(st.one_of(st.sampled_from([0.0, 1.0, 0.5, 1e-9, 1 - 1e-9]), st.floats(0.0, 1.0)))
        return (
            f"blend(alpha={alpha!r})",
            lambda: pixelkit.blend(img, other, alpha),
            ref_blend(data, other_data, alpha),
            1,
            ref_blend_exact(data, other_data, alpha),
        )
    if op == "to_gray":
        return op, lambda: pixelkit.to_gray(img), ref_gray(data), 0, None
    if op == "to_tensor":
        mean = draw(st.tuples(*[st.floats(-2.0, 2.0)] * 3))
        std = draw(
            st.tuples(*[st.one_of(st.floats(0.01, 10.0), st.floats(-10.0, -0.01))] * 3),
        )
        layout = draw(st.sampled_from(["CHW", "HWC"]))
        expected = ref_tensor(data, mean, std, layout)
        # float32 arithmetic (x * scale + bias): a few ulps of the larger of the terms.
        tolerance = float(
            4
            * np.finfo(np.float32).eps
            * (np.abs(expected).max() + max(abs(m / s) for m, s in zip(mean, std, strict=True)) + 1)
        )
        return (
            f"to_tensor({mean}, {std}, {layout})",
            lambda: pixelkit.to_tensor(
                img,
                mean,
                std,
                layout,  # type: ignore[arg-type]
            ),
            expected,
            tolerance,
            None,
        )
    if op == "histogram":
        return op, lambda: pixelkit.histogram(img), ref_histogram(data), 0, None
    color = draw(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
    filled = np.empty_like(data)
    filled[...] = np.array(color, np.uint8)

    def do_fill() -> NDArray[np.uint8]:
        fill_either(img, color)
        return pixels_of(img)

    return f"fill{color}", do_fill, filled, 0, None


@fuzz_settings(2500)
@given(case=point_cases())
def test_point_operations(case: Case) -> None:
    check_case(case)


# ---- geometry ----------------------------------------------------------------------------------


@st.composite
def geometry_cases(draw: st.DrawFn) -> Case:
    data = draw(image_data())
    img = draw(laid_out(data))
    op = draw(st.sampled_from(["flip_horizontal", "flip_vertical", "transpose", "rotate90", "paste"]))
    if op == "flip_horizontal":
        return op, lambda: pixelkit.flip_horizontal(img), np.fliplr(data), 0, None
    if op == "flip_vertical":
        return op, lambda: pixelkit.flip_vertical(img), np.flipud(data), 0, None
    if op == "transpose":
        return op, lambda: pixelkit.transpose(img), np.transpose(data, (1, 0, 2)), 0, None
    if op == "rotate90":
        k = draw(st.one_of(st.integers(-9, 9), st.integers(-(2**70), 2**70)))
        return f"rotate90(k={k})", lambda: pixelkit.rotate90(img, k), ref_rot90(data, k % 4), 0, None
    canvas_data = draw(image_data())
    height, width = canvas_data.shape[:2]
    h, w = data.shape[:2]
    far = pixelkit.MAX_DIMENSION * 3
    x = draw(st.one_of(st.integers(-w - 2, width + 2), st.sampled_from([-far, far, -(2**40), 2**40])))
    y = draw(st.one_of(st.integers(-h - 2, height + 2), st.sampled_from([-far, far, -(2**40), 2**40])))
    layout_seed = draw(st.integers(0, 2**16))

    def do_paste() -> NDArray[np.uint8]:
        # A fresh destination each time: paste works in place.
        dst = _fresh_canvas(canvas_data, layout_seed)
        assert paste_either(dst, img, x, y) is dst
        return pixels_of(dst)

    return f"paste(x={x}, y={y})", do_paste, ref_paste(canvas_data, data, x, y), 0, None


def _fresh_canvas(data: NDArray[np.uint8], seed: int) -> ImageLike:
    """``data`` as a new array or as a crop of a padded Image (paste must not write around it)."""
    if seed % 2:
        copy: NDArray[np.uint8] = data.copy()
        return copy
    height, width = data.shape[:2]
    big = np.random.default_rng(seed).integers(0, 256, (height + 2, width + 3, 3), dtype=np.uint8)
    big[1 : 1 + height, 2 : 2 + width] = data
    return pixelkit.Image.from_array(big).crop(2, 1, width, height)


@fuzz_settings(2000)
@given(case=geometry_cases())
def test_geometry_operations(case: Case) -> None:
    check_case(case)


# ---- resampling and filters --------------------------------------------------------------------


@st.composite
def filter_cases(draw: st.DrawFn) -> Case:
    data = draw(image_data())
    img = draw(laid_out(data))
    op = draw(st.sampled_from(["resize", "box_blur", "gaussian_blur"]))
    if op == "resize":
        method: ResizeMethod = draw(st.sampled_from(["nearest", "bilinear", "area"]))
        width = draw(st.one_of(st.integers(1, 80), st.sampled_from([1, data.shape[1], 2 * data.shape[1]])))
        height = draw(st.one_of(st.integers(1, 80), st.sampled_from([1, data.shape[0], 2 * data.shape[0]])))
        tolerance = 0 if method == "nearest" else 1
        return (
            f"resize({width}, {height}, {method})",
            lambda: pixelkit.resize(img, width, height, method),
            ref_resize(data, width, height, method),
            tolerance,
            ref_resize_exact(data, width, height, method),
        )
    if op == "box_blur":
        radius = draw(st.integers(0, 20))
        return f"box_blur({radius})", lambda: pixelkit.box_blur(img, radius), ref_box(data, radius), 1, None
    sigma = draw(st.one_of(st.floats(0.0, 10.0, exclude_min=True), st.sampled_from([1e-6, 0.1, 0.5, 10.0])))
    return f"gaussian_blur({sigma!r})", lambda: pixelkit.gaussian_blur(img, sigma), ref_gaussian(data, sigma), 1, None


@fuzz_settings(2500)
@given(case=filter_cases())
def test_resample_and_filter_operations(case: Case) -> None:
    check_case(case)


# ---- large images: the kernels split rows over threads ------------------------------------------


# Memory-bound kernels (flips, rotations) split only from pixelkit.runtime.MIN_COPY_WORK (2 MiB) of
# work: their large cases are crops of at least 620x620 pixels of this noise (2.3 MB of work).
_COPY_SOURCE = np.random.default_rng(2026).integers(0, 256, (760, 760, 3), dtype=np.uint8)


@st.composite
def large_cases(draw: st.DrawFn) -> Case:
    op = draw(st.sampled_from(["gray", "tensor", "flip", "rotate", "histogram", "box", "gaussian", "resize"]))
    if op in ("flip", "rotate"):
        width, height = draw(st.integers(620, 700)), draw(st.integers(620, 700))
        x, y = draw(st.integers(0, 760 - width)), draw(st.integers(0, 760 - height))
        data = _COPY_SOURCE[y : y + height, x : x + width]
        assert 2 * data.nbytes >= pixelkit.runtime.MIN_COPY_WORK
    else:
        data = draw(image_data(max_size=640, min_size=420))
    img = draw(laid_out(data))
    if op == "gray":
        return op, lambda: pixelkit.to_gray(img), ref_gray(data), 0, None
    if op == "tensor":
        expected = ref_tensor(data, (0.5, 0.4, 0.3), (0.2, 0.3, 0.25), "HWC")
        return op, lambda: pixelkit.to_tensor(img, (0.5, 0.4, 0.3), (0.2, 0.3, 0.25), "HWC"), expected, 1e-5, None
    if op == "flip":
        return op, lambda: pixelkit.flip_horizontal(img), np.fliplr(data), 0, None
    if op == "rotate":
        k = draw(st.integers(0, 3))
        return f"rotate90({k})", lambda: pixelkit.rotate90(img, k), ref_rot90(data, k), 0, None
    if op == "histogram":
        return op, lambda: pixelkit.histogram(img), ref_histogram(data), 0, None
    if op == "box":
        radius = draw(st.integers(1, 20))  # radius 0 is a row copy on one thread (fuzzed on small images)
        return f"box_blur({radius})", lambda: pixelkit.box_blur(img, radius), ref_box(data, radius), 1, None
    if op == "gaussian":
        sigma = draw(st.floats(0.1, 6.0))
        return (
            f"gaussian_blur({sigma!r})",
            lambda: pixelkit.gaussian_blur(img, sigma),
            ref_gaussian(data, sigma),
            1,
            None,
        )
    method: ResizeMethod = draw(st.sampled_from(["nearest", "bilinear", "area"]))
    # nearest splits by the bytes it writes: 420x420 results have 529 KB, work for two bands.
    width, height = draw(st.integers(420, 700)), draw(st.integers(420, 700))
    return (
        f"resize({width}, {height}, {method})",
        lambda: pixelkit.resize(img, width, height, method),
        ref_resize(data, width, height, method),
        0 if method == "nearest" else 1,
        ref_resize_exact(data, width, height, method),
    )


@fuzz_settings(120)
@given(case=large_cases())
def test_large_images_on_two_threads(case: Case) -> None:
    name, call, _, _, _ = case
    before = pixelkit.get_num_threads()
    pixelkit.set_num_threads(2)
    try:
        split = split_of(call)
    finally:
        pixelkit.set_num_threads(before)
    # At least two bands a pass (memory-bound kernels take bands of about 1 MiB, small boxes four a thread).
    assert split.calls >= 1 and split.bands >= 2 * split.calls, f"{name} was not split over 2 threads: {split}"
    check_case(case)
