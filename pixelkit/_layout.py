"""The three-way check of ``pixel_t``'s layout run at import.

The C compiler (through ``pk_pixel_layout``), cffi (``ffi.sizeof``,
``ffi.alignof``, ``ffi.offsetof``) and numpy (``PIXEL_DTYPE``) must agree
on the size, the alignment and the offset of each field.  If one of them
disagreed, every pixel handed across the boundary would be shifted, so a
mismatch stops the import with :class:`LayoutError`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from pixelkit._native import ffi, lib
from pixelkit.errors import LayoutError

FIELDS = ("r", "g", "b")


class PixelLayout(NamedTuple):
    """Size, alignment and field offsets of ``pixel_t`` as one party sees them."""

    size: int
    align: int
    offsets: tuple[int, int, int]

    def items(self) -> list[tuple[str, int]]:
        """(what, value) pairs in the order they are compared."""
        return [("size", self.size), ("alignment", self.align)] + [
            (f"offset of field {name!r}", offset) for name, offset in zip(FIELDS, self.offsets, strict=True)
        ]


def compiler_layout() -> PixelLayout:
    """The layout as the C compiler laid out ``pixel_t`` in the extension."""
    out = ffi.new("pk_layout *")
    if lib.pk_pixel_layout(out) != lib.PK_OK:  # pragma: no cover - cannot fail
        raise LayoutError("pk_pixel_layout failed")
    return PixelLayout(out.size, out.align, (out.offset_r, out.offset_g, out.offset_b))


def cffi_layout(ffi: Any = ffi) -> PixelLayout:
    """The layout cffi uses; realising the type here runs cffi's own checks."""
    try:
        fields = dict(ffi.typeof("pixel_t").fields)
        # cffi verifies a struct's field types against the compiled module
        # only when the type is first used, so use it now rather than later.
        ffi.new("pixel_t *")
        offsets = tuple(ffi.offsetof("pixel_t", name) for name in FIELDS)
        size, align = ffi.sizeof("pixel_t"), ffi.alignof("pixel_t")
    except (ffi.error, KeyError, TypeError) as exc:
        raise LayoutError(f"cffi rejects the declaration of pixel_t: {exc}") from exc
    for name in FIELDS:
        field_type = fields[name].type
        if field_type.cname not in ("unsigned char", "uint8_t"):
            raise LayoutError(f"pixel_t field {name!r} is {field_type.cname!r} in cffi, not 'unsigned char'")
    return PixelLayout(size, align, (offsets[0], offsets[1], offsets[2]))


def make_pixel_dtype(layout: PixelLayout) -> np.dtype[np.void]:
    """A structured numpy dtype with fields r, g, b of u1 at the given offsets."""
    return np.dtype(
        {"names": list(FIELDS), "formats": ["u1"] * 3, "offsets": list(layout.offsets), "itemsize": layout.size}
    )


def numpy_layout(dtype: np.dtype[np.void]) -> PixelLayout:
    """The layout a structured dtype describes; it must have exactly r, g, b of u1."""
    if dtype.names != FIELDS or dtype.fields is None:
        raise LayoutError(f"the numpy pixel dtype must have fields {FIELDS} in that order, not {dtype.names}")
    offsets = []
    for name in FIELDS:
        field_dtype, offset = dtype.fields[name][:2]
        if field_dtype != np.dtype(np.uint8):
            raise LayoutError(f"numpy pixel field {name!r} is {field_dtype}, not uint8")
        offsets.append(int(offset))
    return PixelLayout(dtype.itemsize, dtype.alignment, (offsets[0], offsets[1], offsets[2]))


def check_layouts(compiler: PixelLayout, cffi: PixelLayout, numpy: PixelLayout) -> None:
    """Raise :class:`LayoutError` naming the first property the three views disagree on."""
    for (what, c_value), (_, f_value), (_, n_value) in zip(compiler.items(), cffi.items(), numpy.items(), strict=True):
        if not c_value == f_value == n_value:
            raise LayoutError(
                f"pixel_t layout mismatch in the {what}: "
                f"C compiler says {c_value}, cffi says {f_value}, numpy says {n_value}"
            )


def verify(pixel_dtype: np.dtype[np.void]) -> None:
    """Check that the compiler, cffi and ``pixel_dtype`` agree on ``pixel_t``."""
    check_layouts(compiler_layout(), cffi_layout(), numpy_layout(pixel_dtype))


PIXEL_DTYPE: np.dtype[np.void] = make_pixel_dtype(cffi_layout())
"""The numpy dtype of one ``pixel_t``: fields ``r``, ``g``, ``b`` (uint8) at offsets 0, 1, 2, 3 bytes in all."""
