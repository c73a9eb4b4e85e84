"""ffmpeg's ``-pix_fmt`` names: the bytes of one frame, and its conversion to an RGB Image.

The raw readers (:func:`pixelkit.read_raw`, :func:`pixelkit.iter_raw_frames`,
:func:`pixelkit.dask.from_raw_frames`) take a ``pix_fmt`` by the name ffmpeg gives it, so that
``ffmpeg -f rawvideo -pix_fmt yuv420p -`` is read without ffmpeg converting every frame to rgb24
first.  Each name maps to one of pixelkit's converters: :func:`pixelkit.from_yuv`,
:func:`pixelkit.from_packed` or :func:`pixelkit.demosaic`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from pixelkit.image import Image

if TYPE_CHECKING:
    from pixelkit.yuv import YuvMatrix, YuvRange


class PixelFormat(NamedTuple):
    """How one ffmpeg pixel format is stored and converted.

    ``family`` is ``"rgb24"``, ``"yuv"``, ``"packed"``, ``"bayer"`` or ``"gray"``; ``name`` is the
    format's name for its converter (for example ``"i420"`` for ffmpeg's ``yuv420p``).
    """

    pix_fmt: str
    family: str
    name: str
    range: YuvRange | None = None  # the yuvj formats are full range
    sample_bytes: int = 1  # bayer and gray: bytes per sample
    big_endian: bool = False

    def frame_bytes(self, width: int, height: int) -> int:
        """Bytes of one ``width`` x ``height`` frame, with ffmpeg's rounding of chroma sizes."""
        if self.family == "rgb24":
            return 3 * width * height
        if self.family == "yuv":
            from pixelkit.yuv import yuv_layout

            planes = yuv_layout(self.name, width, height)  # type: ignore[arg-type]
            return sum(rows * row_bytes for rows, row_bytes in planes)
        if self.family == "packed":
            return _PACKED_BYTES[self.name] * width * height
        return self.sample_bytes * width * height  # bayer, gray


_PACKED_BYTES = {
    "rgba": 4,
    "bgra": 4,
    "argb": 4,
    "abgr": 4,
    "bgr24": 3,
    "rgb565le": 2,
    "bgr565le": 2,
    "rgb48le": 6,
    "rgb48be": 6,
}


def _table() -> dict[str, PixelFormat]:
    formats = [PixelFormat("rgb24", "rgb24", "rgb24")]
    for pix_fmt, name in (
        ("yuv420p", "i420"),
        ("nv12", "nv12"),
        ("nv21", "nv21"),
        ("yuyv422", "yuyv"),
        ("uyvy422", "uyvy"),
        ("yuv422p", "i422"),
        ("yuv444p", "i444"),
    ):
        formats.append(PixelFormat(pix_fmt, "yuv", name))
    for pix_fmt, name in (("yuvj420p", "i420"), ("yuvj422p", "i422"), ("yuvj444p", "i444")):
        formats.append(PixelFormat(pix_fmt, "yuv", name, range="full"))
    formats += [PixelFormat(name, "packed", name) for name in _PACKED_BYTES]
    for pattern in ("rggb", "bggr", "grbg", "gbrg"):
        formats.append(PixelFormat(f"bayer_{pattern}8", "bayer", pattern.upper()))
        formats.append(PixelFormat(f"bayer_{pattern}16le", "bayer", pattern.upper(), sample_bytes=2))
        formats.append(PixelFormat(f"bayer_{pattern}16be", "bayer", pattern.upper(), sample_bytes=2, big_endian=True))
    formats.append(PixelFormat("gray", "gray", "gray"))
    return {f.pix_fmt: f for f in formats}


PIXEL_FORMATS = _table()


def pixel_format(pix_fmt: object) -> PixelFormat:
    """The :class:`PixelFormat` of an ffmpeg ``-pix_fmt`` name; ValueError listing the valid ones."""
    if not isinstance(pix_fmt, str):
        raise TypeError(f"pix_fmt must be a str such as 'yuv420p', got {type(pix_fmt).__name__}")
    found = PIXEL_FORMATS.get(pix_fmt)
    if found is None:
        raise ValueError(f"unknown pix_fmt {pix_fmt!r}; expected one of: {', '.join(sorted(PIXEL_FORMATS))}")
    return found


def check_conversion(fmt: PixelFormat, matrix: object, range: object) -> None:
    """ValueError (listing the valid names) for a matrix or range that a YUV format's conversion refuses."""
    if fmt.family != "yuv":
        return
    from pixelkit.yuv import _MATRICES, _RANGES

    if not isinstance(matrix, str) or matrix not in _MATRICES:
        raise ValueError(f"unknown matrix {matrix!r}; valid: {', '.join(repr(m) for m in _MATRICES)}")
    if range is not None and (not isinstance(range, str) or range not in _RANGES):
        raise ValueError(f"unknown range {range!r}; valid: {', '.join(repr(r) for r in _RANGES)}")


def decode(
    fmt: PixelFormat,
    data: NDArray[np.uint8],
    width: int,
    height: int,
    matrix: YuvMatrix = "bt601",
    range: YuvRange | None = None,
    out: Image | NDArray[np.uint8] | None = None,
) -> Any:
    """One frame of ``fmt`` (``data``: exactly :meth:`PixelFormat.frame_bytes` bytes) as RGB.

    Into ``out`` (an Image or ``(H, W, 3)`` uint8 array, returned) or a new Image.  ``range``
    defaults to the format's own (full for the yuvj formats), else limited.
    """
    if fmt.family == "rgb24":
        frame = Image._from_flat(data, width, height, 3 * width)
        if out is None:
            return frame
        np.copyto(out.array if isinstance(out, Image) else out, frame.array)
        return out
    if fmt.family == "yuv":
        from pixelkit.yuv import from_yuv

        chosen = range if range is not None else (fmt.range or "limited")
        return from_yuv(data, width, height, fmt.name, matrix=matrix, range=chosen, out=out)  # type: ignore[arg-type]
    if fmt.family == "packed":
        from pixelkit.packed import from_packed

        return from_packed(data, width, height, fmt.name, out=out)  # type: ignore[arg-type]
    if fmt.family == "bayer":
        from pixelkit.bayer import demosaic

        if fmt.sample_bytes == 1:
            return demosaic(data.reshape(height, width), fmt.name, out=out)
        samples: NDArray[Any] = data.view(">u2" if fmt.big_endian else "<u2").reshape(height, width)
        return demosaic(samples.astype(np.uint16, copy=False), fmt.name, bits=16, out=out)
    gray = data.reshape(height, width)
    target = Image._empty(width, height) if out is None else out
    (target.array if isinstance(target, Image) else target)[...] = gray[:, :, None]
    return target
