"""Views outlive their owners, and nothing leaks.

Owners (Images, numpy arrays, bytearrays, mmaps, files mapped by open_raw) are dropped while
views of them are alive; the views must keep working and hold the pixels recorded (as numpy
copies) beforehand.  The leak tests run 100,000 cycles of allocate / view / kernel / free on a
small image (and 2,000 on a 4.6 MB image, which takes pixelkit's mmap + block-cache path) and
check that the process's resident memory is flat after a warm-up and that
``pk_live_allocations()`` returns to its starting value; they print the numbers measured.
"""

from __future__ import annotations

import gc
import mmap
import os
import pathlib
import time
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from pixelkit import Image
from pixelkit._native import ffi, lib


def _random(width: int, height: int, seed: int = 7) -> NDArray[np.uint8]:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _churn() -> None:
    """Collect and reuse freed memory, so a dangling view would read someone else's bytes."""
    gc.collect()
    for _ in range(8):
        scratch = [Image(97, 61, fill=(255, 0, 255)) for _ in range(4)]
        big = Image(1400, 1100, fill=(9, 9, 9))  # > 4 MiB: an mmap'd, cached block
        del scratch, big
    gc.collect()


# ---- views outlive owners ----------------------------------------------------------------


def test_image_views_outlive_the_image() -> None:
    data = _random(57, 41)
    img = Image(57, 41)
    img.array[...] = data
    array, pixels, crop = img.array, img.pixels, img.crop(5, 7, 30, 20)
    cdata_before = int(ffi.cast("uintptr_t", img.cdata))
    del img
    _churn()
    np.testing.assert_array_equal(array, data)
    np.testing.assert_array_equal(pixels.view(np.uint8).reshape(41, 57, 3), data)
    np.testing.assert_array_equal(crop.array, data[7:27, 5:35])
    assert int(ffi.cast("uintptr_t", crop.cdata)) == cdata_before + 7 * 57 * 3 + 5 * 3
    # The views still work with kernels and stay writable and shared.
    np.testing.assert_array_equal(pixelkit.invert(crop).array, 255 - data[7:27, 5:35])
    crop[0, 0] = (1, 2, 3)
    assert tuple(array[7, 5]) == (1, 2, 3)
    data[7, 5] = (1, 2, 3)
    np.testing.assert_array_equal(array, data)
    np.testing.assert_array_equal(pixelkit.to_gray(array), pixelkit.to_gray(data))


def test_crops_of_crops_of_crops_outlive_everything_above_them() -> None:
    data = _random(300, 200)
    img = Image(300, 200)
    img.array[...] = data
    first = img.crop(10, 20, 250, 150)
    second = first.crop(3, 4, 200, 100)
    third = second.crop(50, 25, 60, 40)
    fourth = third.crop(1, 1, 5, 3)
    del img, first, second
    _churn()
    np.testing.assert_array_equal(third.array, data[49:89, 63:123])
    np.testing.assert_array_equal(fourth.array, data[50:53, 64:69])
    del third
    _churn()
    np.testing.assert_array_equal(fourth.array, data[50:53, 64:69])
    np.testing.assert_array_equal(pixelkit.flip_horizontal(fourth).array, data[50:53, 64:69][:, ::-1])


def test_from_array_outlives_the_array() -> None:
    data = _random(64, 48)
    arr = data.copy()
    img = Image.from_array(arr[5:40, 3:60])
    view = img.array
    del arr
    _churn()
    np.testing.assert_array_equal(img.array, data[5:40, 3:60])
    del img
    _churn()
    np.testing.assert_array_equal(view, data[5:40, 3:60])
    structured = data.copy().view(pixelkit.PIXEL_DTYPE)[..., 0]
    img = Image.from_array(structured)
    del structured
    _churn()
    np.testing.assert_array_equal(img.array, data)
    np.testing.assert_array_equal(pixelkit.rotate90(img).array, np.rot90(data))


def test_from_buffer_outlives_bytearray_and_memoryview() -> None:
    data = _random(31, 17)
    stride = 31 * 3 + 5
    padded = np.zeros((17, stride), np.uint8)
    padded[:, : 31 * 3] = data.reshape(17, -1)
    buffer = bytearray(padded.tobytes())
    img = Image.from_buffer(memoryview(buffer)[0:], 31, 17, stride)
    crop = img.crop(2, 3, 10, 10)
    del buffer, img
    _churn()
    np.testing.assert_array_equal(crop.array, data[3:13, 2:12])
    np.testing.assert_array_equal(pixelkit.swap_rb(crop).array, data[3:13, 2:12, ::-1])


def test_from_buffer_outlives_mmap(tmp_path: pathlib.Path) -> None:
    data = _random(40, 30)
    anonymous = mmap.mmap(-1, data.nbytes)
    anonymous[:] = data.tobytes()
    img = Image.from_buffer(anonymous, 40, 30)
    crop = img.crop(4, 4, 20, 20)
    del anonymous, img
    _churn()
    np.testing.assert_array_equal(crop.array, data[4:24, 4:24])
    path = tmp_path / "buf.raw"
    path.write_bytes(data.tobytes())
    with open(path, "r+b") as stream:
        mapped = mmap.mmap(stream.fileno(), 0)
    img = Image.from_buffer(mapped, 40, 30)
    array = img.array
    del mapped, img
    _churn()
    np.testing.assert_array_equal(array, data)
    array[0, 0] = (7, 7, 7)
    del array
    gc.collect()
    assert path.read_bytes()[:3] == b"\x07\x07\x07"


@pytest.mark.parametrize("mode", ["r", "r+", "w+"])
def test_open_raw_views_outlive_the_image(tmp_path: pathlib.Path, mode: Any) -> None:
    data = _random(50, 40)
    path = tmp_path / "img.raw"
    if mode != "w+":
        path.write_bytes(data.tobytes())
    img = pixelkit.open_raw(path, 50, 40, mode)
    if mode == "w+":
        img.array[...] = data
    array, crop = img.array, img.crop(10, 5, 30, 30)
    del img
    _churn()
    np.testing.assert_array_equal(array, data)
    np.testing.assert_array_equal(crop.array, data[5:35, 10:40])
    np.testing.assert_array_equal(pixelkit.invert(crop).array, 255 - data[5:35, 10:40])
    if mode != "r":
        crop[0, 0] = (1, 2, 3)
        crop.flush()
        assert path.read_bytes()[(5 * 50 + 10) * 3 :][:3] == b"\x01\x02\x03"
    del array, crop
    gc.collect()
    os.unlink(path)  # the map is gone: nothing keeps the file busy


# ---- leaks -------------------------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cycle(width: int, height: int, source: NDArray[np.uint8]) -> int:
    """One allocate / view / kernel / free cycle; returns pixelkit's live blocks at its peak."""
    img = Image(width, height)
    array = img.array
    array[:8] = source[:8]
    pixels = img.pixels
    inverted = pixelkit.invert(img)
    gray = pixelkit.to_gray(inverted)
    crop = img.crop(1, 2, width // 2, height // 2)
    small = pixelkit.resize(crop, 16, 12, "area")
    wrapped = Image.from_array(source)
    pixelkit.flip_vertical(wrapped, out=img)
    assert gray.shape == (height, width) and small.width == 16 and pixels.shape == (height, width)
    live = int(lib.pk_live_allocations())
    del img, array, pixels, inverted, gray, crop, small, wrapped
    return live


def _measure(width: int, height: int, warmup: int, cycles: int) -> tuple[int, int, int, int, int]:
    source = _random(width, height)
    gc.collect()
    live_start = lib.pk_live_allocations()
    assert _cycle(width, height, source) > live_start  # the cycle does allocate C memory
    for _ in range(warmup):
        _cycle(width, height, source)
    gc.collect()
    rss_warm = _rss()
    for _ in range(cycles - warmup):
        _cycle(width, height, source)
    gc.collect()
    rss_end = _rss()
    live_end = lib.pk_live_allocations()
    return live_start, live_end, rss_warm, rss_end, cycles


TOLERANCE = 8 << 20


@pytest.mark.parametrize(
    ("width", "height", "warmup", "cycles"),
    [(64, 48, 10_000, 100_000), (1280, 1200, 200, 2_000)],  # 184 KB and 4.6 MB (mmap + cache path)
)
def test_allocate_view_kernel_free_cycles_do_not_leak(width: int, height: int, warmup: int, cycles: int) -> None:
    started = time.monotonic()
    live_start, live_end, rss_warm, rss_end, count = _measure(width, height, warmup, cycles)
    elapsed = time.monotonic() - started
    print(
        f"\n{width}x{height}: {count} cycles in {elapsed:.1f} s; RSS after {warmup} warm-up cycles "
        f"{rss_warm / 2**20:.1f} MiB, after {count}: {rss_end / 2**20:.1f} MiB "
        f"(growth {(rss_end - rss_warm) / 2**20:+.2f} MiB); pk_live_allocations {live_start} -> {live_end}"
    )
    assert live_end == live_start
    assert rss_end - rss_warm < TOLERANCE
