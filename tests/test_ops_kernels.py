"""Point operations, conversions, geometry, histogram and paste, against numpy, OpenCV and Pillow.

Every expected value comes from an independent reference in kernel_refs.py (numpy expressions,
cv2.addWeighted, Pillow's convert("L")), never from pixelkit itself.  Each operation runs on
random images of many sizes, in every memory layout (arrays, Images, crops, numpy slices,
padded rows), and on real frames made by ffmpeg.
"""

from __future__ import annotations

import ctypes
import math
import mmap
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import pixelkit
from kernel_refs import (
    FRAME_SOURCES,
    IMAGENET_MEAN,
    IMAGENET_STD,
    LAYOUTS,
    LUT1,
    LUT3,
    POINT_AND_GEOMETRY_OPS,
    SIZES,
    ImageLike,
    RandomRGB,
    as_layout,
    assert_matches,
    assert_outside_unchanged,
    ffmpeg_frame,
    fill_either,
    forbid_kernels,
    in_place_target,
    out_in_canvas,
    paste_either,
    pixels,
    ref_adjust,
    ref_blend,
    ref_blend_exact,
    ref_histogram,
    ref_lut,
    ref_paste,
    ref_resize,
    ref_tensor,
)
from pixelkit import Image
from pixelkit.ops import ResizeMethod, TensorLayout
from pixelkit.runtime import IsaName

OPS = {op.name: op for op in POINT_AND_GEOMETRY_OPS}


# ---- every operation, every size, every layout, real frames ------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("width, height", SIZES)
@pytest.mark.parametrize("name", OPS)
def test_matches_reference(name: str, width: int, height: int, layout: str, random_rgb: RandomRGB) -> None:
    op = OPS[name]
    data = random_rgb(width, height)
    img = as_layout(data, layout)
    result = op.call(img)
    assert_matches(result, op.reference(data), op.tolerance, op.exact_of(data))
    if name != "fill":
        assert np.array_equal(pixels(img), data), "the input changed"
        assert result is not img


@pytest.mark.parametrize("crop", [False, True])
@pytest.mark.parametrize("source", FRAME_SOURCES)
@pytest.mark.parametrize("name", OPS)
def test_matches_reference_on_real_frames(name: str, source: str, crop: bool) -> None:
    op = OPS[name]
    frame = ffmpeg_frame(source)
    img: ImageLike = frame
    expected_input = frame
    if crop:
        # An odd-sized window into the frame, rows 960 bytes apart.
        img = Image.from_array(frame).crop(3, 1, 313, 237)
        expected_input = frame[1:238, 3:316]
    assert_matches(op.call(img), op.reference(expected_input), op.tolerance, op.exact_of(expected_input))


# ---- out=, in place, and refused outputs for the same-shape operations -------------------------------

B_SEED = 11


def _blend_partner(shape: tuple[int, ...]) -> NDArray[np.uint8]:
    return np.random.default_rng(B_SEED).integers(0, 256, shape, dtype=np.uint8)


# name -> (pixelkit call with out=, reference)
SameShape = tuple[Callable[[ImageLike, Any], Any], Callable[[NDArray[np.uint8]], NDArray[Any]], float]


def _rotation(k: int) -> SameShape:
    """rotate90 by ``k`` quarter turns, with out=, and its reference."""
    return (lambda img, out: pixelkit.rotate90(img, k, out=out), lambda a: np.rot90(a, k), 0)


SAME_SHAPE: dict[str, SameShape] = {
    "invert": (lambda img, out: pixelkit.invert(img, out=out), lambda a: 255 - a, 0),
    "apply_lut-shared": (lambda img, out: pixelkit.apply_lut(img, LUT1, out=out), lambda a: ref_lut(a, LUT1), 0),
    "apply_lut-per-channel": (lambda img, out: pixelkit.apply_lut(img, LUT3, out=out), lambda a: ref_lut(a, LUT3), 0),
    "adjust": (
        lambda img, out: pixelkit.adjust(img, 0.05, 1.4, 0.7, out=out),
        lambda a: ref_adjust(a, 0.05, 1.4, 0.7),
        0,
    ),
    "swap_rb": (lambda img, out: pixelkit.swap_rb(img, out=out), lambda a: a[..., ::-1], 0),
    "flip_horizontal": (lambda img, out: pixelkit.flip_horizontal(img, out=out), np.fliplr, 0),
    "flip_vertical": (lambda img, out: pixelkit.flip_vertical(img, out=out), np.flipud, 0),
    **{f"rotate90-{k}": _rotation(k) for k in (0, 2, -2, 6, 4 * 10**9 + 2)},
    "blend-out-a": (
        lambda img, out: pixelkit.blend(img, _blend_partner(pixels(img).shape), 0.37, out=out),
        lambda a: ref_blend(a, _blend_partner(a.shape), 0.37),
        1,
    ),
    "blend-out-b": (
        lambda img, out: pixelkit.blend(_blend_partner(pixels(img).shape), img, 0.37, out=out),
        lambda a: ref_blend(_blend_partner(a.shape), a, 0.37),
        1,
    ),
}
# Operations that swap width and height: in place only for square images.
SWAPPING: dict[str, SameShape] = {
    "transpose": (lambda img, out: pixelkit.transpose(img, out=out), lambda a: np.transpose(a, (1, 0, 2)), 0),
    **{f"rotate90-{k}": _rotation(k) for k in (1, 3, -1, -7, 10**12 + 1)},
}
IN_PLACE_LAYOUTS = ("array", "image", "crop", "padded")


@pytest.mark.parametrize("layout", IN_PLACE_LAYOUTS)
@pytest.mark.parametrize("width, height", [(1, 1), (1, 9), (9, 1), (37, 23), (130, 67)])
@pytest.mark.parametrize("name", SAME_SHAPE)
def test_in_place(name: str, width: int, height: int, layout: str, random_rgb: RandomRGB) -> None:
    call, reference, tolerance = SAME_SHAPE[name]
    data = random_rgb(width, height)
    img, canvas, before = in_place_target(data, layout)
    assert call(img, img) is img
    assert_matches(pixels(img), reference(data), tolerance)
    if canvas is not None:
        assert_outside_unchanged(canvas, before, data.shape)


@pytest.mark.parametrize("layout", IN_PLACE_LAYOUTS)
@pytest.mark.parametrize("size", [1, 2, 17, 66])
@pytest.mark.parametrize("name", SWAPPING)
def test_in_place_square(name: str, size: int, layout: str, random_rgb: RandomRGB) -> None:
    call, reference, _ = SWAPPING[name]
    data = random_rgb(size, size)
    img, canvas, before = in_place_target(data, layout)
    assert call(img, img) is img
    assert_matches(pixels(img), reference(data))
    if canvas is not None:
        assert_outside_unchanged(canvas, before, data.shape)


@pytest.mark.parametrize("as_image", [False, True])
@pytest.mark.parametrize("name", [*SAME_SHAPE, *(f"swap:{n}" for n in SWAPPING)])
def test_out_is_written_and_returned(name: str, as_image: bool, random_rgb: RandomRGB) -> None:
    call, reference, tolerance = SWAPPING[name[5:]] if name.startswith("swap:") else SAME_SHAPE[name]
    data = random_rgb(29, 13)
    expected = reference(data)
    canvas, view = out_in_canvas(expected.shape)
    before = canvas.copy()
    out: ImageLike = Image.from_array(view) if as_image else view
    src = Image.from_array(data)
    assert call(src, out) is out
    assert_matches(pixels(out), expected, tolerance)
    assert_outside_unchanged(canvas, before, expected.shape)
    assert np.array_equal(src.array, data)


OVERLAPS = [(1, 0), (0, 1), (-1, 0), (0, -1), (2, 3), (-3, -2), (5, 0)]


@pytest.mark.parametrize("dx, dy", OVERLAPS)
@pytest.mark.parametrize("name", [*SAME_SHAPE, *(f"swap:{n}" for n in SWAPPING)])
def test_out_partially_overlapping_the_input_is_refused(name: str, dx: int, dy: int, random_rgb: RandomRGB) -> None:
    call, _, _ = SWAPPING[name[5:]] if name.startswith("swap:") else SAME_SHAPE[name]
    data = random_rgb(24, 20)
    before = data.copy()
    img = Image.from_array(data)
    src = img.crop(6, 6, 8, 8)
    with pytest.raises(ValueError, match="overlap"):
        call(src, img.crop(6 + dx, 6 + dy, 8, 8))
    assert np.array_equal(data, before)


@pytest.mark.parametrize("name", [n for n in SAME_SHAPE if n.startswith("blend")])
def test_blend_out_partially_overlapping_the_other_input_is_refused(name: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(24, 20)
    before = data.copy()
    img = Image.from_array(data)
    other = random_rgb(8, 8)
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.blend(other, img.crop(5, 5, 8, 8), 0.5, out=img.crop(6, 5, 8, 8))
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.blend(img.crop(5, 5, 8, 8), other, 0.5, out=img.crop(5, 6, 8, 8))
    assert np.array_equal(data, before)


@pytest.mark.parametrize("name", [*SAME_SHAPE, *(f"swap:{n}" for n in SWAPPING)])
def test_out_of_the_wrong_shape_is_refused(name: str, random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch) -> None:
    call, _, _ = SWAPPING[name[5:]] if name.startswith("swap:") else SAME_SHAPE[name]
    data = random_rgb(6, 4)
    before = data.copy()
    swapped = name.startswith("swap:")
    forbid_kernels(monkeypatch)
    wrong = [(4, 7, 3), (5, 6, 3), (6, 4, 3) if not swapped else (4, 6, 3)]
    for shape in wrong:
        out = np.zeros(shape, np.uint8)
        with pytest.raises(ValueError, match="shape"):
            call(data, out)
        assert not out.any()
    with pytest.raises(ValueError):
        call(data, np.zeros((6, 4, 3) if swapped else (4, 6, 3), np.float32))
    with pytest.raises(TypeError):
        call(data, [[0] * 6] * 4)
    assert np.array_equal(data, before)


@pytest.mark.parametrize("name", [*SAME_SHAPE, *(f"swap:{n}" for n in SWAPPING)])
def test_read_only_out_is_refused(name: str, random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch) -> None:
    call, _, _ = SWAPPING[name[5:]] if name.startswith("swap:") else SAME_SHAPE[name]
    data = random_rgb(5, 5)
    before = data.copy()
    forbid_kernels(monkeypatch)
    out = np.zeros((5, 5, 3), np.uint8)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        call(data, out)
    with pytest.raises(ValueError, match="read-only"):
        call(data, Image.from_buffer(bytes(75), 5, 5))
    # The input itself, read-only, cannot be its own out.
    data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        call(data, data)
    assert np.array_equal(data, before) and not out.any()


@pytest.mark.parametrize("name", [*SAME_SHAPE, *(f"swap:{n}" for n in SWAPPING)])
def test_read_only_input_is_fine(name: str, random_rgb: RandomRGB) -> None:
    call, reference, tolerance = SWAPPING[name[5:]] if name.startswith("swap:") else SAME_SHAPE[name]
    data = random_rgb(7, 7)
    data.flags.writeable = False
    assert_matches(call(Image.from_buffer(data.tobytes(), 7, 7), None), reference(data), tolerance)
    assert_matches(call(data, None), reference(data), tolerance)


# ---- fill ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["image", "crop", "padded"])
def test_fill_touches_nothing_but_the_image(layout: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(23, 11)
    img, canvas, before = in_place_target(data, layout)
    assert fill_either(img, np.array([7, 8, 9], np.uint8)) is img  # type: ignore[arg-type]  # an array colour
    assert (pixels(img) == np.array([7, 8, 9], np.uint8)).all()
    if canvas is not None:
        assert_outside_unchanged(canvas, before, data.shape)


def test_fill_padded_rows_keep_their_padding() -> None:
    width, height, stride = 10, 6, 3 * 10 + 4
    noise = np.random.default_rng(3).integers(0, 256, stride * height, dtype=np.uint8)
    buffer = bytearray(noise.tobytes())
    pixelkit.fill(Image.from_buffer(buffer, width, height, stride), (1, 2, 3))
    rows = np.frombuffer(bytes(buffer), np.uint8).reshape(height, stride)
    assert (rows[:, : 3 * width].reshape(height, width, 3) == np.array([1, 2, 3], np.uint8)).all()
    assert np.array_equal(rows[:, 3 * width :], noise.reshape(height, stride)[:, 3 * width :])


def test_fill_refuses_read_only_and_bad_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_kernels(monkeypatch)
    data = np.zeros((3, 3, 3), np.uint8)
    data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.fill(data, (1, 2, 3))
    for color, error in [
        ((1, 2), ValueError),
        ((1, 2, 3, 4), ValueError),
        ((0, 0, 256), ValueError),
        ((0, -1, 0), ValueError),
        ((0.5, 0, 0), TypeError),
        ("abc", TypeError),
        (7, TypeError),
    ]:
        with pytest.raises(error):
            pixelkit.fill(Image(2, 2), color)  # type: ignore[arg-type]


# ---- apply_lut -------------------------------------------------------------------------------------


def test_apply_lut_every_value_and_table_layout(random_rgb: RandomRGB) -> None:
    ramp = np.arange(256 * 3, dtype=np.uint8).reshape(1, 256, 3)  # every value in every channel
    data = np.concatenate([ramp, random_rgb(256, 1)])
    reverse = np.arange(255, -1, -1, dtype=np.uint8)
    identity = np.arange(256, dtype=np.uint8)
    strided = np.repeat(LUT1, 2)[::2]  # a non-contiguous (256,) view
    fortran = np.asfortranarray(LUT3)
    per_channel_view = np.repeat(LUT3, 2, axis=1)[:, ::2]
    for lut in (reverse, identity, strided, fortran, per_channel_view, np.stack([identity, reverse, LUT1])):
        assert_matches(pixelkit.apply_lut(data, lut), ref_lut(data, lut))


@pytest.mark.parametrize(
    "lut, error",
    [
        (np.zeros(255, np.uint8), ValueError),
        (np.zeros(257, np.uint8), ValueError),
        (np.zeros(768, np.uint8), ValueError),
        (np.zeros((3, 255), np.uint8), ValueError),
        (np.zeros((256, 3), np.uint8), ValueError),
        (np.zeros((1, 256), np.uint8), ValueError),
        (np.zeros((4, 256), np.uint8), ValueError),
        (np.zeros((3, 256, 1), np.uint8), ValueError),
        (np.zeros(256, np.int64), TypeError),
        (np.zeros(256, np.int8), TypeError),
        (np.zeros(256, np.uint16), TypeError),
        (np.zeros((3, 256), np.float32), TypeError),
        (list(range(256)), TypeError),
        (bytes(256), TypeError),
    ],
)
def test_apply_lut_refuses_bad_tables(lut: Any, error: type[Exception], monkeypatch: pytest.MonkeyPatch) -> None:
    data = np.full((3, 4, 3), 9, np.uint8)
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.apply_lut(data, lut)
    with pytest.raises(error):
        pixelkit.apply_lut(data, lut, out=data)
    assert (data == 9).all()


# ---- adjust ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.1, 0.45, 1.0, 2.2, 10.0])
@pytest.mark.parametrize("contrast", [0.0, 0.5, 1.0, 1.7, 100.0])
@pytest.mark.parametrize("brightness", [-1.0, -0.3, 0.0, 0.25, 1.0])
def test_adjust_formula_on_every_value(brightness: float, contrast: float, gamma: float) -> None:
    data = np.stack(
        [
            np.arange(256, dtype=np.uint8),
            np.arange(255, -1, -1, dtype=np.uint8),
            np.roll(np.arange(256, dtype=np.uint8), 77),
        ],
        axis=-1,
    ).reshape(16, 16, 3)
    assert_matches(pixelkit.adjust(data, brightness, contrast, gamma), ref_adjust(data, brightness, contrast, gamma))


def test_adjust_defaults_are_the_identity(random_rgb: RandomRGB) -> None:
    data = random_rgb(40, 30)
    assert_matches(pixelkit.adjust(data), data)
    assert_matches(pixelkit.adjust(data, brightness=1.0), np.full_like(data, 255))
    assert_matches(pixelkit.adjust(data, contrast=0.0), np.full_like(data, 128))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"contrast": -0.01}, ValueError),
        ({"gamma": 0.0}, ValueError),
        ({"gamma": -2.0}, ValueError),
        ({"brightness": float("nan")}, ValueError),
        ({"contrast": float("inf")}, ValueError),
        ({"gamma": float("nan")}, ValueError),
        ({"brightness": -float("inf")}, ValueError),
        ({"brightness": None}, TypeError),
        ({"gamma": [1.0]}, TypeError),
    ],
)
def test_adjust_refuses_bad_parameters(
    kwargs: dict[str, Any], error: type[Exception], monkeypatch: pytest.MonkeyPatch, random_rgb: RandomRGB
) -> None:
    data = random_rgb(4, 3)
    before = data.copy()
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.adjust(data, out=data, **kwargs)
    assert np.array_equal(data, before)


# ---- swap_rb ---------------------------------------------------------------------------------------------


def test_swap_rb_twice_is_the_identity(random_rgb: RandomRGB) -> None:
    data = random_rgb(65, 3)
    assert_matches(pixelkit.swap_rb(pixelkit.swap_rb(data)), data)


# ---- blend ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 1e-6, 0.1, 0.25, 1 / 3, 0.5, 0.7, 0.999, 1.0])
@pytest.mark.parametrize("width, height", [(1, 1), (67, 5), (5, 67)])
def test_blend_equals_add_weighted(alpha: float, width: int, height: int, random_rgb: RandomRGB) -> None:
    a, b = random_rgb(width, height), random_rgb(width, height)
    assert_matches(pixelkit.blend(a, b, alpha), ref_blend(a, b, alpha), 1, ref_blend_exact(a, b, alpha))


def test_blend_ends_are_exact(random_rgb: RandomRGB) -> None:
    a, b = random_rgb(30, 20), random_rgb(30, 20)
    assert_matches(pixelkit.blend(a, b, 0.0), a)
    assert_matches(pixelkit.blend(a, b, 1.0), b)
    assert_matches(pixelkit.blend(a, a, 0.37), a)


@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
def test_blend_is_its_fixed_point_formula_under_every_isa(
    isa: pixelkit.runtime.IsaName, random_rgb: RandomRGB, restore_isa_and_threads: None
) -> None:
    """The documented (a (32768 - w) + b w + 16384) >> 15 bit for bit, at the ends, next to them and
    between, on rows of 1 to 120 pixels (every vector step and tail), also in place into a or b."""
    pixelkit.set_isa(isa)
    for alpha in (0.0, 1.0, 1 / 32768, 1 - 1 / 32768, 0.5, 0.3, 0.77777):
        weight = math.floor(alpha * 32768 + 0.5)
        for width in (*range(1, 40), 85, 86, 120):
            a, b = random_rgb(width, 2), random_rgb(width, 2)
            a[0], b[0] = 255, 0  # the extremes
            u, v = a.astype(np.uint32), b.astype(np.uint32)
            expected = ((u * (32768 - weight) + v * weight + 16384) >> 15).astype(np.uint8)
            assert np.array_equal(pixels(pixelkit.blend(a, b, alpha)), expected), (alpha, width)
            into_a, into_b = a.copy(), b.copy()
            pixelkit.blend(into_a, b, alpha, out=into_a)
            pixelkit.blend(a, into_b, alpha, out=into_b)
            assert np.array_equal(into_a, expected) and np.array_equal(into_b, expected), (alpha, width)


def test_blend_strided_inputs(random_rgb: RandomRGB) -> None:
    a, b = random_rgb(41, 23), random_rgb(37, 29)
    img_a, img_b = as_layout(a, "crop"), as_layout(b, "padded")
    pa, pb = pixels(img_a)[2:20, 3:33], pixels(img_b)[4:22, 1:31]
    result = pixelkit.blend(Image.from_array(pa), Image.from_array(pb), 0.6)
    assert_matches(result, ref_blend(pa, pb, 0.6), 1, ref_blend_exact(pa, pb, 0.6))


@pytest.mark.parametrize(
    "alpha, error",
    [
        (-0.01, ValueError),
        (1.0001, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (-float("inf"), ValueError),
        (None, TypeError),
        ([0.5], TypeError),
    ],
)
def test_blend_refuses_bad_alpha(
    alpha: Any, error: type[Exception], monkeypatch: pytest.MonkeyPatch, random_rgb: RandomRGB
) -> None:
    a, b = random_rgb(4, 4), random_rgb(4, 4)
    before = a.copy()
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.blend(a, b, alpha, out=a)
    assert np.array_equal(a, before)


@pytest.mark.parametrize("other", [(5, 4), (4, 5), (1, 1)])
def test_blend_refuses_different_sizes(other: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    a = np.full((4, 4, 3), 3, np.uint8)
    forbid_kernels(monkeypatch)
    with pytest.raises(ValueError, match="same size"):
        pixelkit.blend(a, np.zeros((*other, 3), np.uint8), 0.5, out=a)
    with pytest.raises(ValueError, match="same size"):
        pixelkit.blend(np.zeros((*other, 3), np.uint8), a, 0.5)
    assert (a == 3).all()


# ---- to_tensor ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["CHW", "HWC"])
@pytest.mark.parametrize("norm", ["imagenet", "default", "odd"])
@pytest.mark.parametrize("width, height", [(1, 1), (1, 7), (7, 1), (33, 17)])
def test_to_tensor_equals_float64_reference(
    layout: TensorLayout, norm: str, width: int, height: int, random_rgb: RandomRGB
) -> None:
    mean, std = {
        "imagenet": (IMAGENET_MEAN, IMAGENET_STD),
        "default": ((0.0,) * 3, (1.0,) * 3),
        "odd": ((-0.5, 0.25, 2.0), (-0.3, 4.0, 0.05)),
    }[norm]
    data = random_rgb(width, height)
    if norm == "default":
        result = pixelkit.to_tensor(data, layout=layout)
    else:
        result = pixelkit.to_tensor(as_layout(data, "crop"), mean, std, layout)
    assert result.flags.c_contiguous
    assert_matches(result, ref_tensor(data, mean, std, layout), 1e-6 if norm != "odd" else 2e-5)


@pytest.mark.parametrize("layout", ["CHW", "HWC"])
@pytest.mark.parametrize("width, height", [(1, 1), (1, 9), (9, 1), (31, 18)])
def test_to_tensor_into_a_batch(layout: TensorLayout, width: int, height: int, random_rgb: RandomRGB) -> None:
    shape = (4, 3, height, width) if layout == "CHW" else (4, height, width, 3)
    batch = np.full(shape, -7.0, np.float32)
    images = [random_rgb(width, height) for _ in range(4)]
    for i in (2, 0, 3, 1):
        out = batch[i]
        assert pixelkit.to_tensor(images[i], IMAGENET_MEAN, IMAGENET_STD, layout, out=out) is out
    for i in range(4):
        assert_matches(batch[i], ref_tensor(images[i], IMAGENET_MEAN, IMAGENET_STD, layout), 1e-6)


def test_to_tensor_into_one_entry_leaves_the_rest(random_rgb: RandomRGB) -> None:
    batch = np.full((3, 3, 10, 12), -7.0, np.float32)
    data = random_rgb(12, 10)
    pixelkit.to_tensor(data, out=batch[1])
    assert (batch[0] == -7.0).all() and (batch[2] == -7.0).all()
    assert_matches(batch[1], ref_tensor(data), 1e-6)


def test_to_tensor_into_padded_rows(random_rgb: RandomRGB) -> None:
    data = random_rgb(13, 6)
    planes = np.full((3, 6, 16), -7.0, np.float32)
    out = planes[:, :, :13]
    assert pixelkit.to_tensor(data, IMAGENET_MEAN, IMAGENET_STD, out=out) is out
    assert_matches(out, ref_tensor(data, IMAGENET_MEAN, IMAGENET_STD), 1e-6)
    assert (planes[:, :, 13:] == -7.0).all()
    rows = np.full((6, 15, 3), -7.0, np.float32)
    assert pixelkit.to_tensor(data, layout="HWC", out=rows[:, :13]) is not None
    assert_matches(rows[:, :13], ref_tensor(data, layout="HWC"), 1e-6)
    assert (rows[:, 13:] == -7.0).all()


def float32_tensor(
    a: NDArray[np.uint8], mean: Sequence[float], std: Sequence[float], layout: str
) -> NDArray[np.float32]:
    """to_tensor's documented float32 arithmetic in numpy: x * float32(1 / (255 std)) + float32(-mean / std)."""
    scale = np.array([1.0 / (255.0 * s) for s in std], np.float32)
    bias = np.array([-m / s for m, s in zip(mean, std, strict=True)], np.float32)
    hwc = a.astype(np.float32) * scale + bias  # two roundings, as the kernels (no fused multiply-add)
    return np.ascontiguousarray(hwc.transpose(2, 0, 1)) if layout == "CHW" else hwc


@pytest.mark.parametrize("layout", ["CHW", "HWC"])
@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
def test_to_tensor_into_out_at_every_float_offset_is_exact(
    layout: TensorLayout, isa: IsaName, random_rgb: RandomRGB, restore_runtime: None
) -> None:
    """The rows convert pixels one by one until the floats reach a cache line, then in vectors.

    Every start within a cache line, widths on both sides of one vector, planes whose starts
    differ within a line (odd width x height): each equals numpy's float32 arithmetic bit for
    bit, and no float outside ``out`` changes.
    """
    pixelkit.set_isa(isa)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    for width, height in [(1, 2), (5, 3), (15, 2), (16, 3), (17, 5), (40, 3), (101, 7)]:
        data = random_rgb(width, height)
        expected = float32_tensor(data, mean, std, layout)
        shape = expected.shape
        for offset in range(16):
            spare = np.full(expected.size + 48, -7.0, np.float32)
            start = offset + (-spare.ctypes.data // 4) % 16
            out = spare[start : start + expected.size].reshape(shape)
            assert out.ctypes.data % 64 == 4 * offset
            assert pixelkit.to_tensor(data, mean, std, layout, out=out) is out
            assert np.array_equal(out, expected), f"{width}x{height}, {offset} floats past a cache line"
            assert (spare[:start] == -7.0).all() and (spare[start + expected.size :] == -7.0).all()


@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
@pytest.mark.parametrize("width, height", [(600, 400), (800, 600), (1920, 1080), (1999, 1100)])
def test_mid_size_tensors_are_exact_whichever_stores_this_cpu_prefers(
    isa: IsaName, width: int, height: int, random_rgb: RandomRGB, restore_runtime: None
) -> None:
    """Tensors of 4-64 MiB are stored past the cache only where this CPU's caches beyond L2
    measured as slow as memory (c/runtime.c), from the first cache line the rows reach.  The
    floats must not depend on that: fresh, into out at 0, 1 and 4 floats past a cache line
    (numpy's own), HWC, on 1 and 2 threads."""
    pixelkit.set_isa(isa)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    data = random_rgb(width, height)
    for layout in ("CHW", "HWC"):
        expected = float32_tensor(data, mean, std, layout)
        spare = np.full(expected.size + 48, -7.0, np.float32)
        for threads in (1, 2):
            pixelkit.set_num_threads(threads)
            assert np.array_equal(pixelkit.to_tensor(data, mean, std, layout), expected)
            for offset in (0, 1, 4):
                start = offset + (-spare.ctypes.data // 4) % 16
                spare[...] = -7.0
                out = spare[start : start + expected.size].reshape(expected.shape)
                pixelkit.to_tensor(data, mean, std, layout, out=out)
                assert np.array_equal(out, expected), f"{layout}, {threads} threads, {offset} floats past a line"
                assert (spare[:start] == -7.0).all() and (spare[start + expected.size :] == -7.0).all()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"layout": "NCHW"}, ValueError),
        ({"layout": "chw"}, ValueError),
        ({"layout": None}, ValueError),
        ({"std": (1.0, 0.0, 1.0)}, ValueError),
        ({"std": (0.0, 0.0, 0.0)}, ValueError),
        ({"mean": (0.5, 0.5)}, ValueError),
        ({"mean": (0.5,) * 4}, ValueError),
        ({"std": (1.0,)}, ValueError),
        ({"mean": (0.5, float("nan"), 0.5)}, ValueError),
        ({"std": (1.0, 1.0, float("inf"))}, ValueError),
        ({"mean": 0.5}, TypeError),
        ({"mean": (None, 0, 0)}, TypeError),
        ({"std": ("a", 1, 1)}, TypeError),
        ({"out": np.zeros((3, 4, 5), np.float64)}, TypeError),
        ({"out": np.zeros((3, 4, 5), np.uint8)}, TypeError),
        ({"out": [[[0.0] * 5] * 4] * 3}, TypeError),
        ({"out": np.zeros((3, 5, 4), np.float32)}, ValueError),
        ({"out": np.zeros((4, 5, 3), np.float32)}, ValueError),
        ({"out": np.zeros((3, 4, 5), np.float32), "layout": "HWC"}, ValueError),
        ({"out": np.zeros((3, 4, 10), np.float32)[:, :, ::2]}, ValueError),
        ({"out": np.zeros((5, 4, 3), np.float32).transpose(2, 1, 0)}, ValueError),
        ({"out": np.zeros((3, 4, 5), np.float32)[:, ::-1]}, ValueError),
        ({"out": np.zeros((4, 5, 6), np.float32)[:, :, ::2], "layout": "HWC"}, ValueError),
    ],
)
def test_to_tensor_refuses_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.to_tensor(np.zeros((4, 5, 3), np.uint8), **kwargs)
    out = kwargs.get("out")
    if isinstance(out, np.ndarray):
        assert not out.any()


def test_to_tensor_refuses_read_only_out(monkeypatch: pytest.MonkeyPatch) -> None:
    out = np.zeros((3, 4, 5), np.float32)
    out.flags.writeable = False
    forbid_kernels(monkeypatch)
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.to_tensor(np.zeros((4, 5, 3), np.uint8), out=out)


def test_to_tensor_refuses_out_overlapping_the_image() -> None:
    memory = np.zeros(4096, np.uint8)
    img = Image.from_buffer(memory[:60], 5, 4)  # 60 bytes of pixels
    memory[:60] = np.arange(60, dtype=np.uint8)
    tensor = memory[40 : 40 + 240].view(np.float32).reshape(3, 4, 5)
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.to_tensor(img, out=tensor)
    assert np.array_equal(memory[:60], np.arange(60, dtype=np.uint8))


# ---- flips, transpose, rotate90 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "k",
    [-9, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10**9 + 1, -(10**12) - 3, 10**40 + 2, np.int64(3), np.uint8(2)],
)
@pytest.mark.parametrize("width, height", [(1, 1), (1, 5), (5, 1), (6, 4), (17, 33)])
def test_rotate90_any_k(k: int, width: int, height: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    result = pixelkit.rotate90(as_layout(data, "padded"), k)
    assert_matches(result, np.rot90(data, int(k)))
    assert np.array_equal(pixels(pixelkit.rotate90(data)), np.rot90(data))


@pytest.mark.parametrize("k", [1.0, True, "1", None, 2.5])
def test_rotate90_refuses_non_integer_k(k: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_kernels(monkeypatch)
    with pytest.raises(TypeError):
        pixelkit.rotate90(np.zeros((2, 3, 3), np.uint8), k)


@pytest.mark.parametrize("width, height", [(1, 1), (255, 3), (3, 255), (64, 64), (300, 257)])
def test_geometry_around_block_edges(width: int, height: int, random_rgb: RandomRGB) -> None:
    """Sizes around the kernels' blocking (16 rows, 64 bytes, 256 pixels) and their tails."""
    data = random_rgb(width, height)
    img = as_layout(data, "crop")
    assert_matches(pixelkit.flip_horizontal(img), np.fliplr(data))
    assert_matches(pixelkit.flip_vertical(img), np.flipud(data))
    assert_matches(pixelkit.transpose(img), np.transpose(data, (1, 0, 2)))
    for k in range(4):
        assert_matches(pixelkit.rotate90(img, k), np.rot90(data, k))


@pytest.mark.parametrize("width", [*range(1, 70), 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000])
def test_flip_horizontal_every_row_length(width: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, 2)
    assert_matches(pixelkit.flip_horizontal(as_layout(data, "padded")), np.fliplr(data))
    img = Image.from_array(data.copy())
    pixelkit.flip_horizontal(img, out=img)
    assert_matches(img.array, np.fliplr(data))


@pytest.mark.parametrize("width, height", [(1, 1), (1, 300), (300, 1), (257, 258), (1023, 5), (5, 1023)])
def test_rotations_every_shape_tail(width: int, height: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    for layout in ("slice", "padded"):
        img = as_layout(data, layout)
        for k in (1, 3):
            assert_matches(pixelkit.rotate90(img, k), np.rot90(data, k))
        assert_matches(pixelkit.transpose(img), np.transpose(data, (1, 0, 2)))


TILE_WIDTHS = (1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 65)
TILE_HEIGHTS = (1, 3, 8, 15, 16, 17, 24, 40, 63, 71)
QUARTER_TURNS: dict[str, tuple[Callable[..., Any], Callable[[NDArray[np.uint8]], NDArray[np.uint8]]]] = {
    "transpose": (pixelkit.transpose, lambda a: np.transpose(a, (1, 0, 2))),
    "rotate90-1": (lambda img, out=None: pixelkit.rotate90(img, 1, out=out), lambda a: np.rot90(a, 1)),
    "rotate90-2": (lambda img, out=None: pixelkit.rotate90(img, 2, out=out), lambda a: np.rot90(a, 2)),
    "rotate90-3": (lambda img, out=None: pixelkit.rotate90(img, 3, out=out), lambda a: np.rot90(a, 3)),
}


@pytest.fixture
def restore_isa_and_threads() -> Iterator[None]:
    before = pixelkit.cpu_features()
    yield
    pixelkit.set_isa(before["selected"])
    pixelkit.set_num_threads(before["threads"])


@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
@pytest.mark.parametrize("name", QUARTER_TURNS)
def test_quarter_turns_on_a_grid_of_odd_sizes_under_every_isa(
    name: str, isa: pixelkit.runtime.IsaName, random_rgb: RandomRGB, restore_isa_and_threads: None
) -> None:
    """Sizes on both sides of every tile size (8 and 16 pixels) and block, under each instruction set,
    from crops and padded rows (random bytes around them), into a new image and into out= in a canvas."""
    call, reference = QUARTER_TURNS[name]
    pixelkit.set_isa(isa)
    for threads in (1, 2):
        pixelkit.set_num_threads(threads)
        for width in TILE_WIDTHS:
            for height in TILE_HEIGHTS:
                data = random_rgb(width, height)
                expected = reference(data)
                for layout in ("crop", "padded"):
                    assert_matches(call(as_layout(data, layout)), expected)
                canvas, view = out_in_canvas(expected.shape)
                before = canvas.copy()
                call(as_layout(data, "slice"), out=view)
                assert np.array_equal(view, expected), (width, height)
                assert_outside_unchanged(canvas, before, expected.shape)


def _guarded_pages(nbytes: int) -> tuple[NDArray[np.uint8], Callable[[], None]]:
    """``nbytes`` of usable memory with an inaccessible page on each side (a read or write beyond
    either end crashes), and the function that lifts the guards."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    page = mmap.PAGESIZE
    usable = -(-nbytes // page) * page
    mapping = mmap.mmap(-1, usable + 2 * page)
    memory = np.frombuffer(mapping, np.uint8)
    start = memory.ctypes.data
    for address in (start, start + page + usable):
        assert libc.mprotect(address, page, 0) == 0, ctypes.get_errno()  # PROT_NONE

    def release() -> None:
        assert libc.mprotect(start, usable + 2 * page, mmap.PROT_READ | mmap.PROT_WRITE) == 0

    return memory[page : page + usable], release


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs mprotect")
@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
@pytest.mark.parametrize("width, height", [(16, 16), (32, 17), (17, 32), (48, 64), (65, 33), (8, 8), (9, 24)])
def test_quarter_turns_read_and_write_only_their_pixels(
    width: int, height: int, isa: pixelkit.runtime.IsaName, random_rgb: RandomRGB, restore_isa_and_threads: None
) -> None:
    """Source and result flush against inaccessible pages, at the start and at the end of the memory."""
    pixelkit.set_isa(isa)
    data = random_rgb(width, height)
    nbytes = data.nbytes
    memory, release = _guarded_pages(2 * nbytes)
    try:
        for src_at, dst_at in ((0, len(memory) - nbytes), (len(memory) - nbytes, 0)):
            src = Image.from_buffer(memory[src_at : src_at + nbytes], width, height)
            src.array[...] = data
            for name, (call, reference) in QUARTER_TURNS.items():
                expected = reference(data)
                out = memory[dst_at : dst_at + nbytes].reshape(expected.shape)
                call(src, out=out)
                assert np.array_equal(out, expected), name
    finally:
        release()


def _luma(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """ITU-R BT.601 luma in 16-bit fixed point, as documented for to_gray (and as Pillow's convert("L"))."""
    u = a.astype(np.uint32)
    return ((19595 * u[..., 0] + 38470 * u[..., 1] + 7471 * u[..., 2] + 0x8000) >> 16).astype(np.uint8)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs mprotect")
@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
def test_row_kernels_at_every_width_read_and_write_only_their_pixels(
    isa: pixelkit.runtime.IsaName, random_rgb: RandomRGB, restore_isa_and_threads: None
) -> None:
    """swap_rb (apart and in place) and to_gray on one-row images of 1 to 200 pixels, flush against
    inaccessible pages: every vector width, unrolled step and tail of the row loops, which read a
    few bytes on either side of what they store."""
    pixelkit.set_isa(isa)
    memory, release = _guarded_pages(2 * 3 * 200)
    try:
        for width in range(1, 201):
            data = random_rgb(width, 1)
            data[0, : min(width, 3)] = [(255, 255, 255), (0, 0, 0), (255, 0, 128)][: min(width, 3)]
            nbytes = data.nbytes
            for src_at, dst_at in ((0, len(memory) - nbytes), (len(memory) - nbytes, 0)):
                src = Image.from_buffer(memory[src_at : src_at + nbytes], width, 1)
                src.array[...] = data
                out = memory[dst_at : dst_at + nbytes].reshape(data.shape)
                pixelkit.swap_rb(src, out=out)
                assert np.array_equal(out, data[..., ::-1]), width
                gray = memory[dst_at : dst_at + width].reshape(1, width)
                pixelkit.to_gray(src, out=gray)
                assert np.array_equal(gray, _luma(data)), width
                pixelkit.swap_rb(src, out=src)
                assert np.array_equal(src.array, data[..., ::-1]), width
    finally:
        release()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs mprotect")
@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
@pytest.mark.parametrize("method", ["area", "bilinear"])
def test_halving_at_every_width_reads_and_writes_only_its_pixels(
    method: ResizeMethod, isa: pixelkit.runtime.IsaName, random_rgb: RandomRGB, restore_isa_and_threads: None
) -> None:
    """A two-row image of 2 to 400 pixels halved (the 2x2 mean, rounded half up, which both methods give
    at exactly 1/2), flush against inaccessible pages: every vector step and tail of the halving row."""
    pixelkit.set_isa(isa)
    memory, release = _guarded_pages(2 * 3 * 400 + 3 * 200)
    try:
        for width in range(2, 401, 2):
            data = random_rgb(width, 2)
            u = data.astype(np.uint32)
            expected = ((u[0, 0::2] + u[0, 1::2] + u[1, 0::2] + u[1, 1::2] + 2) >> 2).astype(np.uint8)[None]
            nbytes, out_bytes = data.nbytes, expected.nbytes
            for src_at, dst_at in ((0, len(memory) - out_bytes), (len(memory) - nbytes, 0)):
                src = Image.from_buffer(memory[src_at : src_at + nbytes], width, 2)
                src.array[...] = data
                out = memory[dst_at : dst_at + out_bytes].reshape(expected.shape)
                pixelkit.resize(src, width // 2, 1, method, out=out)
                assert np.array_equal(out, expected), width
    finally:
        release()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs mprotect")
@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
def test_bilinear_rows_at_every_width_read_and_write_only_their_pixels(
    isa: pixelkit.runtime.IsaName, random_rgb: RandomRGB, restore_isa_and_threads: None
) -> None:
    """Two-row images of 1 to 160 pixels resized (bilinear) to 70 % and 130 % of their width, source
    and result flush against inaccessible pages; the same bits as the portable rows, within 1 of OpenCV."""
    memory, release = _guarded_pages(2 * 3 * 160 + 2 * 3 * 208)
    try:
        for width in range(1, 161):
            data = random_rgb(width, 2)
            for out_width in (max(1, round(0.7 * width)), round(1.3 * width)):
                nbytes, out_bytes = data.nbytes, 2 * 3 * out_width
                results = []
                for name in ("portable", isa):
                    pixelkit.set_isa(name)
                    for src_at, dst_at in ((0, len(memory) - out_bytes), (len(memory) - nbytes, 0)):
                        src = Image.from_buffer(memory[src_at : src_at + nbytes], width, 2)
                        src.array[...] = data
                        out = memory[dst_at : dst_at + out_bytes].reshape(2, out_width, 3)
                        pixelkit.resize(src, out_width, 2, "bilinear", out=out)
                        results.append(out.copy())
                assert all(np.array_equal(r, results[0]) for r in results), (width, out_width)
                expected = ref_resize(data, out_width, 2, "bilinear")  # OpenCV's INTER_LINEAR
                assert np.abs(results[0].astype(int) - expected).max() <= 1, (width, out_width)
    finally:
        release()


@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
def test_to_gray_of_every_channel_value_under_every_isa(
    isa: pixelkit.runtime.IsaName, restore_isa_and_threads: None
) -> None:
    """All 256 x 256 (r, b) pairs at green 0, 1, 127, 128, 254 and 255: the vector rows' rounding everywhere."""
    pixelkit.set_isa(isa)
    values = np.arange(256, dtype=np.uint8)
    for green in (0, 1, 127, 128, 254, 255):
        r, b = np.meshgrid(values, values, indexing="ij")
        data = np.stack([r, np.full_like(r, green), b], axis=-1)
        assert np.array_equal(pixelkit.to_gray(data), _luma(data)), green


# ---- histogram ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_histogram_counts(layout: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(301, 77)
    counts = pixelkit.histogram(as_layout(data, layout))
    assert counts.dtype == np.uint64 and counts.shape == (3, 256)
    assert_matches(counts, ref_histogram(data))
    assert (counts.sum(axis=1) == 301 * 77).all()


def test_histogram_of_constant_and_skewed_images() -> None:
    data = np.zeros((50, 37, 3), np.uint8)
    data[..., 1] = 255
    data[::2, ::3, 2] = 7
    counts = pixelkit.histogram(data)
    assert_matches(counts, ref_histogram(data))
    assert counts[0, 0] == 50 * 37 and counts[1, 255] == 50 * 37


def test_histogram_into_out_overwrites_it(random_rgb: RandomRGB) -> None:
    data = random_rgb(123, 45)
    out = np.full((3, 256), 987654321, np.uint64)
    assert pixelkit.histogram(as_layout(data, "crop"), out=out) is out
    assert_matches(out, ref_histogram(data))


@pytest.mark.parametrize(
    "out, error",
    [
        (np.zeros((3, 256), np.uint32), TypeError),
        (np.zeros((3, 256), np.int64), TypeError),
        (np.zeros((256, 3), np.uint64), TypeError),
        (np.zeros(768, np.uint64), TypeError),
        ([[0] * 256] * 3, TypeError),
        (np.zeros((3, 512), np.uint64)[:, ::2], ValueError),
        (np.zeros((256, 3), np.uint64).T, ValueError),
    ],
)
def test_histogram_refuses_bad_out(out: Any, error: type[Exception], monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        pixelkit.histogram(np.zeros((4, 4, 3), np.uint8), out=out)


def test_histogram_refuses_read_only_out(monkeypatch: pytest.MonkeyPatch) -> None:
    out = np.zeros((3, 256), np.uint64)
    out.flags.writeable = False
    forbid_kernels(monkeypatch)
    with pytest.raises(ValueError):
        pixelkit.histogram(np.zeros((4, 4, 3), np.uint8), out=out)
    assert not out.any()


# ---- paste ------------------------------------------------------------------------------------------------

POSITIONS = [-41, -20, -7, -1, 0, 3, 13, 19, 20, 45]


@pytest.mark.parametrize("src_w, src_h", [(1, 1), (7, 5), (30, 4), (25, 20), (4, 40)])
def test_paste_clipped_everywhere(src_w: int, src_h: int, random_rgb: RandomRGB) -> None:
    dst0 = random_rgb(20, 15)
    src = random_rgb(src_w, src_h)
    for x in POSITIONS:
        for y in POSITIONS:
            dst = dst0.copy()
            assert pixelkit.paste(dst, src, x, y) is dst
            assert_matches(dst, ref_paste(dst0, src, x, y))


@pytest.mark.parametrize("x, y", [(10**7, 0), (0, -(10**7)), (-(10**12), 10**12), (2**63, 2**63), (-(2**80), 3)])
def test_paste_far_away_changes_nothing(x: int, y: int, random_rgb: RandomRGB) -> None:
    dst = random_rgb(9, 8)
    before = dst.copy()
    assert pixelkit.paste(dst, random_rgb(4, 4), x, y) is dst
    assert np.array_equal(dst, before)


@pytest.mark.parametrize("dst_layout", ["image", "crop", "padded"])
@pytest.mark.parametrize("src_layout", ["slice", "crop", "padded"])
def test_paste_strided(dst_layout: str, src_layout: str, random_rgb: RandomRGB) -> None:
    dst0, src0 = random_rgb(33, 21), random_rgb(14, 9)
    for x, y in [(0, 0), (-3, 5), (25, 16), (10, -2)]:
        dst, canvas, before = in_place_target(dst0, dst_layout)
        src = as_layout(src0, src_layout)
        assert paste_either(dst, src, np.int64(x), np.int16(y)) is dst
        assert_matches(pixels(dst), ref_paste(dst0, src0, x, y))
        if canvas is not None:
            assert_outside_unchanged(canvas, before, dst0.shape)


@pytest.mark.parametrize("dx, dy", [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-2, -3), (5, 2), (0, 0), (-7, 4)])
def test_paste_between_overlapping_crops_copies_first(dx: int, dy: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(40, 30)
    expected = data.copy()
    src_region = expected[8:23, 10:30].copy()  # numpy: read everything first
    dst_view = expected[8 + dy : 22 + dy, 10 + dx : 28 + dx]
    dst_view[...] = ref_paste(dst_view, src_region, -1, 2)
    img = Image.from_array(data)
    src = img.crop(10, 8, 20, 15)
    dst = img.crop(10 + dx, 8 + dy, 18, 14)
    assert pixelkit.paste(dst, src, -1, 2) is dst
    assert_matches(data, expected)


@pytest.mark.parametrize("x, y", [(0, 0), (1, 0), (0, 1), (3, 2), (-2, -1), (-5, 4), (38, 0)])
def test_paste_an_image_into_itself(x: int, y: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(40, 30)
    expected = ref_paste(data, data.copy(), x, y)
    img = Image.from_array(data)
    assert pixelkit.paste(img, img, x, y) is img
    assert_matches(data, expected)


@settings(max_examples=60, deadline=None)
@given(
    dst_w=st.integers(1, 24),
    dst_h=st.integers(1, 24),
    src_w=st.integers(1, 30),
    src_h=st.integers(1, 30),
    x=st.integers(-35, 35),
    y=st.integers(-35, 35),
    seed=st.integers(0, 2**32 - 1),
)
def test_paste_random_geometry(dst_w: int, dst_h: int, src_w: int, src_h: int, x: int, y: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    dst0 = rng.integers(0, 256, (dst_h, dst_w, 3), dtype=np.uint8)
    src = rng.integers(0, 256, (src_h, src_w, 3), dtype=np.uint8)
    dst = as_layout(dst0, "padded")
    paste_either(dst, as_layout(src, "slice"), x, y)
    assert_matches(pixels(dst), ref_paste(dst0, src, x, y))


def test_paste_refuses_bad_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    dst = np.full((5, 5, 3), 4, np.uint8)
    src = np.zeros((2, 2, 3), np.uint8)
    forbid_kernels(monkeypatch)
    for x, y in [(1.0, 0), (0, 1.5), ("1", 0), (None, 0)]:
        with pytest.raises(TypeError):
            pixelkit.paste(dst, src, x, y)  # type: ignore[arg-type]
    readonly = dst.copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.paste(readonly, src, 0, 0)
    with pytest.raises(TypeError):
        pixelkit.paste([[0]], src, 0, 0)  # type: ignore[type-var]
    with pytest.raises(ValueError):
        pixelkit.paste(dst, np.zeros((2, 2, 4), np.uint8), 0, 0)
    assert (dst == 4).all()


def test_paste_read_only_source(random_rgb: RandomRGB) -> None:
    dst0, src = random_rgb(8, 8), random_rgb(3, 3)
    src.flags.writeable = False
    dst = dst0.copy()
    pixelkit.paste(dst, src, 2, 3)
    assert_matches(dst, ref_paste(dst0, src, 2, 3))


# ---- bad image arguments ---------------------------------------------------------------------------------


BAD_IMAGE_CALLS: dict[str, Callable[[Any], Any]] = {
    "fill": lambda bad: pixelkit.fill(bad, (1, 2, 3)),
    "invert": pixelkit.invert,
    "apply_lut": lambda bad: pixelkit.apply_lut(bad, LUT1),
    "adjust": lambda bad: pixelkit.adjust(bad, 0.1),
    "swap_rb": pixelkit.swap_rb,
    "blend-a": lambda bad: pixelkit.blend(bad, np.zeros((4, 4, 3), np.uint8), 0.5),
    "blend-b": lambda bad: pixelkit.blend(np.zeros((4, 4, 3), np.uint8), bad, 0.5),
    "to_gray": pixelkit.to_gray,
    "to_tensor": pixelkit.to_tensor,
    "flip_horizontal": pixelkit.flip_horizontal,
    "flip_vertical": pixelkit.flip_vertical,
    "transpose": pixelkit.transpose,
    "rotate90": pixelkit.rotate90,
    "histogram": pixelkit.histogram,
    "paste-dst": lambda bad: pixelkit.paste(bad, np.zeros((4, 4, 3), np.uint8), 0, 0),
    "paste-src": lambda bad: pixelkit.paste(np.zeros((4, 4, 3), np.uint8), bad, 0, 0),
}


@pytest.mark.parametrize("name", BAD_IMAGE_CALLS)
@pytest.mark.parametrize(
    "bad, error",
    [
        (np.zeros((4, 4, 4), np.uint8), ValueError),
        (np.zeros((4, 4, 3), np.float32), ValueError),
        (np.zeros((4, 4), np.uint8), ValueError),
        (np.zeros((0, 4, 3), np.uint8), ValueError),
        (np.zeros((4, 8, 3), np.uint8)[:, ::2], ValueError),
        (b"\x00" * 48, TypeError),
        ([[[0, 0, 0]]], TypeError),
    ],
    ids=["4-channels", "float", "2-d", "empty", "pixel-stride", "bytes", "list"],
)
def test_bad_images_are_refused(name: str, bad: Any, error: type[Exception], monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_kernels(monkeypatch)
    with pytest.raises(error):
        BAD_IMAGE_CALLS[name](bad)


def test_numbers_given_as_strings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A float parameter is a number: "0.5" is refused like None or [0.5] (the message says "must be a number")."""
    data = np.full((4, 4, 3), 9, np.uint8)
    forbid_kernels(monkeypatch)
    calls: dict[str, Callable[[], object]] = {
        "blend alpha": lambda: pixelkit.blend(data, data, "0.5", out=data),  # type: ignore[arg-type]
        "adjust contrast": lambda: pixelkit.adjust(data, contrast="1.5", out=data),  # type: ignore[arg-type]
        "to_tensor mean": lambda: pixelkit.to_tensor(data, mean=("0.5", 0, 0)),  # type: ignore[arg-type]
        "gaussian_blur sigma": lambda: pixelkit.gaussian_blur(data, "2"),  # type: ignore[arg-type]
    }
    accepted = []
    for name, call in calls.items():
        try:
            call()
        except TypeError:
            continue
        except AssertionError:  # reached C
            pass
        accepted.append(name)
    assert not accepted, f"strings accepted as numbers by: {accepted}"
    assert (data == 9).all()
