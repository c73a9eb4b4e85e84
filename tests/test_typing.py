"""The public API and the bindings are typed: mypy catches misuse before it runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import subprocess_env

ROOT = Path(__file__).resolve().parent.parent

# Each line marked `# wrong` must draw a mypy error on that line; the rest must not.
MISUSE = """\
import numpy as np
import pixelkit
from pixelkit._native import lib

img = pixelkit.read_raw("frame.rgb", 800, 600)
pixelkit.read_raw("frame.rgb", "800", 600)  # wrong
pixelkit.resize(img, 1.5, 2, method="cubic")  # wrong
pixelkit.resize(img, 400, 300, method="cubic")  # wrong
pixelkit.to_tensor(img, layout="NCHW")  # wrong
pixelkit.blend(img, img, "0.5")  # wrong
pixelkit.read_ppm(123)  # wrong
pixelkit.open_raw("frame.rgb", 800, 600, mode="rw")  # wrong
lib.pk_invert(img, img)  # wrong
lib.pk_invert(img._desc)  # wrong
lib.PK_MAX_DIMENSION + "1"  # wrong
gray: np.ndarray = pixelkit.to_gray(img)
small = pixelkit.resize(img, 400, 300, method="area")
lib.pk_invert(img._desc, small._desc)
width: int = small.width
"""


def test_mypy_reports_each_misuse(tmp_path: Path) -> None:
    script = tmp_path / "misuse.py"
    script.write_text(MISUSE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--follow-imports",
            "silent",
            str(script),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=subprocess_env(),
    )
    reported = {int(n) for n in re.findall(r"misuse\.py:(\d+): error", result.stdout)}
    wrong = {n for n, line in enumerate(MISUSE.splitlines(), 1) if line.endswith("# wrong")}
    assert reported == wrong, result.stdout
