"""Tests of pixelkit.rawio: read_raw, write_raw, open_raw and iter_raw_frames.

Every check compares pixelkit with an independent reference: bytes built
here, numpy's reading of the same bytes (np.fromfile / np.frombuffer and a
reshape) or the output of ffmpeg, never pixelkit with itself.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import io
import os
import pathlib
import re
import resource
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, BinaryIO, Literal, cast

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
import pixelkit._fileio
import pixelkit.rawio
from conftest import require_tool, run_tool
from pixelkit import FormatError, Image
from pixelkit._native import ffi, lib

RandomRGB = Callable[[int, int], NDArray[np.uint8]]
OpenMode = Literal["r", "r+", "w+"]

# Sizes that exercise 1-pixel rows and columns, odd widths and a row of
# more than one page.
SIZES = [(1, 1), (1, 7), (7, 1), (5, 3), (33, 17), (1500, 2)]


# ---- helpers ---------------------------------------------------------------


def padded_bytes(arr: NDArray[np.uint8], stride: int, fill: int = 0xA5) -> bytes:
    """The bytes of ``arr`` (H, W, 3) with every row padded to ``stride`` bytes."""
    height, width, _ = arr.shape
    rows = np.full((height, stride), fill, np.uint8)
    rows[:, : width * 3] = arr.reshape(height, width * 3)
    return rows.tobytes()


def numpy_padded(data: bytes, width: int, height: int, stride: int) -> NDArray[np.uint8]:
    """numpy's reading of ``height`` padded rows: reshape, then slice the padding away."""
    rows = np.frombuffer(data, np.uint8).reshape(height, stride)
    return rows[:, : width * 3].reshape(height, width, 3)


def address(obj: Any) -> int:
    """The address of the first byte of a buffer (memoryview, numpy array)."""
    return int(np.frombuffer(obj, np.uint8).__array_interface__["data"][0])


def read_exactly(stream: Any, size: int) -> bytes:
    """Up to ``size`` bytes of ``stream``, fewer only at its end (streams may return short reads)."""
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def assert_mentions(message: str, *numbers: int) -> None:
    """Each number appears in ``message`` as a whole number (not inside a longer one)."""
    for number in numbers:
        assert re.search(rf"(?<![0-9]){number}(?![0-9])", message), (number, message)


def live_allocations() -> int:
    gc.collect()
    return int(lib.pk_live_allocations())


def pipe_with(data: bytes) -> io.BufferedReader:
    """The read end of an OS pipe that a thread fills with ``data`` and then closes."""
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with open(write_fd, "wb") as writer:
            writer.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return open(read_fd, "rb")


class ShortReads(io.RawIOBase):
    """An unseekable binary stream whose readinto returns at most ``limit`` bytes.

    (typeshed does not count an io.RawIOBase subclass as a BinaryIO, the type of the streams
    read_raw takes: callers cast it.)
    """

    def __init__(self, data: bytes, limit: int = 7) -> None:
        super().__init__()
        self._data = bytes(data)
        self._position = 0
        self._limit = limit
        self.targets: list[tuple[int, int]] = []  # (address, bytes) of each readinto

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = min(self._limit, view.nbytes, len(self._data) - self._position)
        if view.nbytes:
            self.targets.append((address(view), count))
        view[:count] = self._data[self._position : self._position + count]
        self._position += count
        return count


class ReadOnlyShort:
    """A file-like object with only ``read`` (no readinto), returning 7 bytes at most."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(min(size, 7) if size >= 0 else 7)


class ShortWrites(io.RawIOBase):
    """A raw binary stream whose write accepts at most ``limit`` bytes per call (cast: see ShortReads)."""

    def __init__(self, limit: int = 7) -> None:
        super().__init__()
        self.data = bytearray()
        self._limit = limit

    def writable(self) -> bool:
        return True

    def write(self, buffer: Any) -> int:
        chunk = memoryview(buffer).cast("B")[: self._limit]
        self.data += chunk
        return chunk.nbytes


def file_source(kind: str, data: bytes, path: pathlib.Path) -> Any:
    """``data`` as the source kind read_raw / iter_raw_frames accept."""
    if kind in ("str", "path", "file", "unbuffered"):
        path.write_bytes(data)
    if kind == "str":
        return str(path)
    if kind == "path":
        return path
    if kind == "file":
        return open(path, "rb")
    if kind == "unbuffered":
        return open(path, "rb", buffering=0)
    if kind == "bytesio":
        return io.BytesIO(data)
    if kind == "pipe":
        return pipe_with(data)
    if kind == "short":
        return ShortReads(data)
    if kind == "readonly":
        return ReadOnlyShort(data)
    raise AssertionError(kind)


def close_source(src: Any) -> None:
    if hasattr(src, "close"):
        src.close()


SOURCE_KINDS = ["str", "path", "file", "unbuffered", "bytesio", "pipe", "short", "readonly"]
STREAM_KINDS = ["file", "unbuffered", "bytesio", "pipe", "short", "readonly"]


def ffmpeg_testsrc(width: int, height: int, frames: int, *extra: str) -> list[str]:
    return [
        "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
        "-i", f"testsrc=size={width}x{height}:rate=10", "-frames:v", str(frames),
        "-f", "rawvideo", "-pix_fmt", "rgb24", *extra,
    ]  # fmt: skip


# ---- read_raw: pixels --------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_read_raw_path_matches_numpy_fromfile(
    tmp_path: pathlib.Path, random_rgb: RandomRGB, width: int, height: int
) -> None:
    path = tmp_path / "img.raw"
    path.write_bytes(random_rgb(width, height).tobytes())
    img = pixelkit.read_raw(path, width, height)
    expected = np.fromfile(path, np.uint8).reshape(height, width, 3)
    assert isinstance(img, Image)
    assert (img.width, img.height, img.stride) == (width, height, width * 3)
    assert img.array.shape == (height, width, 3) and img.array.dtype == np.uint8
    np.testing.assert_array_equal(img.array, expected)
    assert not img.readonly


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_read_raw_every_source_kind(tmp_path: pathlib.Path, random_rgb: RandomRGB, kind: str) -> None:
    width, height = 9, 4
    data = random_rgb(width, height).tobytes()
    src = file_source(kind, data, tmp_path / "img.raw")
    try:
        img = pixelkit.read_raw(src, width, height)
    finally:
        close_source(src)
    expected = np.frombuffer(data, np.uint8).reshape(height, width, 3)
    np.testing.assert_array_equal(img.array, expected)


@pytest.mark.parametrize(("width", "height", "pad"), [(1, 1, 1), (5, 3, 1), (5, 3, 17), (33, 17, 4), (8, 2, 64)])
@pytest.mark.parametrize("kind", ["str", "bytesio", "pipe", "short"])
def test_read_raw_padded_stride(
    tmp_path: pathlib.Path, random_rgb: RandomRGB, width: int, height: int, pad: int, kind: str
) -> None:
    stride = width * 3 + pad
    data = padded_bytes(random_rgb(width, height), stride)
    assert len(data) == height * stride
    src = file_source(kind, data, tmp_path / "padded.raw")
    try:
        img = pixelkit.read_raw(src, width, height, stride=stride)
    finally:
        close_source(src)
    assert img.stride == stride
    assert (img.width, img.height) == (width, height)
    np.testing.assert_array_equal(img.array, numpy_padded(data, width, height, stride))
    if kind == "str":
        from_file = np.fromfile(tmp_path / "padded.raw", np.uint8).reshape(height, stride)
        np.testing.assert_array_equal(img.array, from_file[:, : width * 3].reshape(height, width, 3))


def test_read_raw_stride_equal_to_row_is_plain(tmp_path: pathlib.Path, random_rgb: RandomRGB) -> None:
    path = tmp_path / "img.raw"
    path.write_bytes(random_rgb(6, 5).tobytes())
    img = pixelkit.read_raw(path, 6, 5, stride=18)
    assert img.stride == 18
    np.testing.assert_array_equal(img.array, np.fromfile(path, np.uint8).reshape(5, 6, 3))


def test_read_raw_reads_into_the_image_c_buffer(random_rgb: RandomRGB) -> None:
    width, height = 13, 11
    data = random_rgb(width, height).tobytes()
    stream = ShortReads(data, limit=50)
    before = live_allocations()
    img = pixelkit.read_raw(cast(BinaryIO, stream), width, height)
    # One block holds the pixels while the image lives (numpy's below 32 MiB: no C block) ...
    assert lib.pk_live_allocations() == before
    base = int(ffi.cast("uintptr_t", img.cdata))
    assert base == address(img.array)
    # ... and every readinto got a slice of exactly that block, in order: no
    # intermediate bytes object was filled and copied.
    position = base
    for target, count in stream.targets:
        assert target == position
        position += count
    assert position == base + len(data)
    np.testing.assert_array_equal(img.array, np.frombuffer(data, np.uint8).reshape(height, width, 3))
    del img
    assert live_allocations() == before


def test_read_raw_result_is_independent_of_the_file(tmp_path: pathlib.Path, random_rgb: RandomRGB) -> None:
    path = tmp_path / "img.raw"
    arr = random_rgb(4, 4)
    path.write_bytes(arr.tobytes())
    img = pixelkit.read_raw(path, 4, 4)
    path.write_bytes(bytes(48))
    np.testing.assert_array_equal(img.array, arr)
    img.array[:] = 7  # writable, and writing does not touch the file
    assert path.read_bytes() == bytes(48)


def test_read_raw_accepts_numpy_integers(tmp_path: pathlib.Path, random_rgb: RandomRGB) -> None:
    path = tmp_path / "img.raw"
    arr = random_rgb(5, 2)
    path.write_bytes(padded_bytes(arr, 16))
    img = pixelkit.read_raw(path, np.int64(5), np.uint16(2), stride=np.int32(16))
    np.testing.assert_array_equal(img.array, arr)


def test_read_raw_max_dimension_is_accepted(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "wide.raw"
    row = np.arange(pixelkit.MAX_DIMENSION * 3, dtype=np.uint64).astype(np.uint8)
    row.tofile(path)
    img = pixelkit.read_raw(path, pixelkit.MAX_DIMENSION, 1)
    np.testing.assert_array_equal(img.array, row.reshape(1, pixelkit.MAX_DIMENSION, 3))


# ---- read_raw: streams positioned mid-file --------------------------------------


@pytest.mark.parametrize("kind", ["file", "unbuffered", "bytesio", "pipe", "short"])
@pytest.mark.parametrize("stride_pad", [0, 5])
def test_read_raw_reads_from_current_position_and_stops_after_image(
    tmp_path: pathlib.Path, random_rgb: RandomRGB, kind: str, stride_pad: int
) -> None:
    width, height = 7, 3
    stride = width * 3 + stride_pad
    prefix, suffix = b"HEADER-0123", b"TRAILER-bytes-after-the-image"
    image_bytes = padded_bytes(random_rgb(width, height), stride)
    src = file_source(kind, prefix + image_bytes + suffix, tmp_path / "mid.raw")
    try:
        assert read_exactly(src, len(prefix)) == prefix
        img = pixelkit.read_raw(src, width, height, stride=stride)
        if kind in ("file", "unbuffered", "bytesio"):
            assert src.tell() == len(prefix) + len(image_bytes)
        assert read_exactly(src, len(suffix) + 1) == suffix
    finally:
        close_source(src)
    np.testing.assert_array_equal(img.array, numpy_padded(image_bytes, width, height, stride))


def test_read_raw_consecutive_images_from_one_stream(random_rgb: RandomRGB) -> None:
    first, second = random_rgb(4, 3), random_rgb(4, 3)
    stream = io.BytesIO(first.tobytes() + second.tobytes())
    np.testing.assert_array_equal(pixelkit.read_raw(stream, 4, 3).array, first)
    np.testing.assert_array_equal(pixelkit.read_raw(stream, 4, 3).array, second)
    with pytest.raises(FormatError):
        pixelkit.read_raw(stream, 4, 3)


# ---- read_raw: errors --------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "stride", "size"),
    [
        (4, 3, None, 0),
        (4, 3, None, 35),
        (4, 3, None, 37),
        (4, 3, None, 72),
        (1, 1, None, 2),
        (1, 1, None, 4),
        (4, 3, 16, 36),  # unpadded data declared as padded
        (4, 3, 16, 44),  # the last row without its padding
        (4, 3, 16, 49),
    ],
)
def test_read_raw_path_with_wrong_size_names_both_sizes(
    tmp_path: pathlib.Path, width: int, height: int, stride: int | None, size: int
) -> None:
    path = tmp_path / "bad.raw"
    path.write_bytes(bytes(range(256)) * (size // 256) + bytes(range(size % 256)))
    expected = height * (stride if stride is not None else width * 3)
    before = live_allocations()
    with pytest.raises(FormatError) as excinfo:
        pixelkit.read_raw(path, width, height, stride=stride)
    message = str(excinfo.value)
    assert_mentions(message, expected, size)
    assert isinstance(excinfo.value, ValueError)  # FormatError is also a ValueError
    assert live_allocations() == before


@pytest.mark.parametrize("kind", STREAM_KINDS)
@pytest.mark.parametrize("missing", [1, 20, 36])
def test_read_raw_stream_ending_early(tmp_path: pathlib.Path, kind: str, missing: int) -> None:
    width, height = 4, 3
    src = file_source(kind, bytes(36 - missing), tmp_path / "short.raw")
    try:
        with pytest.raises(FormatError):
            pixelkit.read_raw(src, width, height)
    finally:
        close_source(src)


@pytest.mark.parametrize("kind", ["str", "path", "file", "bytesio"])
@pytest.mark.parametrize(
    ("width", "height"), [(1_000_000, 1_000_000), (pixelkit.MAX_DIMENSION, pixelkit.MAX_DIMENSION)]
)
def test_read_raw_huge_declared_size_fails_fast_without_allocating(
    tmp_path: pathlib.Path, kind: str, width: int, height: int
) -> None:
    src = file_source(kind, b"0123456789", tmp_path / "ten.raw")
    before = live_allocations()
    start = time.monotonic()
    try:
        with pytest.raises(FormatError) as excinfo:
            pixelkit.read_raw(src, width, height)
    finally:
        close_source(src)
    assert time.monotonic() - start < 1.0
    assert lib.pk_live_allocations() == before
    message = str(excinfo.value)
    assert_mentions(message, width * height * 3, 10)
    del excinfo
    assert live_allocations() == before


def test_read_raw_huge_declared_size_from_pipe_is_a_format_error(tmp_path: pathlib.Path) -> None:
    # A pipe cannot tell its size up front, but 10 bytes against a 3 TB
    # declaration must still end as "ends early", not as a 3 TB allocation.
    src = pipe_with(b"0123456789")
    before = live_allocations()
    try:
        with pytest.raises(FormatError):
            pixelkit.read_raw(src, 1_000_000, 1_000_000)
    finally:
        src.close()
    assert live_allocations() == before


BAD_DIMENSIONS = [
    (0, ValueError),
    (-1, ValueError),
    (-(2**70), ValueError),
    (pixelkit.MAX_DIMENSION + 1, ValueError),
    (2**64 + 3, ValueError),
    (3.0, TypeError),
    (2.5, TypeError),
    (True, TypeError),
    (False, TypeError),
    ("3", TypeError),
    (None, TypeError),
]


@pytest.mark.parametrize(("value", "error"), BAD_DIMENSIONS)
@pytest.mark.parametrize("which", ["width", "height"])
def test_read_raw_rejects_bad_dimensions(
    tmp_path: pathlib.Path, value: Any, error: type[Exception], which: str
) -> None:
    path = tmp_path / "img.raw"
    path.write_bytes(bytes(27))
    width, height = (value, 3) if which == "width" else (3, value)
    with pytest.raises(error) as excinfo:
        pixelkit.read_raw(path, width, height)
    assert not isinstance(excinfo.value, FormatError)
    assert which in str(excinfo.value)


@pytest.mark.parametrize(
    ("stride", "error"),
    [(0, ValueError), (11, ValueError), (-12, ValueError), (12.0, TypeError), (True, TypeError), ("12", TypeError)],
)
def test_read_raw_rejects_bad_stride(tmp_path: pathlib.Path, stride: Any, error: type[Exception]) -> None:
    path = tmp_path / "img.raw"
    path.write_bytes(bytes(36))
    with pytest.raises(error) as excinfo:
        pixelkit.read_raw(path, 4, 3, stride=stride)
    assert not isinstance(excinfo.value, FormatError)
    assert "stride" in str(excinfo.value)


@pytest.mark.parametrize("text_kind", ["open", "stringio"])
def test_read_raw_text_stream_is_a_type_error(tmp_path: pathlib.Path, text_kind: str) -> None:
    path = tmp_path / "img.raw"
    path.write_bytes(b"abc" * 12)
    with contextlib.ExitStack() as stack, pytest.raises(TypeError, match="binary mode"):
        stream: Any = io.StringIO("abc" * 12)
        if text_kind == "open":
            stream = stack.enter_context(open(path, encoding="latin-1"))
        pixelkit.read_raw(stream, 4, 3)


@pytest.mark.parametrize("src", [42, b"img.raw", object(), None])
def test_read_raw_rejects_non_sources(src: Any) -> None:
    with pytest.raises(TypeError):
        pixelkit.read_raw(src, 4, 3)


def test_read_raw_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError):
        pixelkit.read_raw(tmp_path / "nope.raw", 4, 3)


# ---- write_raw ------------------------------------------------------------------------


def make_write_input(kind: str, rng: np.random.Generator, tmp_path: pathlib.Path) -> tuple[Any, NDArray[np.uint8]]:
    """(what to pass to write_raw, the numpy array of its pixels)."""
    big = rng.integers(0, 256, size=(60, 45, 3), dtype=np.uint8)
    if kind == "image":
        return Image.from_array(big), big
    if kind == "c-image":
        img = Image(45, 60)
        img.array[:] = big
        return img, big
    if kind == "array":
        return big, big
    if kind == "array-slice":
        return big[10:50, 5:40], big[10:50, 5:40]
    if kind == "from-array-slice":
        return Image.from_array(big[10:50, 5:40]), big[10:50, 5:40]
    if kind == "crop":
        return Image.from_array(big).crop(5, 10, 35, 40), big[10:50, 5:40]
    if kind == "crop-row":
        return Image.from_array(big).crop(3, 7, 20, 1), big[7:8, 3:23]
    if kind == "crop-column":
        return Image.from_array(big).crop(4, 2, 1, 30), big[2:32, 4:5]
    if kind == "crop-pixel":
        return Image.from_array(big).crop(44, 59, 1, 1), big[59:60, 44:45]
    if kind == "padded-read":
        stride = 45 * 3 + 9
        path = tmp_path / "padded-source.raw"
        path.write_bytes(padded_bytes(big, stride))
        img = pixelkit.read_raw(path, 45, 60, stride=stride)
        assert img.stride == stride
        return img, big
    if kind == "padded-read-crop":
        stride = 45 * 3 + 9
        path = tmp_path / "padded-source.raw"
        path.write_bytes(padded_bytes(big, stride))
        return pixelkit.read_raw(path, 45, 60, stride=stride).crop(1, 2, 40, 50), big[2:52, 1:41]
    if kind == "readonly":
        frozen = big.copy()
        frozen.flags.writeable = False
        return Image.from_array(frozen), frozen
    if kind == "fortran":
        return np.asfortranarray(big), big
    raise AssertionError(kind)


WRITE_KINDS = [
    "image", "c-image", "array", "array-slice", "from-array-slice", "crop", "crop-row",
    "crop-column", "crop-pixel", "padded-read", "padded-read-crop", "readonly",
]  # fmt: skip


@pytest.mark.parametrize("kind", WRITE_KINDS)
@pytest.mark.parametrize("dst_kind", ["str", "path", "bytesio", "file", "unbuffered"])
def test_write_raw_writes_unpadded_rows(
    tmp_path: pathlib.Path, rng: np.random.Generator, kind: str, dst_kind: str
) -> None:
    img, arr = make_write_input(kind, rng, tmp_path)
    expected = np.ascontiguousarray(arr).tobytes()
    path = tmp_path / "out.raw"
    if dst_kind in ("str", "path"):
        pixelkit.write_raw(img, str(path) if dst_kind == "str" else path)
        data = path.read_bytes()
        np.testing.assert_array_equal(np.fromfile(path, np.uint8).reshape(arr.shape), arr)
    elif dst_kind == "bytesio":
        buffer = io.BytesIO()
        pixelkit.write_raw(img, buffer)
        data = buffer.getvalue()
    else:
        with open(path, "wb", buffering=0 if dst_kind == "unbuffered" else -1) as stream:
            pixelkit.write_raw(img, stream)
        data = path.read_bytes()
    assert len(data) == arr.shape[0] * arr.shape[1] * 3
    assert data == expected


@pytest.mark.parametrize("chunk", [1, 50, 3 * 35 * 3, 3 * 35 * 7 + 1, 1 << 22])
@pytest.mark.parametrize("kind", ["array-slice", "crop", "crop-column", "padded-read-crop"])
def test_write_raw_strided_rows_in_chunks(
    tmp_path: pathlib.Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, chunk: int, kind: str
) -> None:
    monkeypatch.setattr(pixelkit._fileio, "_WRITE_CHUNK", chunk)
    img, arr = make_write_input(kind, rng, tmp_path)
    buffer = io.BytesIO()
    pixelkit.write_raw(img, buffer)
    assert buffer.getvalue() == np.ascontiguousarray(arr).tobytes()


def test_write_raw_refuses_fortran_array(tmp_path: pathlib.Path, rng: np.random.Generator) -> None:
    # A Fortran-ordered array has pixels that are not 3 bytes apart: not a
    # valid pixel_t layout, refused with ValueError rather than written wrong.
    img, _ = make_write_input("fortran", rng, tmp_path)
    with pytest.raises(ValueError, match="ascontiguousarray"):
        pixelkit.write_raw(img, io.BytesIO())


def test_write_raw_to_stream_writes_at_current_position(random_rgb: RandomRGB) -> None:
    arr = random_rgb(6, 4)
    buffer = io.BytesIO()
    buffer.write(b"prefix")
    pixelkit.write_raw(arr, buffer)
    assert buffer.tell() == 6 + arr.nbytes
    assert not buffer.closed
    buffer.write(b"suffix")
    assert buffer.getvalue() == b"prefix" + arr.tobytes() + b"suffix"


def test_write_raw_into_raw_stream_with_short_writes(random_rgb: RandomRGB) -> None:
    # RawIOBase.write may accept fewer bytes than given and says how many.
    arr = random_rgb(5, 4)
    stream = ShortWrites(limit=7)
    pixelkit.write_raw(arr, cast(BinaryIO, stream))
    assert bytes(stream.data) == arr.tobytes()


def test_write_raw_replaces_longer_existing_file(tmp_path: pathlib.Path, random_rgb: RandomRGB) -> None:
    path = tmp_path / "out.raw"
    path.write_bytes(b"\xff" * 10_000)
    arr = random_rgb(3, 2)
    pixelkit.write_raw(arr, path)
    assert path.read_bytes() == arr.tobytes()


@pytest.mark.parametrize("text_kind", ["open", "stringio"])
def test_write_raw_text_stream_is_a_type_error(tmp_path: pathlib.Path, text_kind: str) -> None:
    arr = np.zeros((2, 2, 3), np.uint8)
    with contextlib.ExitStack() as stack, pytest.raises(TypeError, match="binary mode"):
        stream: Any = io.StringIO()
        if text_kind == "open":
            stream = stack.enter_context(open(tmp_path / "t.raw", "w", encoding="latin-1"))
        pixelkit.write_raw(arr, stream)


@pytest.mark.parametrize(
    ("img", "error"),
    [
        ([[[1, 2, 3]]], TypeError),
        (b"\x00\x00\x00", TypeError),
        (np.zeros((2, 2, 4), np.uint8), ValueError),
        (np.zeros((2, 2, 3), np.uint16), ValueError),
        (np.zeros((2, 6), np.uint8), ValueError),
    ],
)
def test_write_raw_rejects_bad_images(tmp_path: pathlib.Path, img: Any, error: type[Exception]) -> None:
    path = tmp_path / "out.raw"
    path.write_bytes(b"old")
    with pytest.raises(error):
        pixelkit.write_raw(img, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.raw"]


def test_write_raw_into_ffmpeg(tmp_path: pathlib.Path, rng: np.random.Generator) -> None:
    """ffmpeg reads what write_raw wrote into its stdin as rgb24 (checked through bgr24)."""
    ffmpeg = require_tool("ffmpeg")
    img, arr = make_write_input("padded-read-crop", rng, tmp_path)
    height, width, _ = arr.shape
    proc = subprocess.Popen(
        [ffmpeg, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
         "-i", "-", "-f", "rawvideo", "-pix_fmt", "bgr24", str(tmp_path / "bgr.raw")],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    pixelkit.write_raw(img, proc.stdin)
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else b""
    bgr = np.fromfile(tmp_path / "bgr.raw", np.uint8).reshape(height, width, 3)
    np.testing.assert_array_equal(bgr[..., ::-1], arr)


# ---- write_raw: atomic writes to paths ----------------------------------------------------------


def test_write_raw_path_goes_through_fsynced_temp_file_in_same_directory(
    tmp_path: pathlib.Path, random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.raw"
    path.write_bytes(b"old content")
    arr = random_rgb(8, 5)
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def spy_fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def spy_replace(src: Any, dst: Any, *, src_dir_fd: int | None = None, dst_dir_fd: int | None = None) -> None:
        # Names relative to the directory's descriptor, when given one.
        def where(name: Any, fd: int | None) -> str:
            return os.fspath(name) if fd is None else os.path.join(os.readlink(f"/proc/self/fd/{fd}"), name)

        events.append(("replace", where(src, src_dir_fd)))
        # While the rename has not happened, the old file is intact and the
        # temporary one already holds all the new bytes.
        assert path.read_bytes() == b"old content"
        assert pathlib.Path(where(src, src_dir_fd)).read_bytes() == arr.tobytes()
        assert os.path.dirname(os.path.abspath(where(src, src_dir_fd))) == str(tmp_path)
        assert os.path.abspath(where(dst, dst_dir_fd)) == str(path)
        real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    # pixelkit._fileio calls them through the os module.
    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    pixelkit.write_raw(arr, path)
    replaced = [name for what, name in events if what == "replace"]
    assert len(replaced) == 1
    temporary = os.path.abspath(replaced[0])
    assert temporary != str(path)
    index = events.index(("replace", replaced[0]))
    # The new file is fsynced before it is renamed: by its temporary name, or
    # while still unnamed (Linux O_TMPFILE: /proc shows "DIR/#inode (deleted)").
    synced = [name for what, name in events[:index] if what == "fsync"]
    assert any(name == temporary or os.path.dirname(name) == str(tmp_path) for name in synced), events
    assert path.read_bytes() == arr.tobytes()
    assert os.listdir(tmp_path) == ["out.raw"]


def _raise_enospc(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _failing_write_array(exc: BaseException) -> Callable[..., None]:
    """write_array that writes part of the rows for real, then raises ``exc``."""
    real = pixelkit._fileio.write_array

    def write_array(stream: Any, array: NDArray[np.uint8]) -> None:
        budget = [array.shape[0] * array.shape[1] * 3 // 2]

        class Failing:
            def write(self, data: Any) -> int:
                size = memoryview(data).nbytes
                if size > budget[0]:
                    stream.write(memoryview(data).cast("B")[: budget[0]])
                    stream.flush()
                    raise exc
                budget[0] -= size
                return int(stream.write(data))

        real(Failing(), array)  # type: ignore[arg-type]

    return write_array


FAILURES = ["fsync", "replace", "rows-oserror", "rows-keyboardinterrupt", "fchmod"]


def _install_failure(monkeypatch: pytest.MonkeyPatch, failure: str) -> type[BaseException]:
    if failure == "fsync":
        monkeypatch.setattr(os, "fsync", _raise_enospc)
        return OSError
    if failure == "replace":
        monkeypatch.setattr(os, "replace", _raise_enospc)
        return OSError
    if failure == "fchmod":
        monkeypatch.setattr(os, "fchmod", _raise_enospc)
        return OSError
    monkeypatch.setattr(pixelkit._fileio, "_WRITE_CHUNK", 64)
    if failure == "rows-oserror":
        exc: BaseException = OSError(errno.ENOSPC, "No space left on device")
        kind: type[BaseException] = OSError
    else:
        exc, kind = KeyboardInterrupt(), KeyboardInterrupt
    monkeypatch.setattr(pixelkit.rawio, "write_array", _failing_write_array(exc))
    return kind


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("kind", ["image", "crop"])
def test_write_raw_failure_keeps_old_file_and_leaves_no_temp(
    tmp_path: pathlib.Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, failure: str, kind: str
) -> None:
    img, _ = make_write_input(kind, rng, tmp_path)  # creates no file for these kinds
    path = tmp_path / "out.raw"
    old = bytes(range(256)) * 40
    path.write_bytes(old)
    os.chmod(path, 0o640)
    error = _install_failure(monkeypatch, failure)
    with pytest.raises(error) as excinfo:
        pixelkit.write_raw(img, path)
    monkeypatch.undo()
    if error is OSError:
        assert cast(OSError, excinfo.value).errno == errno.ENOSPC
    assert path.read_bytes() == old
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert os.listdir(tmp_path) == ["out.raw"]


@pytest.mark.parametrize("failure", FAILURES)
def test_write_raw_failure_on_new_path_creates_nothing(
    tmp_path: pathlib.Path, random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    error = _install_failure(monkeypatch, failure)
    with pytest.raises(error):
        pixelkit.write_raw(random_rgb(40, 30), tmp_path / "new.raw")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002, 0o027, 0o000])
def test_write_raw_new_file_permissions_follow_umask(tmp_path: pathlib.Path, random_rgb: RandomRGB, umask: int) -> None:
    path = tmp_path / "new.raw"
    previous = os.umask(umask)
    try:
        pixelkit.write_raw(random_rgb(3, 3), path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o604, 0o660, 0o755, 0o400])
def test_write_raw_existing_file_keeps_its_mode(tmp_path: pathlib.Path, random_rgb: RandomRGB, mode: int) -> None:
    path = tmp_path / "old.raw"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    previous = os.umask(0o077)
    try:
        arr = random_rgb(4, 2)
        pixelkit.write_raw(arr, path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert path.read_bytes() == arr.tobytes()


# ---- open_raw -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("as_str", [False, True])
def test_open_raw_read_only(
    tmp_path: pathlib.Path, random_rgb: RandomRGB, width: int, height: int, as_str: bool
) -> None:
    path = tmp_path / "img.raw"
    path.write_bytes(random_rgb(width, height).tobytes())
    img = pixelkit.open_raw(str(path) if as_str else path, width, height)
    assert img.readonly
    assert (img.width, img.height, img.stride) == (width, height, width * 3)
    np.testing.assert_array_equal(img.array, np.fromfile(path, np.uint8).reshape(height, width, 3))
    with pytest.raises(ValueError):
        img.array[0, 0, 0] = 1
    with pytest.raises(ValueError):
        img.array[...] = 0
    with pytest.raises(ValueError):
        img[0, 0] = (1, 2, 3)
    assert img.crop(0, 0, 1, 1).readonly
    img.flush()  # a no-op for a read-only mapping


def test_open_raw_read_only_sees_the_file(tmp_path: pathlib.Path, random_rgb: RandomRGB) -> None:
    path = tmp_path / "img.raw"
    path.write_bytes(bytes(30))
    img = pixelkit.open_raw(path, 5, 2, "r")
    arr = random_rgb(5, 2)
    with open(path, "r+b") as stream:  # a change made through the file shows in the mapping
        stream.write(arr.tobytes())
    np.testing.assert_array_equal(img.array, arr)


@pytest.mark.parametrize("commit", ["flush", "with", "crop-flush"])
def test_open_raw_read_write_edits_reach_the_file(tmp_path: pathlib.Path, random_rgb: RandomRGB, commit: str) -> None:
    width, height = 11, 7
    path = tmp_path / "img.raw"
    original = random_rgb(width, height)
    path.write_bytes(original.tobytes())
    expected = original.copy()
    expected[2:5, 3:9] = (10, 20, 30)
    expected[0, 0] = (1, 2, 3)
    expected[-1, -1] = (250, 251, 252)

    def edit(img: Image) -> None:
        assert not img.readonly
        np.testing.assert_array_equal(img.array, original)
        img.array[2:5, 3:9] = (10, 20, 30)
        img[0, 0] = (1, 2, 3)
        img.crop(width - 1, height - 1, 1, 1).array[...] = (250, 251, 252)

    if commit == "with":
        with pixelkit.open_raw(path, width, height, mode="r+") as img:
            edit(img)
    else:
        img = pixelkit.open_raw(path, width, height, mode="r+")
        edit(img)
        if commit == "flush":
            img.flush()
        else:
            img.crop(0, 0, 2, 2).flush()
    assert os.path.getsize(path) == width * height * 3
    np.testing.assert_array_equal(np.fromfile(path, np.uint8).reshape(height, width, 3), expected)
    with open(path, "rb") as stream:  # also through an independent open file
        assert stream.read() == expected.tobytes()


@pytest.mark.parametrize("existing", [None, 0, 5, 36, 10_000])
def test_open_raw_w_plus_creates_zero_filled_file(
    tmp_path: pathlib.Path, random_rgb: RandomRGB, existing: int | None
) -> None:
    width, height = 4, 3
    path = tmp_path / "new.raw"
    if existing is not None:
        path.write_bytes(b"\xee" * existing)
    img = pixelkit.open_raw(path, width, height, mode="w+")
    assert not img.readonly
    assert os.path.getsize(path) == width * height * 3
    assert path.read_bytes() == bytes(width * height * 3)
    np.testing.assert_array_equal(img.array, np.zeros((height, width, 3), np.uint8))
    arr = random_rgb(width, height)
    img.array[:] = arr
    img.flush()
    np.testing.assert_array_equal(np.fromfile(path, np.uint8).reshape(height, width, 3), arr)


@pytest.mark.parametrize("mode", ["r", "r+"])
@pytest.mark.parametrize("size", [0, 1, 35, 37, 72])
def test_open_raw_wrong_size(tmp_path: pathlib.Path, mode: OpenMode, size: int) -> None:
    path = tmp_path / "bad.raw"
    content = bytes(range(size))
    path.write_bytes(content)
    with pytest.raises(FormatError) as excinfo:
        pixelkit.open_raw(path, 4, 3, mode)
    assert_mentions(str(excinfo.value), 36, size)
    assert path.read_bytes() == content


@pytest.mark.parametrize("mode", ["w", "rb", "r+b", "a", "", "R", "x", "w+b", None, 1])
@pytest.mark.parametrize("exists", [False, True])
def test_open_raw_bad_mode(tmp_path: pathlib.Path, mode: Any, exists: bool) -> None:
    path = tmp_path / "img.raw"
    if exists:
        path.write_bytes(b"\x07" * 36)
    with pytest.raises(ValueError, match="mode"):
        pixelkit.open_raw(path, 4, 3, mode)
    if exists:
        assert path.read_bytes() == b"\x07" * 36
    else:
        assert not path.exists()


@pytest.mark.parametrize(("value", "error"), BAD_DIMENSIONS)
@pytest.mark.parametrize("mode", ["r", "w+"])
def test_open_raw_rejects_bad_dimensions_before_touching_the_file(
    tmp_path: pathlib.Path, value: Any, error: type[Exception], mode: OpenMode
) -> None:
    path = tmp_path / "img.raw"
    if mode == "r":
        path.write_bytes(bytes(27))
    with pytest.raises(error):
        pixelkit.open_raw(path, value, 3, mode)
    if mode == "w+":
        assert not path.exists()
    else:
        assert path.read_bytes() == bytes(27)


def test_open_raw_missing_file(tmp_path: pathlib.Path) -> None:
    for mode in ("r", "r+"):
        with pytest.raises(FileNotFoundError):
            pixelkit.open_raw(tmp_path / "nope.raw", 4, 3, mode)
    assert not (tmp_path / "nope.raw").exists()


def test_open_raw_padded_stride(tmp_path: pathlib.Path, random_rgb: RandomRGB) -> None:
    width, height, stride = 5, 4, 20
    path = tmp_path / "padded.raw"
    arr = random_rgb(width, height)
    path.write_bytes(padded_bytes(arr, stride))
    with pixelkit.open_raw(path, width, height, "r+", stride=stride) as img:
        assert img.stride == stride
        np.testing.assert_array_equal(img.array, arr)
        img.array[:] = 0
    rows = np.fromfile(path, np.uint8).reshape(height, stride)
    assert not rows[:, : width * 3].any()
    assert (rows[:, width * 3 :] == 0xA5).all()  # the padding is untouched


@pytest.mark.parametrize("mode", ["r", "r+"])
def test_open_raw_views_outlive_the_image(tmp_path: pathlib.Path, random_rgb: RandomRGB, mode: OpenMode) -> None:
    width, height = 9, 6
    path = tmp_path / "img.raw"
    arr = random_rgb(width, height)
    path.write_bytes(arr.tobytes())
    img = pixelkit.open_raw(path, width, height, mode)
    view = img.array[1:4]
    pixels = img.pixels
    crop = img.crop(2, 1, 5, 4)
    del img
    gc.collect()
    np.testing.assert_array_equal(view, arr[1:4])
    np.testing.assert_array_equal(crop.array, arr[1:5, 2:7])
    assert pixels.shape == (height, width)
    assert crop[0, 0] == tuple(int(c) for c in arr[1, 2])
    if mode == "r+":
        view[0, 0] = (9, 8, 7)
        crop.array[-1, -1] = (6, 5, 4)
        del view, pixels
        gc.collect()
        crop.flush()
        expected = arr.copy()
        expected[1, 0] = (9, 8, 7)
        expected[4, 6] = (6, 5, 4)
        np.testing.assert_array_equal(np.fromfile(path, np.uint8).reshape(height, width, 3), expected)


def _current_rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_open_raw_large_sparse_file_edits_one_pixel_without_reading_it(tmp_path: pathlib.Path) -> None:
    width = height = 20_000
    size = width * height * 3  # 1.2 GB
    path = tmp_path / "huge.raw"
    with open(path, "wb") as stream:
        stream.truncate(size)
    if os.stat(path).st_blocks * 512 > size // 2:
        pytest.skip("the file system does not make sparse files")
    y, x = 12_345, 17_777
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    rss_before = _current_rss_kib()
    with pixelkit.open_raw(path, width, height, "r+") as img:
        assert img.shape == (height, width, 3)
        assert img[y, x] == (0, 0, 0)
        img[y, x] = (200, 100, 50)
        assert img[height - 1, width - 1] == (0, 0, 0)
        rss_during = _current_rss_kib()
    del img
    gc.collect()
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    limit_kib = 64 * 1024  # far less than the 1.2 GB file
    assert peak_after - peak_before < limit_kib
    assert rss_during - rss_before < limit_kib
    with open(path, "rb") as stream:
        stream.seek((y * width + x) * 3 - 3)
        assert stream.read(9) == bytes([0, 0, 0, 200, 100, 50, 0, 0, 0])
    assert os.path.getsize(path) == size


# ---- iter_raw_frames ------------------------------------------------------------------------------


def _frames_reference(data: bytes, width: int, height: int) -> NDArray[np.uint8]:
    return np.frombuffer(data, np.uint8).reshape(-1, height, width, 3)


@pytest.mark.parametrize(("width", "height", "count"), [(64, 48, 7), (33, 17, 5), (1, 1, 3), (320, 240, 4)])
def test_iter_raw_frames_from_ffmpeg_pipe(width: int, height: int, count: int) -> None:
    ffmpeg = require_tool("ffmpeg")
    command = ffmpeg_testsrc(width, height, count, "-")
    reference = _frames_reference(run_tool(*command), width, height)
    assert reference.shape[0] == count
    command[0] = ffmpeg
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        frames = list(pixelkit.iter_raw_frames(proc.stdout, width, height))
    assert proc.returncode == 0
    assert len(frames) == count
    for frame, expected in zip(frames, reference, strict=True):
        assert isinstance(frame, Image)
        assert (frame.width, frame.height, frame.stride) == (width, height, width * 3)
        np.testing.assert_array_equal(frame.array, expected)


def test_read_raw_from_ffmpeg_pipe() -> None:
    ffmpeg = require_tool("ffmpeg")
    command = ffmpeg_testsrc(64, 48, 1, "-")
    reference = _frames_reference(run_tool(*command), 64, 48)[0]
    command[0] = ffmpeg
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        img = pixelkit.read_raw(proc.stdout, 64, 48)
        assert proc.stdout.read() == b""
    np.testing.assert_array_equal(img.array, reference)


@pytest.mark.parametrize("as_str", [False, True])
def test_iter_raw_frames_from_ffmpeg_file(tmp_path: pathlib.Path, as_str: bool) -> None:
    require_tool("ffmpeg")
    path = tmp_path / "video.raw"
    run_tool(*ffmpeg_testsrc(64, 48, 7, "-y", str(path)))
    reference = np.fromfile(path, np.uint8).reshape(7, 48, 64, 3)
    frames = list(pixelkit.iter_raw_frames(str(path) if as_str else path, 64, 48))
    assert len(frames) == 7
    for frame, expected in zip(frames, reference, strict=True):
        np.testing.assert_array_equal(frame.array, expected)


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize("count", [0, 1, 4])
def test_iter_raw_frames_every_source_kind(
    tmp_path: pathlib.Path, rng: np.random.Generator, kind: str, count: int
) -> None:
    width, height = 5, 3
    data = rng.integers(0, 256, size=count * width * height * 3, dtype=np.uint8).tobytes()
    src = file_source(kind, data, tmp_path / "frames.raw")
    try:
        frames = list(pixelkit.iter_raw_frames(src, width, height))
    finally:
        close_source(src)
    assert len(frames) == count
    for frame, expected in zip(frames, _frames_reference(data, width, height), strict=True):
        np.testing.assert_array_equal(frame.array, expected)


def test_iter_raw_frames_empty_file_yields_nothing(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "empty.raw"
    path.write_bytes(b"")
    assert list(pixelkit.iter_raw_frames(path, 64, 48)) == []


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize(("complete", "extra"), [(0, 1), (0, 44), (3, 1), (3, 20), (3, 44)])
def test_iter_raw_frames_trailing_partial_frame_raises_after_complete_frames(
    tmp_path: pathlib.Path, rng: np.random.Generator, kind: str, complete: int, extra: int
) -> None:
    width, height = 5, 3  # 45 bytes a frame
    data = rng.integers(0, 256, size=complete * 45 + extra, dtype=np.uint8).tobytes()
    reference = _frames_reference(data[: complete * 45], width, height)
    src = file_source(kind, data, tmp_path / "frames.raw")
    frames: list[Image] = []
    try:
        with pytest.raises(FormatError) as excinfo:
            for frame in pixelkit.iter_raw_frames(src, width, height):
                assert isinstance(frame, Image)
                frames.append(frame)
    finally:
        close_source(src)
    assert len(frames) == complete
    for frame, expected in zip(frames, reference, strict=True):
        np.testing.assert_array_equal(frame.array, expected)
    assert_mentions(str(excinfo.value), extra, 45)


def test_iter_raw_frames_partial_frame_after_ffmpeg_frames(tmp_path: pathlib.Path) -> None:
    require_tool("ffmpeg")
    data = run_tool(*ffmpeg_testsrc(64, 48, 7, "-"))
    path = tmp_path / "cut.raw"
    path.write_bytes(data[:-100])  # the 7th frame is cut short
    reference = _frames_reference(data, 64, 48)[:6]
    frames: list[Image] = []
    with pytest.raises(FormatError):
        for frame in pixelkit.iter_raw_frames(path, 64, 48):
            assert isinstance(frame, Image)
            frames.append(frame)
    assert len(frames) == 6
    for frame, expected in zip(frames, reference, strict=True):
        np.testing.assert_array_equal(frame.array, expected)


@pytest.mark.parametrize("limit", [1, 7, 44, 46])
def test_iter_raw_frames_from_stream_with_short_reads(limit: int) -> None:
    require_tool("ffmpeg")
    data = run_tool(*ffmpeg_testsrc(33, 17, 5, "-"))
    stream = ShortReads(data, limit=limit)
    frames = list(pixelkit.iter_raw_frames(cast(BinaryIO, stream), 33, 17))
    assert len(frames) == 5
    for frame, expected in zip(frames, _frames_reference(data, 33, 17), strict=True):
        np.testing.assert_array_equal(frame.array, expected)
    # Every frame was read straight into its own image buffer.
    frame_bytes = 33 * 17 * 3
    targets = iter(stream.targets)
    for frame in frames:
        position = int(ffi.cast("uintptr_t", frame.cdata))
        end = position + frame_bytes
        while position < end:
            target, count = next(targets)
            assert target == position
            position += count


def test_iter_raw_frames_frames_are_independent(rng: np.random.Generator) -> None:
    width, height = 6, 4
    data = rng.integers(0, 256, size=3 * width * height * 3, dtype=np.uint8).tobytes()
    reference = _frames_reference(data, width, height)
    frames = list(pixelkit.iter_raw_frames(io.BytesIO(data), width, height))
    assert len(frames) == 3
    for a in range(3):
        for b in range(a + 1, 3):
            assert not np.shares_memory(frames[a].array, frames[b].array)
    frames[0].array[:] = 0
    frames[1][0, 0] = (1, 2, 3)
    np.testing.assert_array_equal(frames[2].array, reference[2])
    expected_1 = reference[1].copy()
    expected_1[0, 0] = (1, 2, 3)
    np.testing.assert_array_equal(frames[1].array, expected_1)
    assert not frames[0].array.any()


def test_iter_raw_frames_kept_frames_survive_the_generator(tmp_path: pathlib.Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 256, size=4 * 12, dtype=np.uint8).tobytes()
    path = tmp_path / "frames.raw"
    path.write_bytes(data)
    # A generator, though typed as an Iterator.
    generator = cast(Generator[Image, None, None], pixelkit.iter_raw_frames(path, 2, 2))
    kept = [next(generator), next(generator)]
    generator.close()
    del generator
    gc.collect()
    for frame, expected in zip(kept, _frames_reference(data, 2, 2)[:2], strict=True):
        np.testing.assert_array_equal(frame.array, expected)


def test_iter_raw_frames_is_lazy_on_a_pipe() -> None:
    """Frames come out as they arrive; the reader does not wait for the end of the stream."""
    read_fd, write_fd = os.pipe()
    frame = bytes(range(12))
    arrived = threading.Event()
    with open(read_fd, "rb") as reader, open(write_fd, "wb", buffering=0) as writer:
        writer.write(frame)
        frames: Iterator[Image] = pixelkit.iter_raw_frames(reader, 2, 2)

        def close_later() -> None:
            if not arrived.wait(10):
                writer.close()

        threading.Thread(target=close_later, daemon=True).start()
        first = next(frames)
        arrived.set()
        np.testing.assert_array_equal(first.array, np.frombuffer(frame, np.uint8).reshape(2, 2, 3))
        writer.write(frame[::-1])
        second = next(frames)
        np.testing.assert_array_equal(second.array, np.frombuffer(frame[::-1], np.uint8).reshape(2, 2, 3))
        writer.close()
        assert list(frames) == []


@pytest.mark.parametrize(("value", "error"), BAD_DIMENSIONS)
def test_iter_raw_frames_rejects_bad_dimensions(tmp_path: pathlib.Path, value: Any, error: type[Exception]) -> None:
    path = tmp_path / "frames.raw"
    path.write_bytes(bytes(27))
    with pytest.raises(error):
        list(pixelkit.iter_raw_frames(path, value, 3))
    with pytest.raises(error):
        list(pixelkit.iter_raw_frames(path, 3, value))


@pytest.mark.parametrize("text_kind", ["open", "stringio"])
def test_iter_raw_frames_text_stream_is_a_type_error(tmp_path: pathlib.Path, text_kind: str) -> None:
    path = tmp_path / "frames.raw"
    path.write_bytes(b"abc" * 12)
    with contextlib.ExitStack() as stack, pytest.raises(TypeError, match="binary mode"):
        stream: Any = io.StringIO("abc" * 12)
        if text_kind == "open":
            stream = stack.enter_context(open(path, encoding="latin-1"))
        list(pixelkit.iter_raw_frames(stream, 2, 2))


@pytest.mark.parametrize("kind", ["str", "bytesio", "pipe"])
def test_iter_raw_frames_huge_frame_against_tiny_file_is_a_format_error(tmp_path: pathlib.Path, kind: str) -> None:
    # 10 bytes hold no complete 1000000x1000000 frame: a trailing partial frame.
    src = file_source(kind, b"0123456789", tmp_path / "ten.raw")
    before = live_allocations()
    frames: list[Image] = []
    try:
        with pytest.raises(FormatError):
            for frame in pixelkit.iter_raw_frames(src, 1_000_000, 1_000_000):
                assert isinstance(frame, Image)
                frames.append(frame)
    finally:
        close_source(src)
    assert frames == []
    assert live_allocations() == before


@pytest.mark.skipif(not pixelkit._fileio._DIRECT_READS, reason="no pread/readv here")
def test_read_raw_path_skips_the_stream(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, random_rgb: RandomRGB
) -> None:
    data = random_rgb(6, 5)
    path = tmp_path / "direct.raw"
    data.tofile(path)

    def no_stream(*args: object) -> None:
        raise AssertionError("the file was opened as a stream")

    monkeypatch.setattr(pixelkit.rawio, "open_source", no_stream)
    np.testing.assert_array_equal(pixelkit.read_raw(path, 6, 5).array, data)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_read_raw_from_a_named_pipe(tmp_path: pathlib.Path, random_rgb: RandomRGB) -> None:
    data = random_rgb(6, 5)
    fifo = tmp_path / "pipe.raw"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(data.tobytes(),))
    writer.start()
    try:
        np.testing.assert_array_equal(pixelkit.read_raw(fifo, 6, 5).array, data)
    finally:
        writer.join()


def test_read_raw_of_a_directory_fails_as_open_does(tmp_path: pathlib.Path) -> None:
    with pytest.raises(IsADirectoryError if os.name == "posix" else OSError):
        pixelkit.read_raw(tmp_path, 1, 1)
