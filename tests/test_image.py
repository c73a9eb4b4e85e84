"""pixelkit.Image: allocation, zero-copy views, lifetimes, wrapping, crops."""

from __future__ import annotations

import array
import gc
import mmap
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from pixelkit import Image
from pixelkit._native import ffi, lib

RandomRGB = Callable[[int, int], NDArray[np.uint8]]


def live() -> int:
    gc.collect()
    return int(lib.pk_live_allocations())


# ---- construction ----------------------------------------------------------


def test_new_image_is_zeroed_and_contiguous() -> None:
    img = Image(7, 5)
    assert (img.width, img.height, img.stride) == (7, 5, 21)
    assert img.shape == (5, 7, 3)
    assert img.nbytes == 7 * 5 * 3
    assert not img.readonly
    assert np.array_equal(img.array, np.zeros((5, 7, 3), np.uint8))


def test_new_image_with_fill() -> None:
    img = Image(4, 3, fill=(10, 20, 30))
    assert np.array_equal(img.array, np.broadcast_to(np.array([10, 20, 30], np.uint8), (3, 4, 3)))


def test_large_image_memory_is_zeroed() -> None:
    img = Image(1500, 1200)  # 5.4 MB: the huge-page path of the allocator
    assert not img.array.any()
    img.array[-1, -1] = 9
    assert img[1199, 1499] == (9, 9, 9)


@pytest.mark.parametrize(
    "width, height",
    [(0, 1), (1, 0), (-1, 5), (5, -3), (pixelkit.MAX_DIMENSION + 1, 1), (1, 2**31), (2**63, 2**63), (2**64 + 1, 1)],
)
def test_bad_sizes_raise_value_error(width: int, height: int) -> None:
    before = live()
    with pytest.raises(ValueError, match="between 1 and"):
        Image(width, height)
    assert live() == before


@pytest.mark.parametrize("width, height", [(2.0, 3), (2, "3"), (None, 3), (True, 3), (2, 3j)])
def test_non_integer_sizes_raise_type_error(width: object, height: object) -> None:
    with pytest.raises(TypeError, match="integer"):
        Image(width, height)  # type: ignore[arg-type]


def test_numpy_integer_sizes_work() -> None:
    assert Image(np.int64(3), np.uint16(2)).shape == (2, 3, 3)


@pytest.mark.parametrize("fill", [(1, 2), (1, 2, 3, 4), (256, 0, 0), (-1, 0, 0)])
def test_bad_fill_raises_value_error(fill: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="r, g, b"):
        Image(2, 2, fill=fill)


def test_non_integer_fill_raises_type_error() -> None:
    with pytest.raises(TypeError):
        Image(2, 2, fill=(1.5, 2, 3))  # type: ignore[arg-type]


# ---- views -----------------------------------------------------------------------


def test_views_share_memory_both_ways() -> None:
    img = Image(6, 4)
    arr, px = img.array, img.pixels
    assert arr.shape == (4, 6, 3) and arr.dtype == np.uint8
    assert px.shape == (4, 6) and px.dtype == pixelkit.PIXEL_DTYPE
    assert np.shares_memory(arr, px)
    assert np.shares_memory(np.asarray(img), arr)
    arr[1, 2] = (7, 8, 9)
    assert px[1, 2]["r"] == 7 and px[1, 2]["b"] == 9
    px[3, 5] = (1, 2, 3)
    assert arr[3, 5].tolist() == [1, 2, 3]


def test_writes_through_views_reach_c_and_back() -> None:
    img = Image(5, 2)
    img.array[0, 0] = (0, 0, 255)
    assert pixelkit.to_gray(img)[0, 0] == (7471 * 255 + 0x8000) >> 16  # C sees numpy's write
    pixelkit.fill(img, (4, 5, 6))
    assert img.pixels[1, 4].tolist() == (4, 5, 6)  # numpy sees C's write


def test_cdata_is_a_pixel_pointer_into_the_same_memory() -> None:
    img = Image(3, 2)
    assert ffi.typeof(img.cdata) is ffi.typeof("pixel_t *")
    img.cdata[4].g = 200  # pixel 4 = row 1, column 1
    assert img.array[1, 1].tolist() == [0, 200, 0]
    img.array[0, 2, 2] = 99
    assert img.cdata[2].b == 99
    address = int(ffi.cast("uintptr_t", img.cdata))
    assert address == img.array.__array_interface__["data"][0]


def test_asarray_is_zero_copy_and_array_copies() -> None:
    img = Image(3, 3, fill=(1, 2, 3))
    view = np.asarray(img)
    view[0, 0, 0] = 50
    assert img[0, 0] == (50, 2, 3)
    copied = np.array(img)
    copied[0, 0, 0] = 60
    assert img[0, 0] == (50, 2, 3)
    assert np.asarray(img, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError):
        np.asarray(img, dtype=np.float32, copy=False)


def test_views_keep_memory_alive_and_the_last_one_frees_it() -> None:
    before = live()
    img = Image(64, 32, fill=(3, 4, 5))
    assert live() == before + 1
    view = img.array
    pixels = img.pixels
    del img
    assert live() == before + 1
    assert view[31, 63].tolist() == [3, 4, 5]
    assert pixels[0, 0]["g"] == 4
    del view
    assert live() == before + 1
    del pixels
    assert live() == before


def test_image_is_freed_without_views() -> None:
    before = live()
    img = Image(10, 10)
    ref = weakref.ref(img)
    del img
    assert ref() is None
    assert live() == before


def test_crop_keeps_parent_memory_alive() -> None:
    before = live()
    img = Image(20, 10, fill=(1, 1, 1))
    img.array[5, 8] = (9, 8, 7)
    crop = img.crop(8, 5, 4, 3)
    del img
    assert crop[0, 0] == (9, 8, 7)
    view = crop.array
    del crop
    assert view[0, 0].tolist() == [9, 8, 7]
    del view
    assert live() == before


# ---- pixels by index -------------------------------------------------------------------


def test_getitem_and_setitem(random_rgb: RandomRGB) -> None:
    data = random_rgb(5, 4)
    img = Image.from_array(data.copy())
    assert img[2, 3] == tuple(data[2, 3].tolist())
    assert img[-1, -1] == tuple(data[3, 4].tolist())
    img[0, 4] = (1, 2, 3)
    assert img.array[0, 4].tolist() == [1, 2, 3]
    img[-4, -5] = [9, 9, 9]
    assert img.array[0, 0].tolist() == [9, 9, 9]


@pytest.mark.parametrize("key", [(4, 0), (0, 5), (-5, 0), (0, -6)])
def test_index_out_of_range(key: tuple[int, int]) -> None:
    img = Image(5, 4)
    with pytest.raises(IndexError, match="outside"):
        img[key]
    with pytest.raises(IndexError):
        img[key] = (1, 2, 3)


@pytest.mark.parametrize("key", [0, (0,), (0, 0, 0), (slice(None), 0), (0.5, 1)])
def test_bad_index_types(key: object) -> None:
    with pytest.raises(TypeError):
        Image(2, 2)[key]  # type: ignore[index]


@pytest.mark.parametrize("value", [(256, 0, 0), (1, 2), (-1, 0, 0)])
def test_setitem_bad_values(value: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        Image(2, 2)[0, 0] = value


# ---- crop and copy ---------------------------------------------------------------------


def test_crop_shares_memory_with_strided_rows(random_rgb: RandomRGB) -> None:
    data = random_rgb(30, 20)
    img = Image.from_array(data)
    crop = img.crop(3, 4, 10, 5)
    assert (crop.width, crop.height, crop.stride) == (10, 5, 90)
    assert np.array_equal(crop.array, data[4:9, 3:13])
    assert np.shares_memory(crop.array, data)
    crop[0, 0] = (0, 0, 0)
    assert data[4, 3].tolist() == [0, 0, 0]


def test_crop_of_crop(random_rgb: RandomRGB) -> None:
    data = random_rgb(40, 30)
    inner = Image.from_array(data).crop(5, 6, 30, 20).crop(2, 3, 7, 4).crop(1, 1, 3, 2)
    assert np.array_equal(inner.array, data[10:12, 8:11])
    assert inner.stride == 120


@pytest.mark.parametrize(
    "box",
    [(-1, 0, 2, 2), (0, -1, 2, 2), (9, 0, 2, 2), (0, 0, 11, 1), (0, 0, 0, 1), (0, 0, 1, 0), (5, 5, 6, 1), (0, 5, 1, 6)],
)
def test_crop_out_of_range(box: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        Image(10, 10).crop(*box)


def test_copy_is_contiguous_and_independent(random_rgb: RandomRGB) -> None:
    data = random_rgb(12, 9)
    crop = Image.from_array(data).crop(2, 1, 7, 6)
    copy = crop.copy()
    assert copy.stride == 21
    assert np.array_equal(copy.array, data[1:7, 2:9])
    assert not np.shares_memory(copy.array, data)
    original = data.copy()
    copy.array[:] = 255 - copy.array
    assert np.array_equal(data, original)


def test_repr() -> None:
    assert repr(Image(8, 6)) == "<pixelkit.Image 8x6 stride=24>"


# ---- from_array ---------------------------------------------------------------------------


def test_from_array_wraps_without_copying(random_rgb: RandomRGB) -> None:
    data = random_rgb(9, 7)
    img = Image.from_array(data)
    assert np.shares_memory(img.array, data)
    assert np.array_equal(img.array, data)
    data[0, 0] = (1, 2, 3)
    assert img[0, 0] == (1, 2, 3)


def test_from_pixel_dtype_array() -> None:
    records = np.zeros((4, 5), pixelkit.PIXEL_DTYPE)
    records["g"] = 77
    img = Image.from_array(records)
    assert img.shape == (4, 5, 3)
    assert np.shares_memory(img.array, records)
    assert img[3, 4] == (0, 77, 0)
    cropped = Image.from_array(np.zeros((10, 10), pixelkit.PIXEL_DTYPE)[2:5, 3:8])
    assert (cropped.width, cropped.height, cropped.stride) == (5, 3, 30)


def test_from_padded_rows() -> None:
    padded = np.zeros((6, 11, 3), np.uint8)
    img = Image.from_array(padded[:, :8])
    assert (img.width, img.stride) == (8, 33)
    img[5, 7] = (5, 5, 5)
    assert padded[5, 7].tolist() == [5, 5, 5]
    byte_padded = np.zeros((4, 100), np.uint8)[:, :30].reshape(4, 10, 3)
    assert Image.from_array(byte_padded).stride == 100


def test_original_reference_can_go(random_rgb: RandomRGB) -> None:
    data = random_rgb(8, 8)
    expected = data.copy()
    img = Image.from_array(data)
    del data
    gc.collect()
    assert np.array_equal(img.array, expected)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: np.zeros((4, 5, 3), np.uint8, order="F"), "channels 1 byte apart"),
        (lambda: np.zeros((4, 5, 3), np.uint8)[..., ::-1], "channels 1 byte apart"),
        (lambda: np.zeros((4, 10, 3), np.uint8)[:, ::2], "pixels 3 bytes apart"),
        (lambda: np.zeros((4, 5, 3), np.uint8)[::-1], "positive stride"),
        (lambda: np.zeros((4, 5, 3), np.uint8).transpose(1, 0, 2), "pixels 3 bytes apart"),
        (lambda: np.zeros((4, 5, 4), np.uint8)[..., :3], "pixels 3 bytes apart"),
        (lambda: np.lib.stride_tricks.as_strided(np.zeros(60, np.uint8), (4, 5, 3), (6, 3, 1)), "rows at least"),
    ],
)
def test_from_array_refuses_incompatible_strides(make: Callable[[], NDArray[np.uint8]], reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        Image.from_array(make())
    assert "ascontiguousarray" in str(info.value)


@pytest.mark.parametrize(
    "arr",
    [
        np.zeros((4, 5, 3), np.float32),
        np.zeros((4, 5, 4), np.uint8),
        np.zeros((4, 5), np.uint8),
        np.zeros((4, 5, 3), np.uint16),
        np.zeros((0, 5, 3), np.uint8),
        np.zeros((2, 2, 3, 1), np.uint8),
        np.zeros(5, pixelkit.PIXEL_DTYPE),
    ],
)
def test_from_array_refuses_wrong_shape_or_dtype(arr: NDArray[Any]) -> None:
    with pytest.raises(ValueError):
        Image.from_array(arr)


def test_from_array_needs_an_ndarray() -> None:
    with pytest.raises(TypeError, match="numpy array"):
        Image.from_array([[[0, 0, 0]]])  # type: ignore[arg-type]


def test_single_row_and_column_arrays_with_odd_strides() -> None:
    base = np.arange(2 * 9 * 3, dtype=np.uint8).reshape(2, 9, 3)
    row = Image.from_array(base[1:2])
    assert row.stride == 27 and row[0, 8] == tuple(base[1, 8].tolist())
    column = Image.from_array(base[:, 4:5])
    assert column.width == 1 and column[1, 0] == tuple(base[1, 4].tolist())
    single = Image.from_array(np.lib.stride_tricks.as_strided(base, (1, 1, 3), (0, 0, 1)))
    assert single[0, 0] == (0, 1, 2)


def test_readonly_array_gives_readonly_image() -> None:
    data = np.zeros((3, 4, 3), np.uint8)
    data.flags.writeable = False
    img = Image.from_array(data)
    assert img.readonly
    with pytest.raises(ValueError):
        img.array[0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        img[0, 0] = (1, 2, 3)
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.fill(img, (1, 2, 3))
    with pytest.raises(ValueError, match="read-only"):
        pixelkit.invert(Image(4, 3), out=img)
    assert img.crop(1, 1, 2, 2).readonly
    assert not img.copy().readonly
    assert not data.any()


# ---- from_buffer ---------------------------------------------------------------------------


def test_from_bytearray_shares_memory() -> None:
    buf = bytearray(range(24))
    img = Image.from_buffer(buf, 4, 2)
    assert img[1, 0] == (12, 13, 14)
    img[0, 0] = (200, 201, 202)
    assert buf[:3] == bytearray([200, 201, 202])
    del buf
    gc.collect()
    assert img[0, 0] == (200, 201, 202)


def test_from_bytes_is_readonly() -> None:
    img = Image.from_buffer(bytes(12), 2, 2)
    assert img.readonly
    with pytest.raises(ValueError):
        img.array[:] = 1


def test_from_buffer_with_stride() -> None:
    buf = bytearray(np.arange(2 * 10, dtype=np.uint8).tobytes())
    img = Image.from_buffer(buf, 3, 2, stride=10)
    assert img.stride == 10
    assert img[1, 0] == (10, 11, 12)
    # The last row needs no padding: 10 + 9 bytes are enough.
    assert Image.from_buffer(buf[:19], 3, 2, stride=10)[1, 2] == (16, 17, 18)
    with pytest.raises(ValueError, match="stride"):
        Image.from_buffer(buf, 3, 2, stride=8)


def test_from_mmap_and_memoryview() -> None:
    mapping = mmap.mmap(-1, 30)
    img = Image.from_buffer(mapping, 5, 2)
    img[1, 4] = (7, 7, 7)
    assert mapping[27:30] == b"\x07\x07\x07"
    view = memoryview(bytearray(30))
    assert Image.from_buffer(view[3:], 3, 3).shape == (3, 3, 3)


def test_from_cffi_memory() -> None:
    pixels = ffi.new("pixel_t[]", 6)
    pixels[5].g = 42
    img = Image.from_buffer(pixels, 3, 2)
    assert img[1, 2] == (0, 42, 0)
    img[0, 0] = (1, 2, 3)
    assert (pixels[0].r, pixels[0].g, pixels[0].b) == (1, 2, 3)


def test_from_multibyte_item_buffer() -> None:
    words = array.array("H", [0x0201, 0x0403, 0x0605])
    img = Image.from_buffer(words, 2, 1)
    assert img[0, 0] == (1, 2, 3)


def test_from_buffer_too_small() -> None:
    with pytest.raises(ValueError, match="needs 36"):
        Image.from_buffer(bytearray(35), 4, 3)


def test_from_buffer_refuses_non_buffers_and_gaps() -> None:
    with pytest.raises(TypeError, match="buffer protocol"):
        Image.from_buffer([0] * 12, 2, 2)
    with pytest.raises(ValueError, match="contiguous"):
        Image.from_buffer(memoryview(bytearray(48))[::2], 2, 2)
