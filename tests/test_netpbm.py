"""Tests of pixelkit.netpbm: reading and writing PPM (P6, P3) and PGM (P5, P2).

Every expected value comes from somewhere other than pixelkit: numpy
expressions of the netpbm rules (header layout, big-endian two-byte
samples, the rescaling ``(v * 255 + maxval // 2) // maxval``), Pillow, and
files written or decoded by ffmpeg, ImageMagick and the netpbm tools, both
committed fixtures (tests/data/netpbm/, made by
tests/data/make_netpbm_fixtures.sh) and files made at test time.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import re
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image as PILImage

import pixelkit
import pixelkit._fileio
import pixelkit.netpbm
from conftest import require_tool, run_tool
from pixelkit._native import lib

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "data" / "netpbm"
MAKE_FIXTURES = HERE / "data" / "make_netpbm_fixtures.sh"

RandomRGB = Callable[[int, int], NDArray[np.uint8]]

# ---------------------------------------------------------------------------
# Independent references: an encoder, a decoder and the rescaling formula,
# written with numpy from the netpbm specification (no pixelkit code).
# ---------------------------------------------------------------------------

CHANNELS = {"P6": 3, "P3": 3, "P5": 1, "P2": 1}
PLAIN = {"P3", "P2"}
MAXVALS = [1, 2, 6, 100, 254, 255, 256, 1000, 65535]


def expected_8bit(samples: NDArray[Any], maxval: int) -> NDArray[np.uint8]:
    """The netpbm rule: round-to-nearest rescaling, identity for maxval 255."""
    values = np.asarray(samples, dtype=np.int64)
    assert values.min(initial=0) >= 0 and values.max(initial=0) <= maxval
    return ((values * 255 + maxval // 2) // maxval).astype(np.uint8)


def random_samples(rng: np.random.Generator, magic: str, width: int, height: int, maxval: int) -> NDArray[np.int64]:
    """Samples in 0..maxval, (H, W, C); both extremes always occur."""
    samples = rng.integers(0, maxval + 1, size=(height, width, CHANNELS[magic]), dtype=np.int64)
    samples.flat[0] = 0
    samples.flat[-1] = maxval
    return samples


def encode(magic: str, samples: NDArray[Any], maxval: int, header: bytes | None = None) -> bytes:
    """A netpbm file for (H, W, C) samples, with the default or a given header."""
    height, width = samples.shape[:2]
    if header is None:
        header = f"{magic}\n{width} {height}\n{maxval}\n".encode()
    if magic in PLAIN:
        rows = (" ".join(str(int(v)) for v in row.ravel()) for row in samples)
        return header + "\n".join(rows).encode() + b"\n"
    return header + np.asarray(samples).astype(">u2" if maxval > 255 else "u1").tobytes()


def as_expected(reader: str, pixels: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """(H, W, C) -> what read_ppm (.array, (H, W, 3)) or read_pgm ((H, W)) gives."""
    return pixels if reader == "ppm" else pixels[..., 0]


_FIELD = re.compile(rb"(?:\s|#[^\r\n]*)*(\d+)")
_COMMENT = re.compile(rb"#[^\r\n]*")


class Parsed(NamedTuple):
    magic: str
    width: int
    height: int
    maxval: int
    samples: NDArray[np.int64]  # (H, W, C), raw values 0..maxval
    end: int  # offset just after the image (binary) or of the end of data (plain)


def parse_reference(data: bytes, offset: int = 0) -> Parsed:
    """A netpbm decoder written for the tests from the specification."""
    magic = data[offset : offset + 2].decode("ascii")
    assert magic in CHANNELS, f"not a PPM/PGM: {data[offset : offset + 2]!r}"
    pos, fields = offset + 2, []
    for _ in range(3):
        match = _FIELD.match(data, pos)
        assert match is not None, f"bad header near byte {pos}"
        fields.append(int(match.group(1)))
        pos = match.end()
    glued_comment = _COMMENT.match(data, pos)  # after maxval: its line end ends the header
    if glued_comment is not None:
        pos = glued_comment.end()
    assert data[pos : pos + 1].isspace()
    pos += 1  # exactly one whitespace byte ends the header
    width, height, maxval = fields
    count = width * height * CHANNELS[magic]
    if magic in PLAIN:
        tokens = _COMMENT.sub(b" ", data[pos:]).split()
        assert len(tokens) >= count
        samples = np.array([int(t) for t in tokens[:count]], dtype=np.int64)
        end = len(data)
    else:
        dtype = np.dtype(">u2" if maxval > 255 else "u1")
        samples = np.frombuffer(data, dtype, count, pos).astype(np.int64)
        end = pos + count * dtype.itemsize
    return Parsed(magic, width, height, maxval, samples.reshape(height, width, CHANNELS[magic]), end)


def pillow_pixels(path: Path | bytes, mode: str) -> NDArray[np.uint8]:
    """Pixels as Pillow decodes them ((H, W, 3) for RGB, (H, W) for L)."""
    with PILImage.open(io.BytesIO(path) if isinstance(path, bytes) else path) as image:
        assert image.mode == mode, f"Pillow reads it as {image.mode}, not {mode}"
        pixels: NDArray[np.uint8] = np.array(image, dtype=np.uint8)
        return pixels


def read_as_array(reader: str, src: Any) -> NDArray[np.uint8]:
    """read_ppm / read_pgm, checking the result's type, and its pixels as an array."""
    if reader == "ppm":
        image = pixelkit.read_ppm(src)
        assert isinstance(image, pixelkit.Image)
        array = image.array
        assert array.shape == (image.height, image.width, 3)
    else:
        array = pixelkit.read_pgm(src)
        assert isinstance(array, np.ndarray) and array.ndim == 2
    assert array.dtype == np.uint8
    return np.asarray(array)


def reader_of(magic: str) -> str:
    return "ppm" if CHANNELS[magic] == 3 else "pgm"


class RawStream(io.RawIOBase):
    """A non-seekable raw stream (like a pipe) that hands out at most ``chunk`` bytes per read."""

    def __init__(self, data: bytes, chunk: int = 1 << 16) -> None:
        super().__init__()
        self._data = data
        self._pos = 0
        self._chunk = chunk
        self._reads_at_end = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._chunk, len(self._data) - self._pos)
        if count == 0:
            self._reads_at_end += 1
            if self._reads_at_end > 100:
                raise AssertionError("the reader keeps reading after the end of the stream")
            return 0
        memoryview(buffer).cast("B")[:count] = self._data[self._pos : self._pos + count]
        self._pos += count
        return count


# ---------------------------------------------------------------------------
# Sample decoding: maxval, byte width, rescaling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("maxval", MAXVALS)
@pytest.mark.parametrize("magic", ["P6", "P3", "P5", "P2"])
def test_samples_rescaled_with_round_to_nearest(magic: str, maxval: int, rng: np.random.Generator) -> None:
    samples = random_samples(rng, magic, 13, 7, maxval)
    data = encode(magic, samples, maxval)
    got = read_as_array(reader_of(magic), io.BytesIO(data))
    np.testing.assert_array_equal(got, as_expected(reader_of(magic), expected_8bit(samples, maxval)))


@pytest.mark.parametrize(
    "maxval", [1, 2, 3, 6, 7, 100, 127, 128, 200, 254, 255, 256, 257, 1000, 1023, 4095, 65534, 65535]
)
@pytest.mark.parametrize("magic", ["P5", "P2"])
def test_every_sample_value_is_rescaled_by_the_formula(magic: str, maxval: int) -> None:
    # Every value 0..maxval once, so the whole lookup / arithmetic is checked.
    every = np.arange(maxval + 1, dtype=np.int64)
    width = min(maxval + 1, 256)
    values = np.concatenate([every, np.full(-len(every) % width, maxval)]).reshape(-1, width, 1)
    got = pixelkit.read_pgm(io.BytesIO(encode(magic, values, maxval)))
    np.testing.assert_array_equal(got, expected_8bit(values, maxval)[..., 0])


def test_rescaling_reference_is_not_truncation() -> None:
    # Guards the test data: with maxval 1000, 2 -> 1 by rounding (truncation gives 0).
    assert expected_8bit(np.array([2, 998, 1000]), 1000).tolist() == [1, 254, 255]
    assert expected_8bit(np.array([0, 1]), 1).tolist() == [0, 255]
    assert expected_8bit(np.array([1]), 2).tolist() == [128]


@pytest.mark.parametrize("magic", ["P6", "P5"])
def test_two_byte_samples_are_big_endian(magic: str) -> None:
    # 0x0100 = 256 big-endian (1 little-endian); 0x00FF = 255 (65280 little-endian, above maxval).
    data = f"{magic}\n1 1\n1000\n".encode() + bytes([0x01, 0x00, 0x00, 0xFF, 0x03, 0xE8][: 2 * CHANNELS[magic]])
    got = read_as_array(reader_of(magic), io.BytesIO(data))
    expected = expected_8bit(np.array([256, 255, 1000][: CHANNELS[magic]]), 1000)
    np.testing.assert_array_equal(got.reshape(-1), expected)


def test_maxval_255_keeps_every_byte() -> None:
    samples = np.arange(256 * 3, dtype=np.int64).reshape(16, 16, 3) % 256
    got = pixelkit.read_ppm(io.BytesIO(encode("P6", samples, 255)))
    np.testing.assert_array_equal(got.array, samples.astype(np.uint8))
    assert (got.width, got.height) == (16, 16)


@pytest.mark.parametrize("first", [b"\n", b" ", b"\t", b"\r", b"\v", b"\f", b"#", b"1"], ids=repr)
@pytest.mark.parametrize("magic", ["P6", "P5"])
def test_binary_raster_may_start_with_blank_or_comment_bytes(magic: str, first: bytes) -> None:
    # Exactly one whitespace byte ends the header; the raster's first byte is a sample whatever it is.
    raster = first + bytes(range(40, 40 + 3 * CHANNELS[magic] - 1))
    header = f"{magic}\n3 1\n255\n".encode()
    got = read_as_array(reader_of(magic), io.BytesIO(header + raster))
    np.testing.assert_array_equal(got.reshape(-1), np.frombuffer(raster, np.uint8))


# ---------------------------------------------------------------------------
# Header layout: whitespace and comments between the fields
# ---------------------------------------------------------------------------

HEADER_LAYOUTS = {
    "newlines": "{m}\n{w} {h}\n{v}\n",
    "spaces": "{m} {w} {h} {v} ",
    "tabs": "{m}\t{w}\t{h}\t{v}\t",
    "many-blanks": "{m}  \n\n  {w}   {h} \n\t {v}\n",
    "vt-ff": "{m}\v{w}\f{h}\v{v}\f",
    "crlf": "{m}\r\n{w} {h}\r\n{v}\n",
    "cr-after-maxval": "{m}\n{w} {h}\n{v}\r",
    "comment-after-magic": "{m}#comment right after the magic\n{w} {h}\n{v}\n",
    "comment-line": "{m}\n# a comment line\n{w} {h}\n{v}\n",
    "comment-between-width-height": "{m}\n{w} # the height is next\n{h}\n{v}\n",
    "comment-before-maxval": "{m}\n{w} {h}\n# maxval next\n{v}\n",
    "several-comments": "{m}\n#one\n#two\n\n# three\n{w}\n#four\n{h}\n#five\n{v}\n",
    "empty-comments": "{m}#\n#\n{w} {h}\n#\n{v}\n",
    "cr-comments": "{m}\r# a comment ending in CR\r{w} {h}\r# another\r{v}\r",
    "crlf-comments": "{m}\r\n# comment\r\n{w}\r\n# comment\r\n{h} {v}\n",
    "glued-maxval-comment": "{m}\n{w} {h}\n{v}#c\n",
    "glued-maxval-comment-cr": "{m}\n{w} {h}\n{v}# comment\r",
    "glued-width-height-comments": "{m}\n{w}#w\n{h}#h\n{v}\n",
    "comment-with-digits-and-magic": "{m}\n# P5 1 1 255 9999 #\n{w} {h}\n{v}\n",
}


@pytest.mark.parametrize("layout", list(HEADER_LAYOUTS.values()), ids=list(HEADER_LAYOUTS))
@pytest.mark.parametrize(("magic", "maxval"), [("P6", 255), ("P6", 1000), ("P3", 255), ("P5", 100), ("P2", 65535)])
def test_header_whitespace_and_comments(magic: str, maxval: int, layout: str, rng: np.random.Generator) -> None:
    samples = random_samples(rng, magic, 5, 3, maxval)
    header = layout.format(m=magic, w=5, h=3, v=maxval).encode()
    trailer = b"" if magic in PLAIN else b"NEXT"
    stream = io.BytesIO(encode(magic, samples, maxval, header) + trailer)
    got = read_as_array(reader_of(magic), stream)
    np.testing.assert_array_equal(got, as_expected(reader_of(magic), expected_8bit(samples, maxval)))
    if trailer:
        assert stream.read() == trailer, "the header reader consumed the wrong number of bytes"


PLAIN_BODIES = {
    "one-per-line-lf": lambda values: "\n".join(values) + "\n",
    "one-per-line-crlf": lambda values: "\r\n".join(values) + "\r\n",
    "tabs-and-runs-of-blanks": lambda values: "  \t".join(values) + " \n\n",
    "leading-blanks": lambda values: "\n  \t " + " ".join(values) + "\n",
    "no-trailing-blank": lambda values: " ".join(values),
    "comments-between-samples": lambda values: "# first\n" + "\n# between\n".join(values) + "\n# last",
    "comments-glued-to-samples": lambda values: "#c\n ".join(values) + "#end\n",
}


@pytest.mark.parametrize("body", list(PLAIN_BODIES.values()), ids=list(PLAIN_BODIES))
@pytest.mark.parametrize(("magic", "maxval"), [("P3", 255), ("P3", 1000), ("P2", 6), ("P2", 65535)])
def test_plain_sample_layouts(
    magic: str, maxval: int, body: Callable[[list[str]], str], rng: np.random.Generator
) -> None:
    samples = random_samples(rng, magic, 4, 3, maxval)
    data = f"{magic}\n4 3\n{maxval}\n".encode() + body([str(int(v)) for v in samples.ravel()]).encode()
    got = read_as_array(reader_of(magic), io.BytesIO(data))
    np.testing.assert_array_equal(got, as_expected(reader_of(magic), expected_8bit(samples, maxval)))


_SEPARATOR = st.lists(
    st.sampled_from([" ", "\t", "\n", "\r", "\r\n", "\v", "\f", "#\n", "# c 1 2\n", "#x\r", "#P6 255\r\n"]),
    min_size=1,
    max_size=4,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    magic=st.sampled_from(["P6", "P3", "P5", "P2"]),
    width=st.integers(1, 9),
    height=st.integers(1, 5),
    maxval=st.one_of(st.integers(1, 65535), st.sampled_from([1, 255, 256, 65535])),
    separators=st.tuples(_SEPARATOR, _SEPARATOR, _SEPARATOR),
    last=st.sampled_from([" ", "\n", "\t", "\r", "#c\n", "# glued\r"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_valid_header_and_samples(
    magic: str, width: int, height: int, maxval: int, separators: tuple[str, str, str], last: str, seed: int
) -> None:
    samples = random_samples(np.random.default_rng(seed), magic, width, height, maxval)
    first, second, third = separators
    header = f"{magic}{first}{width}{second}{height}{third}{maxval}{last}".encode()
    got = read_as_array(reader_of(magic), io.BytesIO(encode(magic, samples, maxval, header)))
    np.testing.assert_array_equal(got, as_expected(reader_of(magic), expected_8bit(samples, maxval)))


# ---------------------------------------------------------------------------
# Sources: paths, file objects, pipes; position after an image
# ---------------------------------------------------------------------------


SOURCE_KINDS = ["str-path", "pathlib-path", "open-file", "bytesio", "non-seekable-raw", "buffered-non-seekable"]


@contextlib.contextmanager
def source_of(kind: str, data: bytes, tmp_path: Path) -> Iterator[Any]:
    """``data`` as the given kind of source for read_ppm / read_pgm."""
    path = tmp_path / "image.pnm"
    if kind == "str-path":
        path.write_bytes(data)
        yield str(path)
    elif kind == "pathlib-path":
        path.write_bytes(data)
        yield path
    elif kind == "open-file":
        path.write_bytes(data)
        with open(path, "rb") as stream:
            yield stream
    elif kind == "bytesio":
        yield io.BytesIO(data)
    elif kind == "non-seekable-raw":
        yield RawStream(data, chunk=7)
    elif kind == "buffered-non-seekable":
        yield io.BufferedReader(RawStream(data, chunk=7))
    else:
        raise AssertionError(kind)


def pipe_from(data: bytes, *, pause_after: int | None = None, bufsize: int = -1) -> subprocess.Popen[bytes]:
    """A subprocess writing ``data`` to its stdout, optionally pausing after some bytes."""
    split = len(data) if pause_after is None else pause_after
    script = (
        "import sys, time\n"
        "out = sys.stdout.buffer\n"
        "data = bytes.fromhex(sys.argv[1])\n"
        "out.write(data[:int(sys.argv[2])]); out.flush(); time.sleep(0.3)\n"
        "out.write(data[int(sys.argv[2]):]); out.flush()\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script, data.hex(), str(split)], stdout=subprocess.PIPE, bufsize=bufsize
    )


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize(("magic", "maxval"), [("P6", 255), ("P6", 1000), ("P3", 100), ("P5", 255), ("P2", 65535)])
def test_read_from_every_kind_of_source(
    magic: str, maxval: int, kind: str, tmp_path: Path, rng: np.random.Generator
) -> None:
    samples = random_samples(rng, magic, 11, 6, maxval)
    with source_of(kind, encode(magic, samples, maxval), tmp_path) as src:
        got = read_as_array(reader_of(magic), src)
    np.testing.assert_array_equal(got, as_expected(reader_of(magic), expected_8bit(samples, maxval)))


@pytest.mark.parametrize("kind", ["open-file", "bytesio", "buffered-non-seekable"])
@pytest.mark.parametrize("magic", ["P6", "P5"])
def test_stream_is_left_right_after_a_binary_image(
    magic: str, kind: str, tmp_path: Path, rng: np.random.Generator
) -> None:
    first = random_samples(rng, magic, 7, 5, 255)
    second = random_samples(rng, magic, 3, 9, 65535)
    third = random_samples(rng, magic, 4, 2, 6)
    plain = "P3" if magic == "P6" else "P2"
    blobs = [encode(magic, first, 255), encode(magic, second, 65535), encode(plain, third, 6)]
    reader = reader_of(magic)
    with source_of(kind, b"".join(blobs), tmp_path) as stream:
        got_first = read_as_array(reader, stream)
        if stream.seekable():
            assert stream.tell() == len(blobs[0])
        got_second = read_as_array(reader, stream)
        if stream.seekable():
            assert stream.tell() == len(blobs[0]) + len(blobs[1])
        got_third = read_as_array(reader, stream)
        with pytest.raises(pixelkit.FormatError, match="byte offset"):
            read_as_array(reader, stream)  # nothing left: not even a magic number
    np.testing.assert_array_equal(got_first, as_expected(reader, expected_8bit(first, 255)))
    np.testing.assert_array_equal(got_second, as_expected(reader, expected_8bit(second, 65535)))
    np.testing.assert_array_equal(got_third, as_expected(reader, expected_8bit(third, 6)))


def test_two_p6_images_in_one_bytesio(random_rgb: RandomRGB) -> None:
    a, b = random_rgb(6, 4), random_rgb(2, 3)
    first = b"P6\n6 4\n255\n" + a.tobytes()
    stream = io.BytesIO(first + b"P6 2 3 255\n" + b.tobytes())
    img_a = pixelkit.read_ppm(stream)
    assert stream.tell() == len(first)
    img_b = pixelkit.read_ppm(stream)
    assert stream.read() == b""
    np.testing.assert_array_equal(img_a.array, a)
    np.testing.assert_array_equal(img_b.array, b)
    assert (img_a.width, img_a.height, img_b.width, img_b.height) == (6, 4, 2, 3)


@pytest.mark.parametrize(("pix_fmt", "codec", "reader"), [("rgb24", "ppm", "ppm"), ("gray", "pgm", "pgm")])
def test_read_several_images_from_an_ffmpeg_pipe(pix_fmt: str, codec: str, reader: str) -> None:
    ffmpeg = require_tool("ffmpeg")
    source = ["-f", "lavfi", "-i", "testsrc=size=24x16:rate=1", "-frames:v", "3"]
    raw = run_tool(ffmpeg, "-nostdin", "-v", "error", *source, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
    channels = 3 if reader == "ppm" else 1
    frames = np.frombuffer(raw, np.uint8).reshape(3, 16, 24, channels)
    command = [ffmpeg, "-nostdin", "-v", "error", *source, "-pix_fmt", pix_fmt, "-f", "image2pipe", "-c:v", codec, "-"]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        got = [read_as_array(reader, proc.stdout) for _ in range(3)]
        rest = proc.stdout.read()
    assert proc.returncode == 0
    assert rest == b""
    assert not np.array_equal(frames[0], frames[2]), "the frames should differ"
    for index in range(3):
        np.testing.assert_array_equal(got[index], as_expected(reader, frames[index]))


@pytest.mark.parametrize(
    ("command", "reader"),
    [(("pgmramp", "-ellipse", "20", "10"), "pgm"), (("ppmpat", "-g2", "-randomseed=3", "20", "10"), "ppm")],
)
def test_read_from_a_netpbm_pipe(command: tuple[str, ...], reader: str) -> None:
    expected = pillow_pixels(run_tool(*command), "RGB" if reader == "ppm" else "L")
    with subprocess.Popen([require_tool(command[0]), *command[1:]], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        got = read_as_array(reader, proc.stdout)
    np.testing.assert_array_equal(got, expected)


def test_magic_split_across_short_reads_of_a_raw_stream(random_rgb: RandomRGB) -> None:
    # A raw stream (like an unbuffered pipe) may return fewer bytes than asked.
    pixels = random_rgb(5, 4)
    stream = RawStream(b"P6\n5 4\n255\n" + pixels.tobytes(), chunk=1)
    got = pixelkit.read_ppm(cast(BinaryIO, stream))
    np.testing.assert_array_equal(got.array, pixels)


def test_unbuffered_pipe_whose_writer_pauses_inside_the_magic(random_rgb: RandomRGB) -> None:
    pixels = random_rgb(5, 4)
    with pipe_from(b"P6\n5 4\n255\n" + pixels.tobytes(), pause_after=1, bufsize=0) as proc:
        assert isinstance(proc.stdout, io.FileIO)  # unbuffered: read(2) returns what has arrived
        got = pixelkit.read_ppm(proc.stdout)
    np.testing.assert_array_equal(got.array, pixels)


def test_text_mode_files_are_refused(tmp_path: Path, random_rgb: RandomRGB) -> None:
    path = tmp_path / "a.ppm"
    path.write_bytes(b"P6\n1 1\n255\nabc")
    with open(path, encoding="latin-1") as text, pytest.raises(TypeError, match="binary"):
        pixelkit.read_ppm(text)  # type: ignore[arg-type]
    with open(path, "w", encoding="latin-1") as text, pytest.raises(TypeError, match="binary"):
        pixelkit.write_ppm(random_rgb(2, 2), text)  # type: ignore[arg-type]
    with open(path, "w", encoding="latin-1") as text, pytest.raises(TypeError, match="binary"):
        pixelkit.write_pgm(np.zeros((2, 2), np.uint8), text)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def check_written(data: bytes, magic: str, expected: NDArray[np.uint8]) -> None:
    """``data`` is exactly one binary netpbm image, maxval 255, of ``expected`` pixels."""
    parsed = parse_reference(data)
    assert (parsed.magic, parsed.maxval) == (magic, 255)
    assert (parsed.height, parsed.width) == expected.shape[:2]
    assert parsed.end == len(data), "trailing bytes after the image"
    np.testing.assert_array_equal(parsed.samples.reshape(expected.shape), expected)
    np.testing.assert_array_equal(pillow_pixels(data, "RGB" if magic == "P6" else "L"), expected)


def write_and_collect(write: Callable[[Any, Any], None], obj: Any, dst_kind: str, tmp_path: Path) -> bytes:
    """Write ``obj`` to the given kind of destination and return the bytes written."""
    path = tmp_path / "out.pnm"
    if dst_kind == "str-path":
        write(obj, str(path))
    elif dst_kind == "pathlib-path":
        write(obj, path)
    elif dst_kind == "open-file":
        with open(path, "wb") as stream:
            stream.write(b"KEEP")
            write(obj, stream)
        return path.read_bytes().removeprefix(b"KEEP")
    elif dst_kind == "bytesio":
        buffer = io.BytesIO()
        buffer.write(b"KEEP")
        write(obj, buffer)
        data = buffer.getvalue()
        assert data.startswith(b"KEEP")
        return data[4:]
    else:
        raise AssertionError(dst_kind)
    assert sorted(os.listdir(tmp_path)) == ["out.pnm"], "a temporary file was left behind"
    return path.read_bytes()


def _ppm_inputs(big: NDArray[np.uint8]) -> dict[str, tuple[Any, NDArray[np.uint8]]]:
    image = pixelkit.Image(9, 7)
    image.array[...] = big[:7, :9]
    readonly = big[:4, :6].copy()
    readonly.flags.writeable = False
    stride = 8 * 3 + 5
    padded = bytearray(stride * 6)
    padded_rows = np.frombuffer(padded, np.uint8).reshape(6, stride)
    padded_rows[:, : 8 * 3] = big[:6, :8].reshape(6, 24)
    return {
        "image": (image, big[:7, :9]),
        "contiguous-array": (np.ascontiguousarray(big[:10, :12]), big[:10, :12]),
        "row-strided-crop": (big[5:20, 3:30], big[5:20, 3:30]),
        "image-crop": (pixelkit.Image.from_array(big).crop(3, 5, 27, 15), big[5:20, 3:30]),
        "padded-rows": (pixelkit.Image.from_buffer(padded, 8, 6, stride=stride), big[:6, :8]),
        "readonly-array": (readonly, big[:4, :6]),
        "one-pixel": (big[7:8, 2:3], big[7:8, 2:3]),
        "one-column": (big[:, 4:5], big[:, 4:5]),
    }


@pytest.mark.parametrize("dst_kind", ["str-path", "pathlib-path", "open-file", "bytesio"])
@pytest.mark.parametrize(
    "what",
    [
        "image",
        "contiguous-array",
        "row-strided-crop",
        "image-crop",
        "padded-rows",
        "readonly-array",
        "one-pixel",
        "one-column",
    ],
)
def test_write_ppm(what: str, dst_kind: str, tmp_path: Path, random_rgb: RandomRGB) -> None:
    big = random_rgb(40, 30)
    obj, expected = _ppm_inputs(big)[what]
    data = write_and_collect(pixelkit.write_ppm, obj, dst_kind, tmp_path)
    check_written(data, "P6", np.ascontiguousarray(expected))


def _pgm_inputs(big: NDArray[np.uint8]) -> dict[str, NDArray[np.uint8]]:
    readonly = big[:5, :5].copy()
    readonly.flags.writeable = False
    return {
        "contiguous": np.ascontiguousarray(big[:10, :12]),
        "row-strided-crop": big[2:9, 1:12],
        "strided-both-ways": big[::2, ::3],
        "transposed": big.T,
        "reversed": big[::-1, ::-1],
        "readonly": readonly,
        "one-pixel": big[3:4, 3:4],
    }


@pytest.mark.parametrize("dst_kind", ["str-path", "pathlib-path", "open-file", "bytesio"])
@pytest.mark.parametrize(
    "what", ["contiguous", "row-strided-crop", "strided-both-ways", "transposed", "reversed", "readonly", "one-pixel"]
)
def test_write_pgm(what: str, dst_kind: str, tmp_path: Path, rng: np.random.Generator) -> None:
    gray = _pgm_inputs(rng.integers(0, 256, size=(24, 31), dtype=np.uint8))[what]
    data = write_and_collect(pixelkit.write_pgm, gray, dst_kind, tmp_path)
    check_written(data, "P5", np.ascontiguousarray(gray))


def test_write_ppm_of_an_image_read_back_by_pillow_and_pixelkit(tmp_path: Path, random_rgb: RandomRGB) -> None:
    pixels = random_rgb(33, 17)
    path = tmp_path / "rt.ppm"
    pixelkit.write_ppm(pixels, path)
    np.testing.assert_array_equal(pillow_pixels(path, "RGB"), pixels)
    np.testing.assert_array_equal(pixelkit.read_ppm(path).array, pixels)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint16, np.int8, np.int64, np.bool_])
def test_write_pgm_rejects_other_dtypes(dtype: type, tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        pixelkit.write_pgm(np.zeros((4, 5), dtype=dtype), tmp_path / "x.pgm")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("obj", [[[0, 1], [2, 3]], b"\0\0\0\0", None], ids=["list", "bytes", "none"])
def test_write_pgm_rejects_non_arrays(obj: Any, tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        pixelkit.write_pgm(obj, tmp_path / "x.pgm")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 1), (2, 3, 3), (0, 3), (3, 0)])
def test_write_pgm_rejects_other_shapes(shape: tuple[int, ...], tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        pixelkit.write_pgm(np.zeros(shape, np.uint8), tmp_path / "x.pgm")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.int8])
def test_write_ppm_rejects_other_dtypes(dtype: type, tmp_path: Path) -> None:
    # The specification names TypeError for a wrong dtype; see the report for write_ppm.
    with pytest.raises((TypeError, ValueError)):
        pixelkit.write_ppm(np.zeros((4, 5, 3), dtype=dtype), tmp_path / "x.ppm")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda big: big[..., 0],  # (H, W)
        lambda big: np.zeros((4, 5, 4), np.uint8),  # four channels
        lambda big: big[:, ::2],  # pixels 6 bytes apart
        lambda big: big[:, :, ::-1],  # channels -1 byte apart
        lambda big: np.zeros((0, 5, 3), np.uint8),
    ],
    ids=["2d", "4-channels", "pixel-strided", "reversed-channels", "empty"],
)
def test_write_ppm_rejects_incompatible_arrays(
    make: Callable[[NDArray[np.uint8]], NDArray[np.uint8]], tmp_path: Path, random_rgb: RandomRGB
) -> None:
    with pytest.raises(ValueError):
        pixelkit.write_ppm(make(random_rgb(8, 6)), tmp_path / "x.ppm")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("obj", [[[[0, 0, 0]]], b"\0\0\0", None], ids=["list", "bytes", "none"])
def test_write_ppm_rejects_non_images(obj: Any, tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        pixelkit.write_ppm(obj, tmp_path / "x.ppm")
    assert os.listdir(tmp_path) == []


def _write_functions() -> dict[str, tuple[Callable[[Any, Any], None], Callable[[NDArray[np.uint8]], Any], str]]:
    return {
        "ppm": (pixelkit.write_ppm, lambda big: big, "P6"),
        "pgm": (pixelkit.write_pgm, lambda big: np.ascontiguousarray(big[..., 1]), "P5"),
    }


@pytest.mark.parametrize("kind", ["ppm", "pgm"])
def test_writing_a_path_replaces_the_old_file(kind: str, tmp_path: Path, random_rgb: RandomRGB) -> None:
    write, convert, magic = _write_functions()[kind]
    target = tmp_path / f"out.{kind}"
    target.write_bytes(b"old content that is longer than the new image" * 10)
    pixels = convert(random_rgb(3, 2))
    write(pixels, target)
    check_written(target.read_bytes(), magic, pixels)
    assert os.listdir(tmp_path) == [target.name]


def _fail_fsync(fd: int) -> None:
    raise OSError(28, "No space left on device (simulated)")


@pytest.mark.parametrize("existing", [True, False], ids=["over-old-file", "new-file"])
@pytest.mark.parametrize("failure", ["fsync", "mid-write"])
@pytest.mark.parametrize("kind", ["ppm", "pgm"])
def test_failed_write_to_a_path_leaves_the_old_file_and_no_temporary(
    kind: str, failure: str, existing: bool, tmp_path: Path, random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch
) -> None:
    write, convert, _ = _write_functions()[kind]
    target = tmp_path / f"out.{kind}"
    old = b"P5\n1 1\n255\n\x7f"
    if existing:
        target.write_bytes(old)
    calls: list[int] = []
    if failure == "fsync":
        monkeypatch.setattr("pixelkit._fileio.os.fsync", _fail_fsync)
    else:

        def half_then_fail(stream: BinaryIO, array: NDArray[np.uint8]) -> None:
            data = np.ascontiguousarray(array).tobytes()
            stream.write(data[: len(data) // 2])
            calls.append(len(data))
            raise OSError(5, "I/O error (simulated)")

        monkeypatch.setattr(pixelkit.netpbm, "write_array", half_then_fail)
    with pytest.raises(OSError, match="simulated"):
        write(convert(random_rgb(64, 48)), target)
    assert failure == "fsync" or calls, "the simulated failure did not happen"
    assert os.listdir(tmp_path) == ([target.name] if existing else [])
    if existing:
        assert target.read_bytes() == old


def test_write_to_a_subprocess_pipe(random_rgb: RandomRGB) -> None:
    pixels = random_rgb(21, 13)
    pnmfile = require_tool("pnmfile")
    with subprocess.Popen([pnmfile], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        pixelkit.write_ppm(pixels, proc.stdin)
        proc.stdin.close()
        described = proc.stdout.read().decode()
    assert proc.returncode == 0
    assert re.search(r"PPM raw, 21 by 13\s+maxval 255", described), described


# ---------------------------------------------------------------------------
# Interoperability: files made by ffmpeg, ImageMagick, netpbm and Pillow
# ---------------------------------------------------------------------------

FFMPEG = ("ffmpeg", "-nostdin", "-v", "error", "-y")
TESTSRC = ("-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1")
MAGICK_GRADIENT = ("convert", "-size", "64x48", "gradient:red-blue")
MAGICK_GRAY = ("convert", "-size", "64x48", "gradient:white-black", "-colorspace", "gray")
PPMPAT = ("ppmpat", "-madras", "-randomseed=5", "64", "48")
PGMRAMP = ("pgmramp", "-ellipse", "64", "48")


class ToolCase(NamedTuple):
    reader: str
    stages: tuple[tuple[str, ...], ...]  # a pipeline; "{out}" in the last stage names the output file
    magic: str
    maxval: int | None  # None: whatever the tool's build chooses


TOOL_CASES = {
    "ffmpeg-testsrc": ToolCase("ppm", ((*FFMPEG, *TESTSRC, "{out}"),), "P6", 255),
    "ffmpeg-gray": ToolCase("pgm", ((*FFMPEG, *TESTSRC, "-pix_fmt", "gray", "{out}"),), "P5", 255),
    "ffmpeg-rgb48be": ToolCase("ppm", ((*FFMPEG, *TESTSRC, "-pix_fmt", "rgb48be", "{out}"),), "P6", 65535),
    "ffmpeg-gray16be": ToolCase("pgm", ((*FFMPEG, *TESTSRC, "-pix_fmt", "gray16be", "{out}"),), "P5", 65535),
    "magick-default-depth": ToolCase("ppm", ((*MAGICK_GRADIENT, "{out}"),), "P6", None),
    "magick-8bit": ToolCase("ppm", ((*MAGICK_GRADIENT, "-depth", "8", "{out}"),), "P6", 255),
    "magick-8bit-plain": ToolCase("ppm", ((*MAGICK_GRADIENT, "-depth", "8", "-compress", "none", "{out}"),), "P3", 255),
    "magick-16bit": ToolCase("ppm", ((*MAGICK_GRADIENT, "-depth", "16", "{out}"),), "P6", 65535),
    "magick-16bit-plain": ToolCase(
        "ppm", ((*MAGICK_GRADIENT, "-depth", "16", "-compress", "none", "{out}"),), "P3", 65535
    ),
    "magick-gray-8bit": ToolCase("pgm", ((*MAGICK_GRAY, "-depth", "8", "{out}"),), "P5", 255),
    "magick-gray-plain": ToolCase("pgm", ((*MAGICK_GRAY, "-depth", "8", "-compress", "none", "{out}"),), "P2", 255),
    "magick-gray-16bit": ToolCase("pgm", ((*MAGICK_GRAY, "-depth", "16", "{out}"),), "P5", 65535),
    "ppmpat": ToolCase("ppm", (PPMPAT,), "P6", 255),
    "pgmramp": ToolCase("pgm", (PGMRAMP,), "P5", 255),
    "ppmpat-plain": ToolCase("ppm", (PPMPAT, ("pnmtoplainpnm",)), "P3", 255),
    "pgmramp-plain": ToolCase("pgm", (PGMRAMP, ("pnmtoplainpnm",)), "P2", 255),
    "ppmpat-maxval1000": ToolCase("ppm", (PPMPAT, ("pamdepth", "1000")), "P6", 1000),
    "ppmpat-maxval1000-plain": ToolCase("ppm", (PPMPAT, ("pamdepth", "1000"), ("pnmtoplainpnm",)), "P3", 1000),
    "ppmpat-maxval2": ToolCase("ppm", (PPMPAT, ("pamdepth", "2")), "P6", 2),
    "ppmpat-maxval1": ToolCase("ppm", (PPMPAT, ("pamdepth", "1")), "P6", 1),
    "magick-gray-maxval1": ToolCase("pgm", ((*MAGICK_GRAY, "-depth", "1", "pgm:{out}"),), "P5", 1),
    "pgmramp-maxval6-plain": ToolCase("pgm", (PGMRAMP, ("pamdepth", "6"), ("pnmtoplainpnm",)), "P2", 6),
    "pgmramp-maxval100": ToolCase("pgm", (PGMRAMP, ("pamdepth", "100")), "P5", 100),
    "pgmramp-maxval300": ToolCase("pgm", (PGMRAMP, ("pamdepth", "300")), "P5", 300),
}


def run_pipeline(stages: Sequence[Sequence[str]], out: Path) -> None:
    """Run the stages with stdout piped to the next stdin; the result ends up in ``out``."""
    data: bytes | None = None
    for stage in stages:
        data = run_tool(*(arg.replace("{out}", str(out)) for arg in stage), stdin=data)
    if not any("{out}" in arg for arg in stages[-1]):
        assert data, "the pipeline wrote nothing"
        out.write_bytes(data)


def pam_samples(data: bytes) -> tuple[int, NDArray[np.int64]]:
    """(maxval, flat samples) of a PAM file as ``pamtopam`` writes it."""
    header, _, raster = data.partition(b"ENDHDR\n")
    fields = dict(line.split(b" ", 1) for line in header.splitlines()[1:] if b" " in line)
    maxval = int(fields[b"MAXVAL"])
    count = int(fields[b"WIDTH"]) * int(fields[b"HEIGHT"]) * int(fields[b"DEPTH"])
    return maxval, np.frombuffer(raster, ">u2" if maxval > 255 else "u1", count).astype(np.int64)


def tool_decoded(path: Path, reader: str, maxval: int) -> NDArray[np.uint8]:
    """What the file should read as, from samples decoded by Pillow, ImageMagick or netpbm."""
    if maxval == 255:
        return pillow_pixels(path, "RGB" if reader == "ppm" else "L")
    if maxval == 65535:
        data = run_tool(
            "convert", str(path), "-depth", "16", "-endian", "MSB", "rgb:-" if reader == "ppm" else "gray:-"
        )
        samples = np.frombuffer(data, ">u2").astype(np.int64)
    else:
        pam_maxval, samples = pam_samples(run_tool("pamtopam", stdin=path.read_bytes()))
        assert pam_maxval == maxval
    parsed = parse_reference(path.read_bytes())
    shape = (parsed.height, parsed.width) if reader == "pgm" else (parsed.height, parsed.width, 3)
    return expected_8bit(samples, maxval).reshape(shape)


@pytest.mark.parametrize("case", list(TOOL_CASES.values()), ids=list(TOOL_CASES))
def test_read_files_written_by_tools(case: ToolCase, tmp_path: Path) -> None:
    out = tmp_path / f"tool.{case.reader}"
    run_pipeline(case.stages, out)
    parsed = parse_reference(out.read_bytes())
    assert parsed.magic == case.magic, "the tool wrote another kind of file"
    assert parsed.maxval == (case.maxval or parsed.maxval), "the tool wrote another maxval"
    expected = tool_decoded(out, case.reader, parsed.maxval)
    got = read_as_array(case.reader, out)
    np.testing.assert_array_equal(got, expected)
    if case.reader == "ppm":
        image = pixelkit.read_ppm(str(out))
        assert (image.width, image.height) == (parsed.width, parsed.height)
    assert len(np.unique(got)) > 1, "a flat image would prove little"


@pytest.mark.parametrize("mode", ["RGB", "L", "I;16"])
def test_read_files_written_by_pillow(mode: str, rng: np.random.Generator) -> None:
    if mode == "RGB":
        source: NDArray[Any] = rng.integers(0, 256, size=(19, 23, 3), dtype=np.uint8)
    elif mode == "L":
        source = rng.integers(0, 256, size=(19, 23), dtype=np.uint8)
    else:
        source = rng.integers(0, 65536, size=(19, 23), dtype=np.uint16)
    image = PILImage.fromarray(source)
    assert image.mode == mode
    buffer = io.BytesIO()
    image.save(buffer, format="PPM")
    buffer.seek(0)
    if mode == "RGB":
        np.testing.assert_array_equal(pixelkit.read_ppm(buffer).array, source)
    elif mode == "L":
        np.testing.assert_array_equal(pixelkit.read_pgm(buffer), source)
    else:
        assert parse_reference(buffer.getvalue()).maxval == 65535
        np.testing.assert_array_equal(pixelkit.read_pgm(buffer), expected_8bit(source, 65535))


def _decode_with(tool: str, path: Path, channels: int) -> NDArray[np.uint8]:
    """The 8-bit samples of a maxval-255 file as ``tool`` decodes them, (H, W, C)."""
    width, height = PILImage.open(path).size
    if tool == "ffmpeg":
        pix_fmt = "rgb24" if channels == 3 else "gray"
        data = run_tool(*FFMPEG, "-i", str(path), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
        flat = np.frombuffer(data, np.uint8)
    elif tool == "convert":
        flat = np.frombuffer(
            run_tool("convert", str(path), "-depth", "8", "rgb:-" if channels == 3 else "gray:-"), np.uint8
        )
    elif tool == "pnmtoplainpnm":
        parsed = parse_reference(run_tool("pnmtoplainpnm", str(path)))
        assert parsed.maxval == 255
        flat = parsed.samples.astype(np.uint8).ravel()
    elif tool == "pillow":
        flat = pillow_pixels(path, "RGB" if channels == 3 else "L").ravel()
    else:
        raise AssertionError(tool)
    assert flat.size == width * height * channels, f"{tool} decoded {flat.size} samples"
    return flat.reshape(height, width, channels)


@pytest.mark.parametrize("tool", ["ffmpeg", "convert", "pnmtoplainpnm", "pillow"])
@pytest.mark.parametrize("kind", ["ppm", "pgm"])
def test_files_written_are_read_by_tools(kind: str, tool: str, tmp_path: Path, random_rgb: RandomRGB) -> None:
    big = random_rgb(50, 40)
    path = tmp_path / f"out.{kind}"
    if kind == "ppm":
        pixels = big[3:26, 5:42]  # a row-strided crop, 37x23
        pixelkit.write_ppm(pixels, path)
        expected = pixels
    else:
        gray = big[3:26, 5:42, 1]  # strided in both directions
        pixelkit.write_pgm(gray, path)
        expected = gray[..., np.newaxis]
    np.testing.assert_array_equal(_decode_with(tool, path, 3 if kind == "ppm" else 1), expected)


@pytest.mark.parametrize("describer", ["pnmfile", "pamfile"])
@pytest.mark.parametrize("kind", ["ppm", "pgm"])
def test_files_written_are_described_by_netpbm(
    kind: str, describer: str, tmp_path: Path, random_rgb: RandomRGB
) -> None:
    path = tmp_path / f"out.{kind}"
    if kind == "ppm":
        pixelkit.write_ppm(random_rgb(37, 23), path)
    else:
        pixelkit.write_pgm(random_rgb(37, 23)[..., 2], path)
    described = run_tool(describer, str(path)).decode()
    assert re.search(rf"{kind.upper()} raw, 37 by 23\s+maxval 255", described), described


# ---------------------------------------------------------------------------
# Committed fixtures (made by tests/data/make_netpbm_fixtures.sh)
# ---------------------------------------------------------------------------


class Fixture(NamedTuple):
    reader: str
    magic: str
    maxval: int
    width: int
    height: int


FIXTURE_FILES = {
    "ffmpeg_testsrc_32x24.ppm": Fixture("ppm", "P6", 255, 32, 24),
    "ffmpeg_testsrc_gray_32x24.pgm": Fixture("pgm", "P5", 255, 32, 24),
    "ffmpeg_testsrc_rgb48be_16x12.ppm": Fixture("ppm", "P6", 65535, 16, 12),
    "ffmpeg_testsrc_3frames_8x6.ppm": Fixture("ppm", "P6", 255, 8, 6),
    "magick_gradient_comment_plain_8x6.ppm": Fixture("ppm", "P3", 255, 8, 6),
    "magick_gradient_16bit_16x12.ppm": Fixture("ppm", "P6", 65535, 16, 12),
    "netpbm_ppmpat_maxval1000_16x12.ppm": Fixture("ppm", "P6", 1000, 16, 12),
    "netpbm_pgmramp_maxval100_16x12.pgm": Fixture("pgm", "P5", 100, 16, 12),
    "netpbm_pgmramp_maxval6_plain_16x12.pgm": Fixture("pgm", "P2", 6, 16, 12),
    "netpbm_ppmpat_plain_8x6.ppm": Fixture("ppm", "P3", 255, 8, 6),
}


def test_fixture_directory_matches_the_list() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(FIXTURE_FILES)
    for path in FIXTURES.iterdir():
        assert path.stat().st_size <= 4096, f"{path.name} is too large for a fixture"


@pytest.mark.parametrize("name", list(FIXTURE_FILES))
@pytest.mark.parametrize("as_stream", [False, True], ids=["path", "file-object"])
def test_fixture_files(name: str, as_stream: bool) -> None:
    fixture = FIXTURE_FILES[name]
    path = FIXTURES / name
    data = path.read_bytes()
    parsed = parse_reference(data)
    assert (parsed.magic, parsed.maxval, parsed.width, parsed.height) == fixture[1:]
    if as_stream:
        with open(path, "rb") as stream:
            got = read_as_array(fixture.reader, stream)
    else:
        got = read_as_array(fixture.reader, path)
    if fixture.maxval == 255:
        expected = pillow_pixels(path, "RGB" if fixture.reader == "ppm" else "L")
    else:
        expected = as_expected(fixture.reader, expected_8bit(parsed.samples, fixture.maxval))
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, as_expected(fixture.reader, expected_8bit(parsed.samples, fixture.maxval)))


def test_fixture_stream_of_three_images() -> None:
    data = (FIXTURES / "ffmpeg_testsrc_3frames_8x6.ppm").read_bytes()
    offset, expected = 0, []
    while offset < len(data):
        parsed = parse_reference(data, offset)
        expected.append((parsed.end, parsed.samples.astype(np.uint8)))
        offset = parsed.end
    assert len(expected) == 3
    with open(FIXTURES / "ffmpeg_testsrc_3frames_8x6.ppm", "rb") as stream:
        for end, pixels in expected:
            np.testing.assert_array_equal(pixelkit.read_ppm(stream).array, pixels)
            assert stream.tell() == end
        assert stream.read() == b""


def test_fixture_script_regenerates_the_fixtures(tmp_path: Path) -> None:
    for tool in ("bash", "ffmpeg", "convert", "ppmpat", "pgmramp", "pamdepth", "pnmtoplainpnm"):
        require_tool(tool)
    run_tool("bash", str(MAKE_FIXTURES), str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FIXTURE_FILES)
    for name, fixture in FIXTURE_FILES.items():
        parsed = parse_reference((tmp_path / name).read_bytes())
        assert (parsed.magic, parsed.maxval, parsed.width, parsed.height) == fixture[1:], name


# ---------------------------------------------------------------------------
# Malformed files
# ---------------------------------------------------------------------------

MAX = pixelkit.MAX_DIMENSION


def _valid(magic: str, maxval: int = 255) -> bytes:
    samples = np.full((2, 3, CHANNELS[magic]), min(maxval, 7), dtype=np.int64)
    return encode(magic, samples, maxval)


def _plain_samples(values: str, magic: str = "P3", maxval: int = 255, width: int = 3, height: int = 2) -> bytes:
    return f"{magic}\n{width} {height}\n{maxval}\n{values}".encode()


# id -> (reader, data, regex the message must contain (case-insensitive))
MALFORMED: dict[str, tuple[str, bytes, str]] = {
    # magic number
    "empty-ppm": ("ppm", b"", "magic"),
    "empty-pgm": ("pgm", b"", "magic"),
    "one-byte-ppm": ("ppm", b"P", "magic"),
    "one-byte-pgm": ("pgm", b"P", "magic"),
    "P5-to-read_ppm": ("ppm", _valid("P5"), "magic.*P5"),
    "P2-to-read_ppm": ("ppm", _valid("P2"), "magic.*P2"),
    "P6-to-read_pgm": ("pgm", _valid("P6"), "magic.*P6"),
    "P3-to-read_pgm": ("pgm", _valid("P3"), "magic.*P3"),
    "pam-to-read_ppm": (
        "ppm",
        b"P7\nWIDTH 3\nHEIGHT 2\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n" + bytes(18),
        "magic.*P7",
    ),
    "pam-to-read_pgm": ("pgm", b"P7\nWIDTH 3\nHEIGHT 2\nDEPTH 1\nMAXVAL 255\nENDHDR\n" + bytes(6), "magic.*P7"),
    "pbm-to-read_ppm": ("ppm", b"P4\n8 1\n\xff", "magic.*P4"),
    "plain-pbm-to-read_pgm": ("pgm", b"P1\n2 1\n0 1\n", "magic.*P1"),
    "lowercase-magic": ("ppm", b"p6\n3 2\n255\n" + bytes(18), "magic"),
    "png-signature": ("ppm", b"\x89PNG\r\n\x1a\n" + bytes(30), "magic"),
    "P8": ("pgm", b"P8\n3 2\n255\n" + bytes(6), "magic"),
    "blank-before-magic": ("ppm", b" P6\n3 2\n255\n" + bytes(18), "magic"),
    # missing fields
    "only-magic": ("ppm", b"P6", "width"),
    "magic-and-newline": ("ppm", b"P6\n", "width"),
    "magic-and-comment": ("pgm", b"P5\n# nothing else\n", "width"),
    "no-height": ("ppm", b"P6\n3", "ends"),
    "no-height-after-blank": ("pgm", b"P5\n3 ", "height"),
    "no-maxval": ("ppm", b"P6\n3 2", "ends"),
    "no-maxval-after-blank": ("pgm", b"P2\n3 2\n", "maxval"),
    "no-maxval-after-comment": ("ppm", b"P3 3 2 # where is maxval?", "maxval"),
    # negative fields
    "negative-width": ("ppm", b"P6\n-5 2\n255\n" + bytes(18), "width"),
    "negative-height": ("pgm", b"P5\n3 -5\n255\n" + bytes(6), "height"),
    "negative-maxval": ("ppm", b"P6\n3 2\n-5\n" + bytes(18), "maxval"),
    # non-numeric fields
    "alpha-width": ("ppm", b"P6\nabc 2\n255\n" + bytes(18), "width"),
    "alpha-height": ("pgm", b"P5\n3 x\n255\n" + bytes(6), "height"),
    "hex-maxval": ("ppm", b"P6\n3 2\nff\n" + bytes(18), "maxval"),
    "hex-prefix-width": ("ppm", b"P6\n0x3 2\n255\n" + bytes(18), "width"),
    "decimal-point-width": ("ppm", b"P6\n3.0 2\n255\n" + bytes(18), "width"),
    "plus-sign-width": ("pgm", b"P2\n+3 2\n255\n1 2 3 4 5 6\n", "width"),
    "letter-after-maxval": ("ppm", b"P6\n3 2\n25a\n" + bytes(18), "maxval"),
    "letter-after-height": ("ppm", b"P3\n3 2x\n255\n" + b"1 " * 18, "height"),
    # out-of-range fields
    "width-0": ("ppm", b"P6\n0 2\n255\n", "width"),
    "height-0": ("pgm", b"P5\n3 0\n255\n", "height"),
    "width-0-plain": ("pgm", b"P2\n0 2\n255\n", "width"),
    "width-above-max": ("ppm", f"P6\n{MAX + 1} 1\n255\n".encode() + bytes(3 * (MAX + 1)), "width"),
    "height-above-max": ("pgm", f"P5\n1 {MAX + 1}\n255\n".encode() + bytes(MAX + 1), "height"),
    "width-30-digits": ("ppm", b"P6\n" + b"1" * 30 + b" 2\n255\n", "width"),
    "height-30-digits": ("pgm", b"P5\n3 " + b"9" * 30 + b"\n255\n", "height"),
    "maxval-30-digits": ("ppm", b"P6\n3 2\n" + b"2" * 30 + b"\n" + bytes(36), "maxval"),
    "width-2**32+3": ("ppm", b"P6\n4294967299 2\n255\n", "width"),
    "maxval-0": ("ppm", b"P6\n3 2\n0\n" + bytes(18), "maxval"),
    "maxval-0-plain": ("pgm", b"P2\n3 2\n0\n0 0 0 0 0 0\n", "maxval"),
    "maxval-65536": ("ppm", b"P6\n3 2\n65536\n" + bytes(36), "maxval"),
    "maxval-99999": ("pgm", b"P5\n3 2\n99999\n" + bytes(12), "maxval"),
    "maxval-2**32+255": ("pgm", b"P5\n3 2\n4294967551\n" + bytes(6), "maxval"),
    # samples above maxval
    "binary-1-byte-sample-above-maxval": ("ppm", b"P6\n3 2\n100\n" + bytes(17) + b"\x65", "sample.*maxval"),
    "binary-1-byte-255-above-maxval-254": ("pgm", b"P5\n3 2\n254\n" + b"\xff" + bytes(5), "sample.*maxval"),
    "binary-1-byte-2-above-maxval-1": ("pgm", b"P5\n3 2\n1\n\x01\x00\x02\x01\x00\x01", "sample.*maxval"),
    "binary-2-byte-sample-above-maxval": (
        "ppm",
        b"P6\n3 2\n1000\n" + bytes(20) + b"\x03\xe9" + bytes(14),
        "sample.*maxval",
    ),
    "binary-2-byte-ffff-above-65534": ("pgm", b"P5\n3 2\n65534\n" + bytes(10) + b"\xff\xff", "sample.*maxval"),
    "plain-sample-above-maxval": (
        "ppm",
        _plain_samples("1 2 3 4 5 256 7 8 9 10 11 12 13 14 15 16 17 18\n"),
        "sample.*maxval",
    ),
    "plain-sample-above-maxval-1": ("pgm", _plain_samples("0 1 0 1 2 1\n", "P2", 1), "sample.*maxval"),
    "plain-sample-above-65535": ("pgm", _plain_samples("0 1 65536 1 2 1\n", "P2", 65535), "sample.*maxval"),
    "plain-sample-with-40-digits": (
        "pgm",
        _plain_samples("0 1 " + "9" * 40 + " 1 2 1\n", "P2", 1000),
        "sample.*maxval",
    ),
    # plain samples that are not decimal numbers
    "plain-letter": ("ppm", _plain_samples("1 2 x 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n"), "decimal|digit|syntax"),
    "plain-negative": ("pgm", _plain_samples("1 2 -3 4 5 6\n", "P2"), "decimal|digit|syntax"),
    "plain-decimal-point": ("pgm", _plain_samples("1 2 3.5 4 5 6\n", "P2"), "decimal|digit|syntax"),
    "plain-commas": ("ppm", _plain_samples("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18\n"), "decimal|digit|syntax"),
    "plain-hex": ("pgm", _plain_samples("1 2 0x3 4 5 6\n", "P2"), "decimal|digit|syntax"),
    "plain-letter-glued": ("pgm", _plain_samples("1 2 3a 4 5 6\n", "P2"), "decimal|digit|syntax"),
    "plain-nul-byte": ("pgm", _plain_samples("1 2 3\0 4 5 6\n", "P2"), "decimal|digit|syntax"),
    # truncated pixel data
    "binary-no-pixels": ("ppm", b"P6\n3 2\n255\n", "pixel data|ends early|remain"),
    "binary-one-byte-short": ("ppm", b"P6\n3 2\n255\n" + bytes(17), "pixel data|ends early|remain"),
    "binary-2-byte-one-byte-short": ("ppm", b"P6\n3 2\n1000\n" + bytes(35), "pixel data|ends early|remain"),
    "binary-2-byte-half-the-samples": ("pgm", b"P5\n3 2\n65535\n" + bytes(6), "pixel data|ends early|remain"),
    "binary-pgm-short": ("pgm", b"P5\n3 2\n255\n" + bytes(5), "pixel data|ends early|remain"),
    "binary-header-declares-much-more": ("ppm", b"P6\n1000 1000\n255\n" + bytes(100), "pixel data|ends early|remain"),
    "plain-no-samples": ("ppm", _plain_samples(""), "samples"),
    "plain-one-sample-short-few-bytes": ("ppm", _plain_samples("1 " * 17), "samples"),
    "plain-one-sample-short-many-bytes": ("ppm", _plain_samples("100 " * 17), "samples"),
    "plain-pgm-short-with-comment": ("pgm", _plain_samples("100 100 100 100 100 # and that is all\n", "P2"), "samples"),
    "plain-header-declares-much-more": ("pgm", _plain_samples("1 " * 50, "P2", 255, 1000, 1000), "samples"),
}


@pytest.mark.parametrize("kind", ["bytesio", "str-path", "non-seekable-raw"])
@pytest.mark.parametrize("case", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_files_raise_format_error(case: tuple[str, bytes, str], kind: str, tmp_path: Path) -> None:
    reader, data, reason = case
    with source_of(kind, data, tmp_path) as src, pytest.raises(pixelkit.FormatError) as caught:
        read_as_array(reader, src)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, pixelkit.PixelkitError)
    assert "byte offset" in message, message
    assert re.search(reason, message, re.IGNORECASE), f"{reason!r} not in {message!r}"


# (reader, data, byte offset the message must name)
OFFSETS: dict[str, tuple[str, bytes, int]] = {
    "bad-magic": ("ppm", b"GIF89a" + bytes(20), 0),
    "alpha-width": ("ppm", b"P6\nabc 2\n255\n", 3),
    "letter-after-width": ("ppm", b"P6\n3x 2\n255\n", 4),
    "binary-1-byte-sample": ("ppm", b"P6\n3 2\n100\n" + bytes(10) + b"\x65" + bytes(7), 11 + 10),
    "binary-2-byte-sample": ("pgm", b"P5\n3 2\n1000\n" + bytes(8) + b"\x03\xe9" + bytes(2), 12 + 2 * 4),
    "plain-sample-range": ("ppm", b"P3\n2 1\n255\n1 22 256 4 5 6\n", 11 + 5),
    "plain-syntax": ("pgm", b"P2\n3 1\n255\n1 2 x\n", 11 + 4),
}


@pytest.mark.parametrize("case", list(OFFSETS.values()), ids=list(OFFSETS))
def test_error_names_the_byte_offset(case: tuple[str, bytes, int]) -> None:
    reader, data, offset = case
    with pytest.raises(pixelkit.FormatError) as caught:
        read_as_array(reader, io.BytesIO(data))
    assert re.search(rf"byte offset {offset}\b", str(caught.value)), str(caught.value)


class Failure(NamedTuple):
    seconds: float
    allocations_at_failure: int  # live pixel blocks while the failing frames are still alive
    allocations_after: int  # once the exception is gone
    python_peak: int  # bytes, as tracemalloc sees them


def measure_failure(read: Callable[[], object]) -> Failure:
    """Run ``read``, which must raise FormatError, and measure what it allocated, relative to before."""
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        before = lib.pk_live_allocations()
        start = time.perf_counter()
        with pytest.raises(pixelkit.FormatError, match="byte offset") as caught:
            read()
        seconds = time.perf_counter() - start
        # caught holds the traceback, so pixel memory a failing frame allocated
        # (and did not release itself) is still counted here.
        at_failure = lib.pk_live_allocations() - before
        peak = tracemalloc.get_traced_memory()[1]
        del caught
        after = lib.pk_live_allocations() - before
    finally:
        tracemalloc.stop()
        gc.enable()
    return Failure(seconds, at_failure, after, peak)


HUGE_HEADERS = {
    "P6": (b"P6\n60000 60000\n255\n\x00", "ppm"),
    "P6-two-byte": (b"P6 60000 60000 999\n\x00", "ppm"),
    "P3": (b"P3\n60000 60000\n255\n1", "ppm"),
    "P5": (b"P5\n60000 60000\n255\n\x00", "pgm"),
    "P2": (b"P2\n60000 60000\n255\n7", "pgm"),
}


@pytest.mark.parametrize("kind", ["str-path", "bytesio", "open-file"])
@pytest.mark.parametrize("case", list(HUGE_HEADERS.values()), ids=list(HUGE_HEADERS))
def test_huge_header_in_a_tiny_file_fails_fast_without_allocating(
    case: tuple[bytes, str], kind: str, tmp_path: Path
) -> None:
    data, reader = case
    assert len(data) == 20
    with source_of(kind, data, tmp_path) as src:
        failure = measure_failure(lambda: read_as_array(reader, src))
    assert failure.allocations_at_failure == 0, "pixel memory was allocated for a file that cannot hold the pixels"
    assert failure.allocations_after == 0
    assert failure.python_peak < 1 << 20, f"{failure.python_peak} bytes were allocated for a 20-byte file"
    assert failure.seconds < 0.5


# id -> (data, reader, bytes of pixel data the header declares)
NON_SEEKABLE_HUGE = {
    "P6-60000x60000": (b"P6\n60000 60000\n255\n" + bytes(1000), "ppm", 60000 * 60000 * 3),
    "P6-two-byte-20000x20000": (b"P6\n20000 20000\n65535\n" + bytes(1000), "ppm", 20000 * 20000 * 6),
    "P5-60000x60000": (b"P5\n60000 60000\n255\n" + bytes(1000), "pgm", 60000 * 60000),
    "P3-60000x60000": (b"P3\n60000 60000\n255\n" + b"1 " * 500, "ppm", 60000 * 60000 * 3),
    "P6-3000x3000": (b"P6\n3000 3000\n255\n" + bytes(1000), "ppm", 3000 * 3000 * 3),
}


@pytest.mark.parametrize("case", list(NON_SEEKABLE_HUGE.values()), ids=list(NON_SEEKABLE_HUGE))
def test_non_seekable_stream_declaring_a_huge_image_ends_early(case: tuple[bytes, str, int]) -> None:
    data, reader, declared = case
    failure = measure_failure(lambda: read_as_array(reader, RawStream(data, chunk=1 << 16)))
    assert failure.seconds < 5
    assert failure.allocations_after == 0
    if declared > 100 << 20:
        # Documented in pixelkit._fileio.read_payload: a stream that cannot
        # tell its size delivers a bounded probe before the full allocation.
        assert failure.allocations_at_failure == 0, f"{declared} bytes allocated before any arrived"


@pytest.mark.parametrize("case", list(NON_SEEKABLE_HUGE.values()), ids=list(NON_SEEKABLE_HUGE))
def test_pipe_declaring_a_huge_image_ends_early(case: tuple[bytes, str, int]) -> None:
    data, reader, _ = case
    with pipe_from(data, pause_after=len(data) // 2) as proc:
        watchdog = threading.Timer(30, proc.kill)  # unblocks a hung read
        watchdog.start()
        try:
            start = time.perf_counter()
            with pytest.raises(pixelkit.FormatError, match="byte offset"):
                read_as_array(reader, proc.stdout)
            elapsed = time.perf_counter() - start
        finally:
            watchdog.cancel()
    assert proc.returncode == 0, "the writer failed"
    assert elapsed < 10


# ---- paths: the direct read of usual headers and the general parser give the same ----------------

PATH_HEADER_LAYOUTS = {
    **HEADER_LAYOUTS,
    "leading-zeros": "{m}\n000{w} 0{h}\n0{v}\n",
    "longer-than-the-first-read": "{m}" + " " * 70 + "{w}\n{h}\n{v}\n",
}


@pytest.mark.parametrize("layout", list(PATH_HEADER_LAYOUTS.values()), ids=list(PATH_HEADER_LAYOUTS))
@pytest.mark.parametrize(("magic", "maxval"), [("P6", 255), ("P6", 100), ("P6", 1000), ("P5", 255), ("P5", 65535)])
def test_paths_read_every_header_layout(tmp_path: Path, layout: str, magic: str, maxval: int) -> None:
    """Files given by path are read with system calls when the header is of the usual form, and through
    the general parser otherwise: both give the pixels, and ignore what follows the image."""
    samples = random_samples(np.random.default_rng(maxval), magic, 7, 5, maxval)
    header = layout.format(m=magic, w=7, h=5, v=maxval).encode()
    path = tmp_path / "image.pnm"
    path.write_bytes(encode(magic, samples, maxval, header) + b"NEXT")
    got = read_as_array(reader_of(magic), path)
    np.testing.assert_array_equal(got, as_expected(reader_of(magic), expected_8bit(samples, maxval)))


@pytest.mark.parametrize("cut", [1, 2, 100])
@pytest.mark.parametrize("maxval", [255, 1000])
def test_truncated_paths_and_streams_fail_alike(tmp_path: Path, cut: int, maxval: int) -> None:
    samples = random_samples(np.random.default_rng(cut), "P6", 9, 8, maxval)
    data = encode("P6", samples, maxval)[:-cut]
    path = tmp_path / "short.ppm"
    path.write_bytes(data)
    with pytest.raises(pixelkit.FormatError) as from_path:
        pixelkit.read_ppm(path)
    with pytest.raises(pixelkit.FormatError) as from_stream:
        pixelkit.read_ppm(io.BytesIO(data))
    assert str(from_path.value).replace(repr(str(path)), "NAME") == str(from_stream.value).replace("<BytesIO>", "NAME")


def test_sample_above_maxval_is_reported_alike_from_paths(tmp_path: Path) -> None:
    data = b"P6\n2 1\n100\n" + bytes([1, 2, 3, 4, 101, 6])
    path = tmp_path / "bad.ppm"
    path.write_bytes(data)
    with pytest.raises(pixelkit.FormatError, match=r"sample 4 is larger than maxval 100 \(byte offset 15\)"):
        pixelkit.read_ppm(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_read_ppm_from_a_named_pipe(tmp_path: Path) -> None:
    samples = random_samples(np.random.default_rng(3), "P6", 6, 4, 255)
    fifo = tmp_path / "pipe.ppm"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(encode("P6", samples, 255),))
    writer.start()
    try:
        assert np.array_equal(pixelkit.read_ppm(fifo).array, expected_8bit(samples, 255))
    finally:
        writer.join()


@pytest.mark.skipif(not pixelkit._fileio._DIRECT_READS, reason="no pread/readv here")
@pytest.mark.parametrize("maxval", [255, 100, 1000])
def test_usual_headers_from_paths_skip_the_stream_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, maxval: int
) -> None:
    samples = random_samples(np.random.default_rng(1), "P6", 4, 3, maxval)
    path = tmp_path / "usual.ppm"
    path.write_bytes(encode("P6", samples, maxval))

    def no_stream(*args: object) -> None:
        raise AssertionError("the file was opened as a stream")

    monkeypatch.setattr(pixelkit.netpbm, "open_source", no_stream)
    np.testing.assert_array_equal(pixelkit.read_ppm(path).array, expected_8bit(samples, maxval))
