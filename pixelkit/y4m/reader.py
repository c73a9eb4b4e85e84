"""Reading YUV4MPEG2 streams frame by frame: files, pipes, ``sys.stdin.buffer``."""

from __future__ import annotations

import io
from types import TracebackType
from typing import Any, BinaryIO, cast

import numpy as np
from numpy.typing import NDArray

from pixelkit._fileio import Source, StrPath, check_binary, describe, is_path, read_exactly
from pixelkit.errors import FormatError
from pixelkit.image import Image, new_flat
from pixelkit.pixfmt import PIXEL_FORMATS, check_conversion
from pixelkit.y4m.header import FRAME_TAG, MAX_LINE_BYTES, Y4MHeader
from pixelkit.yuv import YuvFormat, YuvMatrix, YuvRange, from_yuv


def _read_line(stream: BinaryIO, what: str, offset: int) -> bytes:
    """One line (up to and without its newline), read a byte at a time so nothing past it is consumed."""
    line = bytearray()
    while True:
        byte = stream.read(1)
        if not byte:
            raise FormatError(f"{what} at byte offset {offset} ends before its newline (got {bytes(line[:40])!r})")
        if byte == b"\n":
            return bytes(line)
        line += byte
        if len(line) > MAX_LINE_BYTES:
            raise FormatError(f"{what} at byte offset {offset} has no newline in its first {MAX_LINE_BYTES} bytes")


def _eight_bits(samples: NDArray[np.uint16], bits: int) -> NDArray[np.uint8]:
    """Samples of ``bits`` bits to 8 bits: shifted with rounding (64 -> 16, 940 -> 235 at 10 bits), saturated."""
    shift = bits - 8
    wide = samples.astype(np.uint32) + (1 << (shift - 1))
    wide >>= shift
    return np.minimum(wide, 255).astype(np.uint8)


class Y4MReader:
    """The frames of a y4m stream, one at a time: what :func:`iter_y4m` returns.

    Iterate over it for the frames; its :attr:`header` is read when it is made.  It closes a
    file it opened itself when the frames run out, on :meth:`close`, or at the end of a
    ``with`` block.

    Parameters
    ----------
    src : str, os.PathLike or binary file object
        The stream, at the start of its header.
    rgb : bool, optional
        Frames as RGB Images (default) or as their planes.
    matrix : str, optional
        The YUV matrix for RGB frames (default ``"bt601"``).
    range : str, optional
        ``"limited"`` or ``"full"``; by default the header's ``XCOLORRANGE``, else limited.

    Raises
    ------
    FormatError
        The header is malformed (read when the reader is made).
    ValueError
        An unknown matrix or range name.

    Examples
    --------
    >>> import io
    >>> data = b"YUV4MPEG2 W2 H2 F30:1 Cmono\\n" + 3 * (b"FRAME\\n" + bytes(4))
    >>> with pixelkit.Y4MReader(io.BytesIO(data), rgb=False) as frames:
    ...     print(frames.header.fps, [planes[0].shape for planes in frames])
    30 [(2, 2), (2, 2), (2, 2)]
    """

    header: Y4MHeader
    """The stream's header."""

    def __init__(
        self, src: Source, *, rgb: bool = True, matrix: YuvMatrix = "bt601", range: YuvRange | None = None
    ) -> None:
        if rgb:
            check_conversion(PIXEL_FORMATS["yuv420p"], matrix, range)
        self._src = src
        self._own = is_path(src)
        self._done = False
        if self._own:
            self._stream: BinaryIO = open(cast(StrPath, src), "rb")  # closed by close()
        else:
            check_binary(src, writing=False)
            self._stream = src  # type: ignore[assignment]
        try:
            self.header = Y4MHeader.parse(_read_line(self._stream, f"y4m header of {describe(src)}", 0))
        except BaseException:
            self.close()
            raise
        self._rgb = rgb
        self._matrix: YuvMatrix = matrix
        self._range: YuvRange = cast(YuvRange, range if range is not None else self.header.color_range or "limited")
        self._offset = self.header.header_bytes
        self._index = 0
        self._payload: NDArray[np.uint8] | None = None
        self._neutral: NDArray[np.uint8] | None = None

    def __iter__(self) -> Y4MReader:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        frame = self._read_frame()
        if frame is None:
            self.close()
            raise StopIteration
        return frame

    def _read_frame(self) -> Image | tuple[NDArray[Any], ...] | None:
        header, start = self.header, self._offset
        what = f"{describe(self._src)}: frame {self._index}"
        tag = self._stream.read(len(FRAME_TAG))
        if not tag:
            return None
        if tag != FRAME_TAG:
            raise FormatError(f"{what}: expected {FRAME_TAG.decode()!r} at byte offset {start}, got {tag!r}")
        rest = _read_line(self._stream, f"{what}'s FRAME line", start)
        if rest and not rest.startswith(b" "):
            raise FormatError(f"{what}: expected 'FRAME' and a newline at byte offset {start}, got {tag + rest[:20]!r}")
        payload_at = start + len(FRAME_TAG) + len(rest) + 1
        nbytes = header.frame_bytes
        keep = not self._rgb or header.bit_depth > 8 or header.subsampling == "mono"
        if self._rgb and not keep:
            if self._payload is None:
                self._payload = new_flat(nbytes)
            flat = self._payload
        else:
            flat = new_flat(nbytes)
        try:
            read_exactly(
                self._stream, flat, f"{what} ({header.width}x{header.height} C{header.colorspace})", payload_at
            )
        except FormatError:
            self.close()
            raise
        self._offset = payload_at + nbytes
        self._index += 1
        planes = self._planes(flat)
        return planes if not self._rgb else self.convert(planes)

    def _planes(self, flat: NDArray[np.uint8]) -> tuple[NDArray[Any], ...]:
        sample = np.dtype("<u2") if self.header.bit_depth > 8 else np.dtype(np.uint8)
        samples = flat.view(sample)
        planes, at = [], 0
        for rows, cols in self.header.plane_shapes:
            planes.append(samples[at : at + rows * cols].reshape(rows, cols))
            at += rows * cols
        return tuple(planes)

    def convert(self, planes: tuple[NDArray[Any], ...]) -> Image:
        """A frame's planes, as iterating with ``rgb=False`` gives them, as an RGB Image.

        With this reader's matrix and range (so a frame can be picked without converting the
        ones before it).

        Parameters
        ----------
        planes : tuple of numpy.ndarray
            ``(Y, U, V)`` or ``(Y,)`` of this stream's shapes and sample type.

        Returns
        -------
        Image
            The frame in RGB.

        Raises
        ------
        ValueError
            Planes of other shapes than this stream's.

        Examples
        --------
        >>> import io
        >>> stream = io.BytesIO(b"YUV4MPEG2 W2 H2 Cmono\\nFRAME\\n" + bytes([16, 235, 126, 16]))
        >>> with pixelkit.iter_y4m(stream, rgb=False) as frames:
        ...     planes = next(frames)
        ...     frames.convert(planes).array[:, :, 0].tolist()
        [[0, 255], [128, 0]]
        """
        header = self.header
        w, h = header.width, header.height
        shapes = header.plane_shapes
        if len(planes) != len(shapes) or any(p.shape != s for p, s in zip(planes, shapes, strict=True)):
            raise ValueError(
                f"expected planes of shapes {list(shapes)}, got {[getattr(p, 'shape', None) for p in planes]}"
            )
        if header.bit_depth > 8:
            planes = tuple(_eight_bits(p, header.bit_depth) for p in planes)
        if header.subsampling == "mono":
            if self._neutral is None:
                self._neutral = np.full((h, w), 128, np.uint8)
            planes = (planes[0], self._neutral, self._neutral)
            return from_yuv(planes, w, h, "i444", matrix=self._matrix, range=self._range)
        return from_yuv(planes, w, h, cast(YuvFormat, header.yuv_format), matrix=self._matrix, range=self._range)

    def close(self) -> None:
        """Close the file if this reader opened it (a file object given to it is left open).

        Examples
        --------
        >>> (tmp / "two.y4m").write_bytes(b"YUV4MPEG2 W2 H2 Cmono\\n" + 2 * (b"FRAME\\n" + bytes(4)))
        42
        >>> frames = pixelkit.iter_y4m(tmp / "two.y4m")
        >>> first = next(frames)
        >>> frames.close()  # the second frame is never read
        >>> list(frames)
        []
        """
        self._done = True
        if self._own and not self._stream.closed:
            self._stream.close()

    def __enter__(self) -> Y4MReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def iter_y4m(src: Source, *, rgb: bool = True, matrix: YuvMatrix = "bt601", range: YuvRange | None = None) -> Y4MReader:
    """The frames of a YUV4MPEG2 stream from a file, a pipe or ``sys.stdin.buffer``, one at a time.

    Each frame is read into its own buffer and converted; nothing else is kept, so a pipe from
    ``ffmpeg -i clip.mp4 -f yuv4mpegpipe -`` streams in constant memory.  Samples of more than
    8 bits (``C420p10`` and the like) are brought to 8 bits first, shifted with rounding.

    Parameters
    ----------
    src : str, os.PathLike or binary file object
        A ``.y4m`` file, or a stream positioned at the start of the header.
    rgb : bool, optional
        True (default): each frame as an RGB :class:`~pixelkit.Image` (``mono`` streams give
        gray RGB).  False: each frame as a tuple of its planes as stored, ``(Y, U, V)`` or
        ``(Y,)``, 2-D uint8 arrays (uint16 above 8 bits).
    matrix : str, optional
        ``"bt601"`` (default, as ffmpeg assumes for y4m), ``"bt709"`` or ``"bt2020"``.
    range : str, optional
        ``"limited"`` or ``"full"``; by default the header's ``XCOLORRANGE``, else limited.

    Returns
    -------
    Y4MReader
        An iterator over the frames with the stream's :attr:`~Y4MReader.header`.

    Raises
    ------
    FormatError
        A malformed header or FRAME line, an unknown colour space, or a truncated frame (raised
        after every complete frame before it has been yielded); the message gives the byte offset.
    ValueError
        An unknown matrix or range name.

    Examples
    --------
    >>> import io
    >>> white = bytes([235] * 8 + [128] * 16)  # the Y, U and V planes of a 4x2 white frame
    >>> stream = io.BytesIO(b"YUV4MPEG2 W4 H2 F25:1 C444\\n" + 2 * (b"FRAME\\n" + white))
    >>> frames = pixelkit.iter_y4m(stream)
    >>> frames.header.colorspace
    '444'
    >>> [img[0, 0] for img in frames]
    [(255, 255, 255), (255, 255, 255)]
    """
    return Y4MReader(src, rgb=rgb, matrix=matrix, range=range)


def read_y4m(src: Source, *, rgb: bool = True, matrix: YuvMatrix = "bt601", range: YuvRange | None = None) -> Any:
    """The first frame of a YUV4MPEG2 stream, as an RGB Image (or its planes with ``rgb=False``).

    Parameters
    ----------
    src : str, os.PathLike or binary file object
        A ``.y4m`` file or stream.
    rgb, matrix, range
        As for :func:`iter_y4m`.

    Returns
    -------
    Image or tuple of numpy.ndarray
        The first frame.

    Raises
    ------
    FormatError
        As for :func:`iter_y4m`, and when the stream has no frame.
    ValueError
        An unknown matrix or range name.

    Examples
    --------
    >>> import io
    >>> y4m = b"YUV4MPEG2 W2 H2 F25:1 C420jpeg\\nFRAME\\n" + bytes([235] * 4 + [128, 128])
    >>> pixelkit.read_y4m(io.BytesIO(y4m))[1, 1]
    (255, 255, 255)
    """
    with Y4MReader(src, rgb=rgb, matrix=matrix, range=range) as frames:
        for frame in frames:
            return frame
    raise FormatError(f"{describe(src)} is a y4m stream with no frame")


def count_y4m_frames(src: Source) -> int:
    """How many complete frames a y4m file holds, read FRAME line by FRAME line (payloads are skipped).

    Parameters
    ----------
    src : str, os.PathLike or seekable binary file object
        The stream, at the start of its header.

    Returns
    -------
    int
        The number of frames.

    Raises
    ------
    FormatError
        As for :func:`iter_y4m`.

    Examples
    --------
    >>> import io
    >>> pixelkit.count_y4m_frames(io.BytesIO(b"YUV4MPEG2 W2 H2 Cmono\\n" + 3 * b"FRAME\\n\\0\\0\\0\\0"))
    3
    """
    with Y4MReader(src, rgb=False) as reader:
        stream, header = reader._stream, reader.header
        seekable = stream.seekable() if hasattr(stream, "seekable") else False
        count, offset = 0, header.header_bytes
        while True:
            tag = stream.read(len(FRAME_TAG))
            if not tag:
                return count
            if tag != FRAME_TAG:
                raise FormatError(
                    f"{describe(src)}: frame {count}: expected 'FRAME' at byte offset {offset}, got {tag!r}"
                )
            rest = _read_line(stream, f"{describe(src)}: frame {count}'s FRAME line", offset)
            payload_at = offset + len(FRAME_TAG) + len(rest) + 1
            if seekable:
                end = stream.seek(0, io.SEEK_END)
                if end - payload_at < header.frame_bytes:
                    raise FormatError(
                        f"{describe(src)}: frame {count} ends early: expected {header.frame_bytes} bytes at byte "
                        f"offset {payload_at}, got {end - payload_at}"
                    )
                stream.seek(payload_at + header.frame_bytes)
            else:
                read_exactly(stream, bytearray(header.frame_bytes), f"{describe(src)}: frame {count}", payload_at)
            offset = payload_at + header.frame_bytes
            count += 1
