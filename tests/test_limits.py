"""Size limits: every size computation in C refuses what does not fit, near 2**31 and 2**63."""

from __future__ import annotations

import numpy as np
import pytest

import pixelkit
from pixelkit._native import ffi, lib

HUGE = [2**31 - 1, 2**31, 2**32, 2**62, 2**63 - 1, 2**63, 2**64 - 1]


def nbytes(width: int, height: int, stride: int) -> int:
    row, total = ffi.new("size_t *"), ffi.new("size_t *")
    return int(lib.pk_image_nbytes(width, height, stride, row, total))


@pytest.mark.parametrize("value", HUGE)
def test_image_nbytes_refuses_huge_dimensions(value: int) -> None:
    assert nbytes(value, 1, 0) == lib.PK_ERR_SIZE
    assert nbytes(1, value, 0) == lib.PK_ERR_SIZE


@pytest.mark.parametrize("stride", [2**62, 2**63 - 1, 2**63, 2**64 - 1])
def test_image_nbytes_refuses_strides_that_overflow(stride: int) -> None:
    assert nbytes(pixelkit.MAX_DIMENSION, pixelkit.MAX_DIMENSION, stride) == lib.PK_ERR_OVERFLOW


def test_largest_image_size_is_computed_exactly() -> None:
    row, total = ffi.new("size_t *"), ffi.new("size_t *")
    side = pixelkit.MAX_DIMENSION
    assert lib.pk_image_nbytes(side, side, 0, row, total) == lib.PK_OK
    assert (row[0], total[0]) == (3 * side, 3 * side * side)


@pytest.mark.parametrize(
    "width, height, stride",
    [(2**31, 1, 3 * 2**31), (1, 2**31, 3), (2**20, 2**20, 2**63), (2**20, 2**20, 2**62), (4, 4, 2**64 - 1)],
)
def test_descriptors_with_huge_fields_are_refused_by_every_kernel(width: int, height: int, stride: int) -> None:
    buffer = np.zeros(64, np.uint8)
    bad = ffi.new("pk_image *")
    bad.pixels = ffi.cast("pixel_t *", ffi.from_buffer(buffer))
    bad.width, bad.height, bad.stride, bad.writable = width, height, stride, 1
    good = pixelkit.Image(4, 4)
    assert lib.pk_image_validate(bad) != lib.PK_OK
    for status in (
        lib.pk_invert(bad, good._desc),
        lib.pk_invert(good._desc, bad),
        lib.pk_fill(bad, 1, 2, 3),
        lib.pk_resize(bad, good._desc, lib.PK_RESIZE_BILINEAR),
        lib.pk_box_blur(good._desc, 1, bad),
        lib.pk_transpose(bad, good._desc),
        lib.pk_histogram(bad, ffi.new("uint64_t[]", 768)),
    ):
        assert status in (lib.PK_ERR_SIZE, lib.PK_ERR_OVERFLOW, lib.PK_ERR_STRIDE, lib.PK_ERR_SHAPE)
    assert not buffer.any()


@pytest.mark.parametrize("size", [2**62, 2**63 - 1, 2**63, 2**64 - 1])
def test_alloc_refuses_sizes_beyond_the_address_space(size: int) -> None:
    out = ffi.new("void **")
    before = lib.pk_live_allocations()
    assert lib.pk_alloc(size, 0, out) in (lib.PK_ERR_OVERFLOW, lib.PK_ERR_NO_MEMORY)
    assert out[0] == ffi.NULL
    assert lib.pk_live_allocations() == before


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64])
def test_python_api_refuses_huge_sizes_before_c(value: int) -> None:
    with pytest.raises(ValueError):
        pixelkit.Image(value, 1)
    with pytest.raises(ValueError):
        pixelkit.resize(pixelkit.Image(2, 2), value, 1)
    with pytest.raises(ValueError):
        pixelkit.Image.from_buffer(bytearray(12), 2, 2, stride=value)
