"""Packed RGB formats: from_packed and to_packed against numpy references, ffmpeg and netpbm.

The references below are written from the formats' definitions with numpy alone.  ffmpeg
converts the same frames: its bytes for each pix_fmt must be to_packed's, and its rgb24 of
each pix_fmt's bytes from_packed's (rgb565le and bgr565le with ``-sws_flags neighbor``, the
only setting under which ffmpeg 5.1 truncates 8 -> 5/6 bits instead of dithering).  ffmpeg's
rgb48 <-> rgb24 goes through its generic scaler and is not exact, so the 16-bit formats are
checked against netpbm's ``pamdepth`` (a 16-bit P6 payload is rgb48be).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import mmap
from typing import Any, cast

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from conftest import run_tool
from kernel_refs import split_of
from pixelkit import Image
from pixelkit._native import ffi, lib
from pixelkit.packed import PACKED_FORMATS, PackedFormat
from pixelkit.runtime import IsaName

BYTES = {
    "rgb24": 3,
    "bgr24": 3,
    "rgba": 4,
    "bgra": 4,
    "argb": 4,
    "abgr": 4,
    "rgb565le": 2,
    "bgr565le": 2,
    "rgb48le": 6,
    "rgb48be": 6,
}
# Where r, g, b sit in a pixel of the byte formats (the other byte is alpha).
ORDER = {
    "rgb24": [0, 1, 2],
    "bgr24": [2, 1, 0],
    "rgba": [0, 1, 2],
    "bgra": [2, 1, 0],
    "argb": [1, 2, 3],
    "abgr": [3, 2, 1],
}
AVAILABLE = pixelkit.cpu_features()["available"]


pytestmark = pytest.mark.usefixtures("restore_runtime")  # tests here switch the ISA and threads


# ---- references from the definitions -------------------------------------------------------------


def ref_from_packed(data: NDArray[np.uint8], width: int, height: int, fmt: PackedFormat) -> NDArray[np.uint8]:
    """rgb24 of a contiguous packed frame."""
    flat = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    if fmt in ORDER:
        picked: NDArray[np.uint8] = flat.reshape(height, width, BYTES[fmt])[..., ORDER[fmt]].copy()
        return picked
    if fmt.endswith("565le"):
        v = flat.view("<u2").reshape(height, width).astype(np.int64)
        top, middle, bottom = v >> 11, (v >> 5) & 63, v & 31
        # bit replication: the field's top bits repeat below it
        top8, middle8, bottom8 = (top << 3) | (top >> 2), (middle << 2) | (middle >> 4), (bottom << 3) | (bottom >> 2)
        rgb = [top8, middle8, bottom8] if fmt == "rgb565le" else [bottom8, middle8, top8]
        return np.stack(rgb, axis=-1).astype(np.uint8)
    samples = flat.view("<u2" if fmt == "rgb48le" else ">u2").reshape(height, width, 3).astype(np.int64)
    return ((samples * 255 + 32767) // 65535).astype(np.uint8)


def ref_to_packed(rgb: NDArray[np.uint8], fmt: PackedFormat) -> NDArray[np.uint8]:
    """The contiguous packed bytes of an (H, W, 3) frame."""
    height, width = rgb.shape[:2]
    if fmt in ORDER:
        out = np.full((height, width, BYTES[fmt]), 255, np.uint8)
        out[..., ORDER[fmt]] = rgb
        return out.reshape(-1)
    if fmt.endswith("565le"):
        r, g, b = (rgb[..., c].astype(np.uint16) for c in range(3))
        top, bottom = (r, b) if fmt == "rgb565le" else (b, r)
        word = (top >> 3) << 11 | (g >> 2) << 5 | bottom >> 3
        return word.astype("<u2").view(np.uint8).reshape(-1)
    return (rgb.astype(np.uint16) * 257).astype("<u2" if fmt == "rgb48le" else ">u2").view(np.uint8).reshape(-1)


def random_packed(rng: np.random.Generator, width: int, height: int, fmt: PackedFormat) -> NDArray[np.uint8]:
    return rng.integers(0, 256, width * height * BYTES[fmt], dtype=np.uint8)


def test_the_formats_are_ffmpegs_names() -> None:
    assert PACKED_FORMATS == tuple(BYTES)


# ---- exact against the references ------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (63, 2), (64, 1), (65, 3), (321, 241), (700, 5)])
@pytest.mark.parametrize("fmt", PACKED_FORMATS)
def test_both_ways_match_the_reference(fmt: PackedFormat, size: tuple[int, int], rng: np.random.Generator) -> None:
    width, height = size
    data = random_packed(rng, width, height, fmt)
    img = pixelkit.from_packed(data, width, height, fmt)
    assert isinstance(img, Image) and img.shape == (height, width, 3)
    np.testing.assert_array_equal(img.array, ref_from_packed(data, width, height, fmt))
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    packed = pixelkit.to_packed(rgb, fmt)
    assert packed.dtype == np.uint8 and packed.shape == (width * height * BYTES[fmt],)
    np.testing.assert_array_equal(packed, ref_to_packed(rgb, fmt))


@pytest.mark.parametrize("fmt", ["rgb565le", "bgr565le", "rgb48le", "rgb48be"])
def test_every_sample_value(fmt: PackedFormat) -> None:
    """All 65536 words of 5/6/5, all 65536 16-bit samples, and every byte the other way."""
    if fmt.endswith("565le"):
        data = np.arange(65536, dtype="<u2").view(np.uint8)
    else:
        data = np.repeat(np.arange(65536, dtype="<u2" if fmt == "rgb48le" else ">u2"), 3).view(np.uint8)
    width = 65536
    np.testing.assert_array_equal(
        pixelkit.from_packed(data, width, 1, fmt).array,
        ref_from_packed(data, width, 1, fmt),
    )
    values = np.arange(256, dtype=np.uint8)
    r, g = np.meshgrid(values, values, indexing="ij")  # every pair, every value in each channel
    rgb = np.stack([r, g, 255 - g], -1).reshape(1, -1, 3)
    np.testing.assert_array_equal(pixelkit.to_packed(rgb, fmt), ref_to_packed(rgb, fmt))


# ---- inputs, outputs, strides ----------------------------------------------------------------------


def shaped(data: NDArray[np.uint8], width: int, height: int, fmt: PackedFormat) -> NDArray[Any]:
    """The frame as a natural numpy array: (H, W, n) bytes, (H, W) uint16 or (H, W, 3) uint16."""
    if fmt.endswith("565le"):
        return data.view("<u2").reshape(height, width)
    if fmt.startswith("rgb48"):
        return data.view("<u2" if fmt == "rgb48le" else ">u2").reshape(height, width, 3)
    return data.reshape(height, width, BYTES[fmt])


@pytest.mark.parametrize("fmt", PACKED_FORMATS)
def test_sources_of_every_kind(fmt: PackedFormat, rng: np.random.Generator, tmp_path: Any) -> None:
    width, height = 33, 7
    data = random_packed(rng, width, height, fmt)
    expected = ref_from_packed(data, width, height, fmt)
    path = tmp_path / "frame.raw"
    path.write_bytes(data.tobytes())
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        sources: list[Any] = [
            data.tobytes(),
            bytearray(data.tobytes()),
            memoryview(data.tobytes()),
            mapped,
            data,
            shaped(data, width, height, fmt),
            data.reshape(height, -1),
            memoryview(cast(Any, shaped(data, width, height, fmt))),
        ]
        for source in sources:
            img = pixelkit.from_packed(source, width, height, fmt)
            np.testing.assert_array_equal(img.array, expected, err_msg=type(source).__name__)


def test_sources_are_read_in_place() -> None:
    """No copy of data is kept or made first: the pixels are read from the buffer's memory (a change
    to it shows in the next conversion)."""
    data = bytearray(b"\x01\x02\x03\x04")
    view = memoryview(data)
    assert pixelkit.from_packed(view, 1, 1, "rgba")[0, 0] == (1, 2, 3)
    data[0] = 9
    assert pixelkit.from_packed(view, 1, 1, "rgba")[0, 0] == (9, 2, 3)


@pytest.mark.parametrize("fmt", PACKED_FORMATS)
def test_strided_sources_and_destinations(fmt: PackedFormat, rng: np.random.Generator) -> None:
    """Crops of larger frames both ways: rows apart from each other, odd sizes and offsets."""
    big_w, big_h, width, height = 400, 250, 321, 241
    n = BYTES[fmt]
    frame = random_packed(rng, big_w, big_h, fmt)
    natural = shaped(frame, big_w, big_h, fmt)
    for x, y in [(0, 0), (1, 3), (37, 9), (79, 0)]:
        crop = natural[y : y + height, x : x + width]
        assert not crop.flags.c_contiguous
        expected = ref_from_packed(np.ascontiguousarray(crop).view(np.uint8), width, height, fmt)
        np.testing.assert_array_equal(pixelkit.from_packed(crop, width, height, fmt).array, expected)
        # into a crop of a larger image (out= Image and out= array)
        canvas = np.zeros((big_h, big_w, 3), np.uint8)
        target = Image.from_array(canvas).crop(x, y, width, height)
        assert pixelkit.from_packed(crop, width, height, fmt, out=target) is target
        np.testing.assert_array_equal(canvas[y : y + height, x : x + width], expected)
        outside = np.ones(canvas.shape[:2], bool)
        outside[y : y + height, x : x + width] = False
        assert not canvas[outside].any()
        canvas[:] = 0
        result = pixelkit.from_packed(crop, width, height, fmt, out=canvas[y : y + height, x : x + width])
        np.testing.assert_array_equal(result.array, expected)
        np.testing.assert_array_equal(canvas[y : y + height, x : x + width], expected)
        # a crop of an rgb24 frame into a crop of a packed frame
        rgb_big = rng.integers(0, 256, (big_h, big_w, 3), dtype=np.uint8)
        rgb = rgb_big[y : y + height, x : x + width]
        dst_frame = np.zeros(big_w * big_h * n, np.uint8)
        dst = shaped(dst_frame, big_w, big_h, fmt)[y : y + height, x : x + width]
        assert pixelkit.to_packed(rgb, fmt, out=dst) is dst
        np.testing.assert_array_equal(np.ascontiguousarray(dst).view(np.uint8).reshape(-1), ref_to_packed(rgb, fmt))
        rows = dst_frame.reshape(big_h, big_w * n)
        untouched = np.ones(rows.shape, bool)
        untouched[y : y + height, x * n : (x + width) * n] = False
        assert not rows[untouched].any()


@pytest.mark.parametrize("fmt", PACKED_FORMATS)
def test_to_packed_into_buffers(fmt: PackedFormat, rng: np.random.Generator) -> None:
    width, height = 17, 5
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    expected = ref_to_packed(rgb, fmt)
    buffer = bytearray(expected.size)
    result = pixelkit.to_packed(Image.from_array(rgb), fmt, out=buffer)
    assert bytes(buffer) == expected.tobytes()
    assert result.dtype == np.uint8 and result.shape == (expected.size,)
    assert np.shares_memory(result, np.frombuffer(buffer, np.uint8))
    array = np.zeros(
        shaped(expected.copy(), width, height, fmt).shape, shaped(expected.copy(), width, height, fmt).dtype
    )
    assert pixelkit.to_packed(rgb, fmt, out=array) is array
    assert array.tobytes() == expected.tobytes()
    view = memoryview(bytearray(expected.size))
    pixelkit.to_packed(rgb, fmt, out=view)
    assert bytes(view) == expected.tobytes()
    with mmap.mmap(-1, expected.size) as mapped:
        pixelkit.to_packed(rgb, fmt, out=mapped)
        assert mapped[:] == expected.tobytes()


def test_alignment_heads_and_vector_tails(rng: np.random.Generator) -> None:
    """Wide rows whose start lies anywhere in a cache line, under every instruction set."""
    width, height = 1000, 2
    for isa in AVAILABLE:
        pixelkit.set_isa(isa)
        for fmt in PACKED_FORMATS:
            n = BYTES[fmt]
            data = random_packed(rng, width + 70, height, fmt)
            rgb_big = rng.integers(0, 256, (height, width + 70, 3), dtype=np.uint8)
            for offset in (0, 1, 5, 21, 32, 63, 64, 67):
                src = shaped(data, width + 70, height, fmt)[:, offset : offset + width]
                expected = ref_from_packed(np.ascontiguousarray(src).view(np.uint8), width, height, fmt)
                canvas = np.zeros((height, width + 70, 3), np.uint8)
                out = canvas[:, offset : offset + width]
                pixelkit.from_packed(src, width, height, fmt, out=out)
                np.testing.assert_array_equal(out, expected, err_msg=f"{isa} {fmt} {offset}")
                flat = np.zeros((width + 70) * n * height + 64, np.uint8)[offset:][: width * n * height]
                pixelkit.to_packed(rgb_big[:, offset : offset + width], fmt, out=flat)
                np.testing.assert_array_equal(flat, ref_to_packed(rgb_big[:, offset : offset + width], fmt))


@pytest.mark.parametrize("isa", AVAILABLE)
@pytest.mark.parametrize("fmt", PACKED_FORMATS)
def test_every_isa_on_small_and_odd_sizes(fmt: PackedFormat, isa: IsaName, rng: np.random.Generator) -> None:
    pixelkit.set_isa(isa)
    for width, height in [(1, 1), (5, 3), (21, 2), (22, 4), (43, 3), (63, 1), (64, 2), (65, 5), (127, 2), (129, 4)]:
        data = random_packed(rng, width, height, fmt)
        np.testing.assert_array_equal(
            pixelkit.from_packed(data, width, height, fmt).array,
            ref_from_packed(data, width, height, fmt),
        )
        rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        np.testing.assert_array_equal(pixelkit.to_packed(rgb, fmt), ref_to_packed(rgb, fmt))


# ---- every instruction set and thread count: the same bits -------------------------------------------


def digest(array: Any) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def huge_rgb() -> NDArray[np.uint8]:
    """800x600: enough work (>= 2 MiB read plus written) for the copy-like kernels to split over
    threads even for rgb565 (5 bytes a pixel) in a crop."""
    return np.random.default_rng(5).integers(0, 256, (600, 800, 3), dtype=np.uint8)


@pytest.mark.parametrize("layout", ["contiguous", "crop"])
@pytest.mark.parametrize("fmt", PACKED_FORMATS)
def test_every_isa_and_thread_count_gives_the_same_bits(
    fmt: PackedFormat, layout: str, huge_rgb: NDArray[np.uint8]
) -> None:
    height, width = huge_rgb.shape[:2]
    packed = np.random.default_rng(6).integers(0, 256, width * height * BYTES[fmt], dtype=np.uint8)
    if layout == "crop":
        rgb: NDArray[np.uint8] = huge_rgb[3:-4, 5:-6]
        source: NDArray[Any] = shaped(packed, width, height, fmt)[3:-4, 5:-6]
        height, width = rgb.shape[:2]
    else:
        rgb, source = huge_rgb, packed
    assert (BYTES[fmt] + 3) * width * height >= pixelkit.runtime.MIN_COPY_WORK
    digests_in, digests_out = set(), set()
    for isa in AVAILABLE:
        for threads in (1, 2, 3):
            pixelkit.set_isa(isa)
            pixelkit.set_num_threads(threads)
            results: list[Any] = []
            split = split_of(lambda: results.append(pixelkit.from_packed(source, width, height, fmt)))  # noqa: B023
            if threads > 1:
                assert split.calls == 1 and split.bands >= 2, (isa, threads, split)
            digests_in.add(digest(results[0].array))
            split = split_of(lambda: results.append(pixelkit.to_packed(rgb, fmt)))  # noqa: B023
            if threads > 1:
                assert split.calls == 1 and split.bands >= 2, (isa, threads, split)
            digests_out.add(digest(results[1]))
    assert len(digests_in) == 1 and len(digests_out) == 1
    np.testing.assert_array_equal(
        results[0].array, ref_from_packed(np.ascontiguousarray(source).view(np.uint8), width, height, fmt)
    )
    np.testing.assert_array_equal(results[1], ref_to_packed(rgb, fmt))


def test_concurrent_calls_give_the_serial_results(huge_rgb: NDArray[np.uint8]) -> None:
    """Python threads converting at once (the GIL is released in C) get what one thread gets."""
    rgb = huge_rgb
    height, width = rgb.shape[:2]
    pixelkit.set_num_threads(2)
    expected = {fmt: digest(pixelkit.to_packed(rgb, fmt)) for fmt in PACKED_FORMATS}
    packed = {fmt: pixelkit.to_packed(rgb, fmt) for fmt in PACKED_FORMATS}
    back = {fmt: digest(pixelkit.from_packed(packed[fmt], width, height, fmt).array) for fmt in PACKED_FORMATS}

    def work(fmt: PackedFormat) -> tuple[str, str]:
        return digest(pixelkit.to_packed(rgb, fmt)), digest(pixelkit.from_packed(packed[fmt], width, height, fmt).array)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, PACKED_FORMATS * 3))
    assert results == [(expected[fmt], back[fmt]) for fmt in PACKED_FORMATS * 3]


# ---- ffmpeg and netpbm ---------------------------------------------------------------------------------

WIDTH, HEIGHT = 321, 241


def ffmpeg_convert(data: bytes | None, src_fmt: str, dst_fmt: str, *flags: str) -> NDArray[np.uint8]:
    """ffmpeg's rawvideo conversion of one WIDTH x HEIGHT frame (its test pattern when data is None)."""
    if data is None:
        # The format filter keeps the odd size: ffmpeg would otherwise negotiate yuv420p, rounding it to even.
        source = ["-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT},format={src_fmt}"]
    else:
        source = ["-f", "rawvideo", "-pix_fmt", src_fmt, "-s", f"{WIDTH}x{HEIGHT}", "-i", "-"]
    raw = run_tool(
        "ffmpeg", "-v", "error", *source, *flags, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", dst_fmt, "-",
        stdin=data,
    )  # fmt: skip
    return np.frombuffer(raw, np.uint8)


@pytest.fixture(scope="module")
def pattern() -> NDArray[np.uint8]:
    frame = ffmpeg_convert(None, "rgb24", "rgb24").reshape(HEIGHT, WIDTH, 3)
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 500  # a frame of many colours
    return frame


@pytest.mark.parametrize("fmt", ["bgr24", "rgba", "bgra", "argb", "abgr", "rgb565le", "bgr565le"])
def test_to_packed_matches_ffmpeg(fmt: PackedFormat, pattern: NDArray[np.uint8]) -> None:
    # neighbor: ffmpeg's unscaled conversion, which truncates to 5/6 bits (its default dithers)
    flags = ["-sws_flags", "neighbor"] if fmt.endswith("565le") else []
    expected = ffmpeg_convert(pattern.tobytes(), "rgb24", fmt, *flags)
    np.testing.assert_array_equal(pixelkit.to_packed(pattern, fmt), expected)


@pytest.mark.parametrize("fmt", ["bgr24", "rgba", "bgra", "argb", "abgr", "rgb565le", "bgr565le"])
def test_from_packed_matches_ffmpeg(fmt: PackedFormat, pattern: NDArray[np.uint8]) -> None:
    """ffmpeg's own frame in the format (its test pattern drawn in rgb24, converted), and random
    bytes in it (every alpha, every 5/6/5 word), converted back to rgb24 by ffmpeg."""
    flags = ["-sws_flags", "neighbor"] if fmt.endswith("565le") else []
    own = ffmpeg_convert(pattern.tobytes(), "rgb24", fmt, *flags)
    noise = np.random.default_rng(7).integers(0, 256, own.size, dtype=np.uint8)
    for data in (own, noise):
        expected = ffmpeg_convert(data.tobytes(), fmt, "rgb24").reshape(HEIGHT, WIDTH, 3)
        np.testing.assert_array_equal(pixelkit.from_packed(data, WIDTH, HEIGHT, fmt).array, expected)


def test_rgb48_byte_orders_match_ffmpeg(pattern: NDArray[np.uint8]) -> None:
    """ffmpeg's rgb48le -> rgb48be is a byte swap: both orders decode to the same pixels."""
    little = np.random.default_rng(8).integers(0, 256, WIDTH * HEIGHT * 6, dtype=np.uint8)
    big = ffmpeg_convert(little.tobytes(), "rgb48le", "rgb48be")
    assert big.tobytes() == little.view("<u2").astype(">u2").tobytes()
    np.testing.assert_array_equal(
        pixelkit.from_packed(little, WIDTH, HEIGHT, "rgb48le").array,
        pixelkit.from_packed(big, WIDTH, HEIGHT, "rgb48be").array,
    )


def test_rgb48_matches_netpbm(pattern: NDArray[np.uint8]) -> None:
    """pamdepth: 16 -> 8 bits with netpbm's rounding, 8 -> 16 as v * 257; a maxval-65535 P6
    payload is an rgb48be frame."""
    samples = np.random.default_rng(9).integers(0, 65536, (HEIGHT, WIDTH, 3)).astype(">u2")
    header16 = f"P6\n{WIDTH} {HEIGHT}\n65535\n".encode()
    header8 = f"P6\n{WIDTH} {HEIGHT}\n255\n".encode()
    decoded = run_tool("pamdepth", "255", stdin=header16 + samples.tobytes())
    assert decoded.startswith(header8)
    expected = np.frombuffer(decoded[len(header8) :], np.uint8).reshape(HEIGHT, WIDTH, 3)
    np.testing.assert_array_equal(pixelkit.from_packed(samples, WIDTH, HEIGHT, "rgb48be").array, expected)
    little = samples.astype("<u2")
    np.testing.assert_array_equal(pixelkit.from_packed(little, WIDTH, HEIGHT, "rgb48le").array, expected)
    widened = run_tool("pamdepth", "65535", stdin=header8 + pattern.tobytes())
    assert widened.startswith(header16)
    assert pixelkit.to_packed(pattern, "rgb48be").tobytes() == widened[len(header16) :]


# ---- bad input -------------------------------------------------------------------------------------------


def test_wrong_sizes_say_both_byte_counts() -> None:
    with pytest.raises(ValueError, match=r"a 4x2 bgra frame is 32 bytes, but data holds 31"):
        pixelkit.from_packed(bytes(31), 4, 2, "bgra")
    with pytest.raises(ValueError, match=r"a 4x2 rgb565le frame is 16 bytes, but out holds 17"):
        pixelkit.to_packed(np.zeros((2, 4, 3), np.uint8), "rgb565le", out=bytearray(17))
    with pytest.raises(ValueError, match=r"is 48 bytes, but data holds 96"):
        pixelkit.from_packed(np.zeros((2, 4, 3), np.uint32), 4, 2, "rgb48le")


def test_unknown_formats_list_the_valid_ones() -> None:
    for bad in ("yuyv422", "BGRA", "rgb565", "", None, 3):
        with pytest.raises(ValueError, match=r"unknown packed format .*valid formats: rgb24, bgr24, rgba, .*rgb48be"):
            pixelkit.from_packed(bytes(4), 1, 1, cast(Any, bad))
        with pytest.raises(ValueError, match=r"valid formats: rgb24, bgr24"):
            pixelkit.to_packed(np.zeros((1, 1, 3), np.uint8), cast(Any, bad))


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"data must be bytes, bytearray, memoryview, mmap or a numpy array"):
        pixelkit.from_packed("abcd", 1, 1, "rgba")
    with pytest.raises(TypeError, match="width must be an integer"):
        pixelkit.from_packed(bytes(4), cast(Any, 1.0), 1, "rgba")
    with pytest.raises(ValueError, match="height must be between 1 and"):
        pixelkit.from_packed(bytes(4), 1, 0, "rgba")
    with pytest.raises(ValueError, match="out has shape"):
        pixelkit.from_packed(bytes(8), 2, 1, "rgba", out=np.zeros((1, 1, 3), np.uint8))
    readonly = np.zeros((1, 2, 3), np.uint8)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        pixelkit.from_packed(bytes(8), 2, 1, "rgba", out=readonly)
    with pytest.raises(ValueError, match="out is read-only"):
        pixelkit.to_packed(np.zeros((1, 2, 3), np.uint8), "rgba", out=bytes(8))
    with pytest.raises(TypeError, match="out must be bytes"):
        pixelkit.to_packed(np.zeros((1, 2, 3), np.uint8), "rgba", out=[0] * 8)
    # rows that are not contiguous rows of the frame
    frame = np.zeros((4, 6, 4), np.uint8)
    with pytest.raises(ValueError, match=r"must hold 2 rows of 12 contiguous bytes"):
        pixelkit.from_packed(frame[:2, ::2], 3, 2, "rgba")
    with pytest.raises(ValueError, match=r"must hold 2 rows of 8 contiguous bytes"):
        pixelkit.from_packed(frame[:2, :3], 2, 2, "rgba")
    with pytest.raises(ValueError, match="at least 12 bytes apart"):
        pixelkit.from_packed(frame[::-1][:2, :3], 3, 2, "rgba")


def test_overlap_is_refused() -> None:
    canvas = np.zeros((4, 8, 3), np.uint8)
    flat = canvas.reshape(-1)  # a view of the same memory
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.from_packed(flat[:32], 4, 2, "rgba", out=canvas[:2, :4])
    with pytest.raises(ValueError, match="overlap"):
        pixelkit.to_packed(canvas[:, :4], "bgr565le", out=flat[60:92])
    # side by side in one frame, sharing no byte: fine
    pixelkit.to_packed(canvas[:, :4], "bgr24", out=canvas[:, 4:])


def test_the_c_functions_check_their_arguments() -> None:
    img = Image(4, 2)
    buffer = ffi.new("uint8_t[]", 64)
    null: Any = ffi.NULL
    assert lib.pk_packed_pixel_bytes(lib.PK_PACKED_BGRA) == 4
    assert lib.pk_packed_pixel_bytes(lib.PK_PACKED_FORMATS) == 0
    assert lib.pk_packed_pixel_bytes(-1) == 0
    assert lib.pk_packed_to_rgb(buffer, 16, lib.PK_PACKED_BGRA, img._desc) == lib.PK_OK
    assert lib.pk_packed_to_rgb(null, 16, lib.PK_PACKED_BGRA, img._desc) == lib.PK_ERR_NULL
    assert lib.pk_packed_to_rgb(buffer, 16, lib.PK_PACKED_BGRA, null) == lib.PK_ERR_NULL
    assert lib.pk_packed_to_rgb(buffer, 15, lib.PK_PACKED_BGRA, img._desc) == lib.PK_ERR_STRIDE
    assert lib.pk_packed_to_rgb(buffer, 16, lib.PK_PACKED_FORMATS, img._desc) == lib.PK_ERR_ARGUMENT
    assert lib.pk_packed_to_rgb(buffer, 2**63, lib.PK_PACKED_BGRA, img._desc) == lib.PK_ERR_OVERFLOW
    assert lib.pk_rgb_to_packed(img._desc, lib.PK_PACKED_RGB565LE, buffer, 8) == lib.PK_OK
    assert lib.pk_rgb_to_packed(img._desc, lib.PK_PACKED_RGB565LE, null, 8) == lib.PK_ERR_NULL
    assert lib.pk_rgb_to_packed(img._desc, lib.PK_PACKED_RGB565LE, buffer, 7) == lib.PK_ERR_STRIDE
    assert lib.pk_rgb_to_packed(img._desc, 99, buffer, 8) == lib.PK_ERR_ARGUMENT
    # the packed rows over the image's own pixels
    pixels = ffi.cast("uint8_t *", img.cdata)
    assert lib.pk_rgb_to_packed(img._desc, lib.PK_PACKED_BGR24, pixels + 12, 12) == lib.PK_ERR_OVERLAP
    frozen = Image.from_buffer(bytes(24), 4, 2)
    assert lib.pk_packed_to_rgb(buffer, 16, lib.PK_PACKED_BGRA, frozen._desc) == lib.PK_ERR_READONLY
