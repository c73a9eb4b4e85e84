"""The first kernels: fill, invert, to_gray, against numpy and Pillow."""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image as PILImage

import pixelkit
from kernel_refs import ffmpeg_frame
from pixelkit import Image
from pixelkit._native import lib

RandomRGB = Callable[[int, int], NDArray[np.uint8]]
SIZES = [(1, 1), (1, 17), (17, 1), (3, 2), (64, 48), (641, 479)]


def pillow_gray(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.asarray(PILImage.fromarray(np.ascontiguousarray(rgb), "RGB").convert("L"))


def numpy_gray(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16).astype(np.uint8)


# ---- fill --------------------------------------------------------------------------------


@pytest.mark.parametrize("width, height", SIZES)
def test_fill_matches_numpy(width: int, height: int) -> None:
    img = Image(width, height)
    assert pixelkit.fill(img, (12, 34, 56)) is img
    expected = np.empty((height, width, 3), np.uint8)
    expected[...] = (12, 34, 56)
    assert np.array_equal(img.array, expected)


def test_fill_a_crop_touches_only_the_crop(random_rgb: RandomRGB) -> None:
    data = random_rgb(20, 15)
    expected = data.copy()
    expected[3:10, 4:16] = (1, 2, 3)
    pixelkit.fill(Image.from_array(data).crop(4, 3, 12, 7), (1, 2, 3))
    assert np.array_equal(data, expected)


def test_fill_an_array_in_place(random_rgb: RandomRGB) -> None:
    data = random_rgb(5, 5)
    assert pixelkit.fill(data, [0, 255, 0]) is data
    assert (data == np.array([0, 255, 0], np.uint8)).all()


@pytest.mark.parametrize("color", [(256, 0, 0), (0, 0), (-1, 2, 3)])
def test_fill_bad_color(color: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        pixelkit.fill(Image(2, 2), color)


# ---- invert ------------------------------------------------------------------------------


@pytest.mark.parametrize("width, height", SIZES)
def test_invert_matches_numpy(width: int, height: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    result = pixelkit.invert(Image.from_array(data))
    assert isinstance(result, Image)
    assert np.array_equal(result.array, 255 - data)
    assert result.stride == width * 3


def test_invert_strided_input_and_output(random_rgb: RandomRGB) -> None:
    data = random_rgb(50, 40)
    out_base = np.zeros((40, 60, 3), np.uint8)
    out = out_base[5:25, 7:37]
    src = Image.from_array(data).crop(10, 12, 30, 20)
    assert pixelkit.invert(src, out=out) is out
    assert np.array_equal(out, 255 - data[12:32, 10:40])
    assert not out_base[:5].any() and not out_base[:, :7].any()


def test_invert_in_place(random_rgb: RandomRGB) -> None:
    data = random_rgb(33, 21)
    expected = 255 - data
    img = Image.from_array(data)
    assert pixelkit.invert(img, out=img) is img
    assert np.array_equal(data, expected)
    crop = img.crop(3, 3, 10, 10)
    pixelkit.invert(crop, out=crop)
    expected[3:13, 3:13] = 255 - expected[3:13, 3:13]
    assert np.array_equal(data, expected)


def test_invert_refuses_partial_overlap() -> None:
    img = Image(10, 10)
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.invert(img.crop(0, 0, 5, 5), out=img.crop(1, 0, 5, 5))


@pytest.mark.parametrize("shape", [(4, 5, 3), (5, 4, 3), (5, 5, 4)])
def test_invert_out_of_the_wrong_shape(shape: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        pixelkit.invert(Image(5, 5), out=np.zeros(shape, np.uint8))


def test_invert_out_of_the_wrong_type() -> None:
    with pytest.raises(TypeError):
        pixelkit.invert(Image(2, 2), out=[[0]])  # type: ignore[type-var]
    with pytest.raises(ValueError):
        pixelkit.invert(Image(2, 2), out=np.zeros((2, 2, 3), np.float32))  # type: ignore[type-var]


def test_invert_needs_an_image() -> None:
    with pytest.raises(TypeError, match=r"pixelkit\.Image"):
        pixelkit.invert(b"\x00\x00\x00")  # type: ignore[arg-type]


# ---- to_gray -----------------------------------------------------------------------------


@pytest.mark.parametrize("width, height", SIZES)
def test_to_gray_equals_pillow(width: int, height: int, random_rgb: RandomRGB) -> None:
    data = random_rgb(width, height)
    gray = pixelkit.to_gray(Image.from_array(data))
    assert gray.shape == (height, width) and gray.dtype == np.uint8
    assert np.array_equal(gray, pillow_gray(data))
    assert np.array_equal(gray, numpy_gray(data))


def test_to_gray_every_colour_channel_extreme() -> None:
    levels = np.array([0, 1, 127, 128, 254, 255], np.uint8)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    data = np.stack([r, g, b], axis=-1).reshape(1, -1, 3)
    assert np.array_equal(pixelkit.to_gray(data), pillow_gray(data))


@pytest.mark.parametrize("source", ["testsrc", "smptebars", "mandelbrot"])
def test_to_gray_on_real_frames(source: str) -> None:
    frame = ffmpeg_frame(source, 320, 240)
    assert np.array_equal(pixelkit.to_gray(frame), pillow_gray(frame))


def test_to_gray_strided_input_and_out(random_rgb: RandomRGB) -> None:
    data = random_rgb(70, 50)
    out_base = np.full((50, 80), 7, np.uint8)
    out = out_base[10:40, 5:65]
    assert pixelkit.to_gray(Image.from_array(data).crop(4, 6, 60, 30), out=out) is out
    assert np.array_equal(out, pillow_gray(data[6:36, 4:64]))
    assert (out_base[:10] == 7).all() and (out_base[:, :5] == 7).all()


@pytest.mark.parametrize(
    "out, error",
    [
        (np.zeros((5, 4), np.uint8), ValueError),
        (np.zeros((4, 5, 1), np.uint8), ValueError),
        (np.zeros((4, 5), np.float32), TypeError),
        ([[0] * 5] * 4, TypeError),
        (np.zeros((4, 10), np.uint8)[:, ::2], ValueError),
    ],
)
def test_to_gray_bad_out(out: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        pixelkit.to_gray(Image(5, 4), out=out)  # type: ignore[arg-type]


def test_to_gray_readonly_out() -> None:
    out = np.zeros((4, 5), np.uint8)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.to_gray(Image(5, 4), out=out)


def test_to_gray_refuses_output_overlapping_input() -> None:
    data = np.zeros((4, 6, 3), np.uint8)
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.to_gray(data, out=data.reshape(4, 18)[:, :6])


def test_to_gray_of_readonly_input(random_rgb: RandomRGB) -> None:
    data = random_rgb(8, 8)
    data.flags.writeable = False
    assert np.array_equal(pixelkit.to_gray(data), pillow_gray(data))


def test_results_own_their_memory() -> None:
    gc.collect()
    before = lib.pk_live_allocations()
    # Results of 32 MiB and more live in C memory (smaller ones come from numpy's allocator).
    source = Image(4000, 3000)  # 36 MB
    gray = pixelkit.to_gray(source)  # 12 MB: numpy's
    inverted = pixelkit.invert(source)
    gc.collect()
    assert lib.pk_live_allocations() == before + 2
    del gray, inverted, source
    gc.collect()
    assert lib.pk_live_allocations() == before


@pytest.mark.usefixtures("restore_runtime")
@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
def test_large_outputs_stored_past_the_cache_equal_numpy(isa: str) -> None:
    """invert, swap_rb, flip_vertical and copies (rotate90 by 0) store outputs of 16 MiB and more past
    the cache (c/point.c, c/geometry.c): in place, into padded rows at odd offsets, from a crop, on 1
    and 2 threads.
    (The gapless image below is one long row for invert and swap_rb, written from every offset in
    a cache line.)"""
    pixelkit.set_isa(isa)  # type: ignore[arg-type]
    rng = np.random.default_rng(17)
    big = rng.integers(0, 256, (2400, 2600, 3), dtype=np.uint8)  # 18.7 MB
    src = big[3:2397, 5:2599]  # rows start at odd offsets within cache lines
    canvas = np.zeros((2396, 2601, 3), np.uint8)
    dst = canvas[1:2395, 3:2597]
    for threads in (1, 2):
        pixelkit.set_num_threads(threads)
        np.testing.assert_array_equal(np.asarray(pixelkit.invert(src)), 255 - src)
        pixelkit.flip_vertical(src, out=dst)
        np.testing.assert_array_equal(dst, src[::-1])
        assert not canvas[0].any() and not canvas[:, :3].any() and not canvas[:, 2597:].any()
        pixelkit.swap_rb(src, out=dst)
        np.testing.assert_array_equal(dst, src[..., ::-1])
        assert not canvas[0].any() and not canvas[:, :3].any() and not canvas[:, 2597:].any()
        pixelkit.rotate90(src, 0, out=dst)
        np.testing.assert_array_equal(dst, src)
        assert not canvas[0].any() and not canvas[:, :3].any() and not canvas[:, 2597:].any()
        np.testing.assert_array_equal(np.asarray(pixelkit.Image.from_array(big).copy()), big)
        inplace = big.copy()
        pixelkit.invert(inplace, out=inplace)
        np.testing.assert_array_equal(inplace, 255 - big)
        pixelkit.swap_rb(inplace, out=inplace)
        np.testing.assert_array_equal(inplace, (255 - big)[..., ::-1])
    spare = np.empty(big.nbytes + 64, np.uint8)
    for offset in range(0, 64, 7):
        start = (offset - spare.ctypes.data) % 64
        out = spare[start : start + big.nbytes].reshape(big.shape)
        pixelkit.swap_rb(big, out=out)
        np.testing.assert_array_equal(out, big[..., ::-1])
        pixelkit.rotate90(big, 0, out=out)
        np.testing.assert_array_equal(out, big)


@pytest.mark.usefixtures("restore_runtime")
@pytest.mark.parametrize("isa", pixelkit.cpu_features()["available"])
@pytest.mark.parametrize("shape", [(600, 800), (1080, 1920), (1100, 1999)])
def test_mid_size_outputs_equal_numpy_whichever_stores_this_cpu_prefers(isa: str, shape: tuple[int, int]) -> None:
    """Outputs of 1-16 MiB: invert, swap_rb and copies store them past the cache only where this
    CPU's caches beyond L2 measured as slow as memory (c/runtime.c).  The results must not depend on
    that: fresh, into padded rows at odd offsets and in place, on 1 and 2 threads."""
    pixelkit.set_isa(isa)  # type: ignore[arg-type]
    height, width = shape
    rng = np.random.default_rng(height)
    big = rng.integers(0, 256, (height + 3, width + 9, 3), dtype=np.uint8)
    src = big[1 : 1 + height, 5 : 5 + width]
    canvas = np.zeros((height + 2, width + 7, 3), np.uint8)
    dst = canvas[1 : 1 + height, 3 : 3 + width]
    gapless = np.ascontiguousarray(src)
    for threads in (1, 2):
        pixelkit.set_num_threads(threads)
        np.testing.assert_array_equal(np.asarray(pixelkit.invert(gapless)), 255 - gapless)
        np.testing.assert_array_equal(np.asarray(pixelkit.swap_rb(gapless)), gapless[..., ::-1])
        np.testing.assert_array_equal(np.asarray(pixelkit.Image.from_array(gapless).copy()), gapless)
        for op, expected in (
            (pixelkit.invert, 255 - src),
            (pixelkit.swap_rb, src[..., ::-1]),
            (lambda img, out: pixelkit.rotate90(img, 0, out=out), src),
        ):
            canvas[...] = 0
            op(src, out=dst)
            np.testing.assert_array_equal(dst, expected)
            assert not canvas[0].any() and not canvas[-1].any()
            assert not canvas[:, :3].any() and not canvas[:, 3 + width :].any()
        inplace = gapless.copy()
        pixelkit.swap_rb(inplace, out=inplace)
        pixelkit.invert(inplace, out=inplace)
        np.testing.assert_array_equal(inplace, 255 - gapless[..., ::-1])
