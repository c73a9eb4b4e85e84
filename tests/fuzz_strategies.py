"""Hypothesis strategies and independent oracles for the fuzz tests (test_fuzz_readers.py, test_fuzz_kernels.py).

Nothing here calls pixelkit to compute an expected value: the netpbm decoder below is a separate
pure-Python reading of the rules in pixelkit.netpbm's docstring, and the image strategies only use
pixelkit to wrap memory (``Image.from_array``, ``Image.from_buffer``).
"""

from __future__ import annotations

import contextlib
import io
import re
import signal
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple, cast

import numpy as np
import pytest
from hypothesis import strategies as st
from numpy.typing import NDArray

import pixelkit
import pixelkit._fileio
import pixelkit.image
import pixelkit.netpbm
from pixelkit import Image
from pixelkit._native import lib

# ---- guards ------------------------------------------------------------------------------------


class CallTimeout(Exception):
    """Raised by the per-call timer: the call under test took too long (a hang)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise CallTimeout in the main thread if the block runs longer than ``seconds``.

    SIGALRM cannot interrupt a C loop, but every C kernel here is linear in its input and any
    Python loop (the header parser) is interrupted at the next bytecode.
    """

    def expire(signum: int, frame: Any) -> None:
        raise CallTimeout(f"the call took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class AllocationRecord:
    requested: list[int]
    python_peak: int = 0


@contextlib.contextmanager
def bounded_allocations(monkeypatch: pytest.MonkeyPatch, limit: int) -> Iterator[AllocationRecord]:
    """Fail if pixelkit asks for more than ``limit`` bytes of C memory, or Python allocates more.

    ``allocate`` (C memory) is imported by name into pixelkit.netpbm, and ``new_flat`` (a result's
    bytes, numpy's or C memory) into pixelkit._fileio, so the wrappers replace them in every module
    that names them.  Python (and numpy) allocations are measured with tracemalloc.
    """
    record = AllocationRecord([])
    real_allocate, real_new_flat = pixelkit.image.allocate, pixelkit.image.new_flat

    def check(nbytes: int) -> None:
        record.requested.append(nbytes)
        assert nbytes <= limit, f"pixelkit allocates {nbytes} bytes, more than the input justifies ({limit})"

    def guarded_allocate(nbytes: int, zeroed: bool) -> NDArray[np.uint8]:
        check(nbytes)
        return real_allocate(nbytes, zeroed)

    def guarded_new_flat(nbytes: int, offset: int = 0) -> NDArray[np.uint8]:
        check(nbytes)
        return real_new_flat(nbytes, offset)

    with monkeypatch.context() as patch:
        for module in (pixelkit.image, pixelkit.netpbm):
            patch.setattr(module, "allocate", guarded_allocate)
        for module in (pixelkit.image, pixelkit._fileio):
            patch.setattr(module, "new_flat", guarded_new_flat)
        tracemalloc.start()
        try:
            yield record
        finally:
            record.python_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert record.python_peak <= limit, f"Python allocations peaked at {record.python_peak} bytes (limit {limit})"


def live_allocations() -> int:
    return int(lib.pk_live_allocations())


# ---- streams -------------------------------------------------------------------------------------


class Pipe(io.RawIOBase):
    """A non-seekable, unbuffered stream over bytes that delivers at most ``chunk`` bytes per read."""

    def __init__(self, data: bytes, chunk: int = 7) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._chunk = chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = min(len(view), self._chunk, len(self._data) - self._pos)
        view[:count] = self._data[self._pos : self._pos + count]
        self._pos += count
        return count

    @property
    def position(self) -> int:
        return self._pos


STREAM_KINDS = ("bytesio", "pipe", "buffered-pipe")


def make_stream(data: bytes, kind: str) -> BinaryIO:
    """``data`` as a BytesIO, an unbuffered pipe (no seek, no peek) or a buffered pipe (peek, no seek)."""
    if kind == "bytesio":
        return io.BytesIO(data)
    if kind == "pipe":
        return cast(BinaryIO, Pipe(data))
    return cast(BinaryIO, io.BufferedReader(Pipe(data), buffer_size=64))


# ---- netpbm: valid files -----------------------------------------------------------------------

MAGICS = (b"P2", b"P3", b"P5", b"P6")
CHANNELS = {b"P2": 1, b"P5": 1, b"P3": 3, b"P6": 3}
PLAIN = {b"P2": True, b"P3": True, b"P5": False, b"P6": False}
PPM_KINDS = frozenset({b"P3", b"P6"})
PGM_KINDS = frozenset({b"P2", b"P5"})
MAXVALS = (1, 2, 3, 15, 254, 255, 256, 257, 1000, 4095, 65534, 65535)
WHITESPACE = b" \t\n\v\f\r"

# A comment, then the line end that closes it (itself a separator).
comments = st.builds(
    lambda text, end: b"#" + text + end,
    st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
    st.sampled_from([b"\n", b"\r", b"\r\n"]),
)
# One or more separators: whitespace runs and comments (a comment never starts one, so it is not
# glued to a number by accident; glued comments are drawn separately).
separators = st.lists(st.sampled_from(list(WHITESPACE)), min_size=1, max_size=3).map(bytes)
separator_runs = st.builds(
    lambda first, rest: first + b"".join(rest),
    separators,
    st.lists(st.one_of(separators, comments), max_size=2),
)


# Between plain samples: whitespace runs, comments (also glued to the sample before them).
SAMPLE_SEPARATORS = (b"\n", b"\t", b"\r\n", b"  ", b"\v\f", b"#c\n", b" # x y\r", b"\n#\n\n", b"#1 2 3\n")


class NetpbmFile(NamedTuple):
    data: bytes
    magic: bytes
    expected: NDArray[np.uint8]  # (H, W, 3) or (H, W), 8-bit, as pixelkit should decode it
    end: int  # offset just past the image (binary formats; for plain, len(data))


def rescale(samples: NDArray[np.int64], maxval: int) -> NDArray[np.uint8]:
    """The docstring's rule: identity for 255, else round to nearest."""
    if maxval == 255:
        return samples.astype(np.uint8)
    return ((samples * 255 + maxval // 2) // maxval).astype(np.uint8)


@st.composite
def netpbm_files(draw: st.DrawFn) -> NetpbmFile:
    """A valid P2/P3/P5/P6 file with comments and odd whitespace in the header."""
    magic = draw(st.sampled_from(MAGICS))
    width = draw(st.integers(1, 9))
    height = draw(st.integers(1, 6))
    maxval = draw(st.one_of(st.sampled_from(MAXVALS), st.integers(1, 65535)))
    channels = CHANNELS[magic]
    count = width * height * channels
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # Extremes are likelier than uniform draws would make them.
    samples = rng.integers(0, maxval + 1, count, dtype=np.int64)
    picks = rng.random(count)
    samples[picks < 0.15] = maxval
    samples[picks > 0.9] = 0
    header = bytearray(magic)
    for value in (width, height, maxval):
        header += draw(separator_runs)
        zeros = draw(st.integers(0, 2))  # leading zeros, within the 10-digit limit
        header += b"0" * min(zeros, 10 - len(str(value))) + str(value).encode()
    if draw(st.booleans()):
        # A comment glued to maxval; its line end is the single separator before the raster (so
        # "\r\n" would put "\n" into the raster).
        header += draw(comments).replace(b"\r\n", b"\n")
    else:
        header += bytes([draw(st.sampled_from(list(WHITESPACE)))])
    if PLAIN[magic]:
        # Separators come from the seeded generator: one hypothesis draw per sample is slow.
        choices = rng.integers(0, 4 * len(SAMPLE_SEPARATORS), count).tolist()
        body = bytearray()
        for i, sample in enumerate(samples.tolist()):
            if i:
                body += SAMPLE_SEPARATORS[choices[i]] if choices[i] < len(SAMPLE_SEPARATORS) else b" "
            body += str(sample).encode()
        body += draw(st.sampled_from([b"", b"\n", b" # end\n"]))
        data = bytes(header + body)
        end = len(data)
    else:
        raster = samples.astype(">u2" if maxval > 255 else np.uint8).tobytes()
        end = len(header) + len(raster)
        data = bytes(header) + raster + draw(st.binary(max_size=8))
    shape = (height, width, 3) if channels == 3 else (height, width)
    return NetpbmFile(data, magic, rescale(samples, maxval).reshape(shape), end)


# ---- netpbm: mutations ---------------------------------------------------------------------------

HUGE_TOKENS = (
    b"99999999999999999999",
    b"2147483647",
    b"2147483648",
    b"4294967295",
    b"4294967296",
    b"9223372036854775807",
    b"9223372036854775808",
    b"18446744073709551616",
    b"1048576",
    b"1048577",
    b"-1",
    b"-0",
    b"+5",
    b"0",
    b"1",
    b"255",
    b"256",
    b"65535",
    b"65536",
    b"0x10",
    b"1e3",
    b"3.0",
    b"0000000001",
    b"00000000001",
)
INSERT_TOKENS = (*HUGE_TOKENS, b"#", b"# comment\n", b"#\r", b" ", b"\n", b"\t", b"P6", b"P5", b"P3", b"\x00", b"\xff")
_NUMBER = re.compile(rb"[0-9]+")


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after 1..4 random edits aimed at the header, samples and length."""
    out = bytearray(data)
    # Mostly leave the magic number alone: a broken magic only tests the first check.
    low = draw(st.sampled_from([2, 2, 2, 0]))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4]))):
        kind = draw(
            st.sampled_from(
                ["flip", "truncate", "insert", "delete", "duplicate", "field", "comment", "append", "maxval"]
            )
        )
        size = len(out)
        if kind == "flip" and size > low:
            i = draw(st.integers(low, size - 1))
            out[i] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del out[draw(st.integers(0, size)) :]
        elif kind == "insert":
            i = draw(st.integers(min(low, size), size))
            out[i:i] = draw(st.one_of(st.sampled_from(INSERT_TOKENS), st.binary(min_size=1, max_size=6)))
        elif kind == "delete" and size > low:
            i = draw(st.integers(low, size - 1))
            del out[i : i + draw(st.integers(1, 6))]
        elif kind == "duplicate" and size:
            # Splice a copy of a (header-heavy) slice somewhere else.
            i = draw(st.integers(0, min(size - 1, 24)))
            piece = bytes(out[i : i + draw(st.integers(1, 12))])
            j = draw(st.integers(min(low, size), size))
            out[j:j] = piece
        elif kind in ("field", "maxval"):
            # Replace one of the first numbers (a header field or an early plain sample).
            numbers = list(_NUMBER.finditer(bytes(out[:64])))
            if numbers:
                match = numbers[min(2, len(numbers) - 1)] if kind == "maxval" else draw(st.sampled_from(numbers))
                token = draw(st.sampled_from(HUGE_TOKENS))
                out[match.start() : match.end()] = token
        elif kind == "comment":
            i = draw(st.integers(min(low, size), size))
            out[i:i] = draw(st.sampled_from([b"#x\n", b" #x\n", b"#\n", b"# \r", b"#" + b"c" * 40 + b"\n"]))
        elif kind == "append":
            out += draw(st.one_of(st.binary(min_size=1, max_size=16), st.sampled_from(INSERT_TOKENS)))
    return bytes(out)


# ---- netpbm: an independent decoder ----------------------------------------------------------------


class Decoded(NamedTuple):
    image: NDArray[np.uint8]
    end: int  # offset just past the image (binary), len(data) for plain


def _is_space(byte: int) -> bool:
    return byte in WHITESPACE


def _skip_comment(data: bytes, pos: int) -> int:
    """From a '#', the offset just past the line end that closes it (or len(data))."""
    while pos < len(data) and data[pos] not in b"\n\r":
        pos += 1
    return min(pos + 1, len(data) + 1)


def reference_decode(data: bytes, kinds: frozenset[bytes]) -> Decoded | None:
    """The image pixelkit must return for ``data`` (None: it must raise FormatError).

    Follows pixelkit.netpbm's documented rules: whitespace and comments before each header field,
    a field of digits (any number of leading zeros, as netpbm reads them) ended by one whitespace
    byte or a glued comment (which its line end closes), width and height in 1..MAX_DIMENSION,
    maxval in 1..65535, then exactly one image; whatever follows a binary raster, and whatever
    follows the last plain sample, is not read.
    """
    magic = data[:2]
    if magic not in kinds:
        return None
    pos = 2
    fields: list[int] = []
    n = len(data)
    for index in range(3):
        while pos < n and (_is_space(data[pos]) or data[pos] == ord("#")):
            pos = _skip_comment(data, pos) if data[pos] == ord("#") else pos + 1
        start = pos
        while pos < n and data[pos] in b"0123456789":
            pos += 1
        if pos == start:
            return None
        fields.append(int(data[start:pos]))
        if pos < n and data[pos] == ord("#"):
            pos = _skip_comment(data, pos)
            if pos > n and index < 2:
                return None  # the header ends inside the comment
            pos = min(pos, n)
        elif pos < n:
            if not _is_space(data[pos]):
                return None
            pos += 1
        elif index < 2:
            return None
    width, height, maxval = fields
    if not (1 <= width <= pixelkit.MAX_DIMENSION and 1 <= height <= pixelkit.MAX_DIMENSION):
        return None
    if not 1 <= maxval <= 65535:
        return None
    channels = CHANNELS[magic]
    count = width * height * channels
    shape = (height, width, 3) if channels == 3 else (height, width)
    if PLAIN[magic]:
        text = data[pos:]
        if len(text) < 2 * count - 1:
            return None
        values = np.empty(count, np.int64)
        p = 0
        for i in range(count):
            while p < len(text) and (_is_space(text[p]) or text[p] == ord("#")):
                if text[p] == ord("#"):
                    while p < len(text) and text[p] not in b"\n\r":
                        p += 1
                else:
                    p += 1
            start = p
            while p < len(text) and text[p] in b"0123456789":
                p += 1
            if p == start:
                return None
            if p < len(text) and not (_is_space(text[p]) or text[p] == ord("#")):
                return None
            value = int(text[start:p])
            if value > maxval:
                return None
            values[i] = value
        return Decoded(rescale(values, maxval).reshape(shape), n)
    sample_bytes = 2 if maxval > 255 else 1
    raster = data[pos : pos + count * sample_bytes]
    if len(raster) != count * sample_bytes:
        return None
    wide = np.frombuffer(raster, ">u2" if sample_bytes == 2 else np.uint8).astype(np.int64)
    if wide.size and int(wide.max()) > maxval:
        return None
    return Decoded(rescale(wide, maxval).reshape(shape), pos + len(raster))


# ---- images ---------------------------------------------------------------------------------------

ImageLike = Image | NDArray[np.uint8]
LAYOUT_KINDS = ("array", "slice", "image-crop", "buffer-stride", "image")


def _sizes(low: int, high: int) -> st.SearchStrategy[int]:
    # 1 and small sizes are much likelier than uniform: most bugs live at the edges.
    if low > 1:
        return st.integers(low, high)
    return st.one_of(st.just(1), st.integers(1, 4), st.integers(1, high))


@st.composite
def image_data(draw: st.DrawFn, max_size: int = 70, min_size: int = 1) -> NDArray[np.uint8]:
    """A contiguous (H, W, 3) uint8 array: random noise, a flat colour or a few levels."""
    width = draw(_sizes(min_size, max_size))
    height = draw(_sizes(min_size, max_size))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    style = draw(st.sampled_from(["noise", "flat", "levels", "gradient"]))
    if style == "flat":
        flat: NDArray[np.uint8] = np.broadcast_to(rng.integers(0, 256, 3, dtype=np.uint8), (height, width, 3)).copy()
        return flat
    if style == "levels":
        return rng.choice(np.array([0, 1, 127, 128, 254, 255], np.uint8), (height, width, 3))
    if style == "gradient":
        ramp = (np.arange(width * height * 3, dtype=np.int64) * 7 % 256).astype(np.uint8)
        return ramp.reshape(height, width, 3)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


@st.composite
def laid_out(draw: st.DrawFn, data: NDArray[np.uint8]) -> ImageLike:
    """``data``'s pixels handed over as an array, a slice of a bigger array, a crop or padded rows.

    Bytes around the pixels are random, so a kernel that reads outside its image gets garbage.
    """
    height, width, _ = data.shape
    kind = draw(st.sampled_from(LAYOUT_KINDS))
    noise = np.random.default_rng(draw(st.integers(0, 2**16)))
    if kind == "array":
        copy: NDArray[np.uint8] = data.copy()
        return copy
    if kind == "image":
        image = Image(width, height)
        image.array[...] = data
        return image
    left, top = draw(st.integers(0, 5)), draw(st.integers(0, 3))
    right, bottom = draw(st.integers(0, 9)), draw(st.integers(0, 3))
    if kind in ("slice", "image-crop"):
        big = noise.integers(0, 256, (height + top + bottom, width + left + right, 3), dtype=np.uint8)
        big[top : top + height, left : left + width] = data
        if kind == "slice":
            view: NDArray[np.uint8] = big[top : top + height, left : left + width]
            return view
        return Image.from_array(big).crop(left, top, width, height)
    stride = 3 * width + draw(st.integers(0, 13))
    offset = draw(st.integers(0, 7))
    buffer = bytearray(noise.integers(0, 256, offset + stride * height + 8, dtype=np.uint8).tobytes())
    image = Image.from_buffer(memoryview(buffer)[offset:], width, height, stride)
    image.array[...] = data
    return image


# ---- dispatch configurations ------------------------------------------------------------------------


def isa_choices() -> list[str]:
    """The portable kernels and the best ones this CPU runs (the same when it has no SIMD)."""
    best = pixelkit.cpu_features()["cpu"]
    return sorted({"portable", best}, key=("portable", "avx2", "avx512").index)


CONFIGS: list[tuple[str, int]] = [(isa, threads) for isa in isa_choices() for threads in (1, 2)]


def run_everywhere(call: Callable[[], Any]) -> list[Any]:
    """``call()``'s result (copied to numpy) under every ISA and thread count; settings restored."""
    before = pixelkit.cpu_features()
    results: list[Any] = []
    try:
        for isa, threads in CONFIGS:
            pixelkit.set_isa(isa)  # type: ignore[arg-type]
            pixelkit.set_num_threads(threads)
            results.append(np.array(call(), copy=True))
    finally:
        pixelkit.set_isa(before["selected"])
        pixelkit.set_num_threads(before["threads"])
    return results
