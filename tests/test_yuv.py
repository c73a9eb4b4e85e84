"""YUV layouts to and from RGB (pixelkit.from_yuv, pixelkit.to_yuv), against independent references.

- A float64 numpy reference of the documented formulas, from the published matrix coefficients
  (Kr, Kb of BT.601, BT.709, BT.2020) and the limited / full range scales, for every layout,
  matrix and range, at odd and even sizes: every sample within 0.55 of the unrounded value
  (so within 1 of the rounded one), at least 99% equal to the rounded value.
- OpenCV's cvtColor (BT.601 limited range): within 1 on every sample, mean signed error within
  +-0.05, at least 95% exact.  OpenCV raises Y below 16 to 16 before converting to RGB, which the
  formula does not, so those inputs have Y in 16..255.
- ffmpeg's own rgb24 conversion of ffmpeg's testsrc2 frames (see test_ffmpeg_agrees).
- Round trips, the same bits under every instruction set and thread count, and the refusals.
"""

from __future__ import annotations

import mmap
from functools import partial
from pathlib import Path
from typing import Any, get_args

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from conftest import ffmpeg
from pixelkit import Image, runtime
from pixelkit.runtime import pool_stats
from pixelkit.yuv import YuvFormat, YuvMatrix, YuvRange

FORMATS: tuple[YuvFormat, ...] = get_args(YuvFormat)
MATRICES: tuple[YuvMatrix, ...] = get_args(YuvMatrix)
RANGES: tuple[YuvRange, ...] = get_args(YuvRange)
# (Kr, Kb) as published: ITU-R BT.601, BT.709, BT.2020.
KR_KB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}
PACKED = ("yuyv", "uyvy")
ISAS = pixelkit.cpu_features()["available"]

Planes = tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]


pytestmark = pytest.mark.usefixtures("restore_runtime")  # tests here switch the ISA and threads


# ---- the layouts, written out independently of pixelkit ------------------------------------------


def chroma_size(fmt: str, w: int, h: int) -> tuple[int, int]:
    """(rows, columns) of a chroma plane: ffmpeg rounds up."""
    if fmt == "i444":
        return h, w
    if fmt in ("i422", "yuyv", "uyvy"):
        return h, (w + 1) // 2
    return (h + 1) // 2, (w + 1) // 2


def frame_bytes(fmt: str, w: int, h: int) -> int:
    ch, cw = chroma_size(fmt, w, h)
    return w * h + 2 * ch * cw


def unpack(fmt: str, buf: NDArray[np.uint8], w: int, h: int) -> Planes:
    """Y (h, w) and U, V at chroma resolution from a contiguous buffer."""
    ch, cw = chroma_size(fmt, w, h)
    if fmt in PACKED:
        quads = buf.reshape(h, w // 2, 4)
        if fmt == "yuyv":
            return quads[..., [0, 2]].reshape(h, w), quads[..., 1], quads[..., 3]
        return quads[..., [1, 3]].reshape(h, w), quads[..., 0], quads[..., 2]
    y = buf[: w * h].reshape(h, w)
    rest = buf[w * h :]
    if fmt in ("nv12", "nv21"):
        pairs = rest.reshape(ch, cw, 2)
        first, second = pairs[..., 0], pairs[..., 1]
        return (y, first, second) if fmt == "nv12" else (y, second, first)
    a, b = rest[: ch * cw].reshape(ch, cw), rest[ch * cw :].reshape(ch, cw)
    return (y, b, a) if fmt == "yv12" else (y, a, b)


def pack(fmt: str, y: NDArray[np.uint8], u: NDArray[np.uint8], v: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The contiguous buffer of Y (h, w), U and V (chroma resolution)."""
    h, w = y.shape
    if fmt in PACKED:
        quads = np.empty((h, w // 2, 4), np.uint8)
        order = (0, 1, 2, 3) if fmt == "yuyv" else (1, 0, 3, 2)
        quads[..., order[0]] = y[:, 0::2]
        quads[..., order[1]] = u
        quads[..., order[2]] = y[:, 1::2]
        quads[..., order[3]] = v
        return quads.reshape(-1)
    if fmt in ("nv12", "nv21"):
        pairs = np.stack([u, v] if fmt == "nv12" else [v, u], axis=-1)
        return np.concatenate([y.reshape(-1), pairs.reshape(-1)])
    first, second = (v, u) if fmt == "yv12" else (u, v)
    return np.concatenate([y.reshape(-1), first.reshape(-1), second.reshape(-1)])


def upsample(fmt: str, plane: NDArray[np.uint8], w: int, h: int) -> NDArray[np.float64]:
    """Each chroma sample repeated over its block (nearest)."""
    ch, cw = plane.shape
    rows = np.arange(h) // 2 if ch != h else np.arange(h)
    cols = np.arange(w) // 2 if cw != w else np.arange(w)
    return plane[rows][:, cols].astype(np.float64)


def scales(matrix: str, range_: str) -> tuple[float, float, float, float, float]:
    kr, kb = KR_KB[matrix]
    if range_ == "limited":
        return kr, kb, 255 / 219, 255 / 224, 16.0
    return kr, kb, 1.0, 1.0, 0.0


def ref_rgb(fmt: str, buf: NDArray[np.uint8], w: int, h: int, matrix: str, range_: str) -> NDArray[np.float64]:
    """The exact RGB of the formula (unrounded, clamped to 0..255)."""
    kr, kb, ys, cs, y0 = scales(matrix, range_)
    kg = 1 - kr - kb
    y, u, v = unpack(fmt, buf, w, h)
    luma = ys * (y.astype(np.float64) - y0)
    cb = cs * (upsample(fmt, u, w, h) - 128)
    cr = cs * (upsample(fmt, v, w, h) - 128)
    r = luma + 2 * (1 - kr) * cr
    g = luma - (2 * kb * (1 - kb) * cb + 2 * kr * (1 - kr) * cr) / kg
    b = luma + 2 * (1 - kb) * cb
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255)


def ref_yuv(fmt: str, rgb: NDArray[np.uint8], matrix: str, range_: str) -> tuple[NDArray[np.float64], ...]:
    """Y, U, V of the formula (unrounded, clamped), chroma of the block's top-left pixel (4:2:0)
    or of the mean of its two pixels (4:2:2; a last odd column counts alone)."""
    kr, kb = KR_KB[matrix]
    kg = 1 - kr - kb
    full = range_ == "full"
    yk, ck, y0 = (1.0, 1.0, 0.0) if full else (219 / 255, 224 / 255, 16.0)
    px = rgb.astype(np.float64)
    w = rgb.shape[1]
    if fmt in ("i420", "yv12", "nv12", "nv21"):
        chroma_px = px[::2, ::2]
    elif fmt == "i444":
        chroma_px = px
    else:
        right = px[:, 1::2]
        if w % 2:
            right = np.concatenate([right, px[:, -1:]], axis=1)
        chroma_px = (px[:, 0::2] + right) / 2

    def luma(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return kr * p[..., 0] + kg * p[..., 1] + kb * p[..., 2]

    y = y0 + yk * luma(px)
    lc = luma(chroma_px)
    u = 128 + ck * (chroma_px[..., 2] - lc) / (2 * (1 - kb))
    v = 128 + ck * (chroma_px[..., 0] - lc) / (2 * (1 - kr))
    return tuple(np.clip(p, 0, 255) for p in (y, u, v))


def random_frame(fmt: str, w: int, h: int, seed: int, y_min: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    ch, cw = chroma_size(fmt, w, h)
    y = rng.integers(y_min, 256, (h, w), dtype=np.uint8)
    u = rng.integers(0, 256, (ch, cw), dtype=np.uint8)
    v = rng.integers(0, 256, (ch, cw), dtype=np.uint8)
    return pack(fmt, y, u, v)


def random_rgb(w: int, h: int, seed: int) -> NDArray[np.uint8]:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def sizes(fmt: str) -> list[tuple[int, int]]:
    """Odd and even sizes, small and past the SIMD loops' 64 pixels, with tails."""
    if fmt in PACKED:
        return [(2, 1), (4, 3), (130, 5), (200, 7), (256, 4)]
    return [(1, 1), (3, 3), (5, 2), (129, 5), (203, 7), (256, 4)]


def assert_close(ours: NDArray[np.uint8], exact: NDArray[np.float64], what: str) -> None:
    """Within 0.55 of the unrounded value, and (from 2000 samples on) at least 99% equal to it rounded."""
    error = np.abs(ours.astype(np.float64) - exact)
    assert error.max() <= 0.55, f"{what}: off by {error.max():.3f}"
    rounded = np.floor(exact + 0.5)
    assert ours.size < 2000 or np.mean(ours == rounded) >= 0.99, f"{what}: only {np.mean(ours == rounded):.4f} exact"


# ---- the formula ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("range_", RANGES)
def test_from_yuv_follows_the_formula(fmt: YuvFormat, matrix: YuvMatrix, range_: YuvRange) -> None:
    for seed, (w, h) in enumerate(sizes(fmt)):
        buf = random_frame(fmt, w, h, seed)
        ours = pixelkit.from_yuv(buf, w, h, fmt, matrix, range_)
        assert isinstance(ours, Image) and ours.shape == (h, w, 3)
        assert_close(ours.array, ref_rgb(fmt, buf, w, h, matrix, range_), f"{fmt} {matrix} {range_} {w}x{h}")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("range_", RANGES)
def test_to_yuv_follows_the_formula(fmt: YuvFormat, matrix: YuvMatrix, range_: YuvRange) -> None:
    for seed, (w, h) in enumerate(sizes(fmt)):
        rgb = random_rgb(w, h, seed)
        ours = pixelkit.to_yuv(rgb, fmt, matrix, range_)
        assert isinstance(ours, np.ndarray) and ours.dtype == np.uint8 and ours.shape == (frame_bytes(fmt, w, h),)
        for name, plane, exact in zip("YUV", unpack(fmt, ours, w, h), ref_yuv(fmt, rgb, matrix, range_), strict=True):
            assert_close(plane, exact, f"{name} of {fmt} {matrix} {range_} {w}x{h}")


def test_the_range_ends_and_greys_are_exact() -> None:
    """Limited range: black is Y 16, white Y 235, greys U = V = 128; those convert back exactly."""
    greys = np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(16, 16, 3)
    for matrix in MATRICES:
        y, u, v = unpack("i444", pixelkit.to_yuv(greys, "i444", matrix), 16, 16)
        assert y[0, 0] == 16 and y[-1, -1] == 235
        assert np.all(u == 128) and np.all(v == 128)
        full = pixelkit.to_yuv(greys, "i444", matrix, "full")
        assert np.array_equal(unpack("i444", full, 16, 16)[0], greys[..., 0])
        back = pixelkit.from_yuv(full, 16, 16, "i444", matrix, "full")
        assert np.array_equal(back.array, greys)


# ---- OpenCV ----------------------------------------------------------------------------------------

OPENCV_TO_RGB = {
    "i420": "COLOR_YUV2RGB_I420",
    "yv12": "COLOR_YUV2RGB_YV12",
    "nv12": "COLOR_YUV2RGB_NV12",
    "nv21": "COLOR_YUV2RGB_NV21",
    "yuyv": "COLOR_YUV2RGB_YUYV",
    "uyvy": "COLOR_YUV2RGB_UYVY",
}
OPENCV_TO_YUV = {
    "i420": "COLOR_RGB2YUV_I420",
    "yv12": "COLOR_RGB2YUV_YV12",
    "yuyv": "COLOR_RGB2YUV_YUYV",
    "uyvy": "COLOR_RGB2YUV_UYVY",
}


def assert_opencv_like(ours: NDArray[np.uint8], theirs: NDArray[Any], what: str) -> None:
    diff = ours.astype(np.int64) - theirs.astype(np.int64)
    assert np.abs(diff).max() <= 1, f"{what}: off by {np.abs(diff).max()}"
    assert abs(diff.mean()) <= 0.05, f"{what}: biased by {diff.mean():.4f}"
    assert np.mean(diff == 0) >= 0.95, f"{what}: only {np.mean(diff == 0):.4f} exact"


@pytest.mark.parametrize("fmt", list(OPENCV_TO_RGB))
@pytest.mark.parametrize("size", [(640, 480), (322, 242)])
def test_from_yuv_matches_opencv(fmt: YuvFormat, size: tuple[int, int]) -> None:
    w, h = size
    buf = random_frame(fmt, w, h, 7, y_min=16)
    shaped = buf.reshape(h, w, 2) if fmt in PACKED else buf.reshape(h * 3 // 2, w)
    theirs = cv2.cvtColor(shaped, getattr(cv2, OPENCV_TO_RGB[fmt]))
    assert_opencv_like(pixelkit.from_yuv(buf, w, h, fmt).array, theirs, fmt)


@pytest.mark.parametrize("fmt", list(OPENCV_TO_YUV))
@pytest.mark.parametrize("size", [(640, 480), (322, 242)])
def test_to_yuv_matches_opencv(fmt: YuvFormat, size: tuple[int, int]) -> None:
    w, h = size
    rgb = random_rgb(w, h, 8)
    theirs = cv2.cvtColor(rgb, getattr(cv2, OPENCV_TO_YUV[fmt])).reshape(-1)
    assert_opencv_like(pixelkit.to_yuv(rgb, fmt), theirs, fmt)


def test_opencv_raises_footroom_luma_and_pixelkit_does_not() -> None:
    """Y below 16 (footroom): OpenCV treats it as 16, pixelkit follows the formula (darker than black, clamped)."""
    y = np.full((2, 2), 8, np.uint8)
    buf = pack("i420", y, np.full((1, 1), 128, np.uint8), np.full((1, 1), 200, np.uint8))
    theirs = cv2.cvtColor(buf.reshape(3, 2), cv2.COLOR_YUV2RGB_I420)
    ours = pixelkit.from_yuv(buf, 2, 2, "i420").array
    exact = ref_rgb("i420", buf, 2, 2, "bt601", "limited")
    assert_close(ours, exact, "footroom")
    assert not np.array_equal(ours, theirs)


# ---- ffmpeg ----------------------------------------------------------------------------------------

FFMPEG_FORMATS = {
    "i420": "yuv420p",
    "nv12": "nv12",
    "nv21": "nv21",
    "yuyv": "yuyv422",
    "uyvy": "uyvy422",
    "i422": "yuv422p",
    "i444": "yuv444p",
}
# (matrix, range, ffmpeg's -colorspace, ffmpeg's -color_range)
FFMPEG_SETTINGS = [
    ("bt601", "limited", "smpte170m", "tv"),
    ("bt709", "full", "bt709", "pc"),
    ("bt2020", "limited", "bt2020nc", "tv"),
    ("bt709", "limited", "bt709", "tv"),
    ("bt601", "full", "bt470bg", "pc"),
]


def chroma_is_flat(fmt: str, u: NDArray[np.uint8], v: NDArray[np.uint8], w: int, h: int) -> NDArray[np.bool_]:
    """Pixels whose chroma sample equals its 8 neighbours (U and V): no interpolation or siting can change them."""
    flat = np.ones(u.shape, bool)
    for plane in (u, v):
        padded = np.pad(plane, 1, mode="edge")
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                flat &= padded[1 + dy : 1 + dy + plane.shape[0], 1 + dx : 1 + dx + plane.shape[1]] == plane
    return upsample(fmt, flat.astype(np.uint8), w, h) > 0


@pytest.mark.parametrize("fmt", list(FFMPEG_FORMATS))
@pytest.mark.parametrize("setting", FFMPEG_SETTINGS, ids=lambda s: f"{s[0]}-{s[1]}")
@pytest.mark.parametrize("size", [(320, 240), (321, 241)])
def test_ffmpeg_agrees(fmt: YuvFormat, setting: tuple[YuvMatrix, YuvRange, str, str], size: tuple[int, int]) -> None:
    """ffmpeg's testsrc2 frame in ffmpeg's layout, converted to rgb24 by ffmpeg itself, the input
    tagged with ``-colorspace`` and ``-color_range``, with
    ``-sws_flags neighbor+accurate_rnd+bitexact+full_chroma_int`` (nearest chroma, exact arithmetic).

    Found to hold: at even sizes every sample within 1 (all exact but BT.709 full range, where
    ffmpeg's own coefficients differ in the last bit for 0.04% of samples); at odd sizes ffmpeg's
    scaler stretches the ``ceil(w / 2)`` (``ceil(h / 2)``) chroma samples over ``w`` (``h``)
    pixels, so near colour edges its nearest sample is sometimes the neighbouring one: there every
    pixel whose chroma sample equals its 8 neighbours is within 1 (exact in practice), and at
    least 95% of all samples are exact.
    Without ``neighbor`` (bicubic chroma) the flat regions are off by up to 32 (a wider filter);
    without ``full_chroma_int`` ffmpeg takes its table-driven unscaled path.
    """
    matrix, range_, colorspace, color_range = setting
    w, h = size
    if fmt in PACKED and w % 2:
        w -= 1
    pix_fmt = FFMPEG_FORMATS[fmt]
    source = f"testsrc2=size={w + 1}x{h + 1},crop={w}:{h}:0:0:exact=1"
    frame = ffmpeg("-f", "lavfi", "-i", source, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
    assert len(frame) == frame_bytes(fmt, w, h)
    rgb = ffmpeg(
        "-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{w}x{h}", "-colorspace", colorspace,
        "-color_range", color_range, "-i", "-", "-sws_flags", "neighbor+accurate_rnd+bitexact+full_chroma_int",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        data=frame,
    )  # fmt: skip
    theirs = np.frombuffer(rgb, np.uint8).reshape(h, w, 3).astype(np.int64)
    ours = pixelkit.from_yuv(frame, w, h, fmt, matrix, range_).array.astype(np.int64)
    diff = np.abs(ours - theirs)
    if fmt == "i444" or (w % 2 == 0 and (h % 2 == 0 or fmt not in ("i420", "nv12", "nv21"))):
        assert diff.max() <= 1, f"off by {diff.max()}"
        assert np.mean(diff == 0) >= 0.999
    else:
        _, u, v = unpack(fmt, np.frombuffer(frame, np.uint8), w, h)
        flat = chroma_is_flat(fmt, u, v, w, h)
        assert flat.mean() > 0.5
        assert diff[flat].max() <= 1, f"off by {diff[flat].max()} where the chroma is flat"
        assert np.mean(diff == 0) >= 0.95


@pytest.mark.parametrize("setting", FFMPEG_SETTINGS, ids=lambda s: f"{s[0]}-{s[1]}")
def test_ffmpeg_agrees_on_4_4_4_from_rgb(setting: tuple[YuvMatrix, YuvRange, str, str]) -> None:
    """to_yuv i444 against ffmpeg's rgb24 -> yuv444p of its testsrc2 frame
    (``scale=out_color_matrix=M:out_range=R:flags=accurate_rnd+bitexact+full_chroma_int``): within
    1 on every sample; at least 95% exact in limited range, 80% in full range (where ffmpeg
    scales its coefficients differently: 84% of BT.601 and 90% of BT.709 samples agree).
    Subsampled layouts are left out: ffmpeg filters chroma when it subsamples, pixelkit takes it
    from one pixel (or two) as OpenCV does."""
    matrix, range_, colorspace, color_range = setting
    w, h = 320, 240
    rgb = ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"
    )
    scale = f"scale=out_color_matrix={colorspace}:out_range={color_range}:flags=accurate_rnd+bitexact+full_chroma_int"
    theirs = ffmpeg(
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-i", "-", "-vf", scale,
        "-f", "rawvideo", "-pix_fmt", "yuv444p", "-",
        data=rgb,
    )  # fmt: skip
    image = np.frombuffer(rgb, np.uint8).reshape(h, w, 3)
    diff = pixelkit.to_yuv(image, "i444", matrix, range_).astype(np.int64) - np.frombuffer(theirs, np.uint8)
    assert np.abs(diff).max() <= 1
    assert np.mean(diff == 0) >= (0.8 if range_ == "full" else 0.95)


# ---- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("range_", RANGES)
def test_round_trip(fmt: YuvFormat, matrix: YuvMatrix, range_: YuvRange) -> None:
    """RGB -> YUV -> RGB: within 2 of the original (limited range: 219 and 224 levels; full range:
    the rounding of Y, U and V, each weighted by up to 1.9), for every pixel of 4:4:4, and of
    images whose chroma blocks (2x2 or 2x1) hold one colour each; the colours at least 60% exact
    (full range) or 35% (limited)."""
    w, h = (96, 34) if fmt in PACKED else (95, 33)
    blocks = random_rgb(w, h, 3)
    if fmt != "i444":
        bh = 1 if fmt in ("i422", *PACKED) else 2
        blocks = np.repeat(np.repeat(blocks[::bh, ::2], bh, axis=0), 2, axis=1)[:h, :w].copy()
    back = pixelkit.from_yuv(pixelkit.to_yuv(blocks, fmt, matrix, range_), w, h, fmt, matrix, range_).array
    diff = np.abs(back.astype(np.int64) - blocks)
    assert diff.max() <= 2
    assert np.mean(diff == 0) >= (0.6 if range_ == "full" else 0.35)


# ---- every instruction set and thread count ----------------------------------------------------------


def run_everywhere(call: Any) -> list[bytes]:
    results = []
    for isa in ISAS:
        pixelkit.set_isa(isa)
        for threads in (1, 2):
            pixelkit.set_num_threads(threads)
            results.append(np.ascontiguousarray(np.asarray(call())).tobytes())
    return results


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_bits_on_every_isa_and_thread_count(fmt: YuvFormat) -> None:
    for w, h in [(1000, 602), (2050, 40), *sizes(fmt)]:
        if fmt in PACKED:
            w += w % 2
        buf = random_frame(fmt, w, h, w + h)
        rgb = random_rgb(w, h, w * h)
        settings: tuple[tuple[YuvMatrix, YuvRange], ...] = (("bt601", "limited"), ("bt2020", "full"))
        for matrix, range_ in settings:
            to_rgb = run_everywhere(partial(pixelkit.from_yuv, buf, w, h, fmt, matrix, range_))
            assert len(set(to_rgb)) == 1, f"from_yuv {fmt} {w}x{h} differs: {ISAS}"
            to_yuv = run_everywhere(partial(pixelkit.to_yuv, rgb, fmt, matrix, range_))
            assert len(set(to_yuv)) == 1, f"to_yuv {fmt} {w}x{h} differs: {ISAS}"
            exact = ref_rgb(fmt, buf, w, h, matrix, range_)
            assert_close(np.frombuffer(to_rgb[0], np.uint8).reshape(h, w, 3), exact, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_widths_around_the_simd_blocks(fmt: YuvFormat) -> None:
    """Every width next to the AVX2 loops' 32 pixels (35 with their read-ahead) and the AVX-512
    loops' 64, under every instruction set, against the formula."""
    widths = [*range(1, 5), *range(29, 40), *range(60, 73), *range(94, 102), *range(126, 134)]
    if fmt in PACKED:
        widths = [w for w in widths if w % 2 == 0]
    for isa in ISAS:
        pixelkit.set_isa(isa)
        for w in widths:
            h = 3
            buf = random_frame(fmt, w, h, w)
            got = pixelkit.from_yuv(buf, w, h, fmt, "bt709", "limited").array
            assert_close(got, ref_rgb(fmt, buf, w, h, "bt709", "limited"), f"from_yuv {fmt} {w} on {isa}")
            rgb = random_rgb(w, h, w)
            planes = unpack(fmt, pixelkit.to_yuv(rgb, fmt, "bt601", "full"), w, h)
            for name, plane, exact in zip("YUV", planes, ref_yuv(fmt, rgb, "bt601", "full"), strict=True):
                assert_close(plane, exact, f"{name} of to_yuv {fmt} {w} on {isa}")


def bands_of(call: Any) -> tuple[int, int]:
    before = pool_stats()
    call()
    after = pool_stats()
    return after.bands - before.bands, after.worker_bands - before.worker_bands


@pytest.mark.parametrize("direction", ["from_yuv", "to_yuv"])
def test_large_frames_use_both_threads(direction: str) -> None:
    """One band below 2 * runtime.MIN_BAND_WORK bytes of traffic (a 320x240 i420 frame and its
    RGB: 346 kB); 4 bands a thread above (1080p), which both threads run."""
    pixelkit.set_num_threads(2)
    assert runtime.MIN_BAND_WORK == 256 * 1024

    def convert(w: int, h: int) -> Any:
        if direction == "from_yuv":
            buf = np.zeros(w * h * 3 // 2, np.uint8)
            return lambda: pixelkit.from_yuv(buf, w, h, "i420")
        rgb = np.zeros((h, w, 3), np.uint8)
        return lambda: pixelkit.to_yuv(rgb, "i420")

    assert bands_of(convert(320, 240)) == (1, 0)
    large = convert(1920, 1080)
    for _ in range(1000):
        bands, worker = bands_of(large)
        assert bands == 8
        if 0 < worker < bands:
            break
    else:
        pytest.fail("no call ran bands on both threads")


# ---- inputs and outputs --------------------------------------------------------------------------


def test_data_may_be_any_contiguous_buffer(tmp_path: Path) -> None:
    w, h = 6, 4
    buf = random_frame("i420", w, h, 5)
    expected = pixelkit.from_yuv(buf.tobytes(), w, h, "i420").array
    path = tmp_path / "frame.yuv"
    path.write_bytes(buf.tobytes())
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        got_mmap = pixelkit.from_yuv(mapped, w, h, "i420").array.copy()
    for data in (
        bytearray(buf.tobytes()),
        memoryview(buf.tobytes()),
        buf,
        buf.reshape(h * 3 // 2, w),
        buf.view(np.int8),
    ):
        assert np.array_equal(pixelkit.from_yuv(data, w, h, "i420").array, expected)
    assert np.array_equal(got_mmap, expected)
    with pytest.raises(ValueError, match="contiguous"):
        pixelkit.from_yuv(np.zeros(2 * len(buf), np.uint8)[::2], w, h, "i420")
    with pytest.raises(TypeError, match="buffer"):
        pixelkit.from_yuv([1, 2, 3], w, h, "i420")


def test_planes_with_their_own_strides() -> None:
    w, h = 7, 5
    rgb = random_rgb(w, h, 11)
    for fmt in FORMATS:
        width = w + 1 if fmt in PACKED else w
        img = random_rgb(width, h, 12)
        flat = pixelkit.to_yuv(img, fmt)
        expected = pixelkit.from_yuv(flat, width, h, fmt).array
        layout = pixelkit.yuv_layout(fmt, width, h)
        planes, offset = [], 0
        for rows, row_bytes in layout:
            big = np.zeros((rows + 2, row_bytes + 9), np.uint8)
            big[1 : rows + 1, 3 : row_bytes + 3] = flat[offset : offset + rows * row_bytes].reshape(rows, row_bytes)
            planes.append(big[1 : rows + 1, 3 : row_bytes + 3])  # a crop: rows row_bytes + 9 apart
            offset += rows * row_bytes
        assert np.array_equal(pixelkit.from_yuv(tuple(planes), width, h, fmt).array, expected)
        # to_yuv into the same kind of planes
        outs = tuple(np.zeros((p.shape[0] + 1, p.shape[1] + 5), np.uint8)[1:, 2 : p.shape[1] + 2] for p in planes)
        assert pixelkit.to_yuv(img, fmt, out=outs) is outs
        assert np.array_equal(np.concatenate([p.reshape(-1) for p in outs]), flat)
    del rgb
    # grouped samples: nv12 UV as (h / 2, w / 2, 2), yuyv as (h, w, 2)
    w, h = 8, 4
    frame = random_frame("nv12", w, h, 13)
    y, uv = frame[: w * h].reshape(h, w), frame[w * h :].reshape(h // 2, w // 2, 2)
    assert np.array_equal(pixelkit.from_yuv((y, uv), w, h, "nv12").array, pixelkit.from_yuv(frame, w, h, "nv12").array)
    packed = random_frame("yuyv", w, h, 14)
    assert np.array_equal(
        pixelkit.from_yuv((packed.reshape(h, w, 2),), w, h, "yuyv").array, pixelkit.from_yuv(packed, w, h, "yuyv").array
    )


def test_out() -> None:
    w, h = 9, 6
    buf = random_frame("i422", w, h, 21)
    expected = pixelkit.from_yuv(buf, w, h, "i422").array
    array = np.zeros((h, w, 3), np.uint8)
    assert pixelkit.from_yuv(buf, w, h, "i422", out=array) is array
    assert np.array_equal(array, expected)
    image = Image(w, h)
    assert pixelkit.from_yuv(buf, w, h, "i422", out=image) is image
    assert np.array_equal(image.array, expected)
    with pytest.raises(ValueError, match="shape"):
        pixelkit.from_yuv(buf, w, h, "i422", out=np.zeros((h, w + 1, 3), np.uint8))
    frozen = np.zeros((h, w, 3), np.uint8)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.from_yuv(buf, w, h, "i422", out=frozen)
    # to_yuv into buffers
    rgb = random_rgb(w, h, 22)
    flat = pixelkit.to_yuv(rgb, "i420")
    for target in (bytearray(len(flat)), np.zeros(len(flat), np.uint8), np.zeros((h * 3 // 2 + 1, w), np.uint8)):
        if isinstance(target, np.ndarray) and target.size != len(flat):
            with pytest.raises(ValueError, match=f"is {len(flat)} bytes, got {target.size}"):
                pixelkit.to_yuv(rgb, "i420", out=target)
            continue
        assert pixelkit.to_yuv(rgb, "i420", out=target) is target
        assert bytes(target) == flat.tobytes()
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.to_yuv(rgb, "i420", out=bytes(len(flat)))


def test_overlap_is_refused() -> None:
    w, h = 8, 4
    memory = np.zeros(w * h * 3, np.uint8)
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.from_yuv(memory[: frame_bytes("i444", w, h)], w, h, "i444", out=memory.reshape(h, w, 3))
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.to_yuv(memory.reshape(h, w, 3), "i444", out=memory)
    y = np.zeros((h, w), np.uint8)
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.to_yuv(random_rgb(w, h, 1), "i444", out=(y, y, np.zeros((h, w), np.uint8)))


# ---- refusals ------------------------------------------------------------------------------------------


def test_wrong_sizes_say_expected_and_actual_bytes() -> None:
    with pytest.raises(ValueError, match="a 5x3 i420 image is 27 bytes, got 26"):
        pixelkit.from_yuv(bytes(26), 5, 3, "i420")
    with pytest.raises(ValueError, match="a 4x2 yuyv image is 16 bytes, got 17"):
        pixelkit.from_yuv(bytes(17), 4, 2, "yuyv")
    with pytest.raises(ValueError, match=r"shape \(1, 4\)"):
        pixelkit.from_yuv((np.zeros((2, 4), np.uint8), np.zeros((1, 3), np.uint8)), 4, 2, "nv12")
    with pytest.raises(ValueError, match="2 planes"):
        pixelkit.from_yuv((np.zeros((2, 4), np.uint8),), 4, 2, "nv12")
    with pytest.raises(TypeError, match="uint8"):
        pixelkit.from_yuv((np.zeros((2, 4), np.uint16), np.zeros((1, 4), np.uint8)), 4, 2, "nv12")


@pytest.mark.parametrize("fmt", PACKED)
def test_packed_422_needs_an_even_width(fmt: YuvFormat) -> None:
    with pytest.raises(ValueError, match="even width"):
        pixelkit.from_yuv(bytes(12), 3, 2, fmt)
    with pytest.raises(ValueError, match="even width"):
        pixelkit.to_yuv(random_rgb(3, 2, 0), fmt)
    with pytest.raises(ValueError, match="even width"):
        pixelkit.yuv_layout(fmt, 3, 2)


def test_unknown_names_list_the_valid_ones() -> None:
    buf = bytes(6)
    with pytest.raises(ValueError, match="unknown format 'yuv420p'; valid: 'i420', 'yv12', 'nv12'"):
        pixelkit.from_yuv(buf, 2, 2, "yuv420p")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown matrix 'bt470'; valid: 'bt601', 'bt709', 'bt2020'"):
        pixelkit.from_yuv(buf, 2, 2, "i420", "bt470")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown range 'tv'; valid: 'limited', 'full'"):
        pixelkit.to_yuv(random_rgb(2, 2, 0), "i420", range="tv")  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        pixelkit.from_yuv(buf, 2.0, 2, "i420")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="width"):
        pixelkit.from_yuv(buf, 0, 2, "i420")


def test_yuv_layout() -> None:
    assert pixelkit.yuv_layout("i420", 321, 241) == [(241, 321), (121, 161), (121, 161)]
    assert pixelkit.yuv_layout("nv21", 321, 241) == [(241, 321), (121, 322)]
    assert pixelkit.yuv_layout("uyvy", 320, 3) == [(3, 640)]
    assert pixelkit.yuv_layout("i422", 5, 3) == [(3, 5), (3, 3), (3, 3)]
    assert pixelkit.yuv_layout("i444", 5, 3) == [(3, 5), (3, 5), (3, 5)]
    for fmt in FORMATS:
        w = 322 if fmt in PACKED else 321
        assert sum(r * b for r, b in pixelkit.yuv_layout(fmt, w, 241)) == frame_bytes(fmt, w, 241)
