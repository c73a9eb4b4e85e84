"""The demo does what the README says, checked with numpy and Pillow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from conftest import subprocess_env


def test_demo_writes_the_edited_frame_and_viewable_copies(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "pixelkit.demo", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr
    raw = np.fromfile(out / "data", np.uint8)
    assert raw.size == 800 * 600 * 3
    frame = raw.reshape(600, 800, 3)
    assert frame[0, 100].tolist() == [255, 192, 128]
    with PILImage.open(out / "data.ppm") as ppm:
        assert ppm.size == (800, 600)
        assert np.array_equal(np.asarray(ppm), frame)
    with PILImage.open(out / "data.pgm") as pgm:
        expected = np.asarray(PILImage.fromarray(frame).convert("L"))
        assert np.array_equal(np.asarray(pgm), expected)
    assert "shares that memory: True" in result.stdout
