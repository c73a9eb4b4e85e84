"""The README's promises: its commands are what CI runs, its snippets run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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


OWN_KERNELS = re.search(r"<!-- your-own-kernels.*?-->(.*?)<!-- /your-own-kernels -->", README, re.DOTALL)


def test_the_tour_runs(tmp_path: Path) -> None:
    """Every python block of the README, in order, as one script (but the own-kernels one, run below)."""
    assert OWN_KERNELS is not None
    tour = README.replace(OWN_KERNELS.group(1), "")
    script = "\n".join(re.findall(r"```python\n(.*?)```", tour, re.DOTALL))
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


@pytest.mark.needs_compiler
def test_the_own_kernels_lines_run(tmp_path: Path) -> None:
    """The section's header and source, its one command, then its Python lines against numpy."""
    assert OWN_KERNELS is not None
    section = OWN_KERNELS.group(1)
    for block in re.findall(r"```c\n(.*?)```", section, re.DOTALL):
        name = re.match(r"/\* (\S+) \*/", block)
        assert name, block
        (tmp_path / name.group(1)).write_text(block)
    (command,) = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    assert command.startswith("python -m pixelkit.build ")
    built = subprocess.run(
        [sys.executable, *command.split()[1:]], cwd=tmp_path, capture_output=True, text=True, env=subprocess_env()
    )
    assert built.returncode == 0, built.stderr
    (usage,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    check = (
        "import numpy as np\nimport pixelkit\n" + usage + "\n"
        "a = np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8)\n"
        "f = a.astype(np.float32)\n"
        "m = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)\n"
        "toned = np.einsum('ij,hwj->hwi', m, f)\n"
        "expected = np.minimum(f + np.float32(0.8) * (toned - f) + np.float32(0.5), 255).astype(np.uint8)\n"
        "assert np.abs(sepiakit.sepia(a, 0.8).array.astype(int) - expected).max() <= 1\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, env=subprocess_env()
    )
    assert result.returncode == 0, result.stderr


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
