"""Every script in examples/ runs and does what its docstring says.

Each runs in a subprocess in a temporary working directory; its outputs are
checked against numpy, Pillow, OpenCV and ffmpeg.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image as PILImage

from conftest import require_tool, run_tool, subprocess_env
from kernel_refs import assert_close_unbiased, ref_resize_exact

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str, cwd: Path, stdin: Any = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], cwd=cwd, stdin=stdin, capture_output=True, text=True,
        env=subprocess_env(), check=False, timeout=120,
    )  # fmt: skip


def test_every_example_is_tested() -> None:
    tested = {"edit_raw_file.py", "ffmpeg_pipe.py", "ml_preprocess.py", "mmap_edit.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


# ---- edit_raw_file.py --------------------------------------------------------------


def test_edit_raw_file_sets_pixel_100(tmp_path: Path, rng: np.random.Generator) -> None:
    before = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    before.tofile(tmp_path / "data")
    result = run_example("edit_raw_file.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = before.copy()
    expected[0, 100] = (255, 192, 128)
    assert np.array_equal(np.fromfile(tmp_path / "data", np.uint8).reshape(600, 800, 3), expected)


def test_edit_raw_file_other_size_and_index_and_a_new_file(tmp_path: Path) -> None:
    result = run_example("edit_raw_file.py", "frame.rgb", "--size", "64x48", "--index", "1000", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "created frame.rgb" in result.stdout
    expected = np.zeros((48, 64, 3), np.uint8)  # the gradient the docstring promises
    expected[..., 0] = np.linspace(0, 255, 64, dtype=np.uint8)
    expected[..., 1] = np.linspace(0, 255, 48, dtype=np.uint8)[:, np.newaxis]
    expected[1000 // 64, 1000 % 64] = (255, 192, 128)
    assert np.array_equal(np.fromfile(tmp_path / "frame.rgb", np.uint8).reshape(48, 64, 3), expected)


# ---- ffmpeg_pipe.py ----------------------------------------------------------------

TESTSRC = ("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-frames:v", "4")


def _testsrc_frames() -> NDArray[np.uint8]:
    raw = run_tool("ffmpeg", "-nostdin", "-v", "error", *TESTSRC, "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    return np.frombuffer(raw, np.uint8).reshape(-1, 120, 160, 3)


@pytest.mark.parametrize("op", ["gray", "blur"])
def test_ffmpeg_pipe(tmp_path: Path, op: str) -> None:
    ffmpeg = require_tool("ffmpeg")
    command = [ffmpeg, "-nostdin", "-v", "error", *TESTSRC, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as producer:
        result = run_example("ffmpeg_pipe.py", "--size", "160x120", "--op", op, "--out", "out", cwd=tmp_path,
                             stdin=producer.stdout)  # fmt: skip
    assert producer.returncode == 0
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "4 frames"
    frames = _testsrc_frames()
    assert len(frames) == 4
    for index, frame in enumerate(frames):
        name = tmp_path / "out" / f"frame-{index:05d}.{'pgm' if op == 'gray' else 'ppm'}"
        with PILImage.open(name) as written:
            got = np.asarray(written)
        if op == "gray":
            assert np.array_equal(got, np.asarray(PILImage.fromarray(frame).convert("L")))
        else:
            reference = cv2.GaussianBlur(frame, (0, 0), 2.0, borderType=cv2.BORDER_REFLECT_101)
            assert_close_unbiased(got, reference)


def test_ffmpeg_pipe_reports_a_truncated_frame(tmp_path: Path, rng: np.random.Generator) -> None:
    stream = tmp_path / "in.rgb"
    rng.integers(0, 256, 2 * 160 * 120 * 3 + 1000, dtype=np.uint8).tofile(stream)
    with open(stream, "rb") as stdin:
        result = run_example("ffmpeg_pipe.py", "--size", "160x120", "--out", "out", cwd=tmp_path, stdin=stdin)
    assert result.returncode == 1
    assert "error after 2 frames" in result.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["frame-00000.pgm", "frame-00001.pgm"]


# ---- ml_preprocess.py --------------------------------------------------------------

MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


@pytest.mark.parametrize("size", [(320, 240), (100, 60)])  # down- and upscaling
def test_ml_preprocess_matches_opencv(tmp_path: Path, rng: np.random.Generator, size: tuple[int, int]) -> None:
    width, height = size
    frames = rng.integers(0, 256, (5, height, width, 3), dtype=np.uint8)
    names = []
    for index, frame in enumerate(frames):
        names.append(f"f{index}.rgb")
        frame.tofile(tmp_path / names[-1])
    result = run_example("ml_preprocess.py", *names, "--size", f"{width}x{height}", "--batch-size", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    batches = [np.load(tmp_path / "batches" / f"batch-{n:03d}.npy") for n in range(3)]
    assert [b.shape for b in batches] == [(2, 3, 224, 224), (2, 3, 224, 224), (1, 3, 224, 224)]
    assert all(b.dtype == np.float32 for b in batches)
    batch = np.concatenate(batches)
    for frame, tensor in zip(frames, batch, strict=True):
        resized = cv2.resize(frame, (224, 224), interpolation=cv2.INTER_LINEAR)
        # pixelkit's bilinear resize is within one level of OpenCV's, and unbiased; undo the
        # normalisation to compare levels.
        levels = (tensor.transpose(1, 2, 0) * STD + MEAN) * 255
        assert np.abs(levels - np.rint(levels)).max() <= 1e-3
        assert_close_unbiased(np.rint(levels), resized, exact=ref_resize_exact(frame, 224, 224, "bilinear"))


def test_ml_preprocess_reuses_its_buffers(tmp_path: Path, rng: np.random.Generator) -> None:
    spec = importlib.util.spec_from_file_location("ml_preprocess", EXAMPLES / "ml_preprocess.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "f.rgb"
    rng.integers(0, 256, (480, 640, 3), dtype=np.uint8).tofile(path)
    tracemalloc.start()
    try:
        it = module.batches([str(path)] * 9, 640, 480, 4)
        first = next(it)
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        rest = list(it)  # 5 more frames: 4 + 1
        extra = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert [b.shape[0] for b in rest] == [4, 1]
    assert all(np.shares_memory(b, first) for b in rest)
    # One 224x224 Image is 150 KB and one tensor 600 KB: none was allocated per frame.
    assert extra < 64 << 10


# ---- mmap_edit.py ------------------------------------------------------------------


def _run_measured(*args: str, cwd: Path) -> tuple[str, int]:
    """Run mmap_edit.py; its stdout and the peak RSS in bytes it reports for itself (VmHWM)."""
    command = [sys.executable, str(EXAMPLES / "mmap_edit.py"), *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, env=subprocess_env(), text=True, check=False)
    assert result.returncode == 0, result.stderr
    match = re.search(r"peak RSS (\d+) MiB", result.stdout)
    assert match is not None, result.stdout
    return result.stdout, int(match.group(1)) << 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS from /proc/self/status")
def test_mmap_edit_edits_a_huge_file_in_place(tmp_path: Path) -> None:
    width, height = 20000, 20000
    out, peak = _run_measured("big.rgb", cwd=tmp_path)  # defaults: region 1000,2000,3000,1500 in orange
    assert out.startswith("created big.rgb")
    size = width * height * 3
    assert os.path.getsize(tmp_path / "big.rgb") == size
    assert peak < size // 5, f"peak RSS {peak >> 20} MiB for a {size >> 20} MiB file"
    out, peak = _run_measured("big.rgb", "--region", "10,20,30,40", "--color", "1,2,3", cwd=tmp_path)
    assert out.startswith("edited big.rgb")
    assert peak < size // 5

    data = np.memmap(tmp_path / "big.rgb", np.uint8, "r", shape=(height, width, 3))

    def check(x: int, y: int, w: int, h: int, color: tuple[int, int, int]) -> None:
        expected = np.empty((h + 2, w + 2, 3), np.uint8)
        expected[...] = 0
        expected[1:-1, 1:-1] = color
        expected[1 + h // 4 : 1 + h // 4 + h // 2, 1 + w // 4 : 1 + w // 4 + w // 2] = 255 - np.array(color)
        assert np.array_equal(data[y - 1 : y + h + 1, x - 1 : x + w + 1], expected)

    check(1000, 2000, 3000, 1500, (255, 128, 0))
    check(10, 20, 30, 40, (1, 2, 3))
    assert not data[0].any() and not data[-1].any()  # untouched rows read as zeros
