"""The command line with video formats: y4m files and pipes, raw frames in ffmpeg's pix_fmts.

References: ffmpeg's own decoding of the same clip (``select`` of one frame, rgb24 with nearest
chroma, which equals pixelkit's conversion at even sizes) and netpbm's reading of the results.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from conftest import ffmpeg, require_tool, subprocess_env

NEAREST = "neighbor+accurate_rnd+bitexact+full_chroma_int"


@pytest.fixture(autouse=True)
def in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pixelkit", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )


def make_clip(path: Path, frames: int = 12, size: str = "320x240") -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30000/1001", "-frames:v", str(frames),
           "-f", "yuv4mpegpipe", "-y", str(path))  # fmt: skip
    return path


def ffmpeg_frame(path: Path, index: int, w: int, h: int) -> NDArray[np.uint8]:
    raw = ffmpeg("-i", str(path), "-vf", f"select=eq(n\\,{index})", "-frames:v", "1", "-sws_flags", NEAREST,
                 "-f", "rawvideo", "-pix_fmt", "rgb24", "-")  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def ppm_pixels(path: Path) -> NDArray[np.uint8]:
    """A PPM read by netpbm (pamtopnm -plain would do too: ppmtoppm checks and rewrites it)."""
    done = subprocess.run([require_tool("ppmtoppm")], input=path.read_bytes(), capture_output=True, check=True)
    data = done.stdout
    header_end = 0
    for _ in range(4):  # P6, width, height, maxval, each followed by one whitespace byte
        while data[header_end : header_end + 1].isspace():
            header_end += 1
        while not data[header_end : header_end + 1].isspace():
            header_end += 1
    w, h = (int(v) for v in data[2:header_end].split()[:2])
    return np.frombuffer(data[header_end + 1 :], np.uint8).reshape(h, w, 3)


def test_info_of_a_y4m_clip(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.y4m")
    done = cli("info", "clip.y4m")
    assert done.returncode == 0, done.stderr
    line = done.stdout.decode().strip()
    assert line.startswith("clip.y4m: Y4M, 320x240, 30000/1001 fps (29.970), C420jpeg (4:2:0, 8-bit), progressive")
    assert line.endswith(f", 12 frames, {clip.stat().st_size} bytes")
    # By its header, whatever its name.
    (tmp_path / "clip.bin").write_bytes(clip.read_bytes())
    assert cli("info", "clip.bin").stdout.decode().startswith("clip.bin: Y4M, 320x240")


def test_info_of_a_truncated_clip(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.y4m", frames=3)
    clip.write_bytes(clip.read_bytes()[:-10])
    done = cli("info", "clip.y4m")
    assert done.returncode == 1
    assert b"frame 2 ends early" in done.stderr and b"byte offset" in done.stderr


def test_convert_a_frame_of_a_clip(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.y4m")
    done = cli("convert", "clip.y4m", "still.ppm", "--frame", "10")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(ppm_pixels(tmp_path / "still.ppm"), ffmpeg_frame(clip, 10, 320, 240))
    assert cli("convert", "clip.y4m", "first.ppm").returncode == 0
    np.testing.assert_array_equal(ppm_pixels(tmp_path / "first.ppm"), ffmpeg_frame(clip, 0, 320, 240))
    missing = cli("convert", "clip.y4m", "x.ppm", "--frame", "12")
    assert missing.returncode == 1 and b"has 12 frames, so no frame 12" in missing.stderr
    assert not (tmp_path / "x.ppm").exists()
    usage = cli("convert", "first.ppm", "x.ppm", "--frame", "1")
    assert usage.returncode == 2 and b"--frame picks a frame of a .y4m IN" in usage.stderr


def test_convert_an_image_to_a_y4m_ffmpeg_reads(tmp_path: Path) -> None:
    image = np.random.default_rng(2).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    pixelkit.write_ppm(image, tmp_path / "a.ppm")
    done = cli("convert", "a.ppm", "a.y4m", "--fps", "24000/1001")
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "a.y4m").read_bytes()
    assert data.startswith(b"YUV4MPEG2 W64 H48 F24000:1001 ")
    planes = ffmpeg("-i", "a.y4m", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    np.testing.assert_array_equal(np.frombuffer(planes, np.uint8), pixelkit.to_yuv(image, "i420"))
    luma = 16 + (65.481 * image[..., 0] + 128.553 * image[..., 1] + 24.966 * image[..., 2]) / 255
    assert np.abs(np.frombuffer(planes, np.uint8)[: 64 * 48] - luma.ravel()).max() <= 1.0


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "nv12", "yuyv422", "bgra", "rgb24"])
def test_frames_from_a_raw_pipe(tmp_path: Path, pix_fmt: str) -> None:
    clip = make_clip(tmp_path / "clip.y4m", frames=4)
    raw = ffmpeg("-i", str(clip), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
    done = cli("frames", "--pix-fmt", pix_fmt, "--size", "320x240", "-o", "out", stdin=raw)
    assert done.returncode == 0, done.stderr
    written = sorted((tmp_path / "out").iterdir())
    assert [p.name for p in written] == [f"frame_{i:06d}.ppm" for i in range(4)]
    # ffmpeg's rgb24 of the same raw bytes (nearest chroma, as pixelkit converts).
    rgb = ffmpeg("-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", "320x240", "-i", "-", "-sws_flags", NEAREST,
                 "-f", "rawvideo", "-pix_fmt", "rgb24", "-", data=raw)  # fmt: skip
    reference = np.frombuffer(rgb, np.uint8).reshape(4, 240, 320, 3)[3].astype(np.int64)
    assert np.abs(ppm_pixels(written[3]).astype(np.int64) - reference).max() <= 1


def test_frames_from_a_y4m_pipe(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.y4m", frames=5)
    done = cli("frames", "-o", "out", "--every", "2", stdin=clip.read_bytes())
    assert done.returncode == 0, done.stderr
    written = sorted((tmp_path / "out").iterdir())
    assert len(written) == 3
    np.testing.assert_array_equal(ppm_pixels(written[2]), ffmpeg_frame(clip, 4, 320, 240))


def test_frames_usage_errors(tmp_path: Path) -> None:
    no_size = cli("frames", "--pix-fmt", "yuv420p", "-o", "out", stdin=b"\0" * 100)
    assert no_size.returncode == 2 and b"--size WxH" in no_size.stderr
    unknown = cli("frames", "--pix-fmt", "yuv9", "--size", "4x4", "-o", "out", stdin=b"\0" * 100)
    assert unknown.returncode == 2 and b"unknown pix_fmt 'yuv9'" in unknown.stderr
    bad = cli("frames", "-o", "out", stdin=b"YUV4MPEG2 W4 H4 C411\n")
    assert bad.returncode == 1 and b"unknown colour space 'C411' at byte offset 16" in bad.stderr
