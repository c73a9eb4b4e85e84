"""Independent references (numpy, OpenCV, Pillow) for pixelkit.ops, and the inputs the kernel tests share.

Used by test_ops_kernels.py, test_ops_resample_filter.py and test_runtime.py.  Nothing here calls
pixelkit to compute an expected value: pixelkit only appears as the thing under test (``Op.call``)
and to wrap memory (``Image.from_array``, ``Image.from_buffer``) for the input layouts.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, SupportsIndex

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image as PILImage

import pixelkit
import pixelkit.ops
from conftest import run_tool
from pixelkit import Image
from pixelkit._native import lib
from pixelkit.image import Color
from pixelkit.ops import ResizeMethod

RandomRGB = Callable[[int, int], NDArray[np.uint8]]
ImageLike = Image | NDArray[np.uint8]

# (width, height): single pixel, single row, single column, odd and even, one large enough for SIMD tails.
SIZES = [(1, 1), (1, 17), (17, 1), (2, 3), (5, 4), (31, 17), (64, 48), (257, 129)]
# How the same pixels are handed to an operation.
LAYOUTS = ("array", "image", "crop", "slice", "padded")
FRAME_SOURCES = ("testsrc", "smptebars", "mandelbrot")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LUT1 = np.random.default_rng(71).integers(0, 256, 256, dtype=np.uint8)
LUT3 = np.random.default_rng(72).integers(0, 256, (3, 256), dtype=np.uint8)


# ---- inputs --------------------------------------------------------------------------------


def as_layout(data: NDArray[np.uint8], layout: str) -> ImageLike:
    """``data``'s pixels as an array, an Image, a crop, a numpy slice or an Image with padded rows.

    The bytes around crops and slices are random, so a kernel that reads outside its image
    gets garbage into its result.
    """
    height, width, _ = data.shape
    noise = np.random.default_rng(height * 1000 + width)
    if layout == "array":
        copy: NDArray[np.uint8] = data.copy()
        return copy
    if layout == "image":
        image = Image(width, height)
        image.array[...] = data
        return image
    if layout == "crop":
        big = noise.integers(0, 256, (height + 5, width + 7, 3), dtype=np.uint8)
        big[3 : 3 + height, 2 : 2 + width] = data
        return Image.from_array(big).crop(2, 3, width, height)
    if layout == "slice":
        big = noise.integers(0, 256, (height + 2, width + 9, 3), dtype=np.uint8)
        big[1 : 1 + height, 4 : 4 + width] = data
        return big[1 : 1 + height, 4 : 4 + width]
    if layout == "padded":
        # Rows 3 * width + 5 bytes apart, starting one byte into the buffer: nothing is aligned.
        stride = 3 * width + 5
        buffer = bytearray(noise.integers(0, 256, stride * height + 8, dtype=np.uint8).tobytes())
        image = Image.from_buffer(memoryview(buffer)[1:], width, height, stride)
        image.array[...] = data
        assert image.stride == stride
        return image
    raise AssertionError(layout)


def split_of(call: Callable[[], Any]) -> pixelkit.runtime.PoolStats:
    """How ``call()`` was split over threads: the change of this thread's pool counters across it."""
    before = pixelkit.runtime.pool_stats()
    call()
    after = pixelkit.runtime.pool_stats()
    return pixelkit.runtime.PoolStats(*(a - b for a, b in zip(after, before, strict=True)))


def pixels(result: Any) -> NDArray[Any]:
    """The numpy view of a result (Image or array)."""
    return np.asarray(result)


@functools.cache
def _ffmpeg_frame(source: str, width: int, height: int) -> NDArray[np.uint8]:
    raw = run_tool(
        "ffmpeg",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"{source}=size={width}x{height}",
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    )
    frame: NDArray[np.uint8] = np.frombuffer(raw, np.uint8).reshape(height, width, 3).copy()
    frame.flags.writeable = False
    return frame


def ffmpeg_frame(source: str, width: int = 320, height: int = 240) -> NDArray[np.uint8]:
    """One rgb24 frame of an ffmpeg lavfi source (a fresh writable copy)."""
    frame: NDArray[np.uint8] = _ffmpeg_frame(source, width, height).copy()
    return frame


def assert_matches(
    result: Any, expected: NDArray[Any], tolerance: float = 0, exact: NDArray[np.float64] | None = None
) -> None:
    """Same shape and dtype (float32 for a float reference); equal, or within ``tolerance``.

    An 8-bit result allowed within one level of ``expected`` must also be unbiased and nearly always
    right (assert_close_unbiased): measured against ``exact``, the unrounded float64 value, where
    the 8-bit reference is itself biased (OpenCV's fixed-point bilinear truncates), else against
    ``expected``.
    """
    got = pixels(result)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == (np.dtype(np.float32) if expected.dtype.kind == "f" else expected.dtype)
    if tolerance == 0:
        differ = got != expected
        assert not differ.any(), (
            f"{np.count_nonzero(differ)} of {expected.size} samples differ, first at "
            f"{tuple(int(i) for i in np.argwhere(differ)[0])}: {got[differ][0]} instead of {expected[differ][0]}"
        )
    elif tolerance == 1 and expected.dtype.kind in "iu":
        assert_close_unbiased(got, expected, exact=exact)
    else:
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
        assert diff.max() <= tolerance, (
            f"max difference {diff.max()} > {tolerance} at {tuple(int(i) for i in worst)}: "
            f"{got[worst]} instead of {expected[worst]}"
        )


# Below this many samples the bias and the share of exact samples say little (one sample off by
# one in a 3-sample image is a 0.33 bias): only the largest difference is checked.  Every kernel
# is also compared on images far larger than this.
MIN_STATISTICS_SAMPLES = 1000
# How far past x.5 a tie may land when the weights are rounded to fixed point (levels).
TIE_SLACK = 1 / 32


def assert_close_unbiased(
    actual: Any,
    expected: NDArray[Any],
    max_abs: float = 1,
    max_mean_bias: float = 0.05,
    min_exact: float = 0.95,
    exact: NDArray[np.float64] | None = None,
) -> None:
    """Within ``max_abs`` of ``expected`` everywhere, and with no systematic error.

    A kernel within one level of the reference could still be off by one nearly everywhere, or
    truncate where the reference rounds (a mean error near -0.5): so the mean signed difference
    must lie within ``max_mean_bias`` and at least ``min_exact`` of the samples must be right (for
    images of at least MIN_STATISTICS_SAMPLES samples).  Against an integer reference "right" is
    equal; given ``exact``, the unrounded value, "right" is a correct rounding of it (within 0.5,
    either way at a tie) and the bias is the mean error beyond correct rounding.
    """
    got = pixels(actual)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    signed = got.astype(np.float64) - expected.astype(np.float64)
    diff = np.abs(signed)
    if diff.size == 0:
        return
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    assert diff.max() <= max_abs, (
        f"max difference {diff.max()} > {max_abs} at {tuple(int(i) for i in worst)}: "
        f"{got[worst]} instead of {expected[worst]}"
    )
    if diff.size < MIN_STATISTICS_SAMPLES:
        return
    against = "the reference"
    if exact is not None:
        # Right: a correct rounding of the exact value, either way at a tie (tie rules differ: OpenCV
        # rounds to even, pixelkit's fixed point half up), give or take the rounding of the weights
        # to fixed point (a tie computed with rounded weights lands a little off x.5, either side).
        # The bias is that of the wrong samples against the nearest level: truncation gives about
        # -0.5, an off-by-one everywhere +1.
        assert exact.shape == expected.shape, (exact.shape, expected.shape)
        value = got.astype(np.float64)
        right = np.abs(value - exact) <= 0.5 + TIE_SLACK
        signed = np.where(right, 0.0, value - np.floor(exact + 0.5))
        against = "the exact value"
    else:
        right = diff == 0
    bias = float(signed.mean())
    share = float(np.count_nonzero(right)) / diff.size
    assert abs(bias) <= max_mean_bias, (
        f"mean signed error {bias:+.4f} against {against} outside +-{max_mean_bias} "
        f"({share:.2%} of {diff.size} samples right)"
    )
    assert share >= min_exact, (
        f"only {share:.2%} of {diff.size} samples right against {against} (at least {min_exact:.0%} wanted)"
    )


# ---- references ----------------------------------------------------------------------------


def ref_lut(a: NDArray[np.uint8], lut: NDArray[np.uint8]) -> NDArray[np.uint8]:
    looked_up: NDArray[np.uint8] = lut[a] if lut.ndim == 1 else lut[np.arange(3), a]
    return looked_up


def ref_adjust(
    a: NDArray[np.uint8], brightness: float = 0.0, contrast: float = 1.0, gamma: float = 1.0
) -> NDArray[np.uint8]:
    """The formula of adjust()'s docstring, on every sample in float64."""
    v = a.astype(np.float64) / 255.0
    v = np.clip((v - 0.5) * contrast + 0.5 + brightness, 0.0, 1.0) ** (1.0 / gamma)
    return np.floor(255.0 * v + 0.5).astype(np.uint8)


def ref_gray(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.asarray(PILImage.fromarray(np.ascontiguousarray(a), "RGB").convert("L"))


def ref_tensor(
    a: NDArray[np.uint8],
    mean: Sequence[float] = (0.0, 0.0, 0.0),
    std: Sequence[float] = (1.0, 1.0, 1.0),
    layout: str = "CHW",
) -> NDArray[np.float64]:
    hwc = (a.astype(np.float64) / 255.0 - np.asarray(mean, np.float64)) / np.asarray(std, np.float64)
    return np.ascontiguousarray(hwc.transpose(2, 0, 1)) if layout == "CHW" else hwc


def ref_rot90(a: NDArray[np.uint8], k: int) -> NDArray[np.uint8]:
    return np.rot90(a, k)


def ref_histogram(a: NDArray[np.uint8]) -> NDArray[np.uint64]:
    return np.stack([np.bincount(a[..., c].ravel(), minlength=256) for c in range(3)]).astype(np.uint64)


def ref_paste(dst: NDArray[np.uint8], src: NDArray[np.uint8], x: int, y: int) -> NDArray[np.uint8]:
    """``dst`` with ``src`` copied at (x, y), clipped, by plain slicing."""
    out: NDArray[np.uint8] = dst.copy()
    height, width = dst.shape[:2]
    h, w = src.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = src[y0 - y : y1 - y, x0 - x : x1 - x]
    return out


CV2_RESIZE: dict[ResizeMethod, int] = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "area": cv2.INTER_AREA,
}

# cv2's stubs type its results as arrays of any integer or float dtype, hence NDArray[Any] below.


def ref_resize(a: NDArray[np.uint8], width: int, height: int, method: ResizeMethod) -> NDArray[Any]:
    return cv2.resize(np.ascontiguousarray(a), (width, height), interpolation=CV2_RESIZE[method])


def _linear_taps(n_src: int, n_dst: int, area: bool) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Two taps and the second one's weight per output position, as OpenCV places them.

    Bilinear: centres aligned, x = (d + 0.5) * scale - 0.5.  Area with an axis scaled up: OpenCV's
    INTER_AREA then weighs the two source pixels an output pixel overlaps by their overlap.
    The coordinate arithmetic follows OpenCV's (float32 weights; scale = 1 / (dst / src)), so the
    taps are the same; the weighted sum is exact (float64), not rounded to 11 bits as OpenCV's is.
    """
    inv = n_dst / n_src
    scale = 1.0 / inv
    d = np.arange(n_dst, dtype=np.float64)
    if area:
        start = np.floor(d * scale)
        weight = ((d + 1) - (start + 1) * inv).astype(np.float32).astype(np.float64)
        weight = np.where(weight <= 0, 0.0, weight - np.floor(weight))
    else:
        x = ((d + 0.5) * scale - 0.5).astype(np.float32).astype(np.float64)
        start = np.floor(x)
        weight = x - start
        weight = np.where(start < 0, 0.0, weight)
        start = np.maximum(start, 0)
    first = start.astype(np.intp)
    last = first >= n_src - 1
    first = np.where(last, n_src - 1, first)
    weight = np.where(last, 0.0, weight)
    return first, np.minimum(first + 1, n_src - 1), weight


def _box_means(values: NDArray[np.float64], n_dst: int) -> NDArray[np.float64]:
    """Along axis 0: the mean of ``values`` over each output pixel's box [d s, (d + 1) s), s = n_src / n_dst,
    partial source pixels weighted by the part of them inside (from prefix sums: any size in O(n))."""
    n_src = values.shape[0]
    scale = n_src / n_dst
    prefix = np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])
    padded = np.concatenate([values, np.zeros((1, *values.shape[1:]))])

    def integral(x: NDArray[np.float64]) -> NDArray[np.float64]:
        x = np.clip(x, 0.0, float(n_src))
        whole = np.floor(x).astype(np.intp)
        part = (x - whole).reshape(-1, *([1] * (values.ndim - 1)))
        covered: NDArray[np.float64] = prefix[whole] + part * padded[whole]
        return covered

    edges = np.arange(n_dst + 1, dtype=np.float64) * scale
    mean: NDArray[np.float64] = (integral(edges[1:]) - integral(edges[:-1])) / scale
    return mean


def ref_resize_exact(a: NDArray[np.uint8], width: int, height: int, method: ResizeMethod) -> NDArray[np.float64] | None:
    """What resize's error statistics are taken against besides OpenCV (None: OpenCV itself).

    pixelkit's bilinear and whole-factor area follow OpenCV's own fixed-point and rounding steps
    (16-bit rows blended as OpenCV's vector code does, ties to even for whole area factors), so
    their results equal OpenCV's in at least 98.5% of samples with a bias under 0.001, and OpenCV's
    result is the reference for the bias and spread bounds too.  Area shrinking by a fraction on
    some axis is the mean of a box with rational weights (16 rows -> 10: 5/8 and 3/8), so up to one
    sample in eight is an exact tie, which OpenCV (float sums) and pixelkit (fixed-point rows, float
    columns) each round by the sign of their own rounding errors: there the statistics are taken
    against the unrounded box mean, where either rounding of a tie is right (and the 1-level bound
    against OpenCV still holds).
    """
    src_h, src_w = a.shape[:2]
    shrinks = method == "area" and width <= src_w and height <= src_h
    if shrinks and (src_w % width or src_h % height):
        return ref_resize_float64(a, width, height, method)
    return None


def ref_resize_float64(
    a: NDArray[np.uint8], width: int, height: int, method: ResizeMethod
) -> NDArray[np.float64] | None:
    """The unrounded value of cv2.resize's bilinear and area, in numpy (None for nearest).

    Area shrinking both axes: the mean over each output pixel's box (its ties may be rounded either
    way: OpenCV's and pixelkit's float sums land a little to either side of them).  Bilinear, and
    area with an axis scaled up: two taps.
    """
    src_h, src_w = a.shape[:2]
    if method == "nearest":
        return None
    if method == "area" and width <= src_w and height <= src_h:
        rows = _box_means(a.astype(np.float64), height)
        mean: NDArray[np.float64] = _box_means(rows.transpose(1, 0, 2), width).transpose(1, 0, 2)
        return mean
    y0, y1, fy = _linear_taps(src_h, height, method == "area")
    x0, x1, fx = _linear_taps(src_w, width, method == "area")
    f = a.astype(np.float64)
    rows = f[y0] * (1 - fy)[:, None, None] + f[y1] * fy[:, None, None]
    exact: NDArray[np.float64] = rows[:, x0] * (1 - fx)[None, :, None] + rows[:, x1] * fx[None, :, None]
    return exact


def ref_blend_exact(a: NDArray[np.uint8], b: NDArray[np.uint8], alpha: float) -> NDArray[np.float64]:
    """a * (1 - alpha) + b * alpha, unrounded (cv2.addWeighted rounds ties to even)."""
    exact: NDArray[np.float64] = a.astype(np.float64) * (1.0 - alpha) + b.astype(np.float64) * alpha
    return exact


def ref_box(a: NDArray[np.uint8], radius: int) -> NDArray[Any]:
    size = 2 * radius + 1
    return cv2.blur(np.ascontiguousarray(a), (size, size), borderType=cv2.BORDER_REFLECT_101)


def ref_gaussian(a: NDArray[np.uint8], sigma: float) -> NDArray[Any]:
    return cv2.GaussianBlur(np.ascontiguousarray(a), (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)


def ref_blend(a: NDArray[np.uint8], b: NDArray[np.uint8], alpha: float) -> NDArray[Any]:
    return cv2.addWeighted(np.ascontiguousarray(a), 1.0 - alpha, np.ascontiguousarray(b), alpha, 0.0)


def partner(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A second image of ``a``'s shape, derived from it with numpy (for blend)."""
    return (a[::-1, ::-1].astype(np.uint16) * 37 + 101).astype(np.uint8)


def canvas(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A destination for paste a little larger than ``a``, with its own pattern."""
    height, width = a.shape[:2]
    return np.random.default_rng(height * 7 + width).integers(0, 256, (height + 3, width + 2, 3), dtype=np.uint8)


PASTE_AT = (-1, 2)


def _paste(img: ImageLike) -> NDArray[np.uint8]:
    dst = canvas(pixels(img))
    assert pixelkit.paste(dst, img, *PASTE_AT) is dst
    return dst


def fill_either(img: ImageLike, color: Color) -> ImageLike:
    """pixelkit.fill(img, color) for an Image or an array.

    fill's ImageOrArray TypeVar stands for one of the two, so a value typed as the union of both
    is narrowed to each here; both branches make the same call.
    """
    if isinstance(img, Image):
        return pixelkit.fill(img, color)
    return pixelkit.fill(img, color)


def paste_either(dst: ImageLike, src: ImageLike, x: SupportsIndex, y: SupportsIndex) -> ImageLike:
    """pixelkit.paste(dst, src, x, y) for an Image or an array ``dst`` (see fill_either)."""
    if isinstance(dst, Image):
        return pixelkit.paste(dst, src, x, y)
    return pixelkit.paste(dst, src, x, y)


def resize_either(img: ImageLike, width: int, height: int, method: ResizeMethod, out: ImageLike) -> ImageLike:
    """pixelkit.resize(img, width, height, method, out=out) for an Image or an array ``out`` (see fill_either)."""
    if isinstance(out, Image):
        return pixelkit.resize(img, width, height, method, out=out)
    return pixelkit.resize(img, width, height, method, out=out)


def _fill(img: ImageLike) -> NDArray[np.uint8]:
    # fill works in place, on the input itself (whatever its layout).
    assert fill_either(img, (3, 141, 59)) is img
    filled: NDArray[np.uint8] = pixels(img).copy()
    return filled


def _ref_fill(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    out = np.empty_like(a)
    out[...] = np.array([3, 141, 59], np.uint8)
    return out


@dataclass(frozen=True)
class Op:
    """One operation: what pixelkit computes, and what it must equal (within ``tolerance``)."""

    name: str
    call: Callable[[ImageLike], Any]
    reference: Callable[[NDArray[np.uint8]], NDArray[Any]]
    tolerance: float = 0
    # The unrounded value, where the reference's own rounding is biased (see assert_matches).
    exact: Callable[[NDArray[np.uint8]], NDArray[np.float64] | None] | None = None

    def exact_of(self, data: NDArray[np.uint8]) -> NDArray[np.float64] | None:
        return None if self.exact is None else self.exact(data)


POINT_AND_GEOMETRY_OPS = [
    Op("fill", _fill, _ref_fill),
    Op("invert", pixelkit.invert, lambda a: 255 - a),
    Op("apply_lut-shared", lambda img: pixelkit.apply_lut(img, LUT1), lambda a: ref_lut(a, LUT1)),
    Op("apply_lut-per-channel", lambda img: pixelkit.apply_lut(img, LUT3), lambda a: ref_lut(a, LUT3)),
    Op("adjust-brighter", lambda img: pixelkit.adjust(img, 0.1, 1.3, 0.8), lambda a: ref_adjust(a, 0.1, 1.3, 0.8)),
    Op("adjust-darker", lambda img: pixelkit.adjust(img, -0.2, 0.7, 2.2), lambda a: ref_adjust(a, -0.2, 0.7, 2.2)),
    Op("swap_rb", pixelkit.swap_rb, lambda a: a[..., ::-1]),
    Op(
        "blend",
        lambda img: pixelkit.blend(img, partner(pixels(img)), 0.3),
        lambda a: ref_blend(a, partner(a), 0.3),
        1,
        lambda a: ref_blend_exact(a, partner(a), 0.3),
    ),
    Op("to_gray", pixelkit.to_gray, ref_gray),
    Op(
        "to_tensor-CHW-imagenet",
        lambda img: pixelkit.to_tensor(img, IMAGENET_MEAN, IMAGENET_STD),
        lambda a: ref_tensor(a, IMAGENET_MEAN, IMAGENET_STD),
        1e-6,
    ),
    Op(
        "to_tensor-HWC-default",
        lambda img: pixelkit.to_tensor(img, layout="HWC"),
        lambda a: ref_tensor(a, layout="HWC"),
        1e-6,
    ),
    Op("flip_horizontal", pixelkit.flip_horizontal, np.fliplr),
    Op("flip_vertical", pixelkit.flip_vertical, np.flipud),
    Op("transpose", pixelkit.transpose, lambda a: np.transpose(a, (1, 0, 2))),
    *(
        Op(f"rotate90-{k}", functools.partial(pixelkit.rotate90, k=k), functools.partial(ref_rot90, k=k))
        for k in (1, 2, 3, -1)
    ),
    Op("histogram", pixelkit.histogram, ref_histogram),
    Op("paste", _paste, lambda a: ref_paste(canvas(a), a, *PASTE_AT)),
]


def resize_op(method: ResizeMethod, width_scale: float, height_scale: float) -> Op:
    def target(shape: tuple[int, ...]) -> tuple[int, int]:
        return max(1, round(shape[1] * width_scale)), max(1, round(shape[0] * height_scale))

    return Op(
        f"resize-{method}-{width_scale}x{height_scale}",
        lambda img: pixelkit.resize(img, *target(pixels(img).shape), method),
        lambda a: ref_resize(a, *target(a.shape), method),
        0 if method == "nearest" else 1,
        lambda a: ref_resize_exact(a, *target(a.shape), method),
    )


RESAMPLE_AND_FILTER_OPS = [
    *(
        resize_op(method, wx, hx)
        for method in CV2_RESIZE
        for wx, hx in ((0.5, 0.5), (1 / 3, 0.7), (2, 2), (2, 1.5), (1.6, 0.4))
    ),
    *(
        Op(f"box_blur-{r}", functools.partial(pixelkit.box_blur, radius=r), functools.partial(ref_box, radius=r), 1)
        for r in (0, 1, 2, 5, 12)
    ),
    *(
        Op(
            f"gaussian_blur-{s}",
            functools.partial(pixelkit.gaussian_blur, sigma=s),
            functools.partial(ref_gaussian, sigma=s),
            1,
        )
        for s in (0.3, 0.8, 2.0, 5.0)
    ),
]

ALL_OPS = POINT_AND_GEOMETRY_OPS + RESAMPLE_AND_FILTER_OPS


# ---- out=, in place, refusals -------------------------------------------------------------------


class _NoKernels:
    """Stands in for pixelkit.ops.lib: calling any of its functions means C was reached."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._real, name)
        if not callable(value):
            return value  # constants are fine

        def refuse(*args: Any) -> Any:
            raise AssertionError(f"lib.{name} was called before the arguments were refused")

        return refuse


def forbid_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on (until the test ends) any C function called by pixelkit.ops fails the test."""
    # Each module of pixelkit.ops uses the lib of pixelkit._native (it imports the name; mypy does not see
    # it re-exported).
    for info in pkgutil.iter_modules(pixelkit.ops.__path__):
        module = importlib.import_module(f"pixelkit.ops.{info.name}")
        if hasattr(module, "lib"):
            monkeypatch.setattr(module, "lib", _NoKernels(lib))


def out_in_canvas(shape: tuple[int, ...], seed: int = 5) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """(canvas, view): a view of ``shape`` inside a random canvas 3 rows and 4 columns larger."""
    height, width, channels = shape
    big = np.random.default_rng(seed).integers(0, 256, (height + 3, width + 4, channels), dtype=np.uint8)
    return big, big[1 : 1 + height, 2 : 2 + width]


def assert_outside_unchanged(after: NDArray[np.uint8], before: NDArray[np.uint8], shape: tuple[int, ...]) -> None:
    """The canvas of out_in_canvas() changed nowhere but in its view."""
    height, width = shape[:2]
    mask = np.ones(after.shape[:2], bool)
    mask[1 : 1 + height, 2 : 2 + width] = False
    assert np.array_equal(after[mask], before[mask])


def in_place_target(
    data: NDArray[np.uint8], layout: str
) -> tuple[ImageLike, NDArray[np.uint8] | None, NDArray[np.uint8]]:
    """(img, canvas, canvas copy): ``data`` laid out as ``layout``, ready to be its own out=.

    For "crop" the canvas around the crop is returned so that a test can check it stays untouched.
    """
    if layout != "crop":
        return as_layout(data, layout), None, data
    big, view = out_in_canvas(data.shape, seed=9)
    view[...] = data
    return Image.from_array(big).crop(2, 1, data.shape[1], data.shape[0]), big, big.copy()
