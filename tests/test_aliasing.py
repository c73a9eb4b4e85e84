"""Outputs that share memory with inputs or parameters: decided byte by byte, same bits on every ISA.

- crops side by side in one image (their rows interleave, their address ranges overlap) share no
  byte: each may be the ``out=`` of the other, for every operation with an ``out=``;
- a crop sharing a single byte with the input is still refused where the operation cannot run
  in place;
- a lookup table (or to_tensor's scale and bias) lying inside ``out`` is read as it was before
  the call, on every instruction set;
- to_tensor refuses a misaligned float32 ``out`` and a tensor whose end wraps around the
  address space, as images are refused.

Expected values come from numpy, OpenCV and Pillow (kernel_refs.py) on copies of the inputs.
"""

from __future__ import annotations

import functools
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
from conftest import subprocess_env
from kernel_refs import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    RandomRGB,
    assert_matches,
    partner,
    ref_adjust,
    ref_blend,
    ref_box,
    ref_gaussian,
    ref_gray,
    ref_lut,
    ref_resize,
    ref_rot90,
    ref_tensor,
)
from pixelkit import Image
from pixelkit._native import ffi, lib
from pixelkit.ops import Rect

AVAILABLE = pixelkit.cpu_features()["available"]
LUT1 = np.random.default_rng(81).integers(0, 256, 256, dtype=np.uint8)
LUT3 = np.random.default_rng(82).integers(0, 256, (3, 256), dtype=np.uint8)


# Every test leaves the instruction set and thread count as it found them.
pytestmark = pytest.mark.usefixtures("restore_runtime")


# ---- interleaved crops ------------------------------------------------------------------------------

# name -> (call(src, out), reference(src copy), out shape from src shape, tolerance)
Call = Callable[[Any, Any], Any]
Shape = Callable[[int, int], tuple[int, int]]  # (width, height) of the result


def _same(w: int, h: int) -> tuple[int, int]:
    return w, h


def _swapped(w: int, h: int) -> tuple[int, int]:
    return h, w


def _half(w: int, h: int) -> tuple[int, int]:
    return w // 2, h // 2


def _rotate(k: int, src: Any, out: Any) -> Any:
    return pixelkit.rotate90(src, k, out=out)


def _resize_part(src: Any, out: Any) -> Any:
    h, w = np.asarray(src).shape[:2]
    return pixelkit.ops.resize_part(src, (0, 0), (w, h), (w // 2, h // 2), Rect(0, 0, w // 2, h // 2), "area", out=out)


KERNELS: dict[str, tuple[Call, Callable[[NDArray[np.uint8]], NDArray[Any]], Shape, float]] = {
    "invert": (lambda s, o: pixelkit.invert(s, out=o), lambda a: 255 - a, _same, 0),
    "apply_lut-shared": (lambda s, o: pixelkit.apply_lut(s, LUT1, out=o), lambda a: ref_lut(a, LUT1), _same, 0),
    "apply_lut-per-channel": (lambda s, o: pixelkit.apply_lut(s, LUT3, out=o), lambda a: ref_lut(a, LUT3), _same, 0),
    "adjust": (
        lambda s, o: pixelkit.adjust(s, 0.1, 1.2, 0.9, out=o),
        lambda a: ref_adjust(a, 0.1, 1.2, 0.9),
        _same,
        0,
    ),
    "swap_rb": (lambda s, o: pixelkit.swap_rb(s, out=o), lambda a: a[..., ::-1], _same, 0),
    "blend": (
        lambda s, o: pixelkit.blend(s, partner(np.asarray(s).copy()), 0.3, out=o),
        lambda a: ref_blend(a, partner(a), 0.3),
        _same,
        1,
    ),
    "flip_horizontal": (lambda s, o: pixelkit.flip_horizontal(s, out=o), np.fliplr, _same, 0),
    "flip_vertical": (lambda s, o: pixelkit.flip_vertical(s, out=o), np.flipud, _same, 0),
    "transpose": (lambda s, o: pixelkit.transpose(s, out=o), lambda a: np.transpose(a, (1, 0, 2)), _swapped, 0),
    **{
        f"rotate90-{k}": (
            functools.partial(_rotate, k),
            functools.partial(ref_rot90, k=k),
            _swapped if k % 2 else _same,
            0,
        )
        for k in (0, 1, 2, 3)
    },
    "resize-bilinear": (
        lambda s, o: pixelkit.resize(s, o.shape[1], o.shape[0], "bilinear", out=o),
        lambda a: ref_resize(a, a.shape[1] // 2, a.shape[0] // 2, "bilinear"),
        _half,
        1,
    ),
    "resize_part-area": (_resize_part, lambda a: ref_resize(a, a.shape[1] // 2, a.shape[0] // 2, "area"), _half, 1),
    "box_blur": (lambda s, o: pixelkit.box_blur(s, 2, out=o), lambda a: ref_box(a, 2), _same, 1),
    "gaussian_blur": (lambda s, o: pixelkit.gaussian_blur(s, 1.5, out=o), lambda a: ref_gaussian(a, 1.5), _same, 1),
}
# Those that cannot run in place: any shared byte must be refused (the others take a shared
# region only when it is identical to the input).
NOT_IN_PLACE = (
    "transpose",
    "rotate90-1",
    "rotate90-3",
    "resize-bilinear",
    "resize_part-area",
    "box_blur",
    "gaussian_blur",
)

W, H = 40, 36  # width a multiple of 4, so float rows next to pixel rows stay aligned


Index = tuple[Any, Any]


def _interleaved(
    data: NDArray[np.uint8], out_size: tuple[int, int], arrangement: str
) -> tuple[NDArray[np.uint8], Index, Index]:
    """(buffer, src index, out index): two views of one buffer that interleave but share no byte.

    "columns": src on the left, out on the right of every row (the issue's ``a[:, :40]`` and
    ``a[:, 40:]``); "rows": src on the even rows, out on the odd ones.
    """
    height, width = data.shape[:2]
    out_w, out_h = out_size
    rng = np.random.default_rng(3)
    src: Index
    out: Index
    if arrangement == "columns":
        buffer = rng.integers(0, 256, (max(height, out_h), width + out_w, 3), dtype=np.uint8)
        src, out = np.s_[:height, :width], np.s_[:out_h, width : width + out_w]
    else:
        buffer = rng.integers(0, 256, (2 * max(height, out_h), max(width, out_w), 3), dtype=np.uint8)
        src, out = np.s_[0 : 2 * height : 2, :width], np.s_[1 : 2 * out_h : 2, :out_w]
    buffer[src] = data
    return buffer, src, out


@pytest.mark.parametrize("arrangement", ["columns", "rows"])
@pytest.mark.parametrize("as_image", [False, True], ids=["arrays", "images"])
@pytest.mark.parametrize("name", KERNELS)
def test_interleaved_crops_are_not_overlapping(
    name: str, as_image: bool, arrangement: str, random_rgb: RandomRGB
) -> None:
    call, reference, shape, tolerance = KERNELS[name]
    data = random_rgb(W, H)
    expected = reference(data.copy())
    buffer, src_index, out_index = _interleaved(data, shape(W, H), arrangement)
    src, out = buffer[src_index], buffer[out_index]
    assert not np.shares_memory(src, out) and np.may_share_memory(src, out)
    before = buffer.copy()
    untouched = np.ones(buffer.shape[:2], bool)
    untouched[out_index] = False
    if as_image:
        result = call(Image.from_array(src), Image.from_array(out))
    else:
        result = call(src, out)
    assert result is not None
    assert_matches(out, expected, tolerance)
    assert np.array_equal(src, data), "the input changed"
    assert np.array_equal(buffer[untouched], before[untouched]), "bytes outside out changed"


@pytest.mark.parametrize("name", NOT_IN_PLACE)
def test_a_single_shared_byte_is_still_refused(name: str, random_rgb: RandomRGB) -> None:
    call, _, shape, _ = KERNELS[name]
    out_w, out_h = shape(W, H)
    buffer = random_rgb(W + out_w, H + out_h)
    before = buffer.copy()
    src = buffer[:H, :W]
    # out's first pixel of each row is src's last one: the rows interleave and share 3 bytes each.
    with pytest.raises(ValueError, match="overlap"):
        call(src, buffer[:out_h, W - 1 : W - 1 + out_w])
    # out's first pixel is src's last one, and nothing else is shared.
    with pytest.raises(ValueError, match="overlap"):
        call(src, buffer[H - 1 : H - 1 + out_h, W - 1 : W - 1 + out_w])
    assert np.array_equal(buffer, before)


def test_in_place_point_ops_need_the_identical_region(random_rgb: RandomRGB) -> None:
    buffer = random_rgb(W, H)
    before = buffer.copy()
    # The same first row, then every row against every other row.
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.invert(buffer[: H // 2], out=buffer[::2])
    assert np.array_equal(buffer, before)
    # The identical region runs in place.
    pixelkit.invert(buffer[::2], out=buffer[::2])
    assert np.array_equal(buffer[::2], 255 - before[::2])
    assert np.array_equal(buffer[1::2], before[1::2])


def test_to_gray_into_interleaved_rows(random_rgb: RandomRGB) -> None:
    data = random_rgb(W, H)
    buffer = np.random.default_rng(4).integers(0, 256, (H, 4 * W), dtype=np.uint8)
    image = buffer[:, : 3 * W].reshape(H, W, 3)
    image[...] = data
    gray = buffer[:, 3 * W :]
    assert pixelkit.to_gray(image, out=gray) is gray
    assert_matches(gray, ref_gray(data))
    assert np.array_equal(image, data)
    # One byte shared (the gray rows start on the image rows' last byte): refused.
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.to_gray(image, out=buffer[:, 3 * W - 1 : 4 * W - 1])


def _tensor_in_rows(data: NDArray[np.uint8], layout: str, shift: int = 0) -> tuple[Any, NDArray[np.float32]]:
    """(image, tensor): float rows right after each pixel row of one buffer (shift bytes earlier)."""
    height, width = data.shape[:2]
    if layout == "HWC":
        row = 3 * width + 12 * width
        buffer = np.zeros(height * row + 64, np.uint8)
        tensor = np.ndarray((height, width, 3), np.float32, buffer, 3 * width - shift, (row, 12, 4))
    else:
        # The planes follow each other (C needs that); plane 0 interleaves with the pixel rows.
        row = 3 * width + 4 * width
        buffer = np.zeros(3 * height * row + 64, np.uint8)
        tensor = np.ndarray((3, height, width), np.float32, buffer, 3 * width - shift, (height * row, row, 4))
    image = np.ndarray((height, width, 3), np.uint8, buffer, 0, (row, 3, 1))
    image[...] = data
    return image, tensor


@pytest.mark.parametrize("layout", ["CHW", "HWC"])
def test_to_tensor_into_interleaved_rows(layout: str, random_rgb: RandomRGB) -> None:
    data = random_rgb(W, H)
    image, tensor = _tensor_in_rows(data, layout)
    assert tensor.ctypes.data % 4 == 0
    result = pixelkit.to_tensor(image, IMAGENET_MEAN, IMAGENET_STD, layout, out=tensor)  # type: ignore[arg-type]
    assert result is tensor
    assert_matches(tensor, ref_tensor(data, IMAGENET_MEAN, IMAGENET_STD, layout), 1e-6)
    assert np.array_equal(image, data)
    # Four bytes earlier, every float row starts on the last pixel of its image row: refused.
    image, tensor = _tensor_in_rows(data, layout, shift=4)
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.to_tensor(image, layout=layout, out=tensor)  # type: ignore[arg-type]
    assert np.array_equal(image, data)


def test_paste_between_interleaved_crops(random_rgb: RandomRGB) -> None:
    buffer = random_rgb(2 * W, H)
    left = buffer[:, :W].copy()
    pixelkit.paste(buffer[:, W:], buffer[:, :W], 0, 0)
    assert np.array_equal(buffer[:, W:], left)
    assert np.array_equal(buffer[:, :W], left)


# ---- parameters inside out -------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("isa", AVAILABLE)
@pytest.mark.parametrize("padded", [False, True], ids=["contiguous", "padded"])
@pytest.mark.parametrize("table", ["shared", "per-channel", "shared-row-9"])
def test_lut_inside_out_is_read_as_it_was(
    table: str, padded: bool, isa: str, threads: int, random_rgb: RandomRGB
) -> None:
    pixelkit.set_isa(isa)  # type: ignore[arg-type]
    pixelkit.set_num_threads(threads)
    width, height = 300, 400  # 3 * width >= 768: a table fits in one row
    data = random_rgb(width, height)
    a = random_rgb(width + 5, height)[:, :width] if padded else np.empty_like(data)
    a[...] = data
    if table == "shared":
        lut = a.reshape(-1)[:256] if not padded else a[0].reshape(-1)[:256]
    elif table == "per-channel":
        lut = a[0].reshape(-1)[:768].reshape(3, 256)
    else:
        lut = a[9].reshape(-1)[:256]
    assert np.shares_memory(lut, a)
    expected = ref_lut(data, lut.copy())
    assert pixelkit.apply_lut(a, lut, out=a) is a
    assert_matches(a, expected)


@pytest.mark.parametrize("isa", AVAILABLE)
@pytest.mark.parametrize("layout", ["CHW", "HWC"])
def test_tensor_scale_and_bias_inside_out_are_read_as_they_were(layout: str, isa: str, random_rgb: RandomRGB) -> None:
    pixelkit.set_isa(isa)  # type: ignore[arg-type]
    width, height = 64, 8
    data = random_rgb(width, height)
    src = Image.from_array(data)
    shape = (3, height, width) if layout == "CHW" else (height, width, 3)
    out = np.full(shape, 7.0, np.float32)
    flat = out.reshape(-1)
    flat[:3] = [1 / 255, 2 / 255, 0.5 / 255]  # scale, in the first floats written
    flat[3:6] = [-0.5, 0.25, 1.0]  # bias
    scale, bias = flat[:3].copy(), flat[3:6].copy()
    descriptor = ffi.new(
        "pk_tensor *",
        {
            "data": ffi.cast("float *", out.ctypes.data),
            "width": width,
            "height": height,
            "channel_stride": height * width if layout == "CHW" else 1,
            "row_stride": width if layout == "CHW" else 3 * width,
            "pixel_stride": 1 if layout == "CHW" else 3,
            "layout": lib.PK_TENSOR_CHW if layout == "CHW" else lib.PK_TENSOR_HWC,
            "writable": 1,
        },
    )
    pointer = ffi.cast("float *", out.ctypes.data)
    assert lib.pk_to_tensor(src._desc, pointer, pointer + 3, descriptor) == lib.PK_OK
    # x * scale + bias in float32, without fused multiply-add: exactly what numpy computes.
    hwc = data.astype(np.float32) * scale + bias
    expected = np.ascontiguousarray(hwc.transpose(2, 0, 1)) if layout == "CHW" else hwc
    assert np.array_equal(out, expected)


# ---- to_tensor: misaligned out, address wraparound --------------------------------------------------


@pytest.mark.parametrize("layout", ["CHW", "HWC"])
def test_to_tensor_refuses_a_misaligned_out(layout: str) -> None:
    shape = (3, 4, 5) if layout == "CHW" else (4, 5, 3)
    memory = np.zeros(4 * 60 + 4, np.uint8)
    out = memory[1 : 1 + 240].view(np.float32).reshape(shape)
    assert out.ctypes.data % 4 != 0
    with pytest.raises(ValueError, match="aligned"):
        pixelkit.to_tensor(np.zeros((4, 5, 3), np.uint8), layout=layout, out=out)  # type: ignore[arg-type]
    assert not memory.any()


def test_pk_to_tensor_refuses_a_misaligned_pointer() -> None:
    src = Image(5, 4)
    memory = np.zeros(4 * 60 + 4, np.uint8)
    descriptor = ffi.new(
        "pk_tensor *",
        {
            "data": ffi.cast("float *", memory.ctypes.data + 1),
            "width": 5,
            "height": 4,
            "channel_stride": 20,
            "row_stride": 5,
            "pixel_stride": 1,
            "layout": lib.PK_TENSOR_CHW,
            "writable": 1,
        },
    )
    factors = ffi.new("float[3]", [1.0, 1.0, 1.0])
    assert lib.pk_to_tensor(src._desc, factors, factors, descriptor) == lib.PK_ERR_ARGUMENT
    assert not memory.any()


WRAPAROUND = textwrap.dedent(
    """
    from pixelkit import Image
    from pixelkit._native import ffi, lib

    top = (1 << (8 * ffi.sizeof("void *"))) - 4096  # float-aligned, 4 KiB below the end of the address space
    src = Image(1024, 2)
    image = ffi.new("pk_image *", {"pixels": ffi.cast("pixel_t *", top), "width": 1024, "height": 2,
                                   "stride": 3072, "writable": 1})
    tensor = ffi.new("pk_tensor *", {"data": ffi.cast("float *", top), "width": 1024, "height": 2,
                                     "channel_stride": 2048, "row_stride": 1024, "pixel_stride": 1,
                                     "layout": lib.PK_TENSOR_CHW, "writable": 1})
    factors = ffi.new("float[3]", [1.0, 1.0, 1.0])
    print(lib.pk_image_validate(image), lib.pk_to_tensor(src._desc, factors, factors, tensor))
    """
)


def test_pk_to_tensor_refuses_a_tensor_wrapping_around_the_address_space(tmp_path: Path) -> None:
    # In a child: before the check, the kernel wrote through the wrapped pointer (SIGSEGV).
    result = subprocess.run(
        [sys.executable, "-c", WRAPAROUND],
        env=subprocess_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(lib.PK_ERR_OVERFLOW)] * 2
