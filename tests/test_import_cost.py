"""`import pixelkit` stays light: it loads no optional dependency, and costs at most 20 ms over numpy's own import.

The time is what ``python -X importtime`` reports for a fresh interpreter: the cumulative time of
``pixelkit`` minus that of ``numpy`` (which pixelkit imports).  Bytecode caches are written to a
temporary folder by a first run, as an installed package has them; the bound applies to the fastest of
several runs, so that another process competing for the CPU does not decide the outcome.  This is a
measured-cost bound on purpose: the import time is the property under test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import subprocess_env

# Modules that only the optional parts import (pixelkit.dask, the PNG helpers, the CLI's progress bar,
# pixelkit.build for users' kernels, pixelkit.y4m and its fractions on first use of a y4m name).
OPTIONAL = (
    "PIL",
    "dask",
    "distributed",
    "tqdm",
    "cv2",
    "setuptools",
    "pixelkit.build",
    "pixelkit.dask",
    "pixelkit.y4m",
    "fractions",
)
BUDGET_MS = 20.0
RUNS = 5

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$")


def _import_times(tmp_path: Path, code: str = "import pixelkit") -> dict[str, int]:
    """The cumulative import time in microseconds of each module a fresh ``python -c code`` imports."""
    env = {key: value for key, value in subprocess_env().items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    times = {}
    for line in result.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            times[match[4]] = int(match[2])
    return times


def test_import_loads_no_optional_dependency(tmp_path: Path) -> None:
    modules = _import_times(tmp_path)
    assert "pixelkit" in modules and "numpy" in modules
    loaded = sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in OPTIONAL))
    assert loaded == [], f"`import pixelkit` imports {loaded}"


def test_import_costs_at_most_20_ms_over_numpy(tmp_path: Path) -> None:
    _import_times(tmp_path)  # writes the bytecode caches
    costs = []
    for _ in range(RUNS):
        times = _import_times(tmp_path)
        costs.append((times["pixelkit"] - times["numpy"]) / 1000)
    assert min(costs) <= BUDGET_MS, f"`import pixelkit` over numpy: {sorted(costs)} ms (os.cpu_count={os.cpu_count()})"
