"""pixel_t's layout: the compiler, cffi and numpy must agree, checked at import."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import pixelkit
from pixelkit import _layout
from pixelkit._native import ffi


class CtypesPixel(ctypes.Structure):
    """An independent description of the layout the header promises."""

    _fields_ = [("r", ctypes.c_ubyte), ("g", ctypes.c_ubyte), ("b", ctypes.c_ubyte)]


def test_all_three_views_match_ctypes() -> None:
    expected = _layout.PixelLayout(
        ctypes.sizeof(CtypesPixel),
        ctypes.alignment(CtypesPixel),
        (CtypesPixel.r.offset, CtypesPixel.g.offset, CtypesPixel.b.offset),
    )
    assert expected == (3, 1, (0, 1, 2))
    assert _layout.compiler_layout() == expected
    assert _layout.cffi_layout() == expected
    assert _layout.numpy_layout(pixelkit.PIXEL_DTYPE) == expected


def test_pixel_dtype_is_three_packed_bytes() -> None:
    dtype = pixelkit.PIXEL_DTYPE
    assert dtype.names == ("r", "g", "b")
    assert dtype.itemsize == 3
    fields = dtype.fields
    assert fields is not None  # a structured dtype
    assert [fields[name][0] for name in "rgb"] == [np.dtype(np.uint8)] * 3
    records = np.frombuffer(bytes([1, 2, 3, 4, 5, 6]), dtype)
    assert records["g"].tolist() == [2, 5]


def test_verify_passes_for_the_real_layout() -> None:
    _layout.verify(pixelkit.PIXEL_DTYPE)


def _dtype(offsets: list[int], itemsize: int, names: tuple[str, ...] = ("r", "g", "b"), fmt: str = "u1") -> np.dtype:
    return np.dtype({"names": list(names), "formats": [fmt] * 3, "offsets": offsets, "itemsize": itemsize})


def test_padded_dtype_is_refused_with_all_three_sizes() -> None:
    with pytest.raises(pixelkit.LayoutError) as info:
        _layout.verify(_dtype([0, 1, 2], 4))
    message = str(info.value)
    assert "size" in message
    assert "C compiler says 3, cffi says 3, numpy says 4" in message


def test_aligned_dtype_is_refused() -> None:
    aligned = np.dtype({"names": ["r", "g", "b"], "formats": ["u1"] * 3}, align=True)
    wide = np.dtype([("r", "u1"), ("g", "u1"), ("b", "u1"), ("pad", "u1")])
    with pytest.raises(pixelkit.LayoutError):
        _layout.verify(wide)
    _layout.verify(aligned)  # u1 fields need no padding: this one is fine


def test_swapped_field_offsets_name_the_field() -> None:
    with pytest.raises(pixelkit.LayoutError) as info:
        _layout.verify(_dtype([2, 1, 0], 3))
    message = str(info.value)
    assert "field 'r'" in message
    assert "C compiler says 0, cffi says 0, numpy says 2" in message


def test_swapped_field_names_are_refused() -> None:
    with pytest.raises(pixelkit.LayoutError, match="fields"):
        _layout.verify(_dtype([0, 1, 2], 3, names=("b", "g", "r")))


def test_wider_field_type_is_refused() -> None:
    with pytest.raises(pixelkit.LayoutError, match="uint8"):
        _layout.verify(_dtype([0, 2, 4], 6, fmt="u2"))


def test_disagreeing_compiler_view_is_refused() -> None:
    wrong_compiler = _layout.PixelLayout(4, 1, (0, 1, 2))
    with pytest.raises(pixelkit.LayoutError, match="C compiler says 4, cffi says 3, numpy says 3"):
        _layout.check_layouts(wrong_compiler, _layout.cffi_layout(), _layout.numpy_layout(pixelkit.PIXEL_DTYPE))


def test_disagreeing_alignment_is_refused() -> None:
    wrong_cffi = _layout.PixelLayout(3, 4, (0, 1, 2))
    with pytest.raises(pixelkit.LayoutError, match="alignment"):
        _layout.check_layouts(_layout.compiler_layout(), wrong_cffi, _layout.numpy_layout(pixelkit.PIXEL_DTYPE))


def test_cffi_sees_the_compiled_sizes() -> None:
    assert ffi.sizeof("pixel_t") == 3
    assert ffi.sizeof("pixel_t[10]") == 30
    assert [ffi.offsetof("pixel_t", name) for name in "rgb"] == [0, 1, 2]


def test_layout_error_is_a_pixelkit_error() -> None:
    assert issubclass(pixelkit.LayoutError, pixelkit.PixelkitError)
    assert issubclass(pixelkit.FormatError, pixelkit.PixelkitError)
    assert issubclass(pixelkit.FormatError, ValueError)
