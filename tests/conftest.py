"""Shared fixtures: random images, and the external programs used as references."""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest
from numpy.typing import NDArray

DATA = os.path.join(os.path.dirname(__file__), "data")

# In CI the reference programs are installed by .ci/run, so a missing one is
# a failure there; on a developer's machine the tests that need it skip.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# PIXELKIT_TEST_INSTALLED=1: the suite runs against an installed pixelkit (tools/check_installed_wheel.sh:
# the repaired wheel, the sdist's tests, no C compiler); the session refuses to start if pixelkit is not
# imported from the environment's site-packages.
INSTALLED = os.environ.get("PIXELKIT_TEST_INSTALLED") == "1"
# The source checkout the tests sit in, if they do: what build_ffi.py builds and C programs compile.
CHECKOUT = Path(__file__).resolve().parent.parent
HAS_CHECKOUT = (CHECKOUT / "build_ffi.py").is_file() and (CHECKOUT / "pixelkit" / "__init__.py").is_file()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_compiler: the test compiles C or C++ itself (throw-away builds, pixelkit.build, header checks, C "
        "programs) or reads the checkout's build inputs; skipped without a working C/C++ compiler or when run "
        "against the installed package without the checkout",
    )
    if INSTALLED:
        import pixelkit  # only here: the other runs choose their pixelkit through PYTHONPATH

        location = Path(pixelkit.__file__).resolve()
        site_packages = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
        if not any(location.is_relative_to(folder) for folder in site_packages):
            raise pytest.UsageError(
                f"PIXELKIT_TEST_INSTALLED=1 but pixelkit was imported from {location}, "
                f"not from site-packages ({', '.join(sorted(map(str, site_packages)))})"
            )


@functools.cache
def compiler_missing() -> str | None:
    """Why the tests that compile cannot run here, or None when they can."""
    problems = []
    for variable, fallback in (("CC", "cc"), ("CXX", "c++")):
        command = shlex.split(os.environ.get(variable) or sysconfig.get_config_var(variable) or fallback)
        try:
            result = subprocess.run([*command, "--version"], capture_output=True, check=False, timeout=60)
            works = result.returncode == 0
        except (OSError, subprocess.SubprocessError):
            works = False
        if not works:
            problems.append(f"{shlex.join(command)} (${variable}) does not run here")
    if not HAS_CHECKOUT:
        problems.append("the suite runs against the installed package, without the checkout (build_ffi.py, sources)")
    return f"needs a C compiler: {'; '.join(problems)}" if problems else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_compiler") is None:
        return
    reason = compiler_missing()
    if reason is None:
        return
    if IN_CI and not INSTALLED:
        pytest.fail(reason)  # CI's checkout run has the compilers: their absence is a failure there
    pytest.skip(reason)


def _is_real(name: str, path: str) -> bool:
    if name != "convert":
        return True
    # Some machines carry a stand-in `convert`; only ImageMagick's counts.
    result = subprocess.run([path, "-version"], capture_output=True, text=True, check=False)
    return "Version: ImageMagick" in result.stdout


def require_tool(name: str) -> str:
    """The path of an external program, or skip (fail in CI) when it is missing."""
    path = shutil.which(name)
    if path is not None and _is_real(name, path):
        return path
    package = {"ffmpeg": "ffmpeg", "convert": "imagemagick", "bash": "bash", "clang": "clang", "clang++": "clang"}.get(
        name, "netpbm"
    )
    message = f"{name} is not installed (Debian package: {package}; tools/system_requirements.py checks them all)"
    skip_unless_ci(message)


def skip_unless_ci(message: str) -> NoReturn:
    """Skip a test that cannot run here; in CI, where everything it needs is installed, fail."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_module(name: str) -> None:
    """Import a test dependency of pyproject.toml's test extra, or skip (fail in CI) without it."""
    try:
        __import__(name)
    except ImportError:
        skip_unless_ci(f"{name} is not installed (pip install -e '.[test]')")


def run_tool(*args: str, stdin: bytes | None = None) -> bytes:
    """Run an external program and return its stdout; fail the test if it fails."""
    require_tool(args[0])
    result = subprocess.run(list(args), input=stdin, capture_output=True, check=False, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261124)


@pytest.fixture
def random_rgb(rng: np.random.Generator) -> Callable[[int, int], NDArray[np.uint8]]:
    """A factory of random (H, W, 3) uint8 arrays."""

    def make(width: int, height: int) -> NDArray[np.uint8]:
        return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)

    return make


# Python code for a child process: its own peak resident memory in bytes.  Not
# ru_maxrss: Linux carries the parent's high-water mark across fork + exec, so
# a child of a large pytest process would report the parent's peak.
CHILD_PEAK_RSS = "int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) * 1024"


def subprocess_env() -> dict[str, str]:
    """The environment for a child Python that must import this same pixelkit."""
    import pixelkit

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(pixelkit.__file__)))
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


@pytest.fixture
def restore_runtime() -> Iterator[None]:
    """Put the instruction set and thread count back as they were after the test."""
    import pixelkit  # here, not at the top: conftest loads before the tests choose their pixelkit

    before = pixelkit.cpu_features()
    yield
    pixelkit.set_isa(before["selected"])
    pixelkit.set_num_threads(before["threads"])


def ffmpeg(*args: str, data: bytes | None = None) -> bytes:
    """ffmpeg's stdout for ``args`` (quiet, no stdin unless ``data``); AssertionError with its stderr on failure."""
    command = [require_tool("ffmpeg"), "-nostdin", "-v", "error", *args]
    done = subprocess.run(command, input=data, capture_output=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout
