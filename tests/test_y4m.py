"""YUV4MPEG2 streams against ffmpeg: it writes them (yuv4mpegpipe) and decodes pixelkit's.

The references are ffmpeg's own outputs: its raw planes of the same frames (``-f rawvideo
-pix_fmt yuv420p`` and so on: a y4m holds exactly these bytes), its rgb24 conversion with
``-sws_flags neighbor+accurate_rnd+bitexact+full_chroma_int`` (nearest chroma, exact arithmetic,
as pixelkit converts; even sizes, see tests/test_yuv.py for odd ones), and OpenCV's
``COLOR_RGB2YUV_I420`` for the planes pixelkit writes.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from conftest import ffmpeg, require_module, require_tool
from pixelkit import FormatError, Y4MHeader
from pixelkit.yuv import YuvMatrix, YuvRange

NEAREST = "neighbor+accurate_rnd+bitexact+full_chroma_int"


def clip(
    path: Path,
    pix_fmt: str,
    size: tuple[int, int] = (320, 240),
    frames: int = 3,
    rate: str = "25",
    source: str = "testsrc2",
) -> Path:
    """An ffmpeg source as a y4m file of ``pix_fmt`` (any size: scaled, since crop rounds to the chroma)."""
    w, h = size
    ffmpeg(
        "-f", "lavfi", "-i", f"{source}=size=320x240:rate={rate}", "-vf", f"scale={w}:{h}", "-frames:v", str(frames),
        "-pix_fmt", pix_fmt, "-strict", "-1", "-f", "yuv4mpegpipe", "-y", str(path),
    )  # fmt: skip
    return path


def ffmpeg_frames(path: Path, pix_fmt: str, w: int, h: int, dtype: Any = np.uint8) -> NDArray[Any]:
    """ffmpeg's decoding of a y4m file to raw frames of ``pix_fmt`` (rgb24 with nearest chroma)."""
    raw = ffmpeg("-i", str(path), "-sws_flags", NEAREST, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
    return np.frombuffer(raw, dtype)


# ---- the header -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pix_fmt", "colorspace", "depth", "color_range"),
    [
        ("yuv420p", "420jpeg", 8, "limited"),
        ("yuvj420p", "420jpeg", 8, "full"),
        ("yuv422p", "422", 8, "limited"),
        ("yuv444p", "444", 8, "limited"),
        ("gray", "mono", 8, "full"),
        ("yuv420p10le", "420p10", 10, "limited"),
        ("yuv422p12le", "422p12", 12, "limited"),
        ("gray16le", "mono16", 16, "full"),
    ],
)
def test_ffmpegs_headers(tmp_path: Path, pix_fmt: str, colorspace: str, depth: int, color_range: str | None) -> None:
    path = clip(tmp_path / "c.y4m", pix_fmt, (322, 242), frames=2, rate="30000/1001")
    with pixelkit.iter_y4m(path, rgb=False) as frames:
        header = frames.header
        planes = list(frames)
    assert (header.width, header.height, header.fps) == (322, 242, Fraction(30000, 1001))
    assert (header.colorspace, header.bit_depth, header.color_range) == (colorspace, depth, color_range)
    assert header.interlacing == "progressive"
    assert header.header_bytes == path.read_bytes().index(b"\n") + 1
    assert len(planes) == 2 == pixelkit.count_y4m_frames(path)
    assert path.stat().st_size == header.header_bytes + 2 * (len(b"FRAME\n") + header.frame_bytes)


def test_a_header_with_every_field() -> None:
    line = b"YUV4MPEG2 W720 H576 F25:1 It A128:117 C420paldv XYSCSS=420PALDV XCOLORRANGE=LIMITED"
    header = Y4MHeader.parse(line)
    assert header == Y4MHeader(
        720, 576, Fraction(25), Fraction(128, 117), "top_first", "420paldv", "limited",
        ("YSCSS=420PALDV", "COLORRANGE=LIMITED"), len(line) + 1,
    )  # fmt: skip
    assert Y4MHeader.parse(b"YUV4MPEG2 W2 H2 A0:0").aspect is None
    assert Y4MHeader.parse(b"YUV4MPEG2 W2 H2").colorspace == "420jpeg"  # the default
    assert Y4MHeader.parse(header.to_bytes()) == header


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"YUV4MPEG W2 H2", "expected 'YUV4MPEG2' at byte offset 0"),
        (b"YUV4MPEG2X W2 H2", "expected 'YUV4MPEG2' at byte offset 0"),
        (b"YUV4MPEG2 W2", "no H"),
        (b"YUV4MPEG2 H2", "no W"),
        (b"YUV4MPEG2 W0 H2", "'W0' at byte offset 10"),
        (b"YUV4MPEG2 W2 Habc", "'Habc' at byte offset 13"),
        (b"YUV4MPEG2 W2 H99999999", "a size from 1 to 65536"),
        (b"YUV4MPEG2 W2 H2 F25", "ratio N:D, got 'F25' at byte offset 16"),
        (b"YUV4MPEG2 W2 H2 F0:1", "must be positive"),
        (b"YUV4MPEG2 W2 H2 F1:0", "zero denominator"),
        (b"YUV4MPEG2 W2 H2 Iq", "Ip, It, Ib, Im"),
        (b"YUV4MPEG2 W2 H2 C411", "unknown colour space 'C411' at byte offset 16"),
        (b"YUV4MPEG2 W2 H2 C444alpha", "unknown colour space"),
        (b"YUV4MPEG2 W2 H2 Z1", "unknown parameter 'Z1' at byte offset 16"),
        (b"YUV4MPEG2 W2 H2 \xff", "non-ASCII"),
    ],
)
def test_malformed_headers(line: bytes, says: str) -> None:
    with pytest.raises(FormatError, match=says.replace("(", r"\(")):
        pixelkit.read_y4m(io.BytesIO(line + b"\nFRAME\n" + bytes(6)))


def test_unknown_colour_space_lists_the_known_ones() -> None:
    with pytest.raises(FormatError) as caught:
        Y4MHeader.parse(b"YUV4MPEG2 W2 H2 C411")
    for tag in ("C420jpeg", "C420mpeg2", "C420paldv", "C422", "C444", "Cmono", "C420p10", "C444p16"):
        assert tag in str(caught.value)


def test_a_header_without_newline_and_a_runaway_line() -> None:
    with pytest.raises(FormatError, match="ends before its newline"):
        pixelkit.read_y4m(io.BytesIO(b"YUV4MPEG2 W2 H2"))
    with pytest.raises(FormatError, match="no newline in its first 4096 bytes"):
        pixelkit.read_y4m(io.BytesIO(b"YUV4MPEG2 W2 H2 " + b"X" * 10_000))


# ---- reading ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pix_fmt", "shapes"),
    [
        ("yuv420p", lambda w, h: [(h, w), ((h + 1) // 2, (w + 1) // 2), ((h + 1) // 2, (w + 1) // 2)]),
        ("yuv422p", lambda w, h: [(h, w), (h, (w + 1) // 2), (h, (w + 1) // 2)]),
        ("yuv444p", lambda w, h: [(h, w)] * 3),
        ("gray", lambda w, h: [(h, w)]),
    ],
)
@pytest.mark.parametrize("size", [(320, 240), (321, 241)])
@pytest.mark.parametrize("source", ["testsrc2", "smptebars", "mandelbrot"])
def test_raw_planes_are_ffmpegs(tmp_path: Path, pix_fmt: str, shapes: Any, size: tuple[int, int], source: str) -> None:
    w, h = size
    path = clip(tmp_path / "c.y4m", pix_fmt, size, source=source)
    reference = ffmpeg_frames(path, pix_fmt, w, h).reshape(3, -1)
    for index, planes in enumerate(pixelkit.iter_y4m(path, rgb=False)):
        assert [p.shape for p in planes] == shapes(w, h)
        assert all(p.dtype == np.uint8 for p in planes)
        np.testing.assert_array_equal(np.concatenate([p.ravel() for p in planes]), reference[index])


def test_high_bit_depth_planes_are_ffmpegs_samples(tmp_path: Path) -> None:
    path = clip(tmp_path / "c.y4m", "yuv420p10le", (322, 242))
    reference = ffmpeg_frames(path, "yuv420p10le", 322, 242, np.dtype("<u2")).reshape(3, -1)
    frames = list(pixelkit.iter_y4m(path, rgb=False))
    assert [p.dtype for p in frames[0]] == [np.dtype("<u2")] * 3
    for index, planes in enumerate(frames):
        np.testing.assert_array_equal(np.concatenate([p.ravel() for p in planes]), reference[index])
    assert max(int(p.max()) for p in frames[0]) > 255  # really 10-bit samples


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuvj420p", "yuv422p", "yuv444p", "gray"])
@pytest.mark.parametrize("source", ["testsrc2", "smptebars", "mandelbrot"])
def test_rgb_frames_equal_ffmpegs_conversion(tmp_path: Path, pix_fmt: str, source: str) -> None:
    """Even sizes: ffmpeg with nearest chroma converts exactly as pixelkit does (the header's
    XCOLORRANGE picks the range, BT.601 as ffmpeg assumes)."""
    path = clip(tmp_path / "c.y4m", pix_fmt, (320, 240), source=source)
    reference = ffmpeg_frames(path, "rgb24", 320, 240).reshape(-1, 240, 320, 3).astype(np.int64)
    ours = np.stack([img.array for img in pixelkit.iter_y4m(path)]).astype(np.int64)
    assert ours.shape == reference.shape
    diff = np.abs(ours - reference)
    assert diff.max() <= 1
    assert np.mean(diff == 0) >= 0.999


def test_bt709_and_a_forced_range(tmp_path: Path) -> None:
    path = clip(tmp_path / "c.y4m", "yuv420p", (320, 240))
    raw = ffmpeg_frames(path, "yuv420p", 320, 240).reshape(3, -1)[1]
    matrices: list[tuple[YuvMatrix, str]] = [("bt709", "bt709"), ("bt2020", "bt2020nc")]
    ranges: list[tuple[YuvRange, str]] = [("limited", "tv"), ("full", "pc")]
    for matrix, colorspace in matrices:
        for range_, color_range in ranges:
            rgb = ffmpeg(
                "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "320x240", "-colorspace", colorspace,
                "-color_range", color_range, "-i", "-", "-sws_flags", NEAREST, "-f", "rawvideo", "-pix_fmt", "rgb24",
                "-", data=raw.tobytes(),
            )  # fmt: skip
            theirs = np.frombuffer(rgb, np.uint8).reshape(240, 320, 3).astype(np.int64)
            with pixelkit.iter_y4m(path, matrix=matrix, range=range_) as frames:
                next(frames)
                ours = next(frames).array.astype(np.int64)
            assert np.abs(ours - theirs).max() <= 1, (matrix, range_)


def test_high_bit_depth_frames_are_near_ffmpegs(tmp_path: Path) -> None:
    """10 and 12 bits are brought to 8 by a rounded shift before converting; ffmpeg converts at
    full depth.  Within 2 on every sample (the shift's half step through the matrix's gains)."""
    for pix_fmt in ("yuv420p10le", "yuv444p12le"):
        path = clip(tmp_path / f"{pix_fmt}.y4m", pix_fmt, (320, 240), frames=1)
        theirs = ffmpeg_frames(path, "rgb24", 320, 240).reshape(240, 320, 3).astype(np.int64)
        ours = pixelkit.read_y4m(path).array.astype(np.int64)
        diff = ours - theirs
        assert np.abs(diff).max() <= 2, pix_fmt
        assert abs(diff.mean()) <= 0.1 and np.mean(diff == 0) >= 0.6, pix_fmt


def test_a_pipe_streams_in_constant_memory() -> None:
    """200 frames from ffmpeg's stdout: Python allocations stay below a few frames."""
    ffmpeg_path = require_tool("ffmpeg")
    command = [ffmpeg_path, "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240",
               "-frames:v", "200", "-f", "yuv4mpegpipe", "-"]  # fmt: skip
    frame_bytes = 320 * 240 * 3
    with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        tracemalloc.start()
        count, checksum = 0, 0
        for image in pixelkit.iter_y4m(process.stdout):
            count += 1
            checksum += int(image.array[120, 160, 0])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert process.returncode == 0
    assert count == 200 and checksum > 0
    assert peak < 6 * frame_bytes, f"peak {peak} bytes of Python allocations"


def test_stdin_of_a_child_python(tmp_path: Path) -> None:
    path = clip(tmp_path / "c.y4m", "yuv420p", (64, 48), frames=5)
    program = "import sys, pixelkit; print(sum(1 for _ in pixelkit.iter_y4m(sys.stdin.buffer)))"
    with open(path, "rb") as stream:
        done = subprocess.run(
            [sys.executable, "-c", program], stdin=stream, capture_output=True, text=True, check=False
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"


def test_a_truncated_last_frame_after_the_complete_ones(tmp_path: Path) -> None:
    path = clip(tmp_path / "c.y4m", "yuv420p", (32, 16), frames=3)
    data = path.read_bytes()
    header = Y4MHeader.parse(data[: data.index(b"\n")])
    frame = len(b"FRAME\n") + header.frame_bytes
    cut = data[: header.header_bytes + 2 * frame + 6 + 100]
    got = []
    with pytest.raises(FormatError) as caught:
        for image in pixelkit.iter_y4m(io.BytesIO(cut)):
            got.append(image)
    assert len(got) == 2
    offset = header.header_bytes + 2 * frame + 6
    assert "frame 2" in str(caught.value) and f"byte offset {offset}" in str(caught.value)
    assert f"expected {header.frame_bytes} bytes" in str(caught.value) and "got 100" in str(caught.value)


@pytest.mark.parametrize(
    ("tail", "says"),
    [
        (b"FRAMX\n", "expected 'FRAME' at byte offset"),
        (b"FRA", "expected 'FRAME' at byte offset"),
        (b"FRAMEX\n", "expected 'FRAME' and a newline"),
        (b"FRAME", "ends before its newline"),
    ],
)
def test_malformed_frame_lines(tail: bytes, says: str) -> None:
    one = b"YUV4MPEG2 W2 H2 C444\n" + b"FRAME\n" + bytes(12)
    frames = pixelkit.iter_y4m(io.BytesIO(one + tail + bytes(12)))
    next(frames)
    with pytest.raises(FormatError, match=says):
        next(frames)


def test_frame_parameters_are_skipped() -> None:
    data = b"YUV4MPEG2 W2 H2 C444\nFRAME Ixyz\n" + bytes([235] * 4 + [128] * 8)
    assert pixelkit.read_y4m(io.BytesIO(data))[0, 0] == (255, 255, 255)


def test_read_y4m_of_a_stream_without_frames() -> None:
    with pytest.raises(FormatError, match="no frame"):
        pixelkit.read_y4m(io.BytesIO(b"YUV4MPEG2 W2 H2\n"))


def test_bad_names() -> None:
    data = io.BytesIO(b"YUV4MPEG2 W2 H2 C444\nFRAME\n" + bytes(12))
    with pytest.raises(ValueError, match=r"unknown matrix 'bt999'.*'bt601', 'bt709', 'bt2020'"):
        pixelkit.iter_y4m(data, matrix="bt999")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown range 'tv'.*'limited', 'full'"):
        pixelkit.iter_y4m(data, range="tv")  # type: ignore[arg-type]


def test_a_path_is_closed_when_the_frames_end(tmp_path: Path) -> None:
    path = clip(tmp_path / "c.y4m", "yuv420p", (32, 16), frames=2)
    frames = pixelkit.iter_y4m(path)
    list(frames)
    assert frames._stream.closed
    with pixelkit.iter_y4m(path) as early:
        next(early)
    assert early._stream.closed


# ---- writing ---------------------------------------------------------------------------------


def rgb_testsrc(w: int, h: int, frames: int) -> NDArray[np.uint8]:
    raw = ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={w}x{h}", "-frames:v", str(frames), "-f", "rawvideo",
                 "-pix_fmt", "rgb24", "-")  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(frames, h, w, 3)


def test_ffmpeg_decodes_what_pixelkit_writes() -> None:
    """ffmpeg reads pixelkit's y4m back to the same planes; they are OpenCV's RGB -> I420 within 1.

    (Random frames: testsrc2's few colours sit on rounding ties of the chroma formula, where
    OpenCV's coefficients round one way for the whole picture.)
    """
    require_module("cv2")
    import cv2

    frames = np.random.default_rng(5).integers(0, 256, (4, 240, 320, 3), dtype=np.uint8)
    stream = io.BytesIO()
    assert pixelkit.write_y4m(iter(frames), stream, fps=Fraction(30000, 1001)) == 4
    data = stream.getvalue()
    assert data.startswith(b"YUV4MPEG2 W320 H240 F30000:1001 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n")
    planes = ffmpeg("-f", "yuv4mpegpipe", "-i", "-", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-", data=data)
    planes_array = np.frombuffer(planes, np.uint8).reshape(4, -1).astype(np.int64)
    for index, rgb in enumerate(frames):
        opencv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).ravel().astype(np.int64)
        diff = planes_array[index] - opencv
        assert np.abs(diff).max() <= 1 and abs(diff.mean()) <= 0.05 and np.mean(diff == 0) >= 0.95


def test_ffmpeg_encodes_pixelkits_stream_from_a_pipe(tmp_path: Path) -> None:
    """``write_y4m(frames, sys.stdout.buffer) | ffmpeg -i - out.mkv``: a video of those frames."""
    program = (
        "import sys, numpy as np, pixelkit\n"
        "frames = (np.full((48, 64, 3), 8 * i, np.uint8) for i in range(10))\n"
        "pixelkit.write_y4m(frames, sys.stdout.buffer, fps=10)\n"
    )
    out = tmp_path / "out.mkv"
    producer = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE)
    assert producer.stdout is not None
    done = subprocess.run(
        [require_tool("ffmpeg"), "-nostdin", "-v", "error", "-i", "-", "-c:v", "ffv1", str(out)],
        stdin=producer.stdout, capture_output=True, check=False,
    )  # fmt: skip
    producer.stdout.close()
    assert producer.wait() == 0 and done.returncode == 0, done.stderr
    decoded = ffmpeg("-i", str(out), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    luma = np.frombuffer(decoded, np.uint8).reshape(10, -1)[:, : 48 * 64].reshape(10, 48, 64)
    # Grey 8 i in limited range: Y = 16 + 8 i * 219 / 255, rounded.
    np.testing.assert_array_equal(luma[:, 0, 0], np.round(16 + 8 * np.arange(10) * 219 / 255).astype(np.uint8))


@pytest.mark.parametrize(("colorspace", "pix_fmt"), [("422", "yuv422p"), ("444", "yuv444p"), ("mono", "gray")])
def test_other_colour_spaces_ffmpeg_reads(colorspace: str, pix_fmt: str) -> None:
    frames = rgb_testsrc(64, 48, 2)
    stream = io.BytesIO()
    pixelkit.write_y4m(list(frames), stream, colorspace=colorspace)
    data = stream.getvalue()
    assert f" C{colorspace} ".encode() in data[:80]
    raw = ffmpeg("-f", "yuv4mpegpipe", "-i", "-", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-", data=data)
    theirs = np.frombuffer(raw, np.uint8).reshape(2, -1)
    # The Y plane is the BT.601 limited-range luma of the frames (float64 reference within 1).
    luma = 16 + (65.481 * frames[..., 0] + 128.553 * frames[..., 1] + 24.966 * frames[..., 2]) / 255
    assert np.abs(theirs[:, : 64 * 48].astype(np.float64) - luma.reshape(2, -1)).max() <= 1.0
    back = list(pixelkit.iter_y4m(io.BytesIO(data), rgb=False))
    np.testing.assert_array_equal(np.concatenate([p.ravel() for p in back[1]]), theirs[1])


def test_full_range_is_tagged_for_ffmpeg() -> None:
    stream = io.BytesIO()
    pixelkit.write_y4m(rgb_testsrc(64, 48, 1), stream, range="full", matrix="bt709")
    assert b"XCOLORRANGE=FULL" in stream.getvalue()[:100]
    probe = subprocess.run(
        [require_tool("ffprobe"), "-v", "error", "-show_entries", "stream=color_range", "-of", "csv=p=0", "-"],
        input=stream.getvalue(), capture_output=True, check=False,
    )  # fmt: skip
    assert probe.stdout.decode().strip() == "pc"


def test_round_trip_through_pixelkit() -> None:
    frames = rgb_testsrc(66, 50, 3)
    stream = io.BytesIO()
    pixelkit.write_y4m(frames, stream, colorspace="444", range="full")
    back = np.stack([img.array for img in pixelkit.iter_y4m(io.BytesIO(stream.getvalue()))])
    assert np.abs(back.astype(np.int64) - frames).max() <= 2  # 8-bit YUV 4:4:4 full range quantisation


def test_fps_forms() -> None:
    forms: list[tuple[object, bytes]] = [
        (25, b"F25:1"),
        (29.97, b"F2997:100"),
        ("30000/1001", b"F30000:1001"),
        ("24000:1001", b"F24000:1001"),
        ((60, 1), b"F60:1"),
        (Fraction(50, 2), b"F25:1"),
    ]
    for fps, expected in forms:
        stream = io.BytesIO()
        pixelkit.write_y4m(pixelkit.Image(2, 2), stream, fps=fps)
        assert expected + b" " in stream.getvalue(), fps
    for bad in (0, -1, "x", float("nan")):
        with pytest.raises(ValueError, match="fps"):
            pixelkit.write_y4m(pixelkit.Image(2, 2), io.BytesIO(), fps=bad)


def test_writing_errors_leave_a_path_alone(tmp_path: Path) -> None:
    target = tmp_path / "out.y4m"
    target.write_bytes(b"old")
    frames = [np.zeros((8, 8, 3), np.uint8), np.zeros((8, 10, 3), np.uint8)]
    with pytest.raises(ValueError, match="frame 1 is 10x8 but the stream is 8x8"):
        pixelkit.write_y4m(frames, target)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.y4m"]
    with pytest.raises(ValueError, match="at least one frame"):
        pixelkit.write_y4m([], target)
    with pytest.raises(ValueError, match=r"unknown colorspace 'C420'.*'420jpeg'"):
        pixelkit.write_y4m(frames[:1], target, colorspace="C420")
    with pytest.raises(ValueError, match="unknown matrix"):
        pixelkit.write_y4m(frames[:1], target, matrix="bt470")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pixelkit.write_y4m([object()], target)  # type: ignore[list-item]
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.y4m"]
    assert pixelkit.write_y4m(frames[:1], target) == 1
    assert pixelkit.count_y4m_frames(target) == 1
