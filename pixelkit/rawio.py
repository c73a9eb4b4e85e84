"""Raw (headerless) RGB files: rows of r, g, b bytes, as ffmpeg's rgb24 and C dumps."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, SupportsIndex

import numpy as np
from numpy.typing import NDArray

from pixelkit._fileio import (
    Source,
    StrPath,
    describe,
    is_path,
    open_path,
    open_source,
    place_file,
    read_file_payload,
    read_into,
    read_payload,
    remaining_bytes,
    write_array,
    write_to,
)
from pixelkit.errors import FormatError
from pixelkit.image import Image, dimension, image_nbytes, new_flat
from pixelkit.pixfmt import PixelFormat, check_conversion, decode, pixel_format

if TYPE_CHECKING:
    from pixelkit.yuv import YuvMatrix, YuvRange


def as_image(obj: Image | NDArray[Any], name: str = "img") -> Image:
    """An Image for an Image or a compatible numpy array (wrapped, not copied)."""
    if isinstance(obj, Image):
        return obj
    if isinstance(obj, np.ndarray):
        return Image.from_array(obj)
    raise TypeError(f"{name} must be a pixelkit.Image or an (H, W, 3) uint8 array, got {type(obj).__name__}")


def read_raw(
    src: Source,
    width: SupportsIndex,
    height: SupportsIndex,
    stride: SupportsIndex | None = None,
    pix_fmt: str = "rgb24",
    *,
    matrix: YuvMatrix = "bt601",
    range: YuvRange | None = None,
) -> Image:
    """Read a raw RGB image of ``height`` rows, each ``stride`` bytes (default width * 3).

    The bytes are read straight into the new image's C buffer.  Padded rows
    stay padded: the result has the file's stride, ``.copy()`` compacts it.
    With another ``pix_fmt`` the file holds one frame in that ffmpeg pixel
    format (``yuv420p``, ``nv12``, ``bgra``, ``bayer_rggb8``, ...; see
    :func:`iter_raw_frames`), converted to a new RGB Image.

    Parameters
    ----------
    src : str, os.PathLike or binary file object
        A path (the file must hold exactly ``height * stride`` bytes), or a
        file object or pipe that provides that many (it is left positioned after them).
    width, height : int
        The image's size in pixels.
    stride : int, optional
        Bytes from one row to the next in the file (default ``width * 3``);
        rgb24 only.
    pix_fmt : str, optional
        ffmpeg's name of the file's pixel format (default ``"rgb24"``).
    matrix, range : str, optional
        For the YUV formats, as for :func:`pixelkit.from_yuv` (range
        defaults to limited, full for ffmpeg's ``yuvj`` formats).

    Returns
    -------
    Image
        A new Image in C memory, with the file's stride.

    Raises
    ------
    FormatError
        The file holds another number of bytes, or the stream ends early.
    TypeError
        A size is not an integer.
    ValueError
        A size out of range, a stride below ``width * 3`` (or a stride with
        another pix_fmt), or an unknown pix_fmt, matrix or range.
    OSError
        The file cannot be opened or read.

    Examples
    --------
    >>> (tmp / "frame.rgb").write_bytes(bytes(range(18)))
    18
    >>> img = pixelkit.read_raw(tmp / "frame.rgb", 3, 2)
    >>> img[1, 0]
    (9, 10, 11)
    >>> import io
    >>> pixelkit.read_raw(io.BytesIO(bytes(24)), 3, 2, stride=12)
    <pixelkit.Image 3x2 stride=12>
    >>> pixelkit.read_raw(io.BytesIO(bytes([0, 0, 255, 0] * 6)), 3, 2, pix_fmt="bgra")[0, 0]
    (255, 0, 0)
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    fmt = pixel_format(pix_fmt)
    if fmt.family != "rgb24":
        if stride is not None:
            raise ValueError(f"stride applies to rgb24 only, got stride={stride!r} with pix_fmt {pix_fmt!r}")
        check_conversion(fmt, matrix, range)
        return _read_converted(src, fmt, w, h, matrix, range)
    row_stride, total = image_nbytes(w, h, stride)
    if isinstance(src, (str, os.PathLike)):
        with open_path(src) as opened:
            if not isinstance(opened, tuple):
                return _read_raw_stream(opened, src, w, h, row_stride, total)
            fd, size = opened
            if size != total:
                raise FormatError(
                    f"{describe(src)} holds {size} bytes but a raw {w}x{h} with stride {row_stride} image"
                    f" is exactly {total} bytes"
                )
            pixels = read_file_payload(
                fd, 0, total, lambda: f"raw {w}x{h} with stride {row_stride} image {describe(src)}"
            )
            return Image._from_flat(pixels, w, h, row_stride)
    with open_source(src) as stream:
        return _read_raw_stream(stream, src, w, h, row_stride, total)


def _read_converted(src: Source, fmt: PixelFormat, w: int, h: int, matrix: YuvMatrix, range: YuvRange | None) -> Image:
    """One frame of ``fmt`` from a file or stream, converted to RGB."""
    nbytes = fmt.frame_bytes(w, h)
    what = f"raw {w}x{h} {fmt.pix_fmt} frame {describe(src)}"
    with open_source(src) as stream:
        available = remaining_bytes(stream)
        if is_path(src) and available is not None and available != nbytes:
            raise FormatError(f"{describe(src)} holds {available} bytes but a {what[4:]} is exactly {nbytes} bytes")
        flat = read_payload(stream, nbytes, what)
    assert flat is not None
    image: Image = decode(fmt, flat, w, h, matrix, range)
    return image


def _read_raw_stream(stream: BinaryIO, src: Source, w: int, h: int, row_stride: int, total: int) -> Image:
    layout = f"{w}x{h} with stride {row_stride}"
    available = remaining_bytes(stream)
    if is_path(src) and available is not None and available != total:
        raise FormatError(f"{describe(src)} holds {available} bytes but a raw {layout} image is exactly {total} bytes")
    flat = read_payload(stream, total, f"raw {layout} image {describe(src)}")
    assert flat is not None
    return Image._from_flat(flat, w, h, row_stride)


def write_raw(img: Image | NDArray[Any], dst: Source) -> None:
    """Write ``width * 3`` bytes per row (no padding); atomic when ``dst`` is a path.

    A path gets the old or the complete new content, never part of it: the
    bytes go to an unnamed file that is fsynced and then renamed over ``dst``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The image: an Image or an ``(H, W, 3) uint8`` array.
    dst : str, os.PathLike or binary file object
        A path, or a file object or pipe to write to.

    Raises
    ------
    TypeError
        ``img`` is neither an Image nor an array.
    ValueError
        ``img`` is an array of another shape or dtype.
    OSError
        The file cannot be written (the old file, if any, is kept).

    Examples
    --------
    >>> pixelkit.write_raw(pixelkit.Image(3, 2, fill=(1, 2, 3)), tmp / "out.rgb")
    >>> (tmp / "out.rgb").read_bytes()[:6]
    b'\\x01\\x02\\x03\\x01\\x02\\x03'
    >>> import io
    >>> stream = io.BytesIO()
    >>> pixelkit.write_raw(np.zeros((2, 3, 3), np.uint8), stream)
    >>> len(stream.getvalue())
    18
    """
    image = as_image(img)
    write_to(dst, lambda stream: write_array(stream, image._array))


def open_raw(
    path: StrPath,
    width: SupportsIndex,
    height: SupportsIndex,
    mode: Literal["r", "r+", "w+"] = "r",
    stride: SupportsIndex | None = None,
) -> Image:
    """Memory-map a raw RGB file as an Image.

    ``"r"`` maps it read-only, ``"r+"`` maps it so that changes reach the
    file, ``"w+"`` creates (or replaces) the file at the right size, all
    zeros.  Pages are read on demand, so files larger than memory work.
    ``img.flush()`` (or leaving ``with open_raw(...) as img:``) writes
    changes back.

    Crashes: ``"w+"`` creates the new file without a name, sets its size
    and only then renames it over ``path`` (as :func:`write_raw` does; an
    existing file keeps its permissions, and a process that still maps the
    old file keeps the old content), so ``path`` always holds either the
    old file or a zero-filled file of exactly the right size.  Pixels
    written through the map reach the file whenever the operating system
    writes the pages back, or at ``flush()``: a process killed before
    ``flush()`` leaves the file at its full size with any mix of zeros and
    new pixels (the kernel still writes back pages dirtied before a
    SIGKILL; a power loss may lose them).  ``"r+"`` edits the file in place,
    which is never atomic: after a crash the file holds any mix of old and
    new pixels, page by page.  Write a new file with :func:`write_raw`
    when a reader must see the whole change or none of it.

    As with any memory map, the file must keep its size while mapped: if
    another process truncates it, touching the lost pages kills the process
    with SIGBUS (the operating system's doing, not something Python can catch).

    Parameters
    ----------
    path : str or os.PathLike
        The raw file.
    width, height : int
        The image's size in pixels.
    mode : {"r", "r+", "w+"}, optional
        Read-only (default), read-write in place, or a new zero-filled file.
    stride : int, optional
        Bytes from one row to the next in the file (default ``width * 3``).

    Returns
    -------
    Image
        An Image over the mapped file (read-only for ``"r"``).

    Raises
    ------
    FormatError
        ``"r"`` or ``"r+"`` and the file's size is not ``height * stride``.
    TypeError
        A size is not an integer.
    ValueError
        A size out of range, a stride below ``width * 3``, or an unknown ``mode``.
    OSError
        The file cannot be opened, created or mapped.

    Examples
    --------
    >>> with pixelkit.open_raw(tmp / "big.rgb", 4, 3, mode="w+") as img:
    ...     pixelkit.fill(img.crop(0, 0, 4, 1), (255, 255, 255))
    <pixelkit.Image 4x1 stride=12>
    >>> with pixelkit.open_raw(tmp / "big.rgb", 4, 3, mode="r+") as img:
    ...     _ = pixelkit.invert(img, out=img)  # edits go to the file
    >>> pixelkit.read_raw(tmp / "big.rgb", 4, 3).array[:, 0, 0].tolist()
    [0, 255, 255]
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    row_stride, total = image_nbytes(w, h, stride)
    if mode not in ("r", "r+", "w+"):
        raise ValueError(f"mode must be 'r', 'r+' or 'w+', got {mode!r}")
    if mode == "w+":
        # The file gets its name only once it has its final size: no reader
        # ever sees it half-created or of the wrong size.
        fd = place_file(path, lambda new: os.ftruncate(new, total))
        try:
            mapping = mmap.mmap(fd, total, access=mmap.ACCESS_WRITE)
        finally:
            os.close(fd)
        return Image._from_flat(np.frombuffer(mapping, np.uint8), w, h, row_stride, mapping)
    with open(path, "rb" if mode == "r" else "r+b") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size != total:
            raise FormatError(
                f"{describe(path)} holds {size} bytes but a raw {w}x{h} image with stride {row_stride} "
                f"is exactly {total} bytes"
            )
        access = mmap.ACCESS_READ if mode == "r" else mmap.ACCESS_WRITE
        mapping = mmap.mmap(stream.fileno(), total, access=access)
    return Image._from_flat(np.frombuffer(mapping, np.uint8), w, h, row_stride, mapping)


def iter_raw_frames(
    src: Source,
    width: SupportsIndex,
    height: SupportsIndex,
    pix_fmt: str = "rgb24",
    *,
    matrix: YuvMatrix = "bt601",
    range: YuvRange | None = None,
) -> Iterator[Image]:
    """Yield each ``width`` x ``height`` frame of a file or pipe as a new RGB Image.

    Frames are read straight into their buffers, one at a time, so a pipe
    from ``ffmpeg -f rawvideo -pix_fmt rgb24 -`` streams in bounded memory.
    Other pixel formats are read into one buffer reused from frame to frame
    and converted in C, so ``ffmpeg -f rawvideo -pix_fmt yuv420p -`` works
    without ffmpeg converting every frame to rgb24:

    - YUV (:func:`pixelkit.from_yuv`): ``yuv420p``, ``nv12``, ``nv21``,
      ``yuyv422``, ``uyvy422``, ``yuv422p``, ``yuv444p``, and the full-range
      ``yuvj420p``, ``yuvj422p``, ``yuvj444p``;
    - packed RGB (:func:`pixelkit.from_packed`): ``bgr24``, ``rgba``,
      ``bgra``, ``argb``, ``abgr``, ``rgb565le``, ``bgr565le``, ``rgb48le``,
      ``rgb48be``;
    - Bayer mosaics (:func:`pixelkit.demosaic`, bilinear):
      ``bayer_rggb8``, ``bayer_bggr8``, ``bayer_grbg8``, ``bayer_gbrg8`` and
      their ``16le`` / ``16be`` versions;
    - ``gray`` (each sample repeated in r, g and b).

    Parameters
    ----------
    src : str, os.PathLike or binary file object
        A file of frames back to back, or a stream such as ``sys.stdin.buffer``.
    width, height : int
        The frame size in pixels.
    pix_fmt : str, optional
        ffmpeg's name of the frames' pixel format (default ``"rgb24"``).
    matrix, range : str, optional
        For the YUV formats, as for :func:`pixelkit.from_yuv` (range
        defaults to limited, full for the ``yuvj`` formats).

    Yields
    ------
    Image
        Each frame, in a new Image.

    Raises
    ------
    FormatError
        A trailing partial frame, after all complete frames have been yielded;
        the message says how many bytes it had.
    TypeError
        A size is not an integer.
    ValueError
        A size out of range or one the format refuses (an odd width for
        yuyv422), or an unknown pix_fmt, matrix or range.

    Examples
    --------
    >>> import io
    >>> frames = np.zeros((3, 2, 4, 3), np.uint8)
    >>> frames[1] = 255
    >>> [img[0, 0] for img in pixelkit.iter_raw_frames(io.BytesIO(frames.tobytes()), 4, 2)]
    [(0, 0, 0), (255, 255, 255), (0, 0, 0)]
    >>> nv12 = bytes([235] * 8 + [128] * 4)  # 4x2: Y, then interleaved U, V
    >>> [img[0, 0] for img in pixelkit.iter_raw_frames(io.BytesIO(nv12 * 2), 4, 2, "nv12")]
    [(255, 255, 255), (255, 255, 255)]
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    fmt = pixel_format(pix_fmt)
    if fmt.family != "rgb24":
        check_conversion(fmt, matrix, range)
        return _iter_converted(src, fmt, w, h, fmt.frame_bytes(w, h), matrix, range)
    return _iter_rgb24(src, w, h)


def _iter_rgb24(src: Source, w: int, h: int) -> Iterator[Image]:
    stride, frame_bytes = image_nbytes(w, h)
    with open_source(src) as stream:
        index = 0
        while True:
            what = f"{describe(src)}: frame {index} ({w}x{h} rgb24)"
            flat = read_payload(stream, frame_bytes, what, index * frame_bytes, end_ok=True)
            if flat is None:
                return
            yield Image._from_flat(flat, w, h, stride)
            index += 1


def _iter_converted(
    src: Source, fmt: PixelFormat, w: int, h: int, nbytes: int, matrix: YuvMatrix, range: YuvRange | None
) -> Iterator[Image]:
    payload = new_flat(nbytes)
    with open_source(src) as stream:
        index = 0
        while True:
            got = read_into(stream, payload)
            if got == 0:
                return
            if got != nbytes:
                raise FormatError(
                    f"{describe(src)}: frame {index} ({w}x{h} {fmt.pix_fmt}) ends early: expected {nbytes} bytes "
                    f"at byte offset {index * nbytes}, got {got}"
                )
            yield decode(fmt, payload, w, h, matrix, range)
            index += 1
