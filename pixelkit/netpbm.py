"""Netpbm images: PPM (``P6`` binary, ``P3`` plain) and PGM (``P5``, ``P2``).

Follows the netpbm specification: whitespace and ``#`` comments may stand
anywhere between header fields, maxval is 1..65535 with two-byte
big-endian samples above 255, and samples are rescaled to 8 bits by
rounding to nearest, ``(v * 255 + maxval // 2) // maxval``, unless maxval
is 255.  Reading stops after the first image, so a file object stays
positioned at the next image of a multi-image stream (plain images, whose
end cannot be known without parsing, consume the rest of the stream).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, BinaryIO, NamedTuple

import numpy as np
from numpy.typing import NDArray

from pixelkit._fileio import (
    Source,
    describe,
    open_path,
    open_source,
    read_file_payload,
    read_payload,
    write_all,
    write_array,
    write_to,
)
from pixelkit._native import ffi, lib
from pixelkit.errors import FormatError
from pixelkit.image import MAX_DIMENSION, Image, allocate
from pixelkit.rawio import as_image

MAX_MAXVAL: int = lib.PK_NETPBM_MAX_MAXVAL

_WHITESPACE = frozenset(b" \t\n\v\f\r")
_DIGITS = frozenset(b"0123456789")
# A field whose value passes this cannot be in range (the largest valid one
# is MAX_DIMENSION); reading stops there.  Leading zeros cost nothing, as in
# netpbm's own readers: "00000000001" is 1.
_MAX_FIELD_VALUE = 1 << 32
# The usual binary header: magic, three fields, single whitespace separators or
# more, no comments.  A file whose header matches is read without the general
# parser (same result); anything else, including every error, goes through it.
_SIMPLE_HEADER = re.compile(
    rb"(P[56])[ \t\n\v\f\r]+(\d{1,10})[ \t\n\v\f\r]+(\d{1,10})[ \t\n\v\f\r]+(\d{1,10})[ \t\n\v\f\r]"
)
_SIMPLE_HEADER_BYTES = 64

# magic -> (channels, plain)
_PPM_KINDS = {b"P6": (3, False), b"P3": (3, True)}
_PGM_KINDS = {b"P5": (1, False), b"P2": (1, True)}
_KIND_NAMES = {b"P1": "PBM", b"P4": "PBM", b"P2": "PGM", b"P5": "PGM", b"P3": "PPM", b"P6": "PPM", b"P7": "PAM"}


class _Header(NamedTuple):
    magic: bytes
    width: int
    height: int
    maxval: int
    channels: int
    plain: bool
    raster_offset: int  # byte offset of the first sample


class _HeaderReader:
    """Reads a netpbm header without consuming anything past it.

    Buffered streams are parsed from what ``peek`` shows, and only the
    header's bytes are consumed at the end (:meth:`finish`); other streams
    are read one byte at a time.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name
        self._peek = getattr(stream, "peek", None)
        self._window = b""  # peeked bytes not yet consumed from the stream
        self._used = 0  # of them, how many the parser took
        self.offset = 0
        self.field_offset = 0  # where the last field read starts

    def _byte(self) -> int | None:
        if self._peek is not None:
            if self._used == len(self._window):
                self.finish()
                self._window = self._peek(4096)
                if not self._window:
                    return None
            byte = self._window[self._used]
            self._used += 1
            self.offset += 1
            return byte
        data = self._stream.read(1)
        if not data:
            return None
        self.offset += 1
        return data[0]

    def finish(self) -> None:
        """Consume the peeked bytes the parser used."""
        if self._used:
            self._stream.read(self._used)
        self._window, self._used = b"", 0

    def error(self, message: str, offset: int) -> FormatError:
        return FormatError(f"{self._name}: {message} (byte offset {offset})")

    def magic(self, kinds: dict[bytes, tuple[int, bool]], reader: str) -> bytes:
        # Byte by byte: an unbuffered pipe may deliver "P" and "6" apart.
        first, second = self._byte(), self._byte()
        magic = bytes(b for b in (first, second) if b is not None)
        if magic in kinds:
            return magic
        expected = " or ".join(k.decode() for k in kinds)
        if magic in _KIND_NAMES:
            hint = f"it is a {_KIND_NAMES[magic]} ({magic.decode()}) file, which {reader} does not read"
        else:
            hint = f"found {magic!r}"
        raise self.error(f"bad magic number, expected {expected}; {hint}", 0)

    def field(self, what: str) -> int:
        """The next decimal header field, after any whitespace and comments."""
        byte = self._byte()
        while byte is not None and (byte in _WHITESPACE or byte == ord("#")):
            if byte == ord("#"):
                while byte is not None and byte not in (ord("\n"), ord("\r")):
                    byte = self._byte()
            byte = self._byte()
        start = self.offset - 1
        self.field_offset = start
        if byte is None:
            raise self.error(f"the header ends before the {what}", self.offset)
        if byte not in _DIGITS:
            raise self.error(f"expected a decimal {what}, found {bytes([byte])!r}", start)
        value = 0
        while byte is not None and byte in _DIGITS:
            value = 10 * value + byte - ord("0")
            if value > _MAX_FIELD_VALUE:
                raise self.error(f"the {what} is too large", start)
            byte = self._byte()
        if byte == ord("#"):
            # A comment glued to the field: skip it; its line end separates.
            while byte is not None and byte not in (ord("\n"), ord("\r")):
                byte = self._byte()
        elif byte is not None and byte not in _WHITESPACE:
            raise self.error(f"expected whitespace after the {what}, found {bytes([byte])!r}", self.offset - 1)
        if byte is None and what != "maxval":
            raise self.error(f"the header ends after the {what}", self.offset)
        return value


def _read_header(stream: BinaryIO, name: str, kinds: dict[bytes, tuple[int, bool]], reader: str) -> _Header:
    header = _HeaderReader(stream, name)
    magic = header.magic(kinds, reader)
    sizes = []
    for what in ("width", "height"):
        value = header.field(what)
        if not 1 <= value <= MAX_DIMENSION:
            raise header.error(f"the {what} {value} is outside 1..{MAX_DIMENSION}", header.field_offset)
        sizes.append(value)
    width, height = sizes
    maxval = header.field("maxval")
    if not 1 <= maxval <= MAX_MAXVAL:
        raise header.error(f"maxval {maxval} is outside 1..{MAX_MAXVAL}", header.field_offset)
    header.finish()
    channels, plain = kinds[magic]
    return _Header(magic, width, height, maxval, channels, plain, header.offset)


def _read_bytes(stream: BinaryIO, nbytes: int, name: str, offset: int) -> NDArray[np.uint8]:
    """``nbytes`` of pixel data in fresh C memory, or FormatError."""
    flat = read_payload(stream, nbytes, f"{name}: the pixel data", offset)
    assert flat is not None
    return flat


def _sample_error(name: str, header: _Header, index: int, sample_bytes: int) -> FormatError:
    return FormatError(
        f"{name}: sample {index} is larger than maxval {header.maxval} "
        f"(byte offset {header.raster_offset + index * sample_bytes})"
    )


def _read_samples(stream: BinaryIO, name: str, header: _Header) -> NDArray[np.uint8]:
    """All samples of the image, rescaled to 8 bits, in a flat C buffer."""
    count = header.width * header.height * header.channels
    if header.plain:
        text = stream.read()
        # Each sample takes at least one digit and one separator.
        if len(text) < 2 * count - 1:
            raise FormatError(
                f"{name}: the header declares {count} plain samples but only {len(text)} bytes follow it "
                f"(byte offset {header.raster_offset})"
            )
        flat = allocate(count, zeroed=False)
        position = ffi.new("size_t *")
        status = lib.pk_netpbm_parse_plain(
            ffi.from_buffer(text), len(text), count, header.maxval, ffi.from_buffer("uint8_t[]", flat), position
        )
        if status != lib.PK_OK:
            what = {
                lib.PK_ERR_SAMPLE_RANGE: f"a sample is larger than maxval {header.maxval}",
                lib.PK_ERR_SYNTAX: "expected a decimal sample",
                lib.PK_ERR_TRUNCATED: f"the data ends before all {count} samples",
            }.get(status, "invalid plain sample data")
            raise FormatError(f"{name}: {what} (byte offset {header.raster_offset + position[0]})")
        return flat
    return _binary_samples(name, header, lambda nbytes: _read_bytes(stream, nbytes, name, header.raster_offset))


def _binary_samples(name: str, header: _Header, read: Callable[[int], NDArray[np.uint8]]) -> NDArray[np.uint8]:
    """The samples of a binary image, ``read(nbytes)`` giving its raw bytes, rescaled to 8 bits."""
    count = header.width * header.height * header.channels
    if header.maxval == 255:
        return read(count)  # the usual case: the bytes as they are
    position = ffi.new("size_t *")
    if header.maxval < 256:
        flat = read(count)
        if lib.pk_netpbm_scale_u8(ffi.from_buffer("uint8_t[]", flat), count, header.maxval, position) != lib.PK_OK:
            raise _sample_error(name, header, position[0], 1)
        return flat
    wide = read(2 * count)
    flat = allocate(count, zeroed=False)
    status = lib.pk_netpbm_scale_u16be(
        ffi.from_buffer("uint8_t[]", wide), count, header.maxval, ffi.from_buffer("uint8_t[]", flat), position
    )
    if status != lib.PK_OK:
        raise _sample_error(name, header, position[0], 2)
    return flat


def _read_simple(
    fd: int, size: int, name: str, kinds: dict[bytes, tuple[int, bool]]
) -> tuple[_Header, NDArray[np.uint8]] | None:
    """(header, samples) of a regular file whose binary header is of the usual form and
    whose data is all there; None for anything else (the general reader then reads it,
    or says what is wrong)."""
    match = _SIMPLE_HEADER.match(os.pread(fd, _SIMPLE_HEADER_BYTES, 0))
    if match is None:
        return None
    magic, width_text, height_text, maxval_text = match.groups()
    kind = kinds.get(magic)
    if kind is None:
        return None
    width, height, maxval = int(width_text), int(height_text), int(maxval_text)
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION and 1 <= maxval <= MAX_MAXVAL):
        return None
    channels, plain = kind
    offset = match.end()
    header = _Header(magic, width, height, maxval, channels, plain, offset)
    sample_bytes = 1 if maxval < 256 else 2
    if size - offset < width * height * channels * sample_bytes:
        return None
    return header, _binary_samples(
        name, header, lambda nbytes: read_file_payload(fd, offset, nbytes, lambda: f"{name}: the pixel data")
    )


def _read_stream(
    stream: BinaryIO, name: str, kinds: dict[bytes, tuple[int, bool]], reader: str
) -> tuple[_Header, NDArray[np.uint8]]:
    header = _read_header(stream, name, kinds, reader)
    return header, _read_samples(stream, name, header)


def _read_image(src: Source, kinds: dict[bytes, tuple[int, bool]], reader: str) -> tuple[_Header, NDArray[np.uint8]]:
    """The header and samples of the first image of a path or a file object."""
    name = describe(src)
    if isinstance(src, (str, os.PathLike)):
        with open_path(src) as opened:
            if not isinstance(opened, tuple):
                return _read_stream(opened, name, kinds, reader)
            fd, size = opened
            simple = _read_simple(fd, size, name, kinds)
            if simple is not None:
                return simple
            # pread left the file at its start.
            with open(fd, "rb", closefd=False) as stream:
                return _read_stream(stream, name, kinds, reader)
    with open_source(src) as stream:
        return _read_stream(stream, name, kinds, reader)


def read_ppm(src: Source) -> Image:
    """Read a PPM image (``P6`` or ``P3``) from a path or a binary file object.

    Comments may stand between any header fields.  Samples of a maxval other
    than 255 (1..65535) are rescaled as netpbm's tools do,
    ``(v * 255 + maxval // 2) // maxval``.

    Parameters
    ----------
    src : str, os.PathLike or binary file object
        A path, or a file object or pipe positioned at the image (left after it).

    Returns
    -------
    Image
        A new contiguous Image.

    Raises
    ------
    FormatError
        Not a PPM (a PGM says so), a malformed header, a sample above maxval,
        or fewer bytes than the header declares; the message gives the byte offset.
    OSError
        The file cannot be opened or read.

    Examples
    --------
    >>> (tmp / "tiny.ppm").write_bytes(b"P3 2 1 255  255 0 0  0 0 255\\n")
    29
    >>> img = pixelkit.read_ppm(tmp / "tiny.ppm")
    >>> img, img[0, 1]
    (<pixelkit.Image 2x1 stride=6>, (0, 0, 255))
    """
    header, flat = _read_image(src, _PPM_KINDS, "read_ppm (use read_pgm for greyscale)")
    return Image._from_flat(flat, header.width, header.height, header.width * 3)


def read_pgm(src: Source) -> NDArray[np.uint8]:
    """Read a PGM image (``P5`` or ``P2``) as an ``(H, W) uint8`` array.

    Maxvals other than 255 are rescaled as for :func:`read_ppm`.

    Parameters
    ----------
    src : str, os.PathLike or binary file object
        A path, or a file object or pipe positioned at the image.

    Returns
    -------
    numpy.ndarray
        A new ``(H, W)`` uint8 array.

    Raises
    ------
    FormatError
        Not a PGM (a PPM says so), a malformed header, a sample above maxval, or a truncated file.
    OSError
        The file cannot be opened or read.

    Examples
    --------
    >>> import io
    >>> pixelkit.read_pgm(io.BytesIO(b"P2\\n# a comment\\n3 1\\n15\\n0 8 15\\n")).tolist()
    [[0, 136, 255]]
    """
    header, flat = _read_image(src, _PGM_KINDS, "read_pgm (use read_ppm for colour)")
    return flat.reshape(header.height, header.width)


def write_ppm(img: Image | NDArray[Any], dst: Source) -> None:
    """Write a binary PPM (``P6``, maxval 255); atomic when ``dst`` is a path.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The image: an Image or an ``(H, W, 3) uint8`` array.
    dst : str, os.PathLike or binary file object
        A path (the old or the complete new file, never part of it), or a file object.

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
    >>> pixelkit.write_ppm(pixelkit.Image(2, 1, fill=(255, 0, 0)), tmp / "red.ppm")
    >>> (tmp / "red.ppm").read_bytes()
    b'P6\\n2 1\\n255\\n\\xff\\x00\\x00\\xff\\x00\\x00'
    """
    image = as_image(img)
    header = b"P6\n%d %d\n255\n" % (image.width, image.height)

    def write(stream: BinaryIO) -> None:
        write_all(stream, header)
        write_array(stream, image._array)

    write_to(dst, write)


def write_pgm(gray: NDArray[np.uint8], dst: Source) -> None:
    """Write an ``(H, W) uint8`` array as a binary PGM (``P5``, maxval 255); atomic for paths.

    Parameters
    ----------
    gray : numpy.ndarray
        ``(H, W)`` uint8 samples, e.g. from :func:`pixelkit.to_gray`.
    dst : str, os.PathLike or binary file object
        A path (written atomically) or a file object.

    Raises
    ------
    TypeError
        ``gray`` is not a uint8 numpy array.
    ValueError
        ``gray`` is not two-dimensional, or a side is outside 1..MAX_DIMENSION.
    OSError
        The file cannot be written (the old file, if any, is kept).

    Examples
    --------
    >>> gray = pixelkit.to_gray(pixelkit.Image(3, 2, fill=(255, 255, 255)))
    >>> pixelkit.write_pgm(gray, tmp / "white.pgm")
    >>> pixelkit.read_pgm(tmp / "white.pgm").tolist()
    [[255, 255, 255], [255, 255, 255]]
    """
    if not isinstance(gray, np.ndarray):
        raise TypeError(f"write_pgm needs an (H, W) uint8 numpy array, got {type(gray).__name__}")
    if gray.dtype != np.uint8:
        raise TypeError(f"write_pgm needs uint8 samples, got {gray.dtype}; convert with gray.astype(np.uint8)")
    if gray.ndim != 2 or not (1 <= gray.shape[0] <= MAX_DIMENSION and 1 <= gray.shape[1] <= MAX_DIMENSION):
        raise ValueError(f"write_pgm needs an (H, W) array with H and W in 1..{MAX_DIMENSION}, got {gray.shape}")
    header = b"P5\n%d %d\n255\n" % (gray.shape[1], gray.shape[0])

    def write(stream: BinaryIO) -> None:
        write_all(stream, header)
        write_array(stream, gray)

    write_to(dst, write)
