"""benchmarks/run.py checks its peers before timing them, and the README table it writes hides no loss.

Nothing here looks at a timing: the checks are that a peer computing other pixels is caught, that
every peer declared comparable really agrees with pixelkit at a small size, and that the README
summary lists exactly the rows where pixelkit is slower than its best comparable peer.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_benchmark() -> Any:
    spec = importlib.util.spec_from_file_location("pixelkit_benchmark_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench: Any = _load_benchmark()


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return bench.Frame(160, 120, tmp_path_factory.mktemp("bench"), True, True)


def test_the_parameter_grid_is_covered() -> None:
    names = {op.name for op in bench.OPS}
    assert {
        "resize_half_bilinear",
        "resize_2x_bilinear",
        "resize_70pct_bilinear",
        "resize_130pct_bilinear",
        "resize_half_nearest",
        "resize_70pct_nearest",
        "resize_third_area",
        "resize_224_area",
        "box_blur_r1",
        "box_blur_r3",
        "box_blur_r7",
        "box_blur_r15",
        "gaussian_s1.3",
        "gaussian_s2",
        "gaussian_s5",
    } <= names
    # 1/2 area is the 2x2 mean, the kernel of 1/2 bilinear: it is not counted twice.
    assert "resize_half_area" not in names


@pytest.mark.parametrize("name", [op.name for op in bench.OPS if op.agreement is not None])
def test_every_comparable_peer_agrees_with_pixelkit(name: str, frame: Any) -> None:
    op = bench.OPS_BY_NAME[name]
    timed_only = bench.check_agreement(frame, op)
    for peer, why in timed_only.items():
        assert op.timed_only(peer) and why


def test_a_peer_that_computes_other_pixels_is_caught(frame: Any) -> None:
    op = bench.OPS_BY_NAME["resize_70pct_bilinear"]

    def off_by_two(f: Any, pre: bool) -> dict[str, Any]:
        calls = op.build(f, pre)
        opencv = calls["opencv"]
        calls["opencv"] = lambda: np.minimum(np.asarray(opencv()).astype(np.int16) + 2, 255).astype(np.uint8)
        return dict(calls)

    with pytest.raises(bench.Disagreement, match="opencv differs from pixelkit by up to 2 levels"):
        bench.check_agreement(frame, dataclasses.replace(op, build=off_by_two))


def test_the_readme_table_lists_every_row_pixelkit_loses(tmp_path: Path) -> None:
    out = tmp_path / "results"
    ops = ["invert", "flip_vertical", "resize_70pct_bilinear", "box_blur_r3"]
    assert bench.main(["--quick", "--ops", *ops, "--threads", "1", "--out", str(out), "--without", "matplotlib"]) == 0
    payload = json.loads((out / "results.json").read_text())
    results = payload["results"]
    assert {r["mode"] for r in results} == {"new", "out"}
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n\n{bench.README_START}\nold figures\n{bench.README_END}\n\nafter\n")
    assert bench.main(["--readme", "--out", str(out), "--readme-file", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("before\n\n" + bench.README_START) and text.endswith(bench.README_END + "\n\nafter\n")
    assert "old figures" not in text
    listed = {
        (op, size, threads, mode)
        for op, mode, cases in re.findall(r"^- `(\w+)`, ([^:]+): (.*)$", text, re.MULTILINE)
        for size, threads in re.findall(r"(\S+), (\d+) threads?: \d", cases)
    }
    losses = {
        (r["op"], r["size"], str(r["threads"]), bench.MODE_TITLES[r["mode"]])
        for r in results
        if r["ratio"] is not None and r["ratio"] > 1.0
    }
    assert listed == losses


def _load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"pixelkit_benchmark_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table_rows(text: str) -> list[list[str]]:
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in row] for row in rows[1:]]  # without the header


def test_the_resize_grid_times_every_cell_and_matches_opencv(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("PIL")
    _load_script("resize_ratios").main(["--sizes", "96x64", "--factors", "0.7x0.7,1.3x0.6,0.5x1", "--rounds", "1"])
    rows = _table_rows(capsys.readouterr().out)
    # 3 methods x 3 factor pairs x 2 thread counts, less area at 1.3x0.6 (a growing axis).
    assert len(rows) == 16
    for row in rows:
        assert float(row[8]) > 0  # the ratio
        assert row[9] in ("opencv", "pillow")
        assert int(row[10]) <= (1 if row[2] == "area" else 0), row


def test_the_blur_grid_times_every_cell_and_matches_opencv(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("cv2")
    _load_script("blur_ratios").main(["--sizes", "96x64", "--reps", "1"])
    rows = _table_rows(capsys.readouterr().out)
    # The default grid: 8 radii and 7 sigmas, at 2 thread counts.
    assert len(rows) == 30
    for row in rows:
        assert int(row[8]) == 0, row  # every output equals OpenCV's
        assert float(row[10].rstrip("%")) == 100.0
