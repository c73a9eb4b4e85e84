"""Writing YUV4MPEG2 streams that ffmpeg reads: atomic for paths, streaming for pipes."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any, BinaryIO, SupportsFloat, cast

import numpy as np
from numpy.typing import NDArray

from pixelkit._fileio import Source, write_all, write_to
from pixelkit.image import Image
from pixelkit.pixfmt import PIXEL_FORMATS, check_conversion
from pixelkit.rawio import as_image
from pixelkit.y4m.header import _SUBSAMPLING, _WRITABLE, COLORSPACES, FRAME_TAG, Y4MHeader
from pixelkit.yuv import YuvFormat, YuvMatrix, YuvRange, to_yuv


def _fps(value: object) -> Fraction:
    if isinstance(value, str):
        text = value.replace(":", "/")
        try:
            rate = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"fps must be a positive number or 'N/D', got {value!r}") from None
    elif isinstance(value, tuple) and len(value) == 2:
        rate = Fraction(int(value[0]), int(value[1]))
    elif isinstance(value, (int, Fraction)):
        rate = Fraction(value)
    elif isinstance(value, SupportsFloat):
        as_float = float(value)
        if not np.isfinite(as_float):
            raise ValueError(f"fps must be finite, got {value!r}")
        rate = Fraction(as_float).limit_denominator(1001000)
    else:
        raise TypeError(f"fps must be a number, a Fraction, 'N/D' or (N, D), got {type(value).__name__}")
    if rate <= 0:
        raise ValueError(f"fps must be positive, got {value!r}")
    return rate


def write_y4m(
    frames: Iterable[Image | NDArray[Any]] | Image | NDArray[Any],
    dst: Source,
    fps: object = 25,
    colorspace: str = "420jpeg",
    matrix: YuvMatrix = "bt601",
    range: YuvRange = "limited",
) -> int:
    """Write RGB frames as a YUV4MPEG2 stream that ffmpeg reads (``ffmpeg -i - out.mp4``).

    Each frame goes through :func:`pixelkit.to_yuv` (which states how chroma is subsampled).
    The header says ``XCOLORRANGE=FULL`` or ``LIMITED``, which ffmpeg reads; there is no tag for
    the matrix, and ffmpeg assumes BT.601, so pass ``-colorspace`` to ffmpeg when writing another.
    A path is written atomically (all frames or the old file); a pipe gets each frame as soon as
    it is converted.

    Parameters
    ----------
    frames : iterable of Image or numpy.ndarray, or one Image or array
        The frames, all of one size (an iterator is consumed one frame at a time).
    dst : str, os.PathLike or binary file object
        A path, or a file object or pipe such as ``sys.stdout.buffer``.
    fps : int, float, Fraction, str or (int, int), optional
        Frames per second (default 25): ``30000/1001``, ``"30000:1001"`` or ``29.97``.
    colorspace : str, optional
        ``"420jpeg"`` (default), ``"420mpeg2"``, ``"420paldv"``, ``"420"``, ``"422"``, ``"444"``
        or ``"mono"`` (Y alone).
    matrix : str, optional
        ``"bt601"`` (default), ``"bt709"`` or ``"bt2020"``.
    range : str, optional
        ``"limited"`` (default) or ``"full"``.

    Returns
    -------
    int
        The number of frames written.

    Raises
    ------
    ValueError
        No frame, frames of different sizes, or an unknown colour space, matrix or range name
        (the file at a path is then left as it was).
    TypeError
        A frame is neither an Image nor an ``(H, W, 3)`` uint8 array.

    Examples
    --------
    >>> import io
    >>> stream = io.BytesIO()
    >>> pixelkit.write_y4m([pixelkit.Image(4, 2, fill=(255, 0, 0))] * 3, stream, fps=30)
    3
    >>> stream.getvalue()[:39]
    b'YUV4MPEG2 W4 H2 F30:1 Ip A1:1 C420jpeg '
    """
    if colorspace not in _WRITABLE:
        raise ValueError(f"unknown colorspace {colorspace!r} for writing; valid: {', '.join(map(repr, _WRITABLE))}")
    check_conversion(PIXEL_FORMATS["yuv420p"], matrix, range)
    if range is None:
        raise ValueError("range must be 'limited' or 'full', got None")
    rate = _fps(fps)
    if isinstance(frames, Image) or (isinstance(frames, np.ndarray) and frames.ndim == 3):
        frames = [frames]
    subsampling = COLORSPACES[colorspace][0]
    yuv_format = cast(YuvFormat, "i420" if subsampling == "mono" else _SUBSAMPLING[subsampling])
    written = 0

    def write(stream: BinaryIO) -> None:
        nonlocal written
        header: Y4MHeader | None = None
        for index, frame in enumerate(frames):
            image = as_image(frame, f"frame {index}")
            if header is None:
                header = Y4MHeader(
                    image.width,
                    image.height,
                    rate,
                    Fraction(1),
                    colorspace=colorspace,
                    extensions=(f"COLORRANGE={range.upper()}",),
                )
                write_all(stream, header.to_bytes())
            elif (image.width, image.height) != (header.width, header.height):
                raise ValueError(
                    f"frame {index} is {image.width}x{image.height} but the stream is {header.width}x{header.height}"
                )
            data = to_yuv(image, yuv_format, matrix=matrix, range=range)
            if subsampling == "mono":
                data = data[: image.width * image.height]
            write_all(stream, FRAME_TAG + b"\n")
            write_all(stream, data)
            written += 1
        if header is None:
            raise ValueError("write_y4m needs at least one frame (the header takes its size from the first)")

    write_to(dst, write)
    return written
