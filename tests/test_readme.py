"""The README's promises: its commands are what CI runs, its snippets run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import pixelkit
from conftest import subprocess_env

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.DOTALL)


def test_readme_has_the_two_commands_first() -> None:
    demo, tests = (block.strip() for block in shell_blocks()[:2])
    assert "pixelkit.demo" in demo and "\n" not in demo
    assert "pytest" in tests and "\n" not in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = shell_blocks()[1].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_the_tour_runs(tmp_path: Path) -> None:
    """Every python block of the README, in order, as one script."""
    script = "\n".join(re.findall(r"```python\n(.*?)```", README, re.DOTALL))
    frames = np.zeros((2, 1080, 1920, 3), np.uint8)
    frames[1] = 255
    # The Dask section's inputs: a sparse 900 MB scan and five 1080p frames.
    with open(tmp_path / "scan.rgb", "wb") as scan:
        scan.truncate(20000 * 15000 * 3)
    frames[[1, 0, 1, 0, 1]].tofile(tmp_path / "clip.rgb")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        input=frames.tobytes(),
        capture_output=True,
        check=False,
        env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert pixelkit.read_ppm(tmp_path / "frame.ppm").shape == (480, 640, 3)
    assert (tmp_path / "frame.pgm").exists()
    # The memory-mapped invert reached the file.
    assert pixelkit.read_raw(tmp_path / "frame.rgb", 640, 480).array.all()
    # The Dask section's outputs.
    assert (tmp_path / "scan-gray.raw").stat().st_size == 20000 * 15000
    assert pixelkit.read_ppm(tmp_path / "scan-half.ppm").shape == (7500, 10000, 3)


def test_the_reliability_figures_are_the_ones_the_tests_assert() -> None:
    """The README's fault-injection figures are the constants tests/test_fault_injection.py asserts."""
    import test_fault_injection as faults

    text = " ".join(README.split())
    assert f"{faults.FAULT_CASES} injected OS errors" in text
    kills = faults.KILLS
    assert (
        f"SIGKILL at random moments of {sum(kills.values())} writes of 48 MB "
        f"({kills['raw']} `write_raw`, {kills['ppm']} `write_ppm`, {kills['w+']} `open_raw`"
    ) in text
    assert faults.BIG_W * faults.BIG_H * 3 == 48_000_000
