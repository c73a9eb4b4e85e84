"""Raw frames in ffmpeg's pixel formats (``-pix_fmt``), read without ffmpeg converting them.

ffmpeg writes testsrc2 frames in each format and converts the same bytes to rgb24 itself (with
``-sws_flags neighbor+accurate_rnd+bitexact+full_chroma_int``: nearest chroma and exact
arithmetic, the conversion pixelkit does); pixelkit's frames must match it.  Even sizes for the
subsampled formats (at odd sizes ffmpeg's scaler places chroma differently, see
tests/test_yuv.py); Bayer mosaics (which ffmpeg 5 does not write) are checked against OpenCV.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from conftest import ffmpeg, require_module, require_tool
from pixelkit import FormatError
from pixelkit.pixfmt import PIXEL_FORMATS, pixel_format

NEAREST = "neighbor+accurate_rnd+bitexact+full_chroma_int"
# format: (sizes, largest difference from ffmpeg's rgb24)
FFMPEG_WRITES: dict[str, tuple[list[tuple[int, int]], int]] = {
    "yuv420p": ([(320, 240)], 1),
    "yuvj420p": ([(320, 240)], 1),
    "nv12": ([(320, 240)], 1),
    "nv21": ([(320, 240)], 1),
    "yuyv422": ([(320, 240), (320, 241)], 1),
    "uyvy422": ([(320, 240)], 1),
    "yuv422p": ([(320, 240), (320, 241)], 1),
    "yuvj422p": ([(320, 240)], 1),
    "yuv444p": ([(320, 240), (321, 241)], 1),
    "yuvj444p": ([(321, 241)], 1),
    "bgr24": ([(321, 241)], 0),
    "rgba": ([(321, 241)], 0),
    "bgra": ([(321, 241)], 0),
    "argb": ([(321, 241)], 0),
    "abgr": ([(321, 241)], 0),
    "rgb565le": ([(321, 241)], 0),
    "bgr565le": ([(321, 241)], 0),
    "gray": ([(321, 241)], 0),
    "rgb24": ([(321, 241)], 0),
}


def frames_in(pix_fmt: str, w: int, h: int, count: int = 2) -> bytes:
    """testsrc2 frames in ``pix_fmt`` (scaled to other sizes: crop rounds to the chroma)."""
    scale = [] if (w, h) == (320, 240) else ["-vf", f"scale={w}:{h}"]
    return ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240", *scale, "-frames:v", str(count),
        "-f", "rawvideo", "-pix_fmt", pix_fmt, "-",
    )  # fmt: skip


def ffmpeg_rgb(raw: bytes, pix_fmt: str, w: int, h: int) -> NDArray[np.int64]:
    rgb = ffmpeg(
        "-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{w}x{h}", "-i", "-", "-sws_flags", NEAREST,
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-", data=raw,
    )  # fmt: skip
    return np.frombuffer(rgb, np.uint8).reshape(-1, h, w, 3).astype(np.int64)


@pytest.mark.parametrize("pix_fmt", list(FFMPEG_WRITES))
def test_frames_match_ffmpegs_own_conversion(pix_fmt: str) -> None:
    sizes, tolerance = FFMPEG_WRITES[pix_fmt]
    for w, h in sizes:
        raw = frames_in(pix_fmt, w, h)
        assert len(raw) == 2 * pixel_format(pix_fmt).frame_bytes(w, h), (pix_fmt, w, h)
        theirs = ffmpeg_rgb(raw, pix_fmt, w, h)
        ours = np.stack([f.array for f in pixelkit.iter_raw_frames(io.BytesIO(raw), w, h, pix_fmt)])
        diff = np.abs(ours.astype(np.int64) - theirs)
        assert diff.max() <= tolerance, (pix_fmt, w, h, diff.max())
        assert np.mean(diff == 0) >= 0.999, (pix_fmt, w, h)


@pytest.mark.parametrize("pix_fmt", ["rgb48le", "rgb48be"])
def test_16_bit_frames_round_as_netpbm_does(pix_fmt: str) -> None:
    """ffmpeg's rgb48 frames, against netpbm's rescaling (v * 255 + 32767) // 65535 of the same samples.

    (Not against ffmpeg's own rgb48 -> rgb24, which is off by up to 3 even on multiples of 257;
    tests/test_packed.py checks the 16-bit formats against netpbm's pamdepth too.)
    """
    raw = frames_in(pix_fmt, 321, 241)
    samples = np.frombuffer(raw, "<u2" if pix_fmt.endswith("le") else ">u2").astype(np.int64)
    expected = ((samples * 255 + 32767) // 65535).reshape(2, 241, 321, 3)
    ours = np.stack([f.array for f in pixelkit.iter_raw_frames(io.BytesIO(raw), 321, 241, pix_fmt)])
    np.testing.assert_array_equal(ours, expected)


def test_a_pipe_from_ffmpeg(tmp_path: Path) -> None:
    """``ffmpeg ... -f rawvideo -pix_fmt yuv420p - |`` straight into iter_raw_frames."""
    command = [require_tool("ffmpeg"), "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240",
               "-frames:v", "30", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        frames = [f.array[100, 100].tolist() for f in pixelkit.iter_raw_frames(process.stdout, 320, 240, "yuv420p")]
    assert len(frames) == 30
    theirs = ffmpeg_rgb(frames_in("yuv420p", 320, 240, 30), "yuv420p", 320, 240)
    assert frames == theirs[:, 100, 100].tolist()


@pytest.mark.parametrize("pattern", ["rggb", "bggr", "grbg", "gbrg"])
@pytest.mark.parametrize("depth", ["8", "16le", "16be"])
def test_bayer_frames_are_opencvs_demosaic(pattern: str, depth: str) -> None:
    require_module("cv2")
    import cv2

    w, h = 64, 48
    mosaic = np.random.default_rng(3).integers(0, 256, (2, h, w), dtype=np.uint8)
    opencv = {"rggb": "BG", "bggr": "RG", "grbg": "GB", "gbrg": "GR"}[pattern]
    expected = np.stack([cv2.cvtColor(m, getattr(cv2, f"COLOR_Bayer{opencv}2RGB")) for m in mosaic])
    if depth == "8":
        raw = mosaic.tobytes()
    else:
        wide = mosaic.astype(np.uint16) * 257  # v * 257 / 65535 * 255 = v exactly
        raw = wide.astype("<u2" if depth == "16le" else ">u2").tobytes()
    got = np.stack([f.array for f in pixelkit.iter_raw_frames(io.BytesIO(raw), w, h, f"bayer_{pattern}{depth}")])
    diff = got.astype(np.int64) - expected
    assert np.abs(diff).max() <= 1 and abs(diff.mean()) <= 0.05 and np.mean(diff == 0) >= 0.95


def test_read_raw_with_a_pix_fmt(tmp_path: Path) -> None:
    raw = frames_in("nv12", 320, 240, 1)
    path = tmp_path / "frame.nv12"
    path.write_bytes(raw)
    theirs = ffmpeg_rgb(raw, "nv12", 320, 240)[0]
    for src in (path, io.BytesIO(raw)):
        ours = pixelkit.read_raw(src, 320, 240, pix_fmt="nv12").array
        assert np.abs(ours.astype(np.int64) - theirs).max() <= 1
    path.write_bytes(raw + b"x")
    with pytest.raises(FormatError, match=f"holds {len(raw) + 1} bytes .* exactly {len(raw)} bytes"):
        pixelkit.read_raw(path, 320, 240, pix_fmt="nv12")
    with pytest.raises(FormatError, match=f"needs {len(raw)} bytes"):
        pixelkit.read_raw(io.BytesIO(raw[:-1]), 320, 240, pix_fmt="nv12")
    with pytest.raises(ValueError, match="stride applies to rgb24 only"):
        pixelkit.read_raw(path, 320, 240, stride=960, pix_fmt="nv12")


def test_matrix_and_range_reach_the_conversion() -> None:
    raw = frames_in("yuv420p", 320, 240, 1)
    theirs = ffmpeg(
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "320x240", "-colorspace", "bt709", "-color_range", "pc",
        "-i", "-", "-sws_flags", NEAREST, "-f", "rawvideo", "-pix_fmt", "rgb24", "-", data=raw,
    )  # fmt: skip
    ours = pixelkit.read_raw(io.BytesIO(raw), 320, 240, pix_fmt="yuv420p", matrix="bt709", range="full")
    expected = np.frombuffer(theirs, np.uint8).reshape(240, 320, 3).astype(np.int64)
    assert np.abs(ours.array.astype(np.int64) - expected).max() <= 1


def test_a_partial_last_frame_after_the_complete_ones() -> None:
    raw = frames_in("bgra", 32, 16, 3)
    got: list[Any] = []
    with pytest.raises(
        FormatError, match=r"frame 2 \(32x16 bgra\) ends early: expected 2048 bytes at byte offset 4096"
    ):
        for frame in pixelkit.iter_raw_frames(io.BytesIO(raw[:-5]), 32, 16, "bgra"):
            got.append(frame)
    assert len(got) == 2


def test_bad_names_and_sizes_raise_at_the_call() -> None:
    with pytest.raises(ValueError, match=r"unknown pix_fmt 'yuv9'; expected one of: .*yuv420p"):
        pixelkit.iter_raw_frames(io.BytesIO(), 4, 4, "yuv9")
    with pytest.raises(ValueError, match="even width"):
        pixelkit.iter_raw_frames(io.BytesIO(), 5, 4, "yuyv422")
    with pytest.raises(ValueError, match="unknown matrix 'bt470'"):
        pixelkit.iter_raw_frames(io.BytesIO(), 4, 4, "nv12", matrix="bt470")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pix_fmt must be a str"):
        pixelkit.read_raw(io.BytesIO(), 4, 4, pix_fmt=3)  # type: ignore[arg-type]


def test_every_format_has_a_frame_size() -> None:
    for name, fmt in PIXEL_FORMATS.items():
        assert fmt.frame_bytes(4, 2) > 0, name
    assert pixel_format("yuv420p").frame_bytes(5, 3) == 15 + 2 * 3 * 2
    assert pixel_format("rgb48be").frame_bytes(5, 3) == 90


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "nv12", "bgra"])
def test_dask_frames_of_a_pix_fmt(tmp_path: Path, pix_fmt: str) -> None:
    """pixelkit.dask.from_raw_frames converts block by block: ffmpeg's rgb24 of the same bytes."""
    require_module("dask")
    import pixelkit.dask as pkd

    raw = frames_in(pix_fmt, 320, 240, 5)
    path = tmp_path / f"clip.{pix_fmt}"
    path.write_bytes(raw)
    frames: Any = pkd.from_raw_frames(path, 320, 240, pix_fmt, frames_per_chunk=2)
    assert frames.shape == (5, 240, 320, 3) and frames.chunks[0] == (2, 2, 1)
    theirs = ffmpeg_rgb(raw, pix_fmt, 320, 240)
    assert np.abs(frames.compute().astype(np.int64) - theirs).max() <= 1
    assert np.abs(frames[3].compute().astype(np.int64) - theirs[3]).max() <= 1
    path.write_bytes(raw[:-1])
    with pytest.raises(FormatError, match=f"not a whole number of 320x240 {pix_fmt} frames"):
        pkd.from_raw_frames(path, 320, 240, pix_fmt)
    with pytest.raises(ValueError, match="unknown pix_fmt"):
        pkd.from_raw_frames(path, 320, 240, "yuv9")
