#!/usr/bin/env python3
"""Your own kernels: plain C through pixelkit.build against numpy, numba, Cython and OpenCV, side by side.

Usage::

    python benchmarks/custom_kernel.py            # 1920x1080 and 4000x3000, 1 and 2 threads
    python benchmarks/custom_kernel.py --quick    # small frames, few repetitions (CI smoke run)

Two kernels pixelkit does not have, written once each:

- **sepia**: a 3x3 colour matrix in Q7 fixed point (``examples/custom_kernel/src/sepia.c``);
- **sobel**: the Sobel gradient magnitude of the BT.601 grey image,
  ``min(255, round(sqrt(gx^2 + gy^2)))`` with reflected borders
  (``examples/custom_kernel/src/sobel.c``).

Peers compute the same pixels: numpy expressions, numba ``@njit(parallel=True)``
with ``prange``, Cython with ``prange``/``nogil`` (compiled here with OpenMP),
and OpenCV (``cv2.transform``; ``cv2.cvtColor`` + ``cv2.Sobel`` + ``cv2.magnitude``).
Every peer's output is checked against pixelkit's before timing: exactly,
but OpenCV's (its float transform within 1; its own grey conversion within 8
after Sobel, and within 0.5 on average).  Calls run round-robin, the table reports medians
and ``ratio`` = pixelkit time / peer time (below 1.0 pixelkit is faster).
Also reported: pixelkit.build's build time, the built module's import time
and its first call, and numba's first call (its JIT compilation).

Results go to ``DIR/custom_kernel.json`` and ``DIR/custom_kernel.md``
(``benchmarks/results`` by default; a temporary folder with ``--quick``).
numba, Cython and OpenCV are optional: a missing one is skipped with a note.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("pixelkit") is None:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import pixelkit  # noqa: E402

SOURCES = ROOT / "examples" / "custom_kernel" / "src"
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)
AMOUNT = 0.8
PEERS = ("numpy", "numba", "cython", "opencv")


def optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


cv2: Any = optional("cv2")
numba: Any = optional("numba")


def sepia_matrix() -> NDArray[np.int32]:
    amount = np.float32(AMOUNT)
    exact = np.float32(128) * (amount * SEPIA + (np.float32(1) - amount) * np.eye(3, dtype=np.float32))
    result: NDArray[np.int32] = np.floor(exact + np.float32(0.5)).astype(np.int32)
    return result


# ---- pixelkit.build ----------------------------------------------------------------------


def build_pixelkit(folder: Path) -> tuple[Any, dict[str, float]]:
    """Build sepia.c and sobel.c with the one command; time the build, the import and the first call."""
    header = folder / "bench.h"
    header.write_text(
        "#include <pixelkit.h>\n"
        "pk_status sepia(const pk_image *src, float amount, const pk_image *dst);\n"
        "pk_status sobel(const pk_image *src, const pk_plane *dst);\n"
    )
    sources = [str(SOURCES / "sepia.c"), str(SOURCES / "sobel.c")]
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pixelkit.build", "--module", "benchkit", "-I", str(SOURCES), str(header), *sources],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    build = time.perf_counter() - start
    probe = (
        "import time; t = time.perf_counter(); import benchkit; t1 = time.perf_counter();"
        "import numpy as np; a = np.zeros((1080, 1920, 3), np.uint8); t2 = time.perf_counter();"
        "benchkit.sepia(a, 0.8); t3 = time.perf_counter(); print(t1 - t, t3 - t2)"
    )
    # pixelkit itself is imported first: the import time is the module's own.
    out = subprocess.run(
        [sys.executable, "-c", "import pixelkit, numpy; " + probe],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    sys.path.insert(0, str(folder))
    module = importlib.import_module("benchkit")
    return module, {"build_s": build, "import_s": float(out[0]), "first_call_s": float(out[1])}


# ---- numpy ---------------------------------------------------------------------------------


def numpy_sepia(a: NDArray[np.uint8], m: NDArray[np.int32]) -> NDArray[np.uint8]:
    result: NDArray[np.uint8] = np.minimum((a.astype(np.int32) @ m.T + 64) >> 7, 255).astype(np.uint8)
    return result


def numpy_sobel(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    v = a.astype(np.int32)
    g = (19595 * v[..., 0] + 38470 * v[..., 1] + 7471 * v[..., 2] + 0x8000) >> 16
    p = np.pad(g, 1, mode="reflect")
    gx = (p[:-2, 2:] - p[:-2, :-2]) + 2 * (p[1:-1, 2:] - p[1:-1, :-2]) + (p[2:, 2:] - p[2:, :-2])
    gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
    magnitude = np.sqrt((gx * gx + gy * gy).astype(np.float32)) + np.float32(0.5)
    result: NDArray[np.uint8] = np.minimum(magnitude.astype(np.int32), 255).astype(np.uint8)
    return result


# ---- numba ---------------------------------------------------------------------------------


def make_numba() -> tuple[Callable[..., Any], Callable[..., Any], float] | None:
    """numba's kernels, and the seconds its first call takes (the JIT compilation of both)."""
    if numba is None:
        return None
    prange = numba.prange

    @numba.njit(parallel=True, cache=False)  # type: ignore[untyped-decorator]
    def sepia(a: Any, m: Any, out: Any) -> None:
        h, w = a.shape[0], a.shape[1]
        for y in prange(h):
            for x in range(w):
                r, g, b = np.int32(a[y, x, 0]), np.int32(a[y, x, 1]), np.int32(a[y, x, 2])
                for c in range(3):
                    v = (m[c, 0] * r + m[c, 1] * g + m[c, 2] * b + 64) >> 7
                    out[y, x, c] = 255 if v > 255 else v

    @numba.njit(parallel=True, cache=False)  # type: ignore[untyped-decorator]
    def sobel(a: Any, out: Any) -> None:
        h, w = a.shape[0], a.shape[1]
        grey = np.empty((h, w), np.int32)
        for y in prange(h):
            for x in range(w):
                grey[y, x] = (19595 * np.int32(a[y, x, 0]) + 38470 * np.int32(a[y, x, 1])
                              + 7471 * np.int32(a[y, x, 2]) + 0x8000) >> 16  # fmt: skip
        for y in prange(h):
            ya = y - 1 if y > 0 else (1 if h > 1 else 0)
            yb = y + 1 if y < h - 1 else (h - 2 if h > 1 else 0)
            for x in range(w):
                xl = x - 1 if x > 0 else (1 if w > 1 else 0)
                xr = x + 1 if x < w - 1 else (w - 2 if w > 1 else 0)
                gx = (grey[ya, xr] - grey[ya, xl]) + 2 * (grey[y, xr] - grey[y, xl]) + (grey[yb, xr] - grey[yb, xl])
                gy = (grey[yb, xl] + 2 * grey[yb, x] + grey[yb, xr]) - (grey[ya, xl] + 2 * grey[ya, x] + grey[ya, xr])
                v = np.int32(np.sqrt(np.float32(gx * gx + gy * gy)) + np.float32(0.5))
                out[y, x] = 255 if v > 255 else v

    frame = np.zeros((8, 8, 3), np.uint8)
    start = time.perf_counter()
    sepia(frame, sepia_matrix(), np.empty_like(frame))
    sobel(frame, np.empty((8, 8), np.uint8))
    return sepia, sobel, time.perf_counter() - start


# ---- Cython ------------------------------------------------------------------------------

CYTHON_SOURCE = textwrap.dedent(
    """
    # cython: boundscheck=False, wraparound=False, cdivision=True, language_level=3
    from cython.parallel import prange
    from libc.math cimport sqrtf

    def sepia(const unsigned char[:, :, ::1] a, int[:, ::1] m, unsigned char[:, :, ::1] out, int threads):
        cdef Py_ssize_t y, x, h = a.shape[0], w = a.shape[1]
        cdef int r, g, b, v, c
        for y in prange(h, nogil=True, num_threads=threads, schedule="static"):
            for x in range(w):
                r = a[y, x, 0]
                g = a[y, x, 1]
                b = a[y, x, 2]
                for c in range(3):
                    v = (m[c, 0] * r + m[c, 1] * g + m[c, 2] * b + 64) >> 7
                    out[y, x, c] = 255 if v > 255 else v

    def sobel(const unsigned char[:, :, ::1] a, int[:, ::1] grey, unsigned char[:, ::1] out, int threads):
        cdef Py_ssize_t y, x, ya, yb, xl, xr, h = a.shape[0], w = a.shape[1]
        cdef int gx, gy, v
        for y in prange(h, nogil=True, num_threads=threads, schedule="static"):
            for x in range(w):
                grey[y, x] = (19595 * a[y, x, 0] + 38470 * a[y, x, 1] + 7471 * a[y, x, 2] + 0x8000) >> 16
        for y in prange(h, nogil=True, num_threads=threads, schedule="static"):
            ya = y - 1 if y > 0 else 1
            yb = y + 1 if y < h - 1 else h - 2
            for x in range(w):
                xl = x - 1 if x > 0 else 1
                xr = x + 1 if x < w - 1 else w - 2
                gx = (grey[ya, xr] - grey[ya, xl]) + 2 * (grey[y, xr] - grey[y, xl]) + (grey[yb, xr] - grey[yb, xl])
                gy = (grey[yb, xl] + 2 * grey[yb, x] + grey[yb, xr]) - (grey[ya, xl] + 2 * grey[ya, x] + grey[ya, xr])
                v = <int>(sqrtf(<float>(gx * gx + gy * gy)) + 0.5)
                out[y, x] = 255 if v > 255 else v
    """
)


def build_cython(folder: Path) -> Any:
    if importlib.util.find_spec("Cython") is None:
        return None
    (folder / "cykernels.pyx").write_text(CYTHON_SOURCE)
    (folder / "setup_cy.py").write_text(
        "from setuptools import setup, Extension\nfrom Cython.Build import cythonize\n"
        "setup(ext_modules=cythonize([Extension('cykernels', ['cykernels.pyx'], "
        "extra_compile_args=['-O3', '-fopenmp'], extra_link_args=['-fopenmp'])], quiet=True))\n"
    )
    subprocess.run(
        [sys.executable, "setup_cy.py", "build_ext", "--inplace"], cwd=folder, check=True, capture_output=True
    )
    return importlib.import_module("cykernels")


# ---- OpenCV ------------------------------------------------------------------------------


def opencv_sobel(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    grey = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    result: NDArray[np.uint8] = cv2.convertScaleAbs(cv2.magnitude(gx, gy))
    return result


# ---- timing --------------------------------------------------------------------------------


def measure(calls: dict[str, Callable[[], object]], repeats: int, min_sample: float) -> dict[str, float]:
    """Median seconds per call, round-robin (the starting library rotates)."""
    names = list(calls)
    inner = {}
    for name in names:
        calls[name]()
        start = time.perf_counter()
        calls[name]()
        once = max(time.perf_counter() - start, 1e-7)
        inner[name] = max(1, int(min_sample / once))
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            for _ in range(inner[name]):
                calls[name]()
            samples[name].append((time.perf_counter() - start) / inner[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def set_threads(n: int) -> None:
    pixelkit.set_num_threads(n)
    if cv2 is not None:
        cv2.setNumThreads(n)
    if numba is not None:
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def time_frame(
    kit: Any, frame: NDArray[np.uint8], threads: int, numba_kernels: Any, cy: Any, repeats: int, min_sample: float
) -> list[dict[str, Any]]:
    """Rows of one frame size and thread count; every peer is checked against pixelkit first."""
    m = sepia_matrix()
    m_float = m.astype(np.float32) / 128
    height, width = frame.shape[:2]
    toned = np.empty_like(frame)
    grey = np.empty((height, width), np.uint8)
    grey32 = np.empty((height, width), np.int32)
    expected = {"sepia": kit.sepia(frame, AMOUNT).array.copy(), "sobel": kit.sobel(frame)}
    np.testing.assert_array_equal(expected["sepia"], numpy_sepia(frame, m))
    np.testing.assert_array_equal(expected["sobel"], numpy_sobel(frame))
    kernels: dict[str, dict[str, Callable[[], object]]] = {
        "sepia": {"pixelkit": lambda: kit.sepia(frame, AMOUNT, out=toned), "numpy": lambda: numpy_sepia(frame, m)},
        "sobel": {"pixelkit": lambda: kit.sobel(frame, out=grey), "numpy": lambda: numpy_sobel(frame)},
    }
    if numba_kernels is not None:
        nb_sepia, nb_sobel, _ = numba_kernels
        kernels["sepia"]["numba"] = lambda: (nb_sepia(frame, m, toned), toned)[1]
        kernels["sobel"]["numba"] = lambda: (nb_sobel(frame, grey), grey)[1]
    if cy is not None:
        kernels["sepia"]["cython"] = lambda: (cy.sepia(frame, m, toned, threads), toned)[1]
        kernels["sobel"]["cython"] = lambda: (cy.sobel(frame, grey32, grey, threads), grey)[1]
    if cv2 is not None:
        kernels["sepia"]["opencv"] = lambda: cv2.transform(frame, m_float, dst=toned)
        kernels["sobel"]["opencv"] = lambda: opencv_sobel(frame)
    rows = []
    size = f"{width}x{height}"
    for kernel, calls in kernels.items():
        for name, call in calls.items():
            result = np.asarray(call())
            # OpenCV rounds its own way: the float transform within 1; its grey (cvtColor) may be 1 off
            # pixelkit's, which Sobel's taps (sum of weights 8) can turn into 8 in a gradient.
            tolerance = {"sepia": 1, "sobel": 8}[kernel] if name == "opencv" else 0
            error = np.abs(result.astype(np.int32) - expected[kernel])
            if error.max() > tolerance or error.mean() > 0.5:
                raise SystemExit(f"{name} {kernel} differs from pixelkit by up to {error.max()} at {size}")
        times = measure(calls, repeats, min_sample)
        rows.append(
            {
                "kernel": kernel,
                "size": size,
                "threads": threads,
                "ms": {k: v * 1e3 for k, v in times.items()},
                "ratio": {k: times["pixelkit"] / v for k, v in times.items() if k != "pixelkit"},
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small frames, 2 repetitions (CI smoke run)")
    parser.add_argument("--sizes", nargs="+", default=None, metavar="WxH")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    sizes = args.sizes or (["320x240"] if args.quick else ["1920x1080", "4000x3000"])
    repeats = args.repeats or (2 if args.quick else 15)
    min_sample = 0.002 if args.quick else 0.05
    work = Path(tempfile.mkdtemp(prefix="pixelkit-custom-bench-"))
    out_dir = args.out or (work / "results" if args.quick else ROOT / "benchmarks" / "results")
    out_dir.mkdir(parents=True, exist_ok=True)

    kit, startup = build_pixelkit(work)
    notes = []
    numba_kernels = make_numba()
    cy = None
    try:
        cy = build_cython(work)
    except subprocess.CalledProcessError as exc:
        notes.append(f"Cython build failed: {exc.stderr.decode(errors='replace')[-300:]}")
    if numba_kernels is None:
        notes.append("numba is not installed: skipped")
    if cy is None and not notes:
        notes.append("Cython is not installed: skipped")
    if cv2 is None:
        notes.append("OpenCV is not installed: skipped")
    rng = np.random.default_rng(20261201)
    rows = []
    numba_first = None
    for size in sizes:
        width, height = (int(v) for v in size.split("x"))
        frame = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        for threads in args.threads:
            set_threads(threads)
            for row in time_frame(kit, frame, threads, numba_kernels, cy, repeats, min_sample):
                rows.append(row)
                print(
                    f"{row['kernel']:6} {size:>10} {threads}t  pixelkit {row['ms']['pixelkit']:8.2f} ms  "
                    + "  ".join(f"{k} {row['ratio'][k]:.2f}" for k in PEERS if k in row["ratio"])
                )
    if numba_kernels is not None:
        numba_first = numba_kernels[2]
    startup["numba_first_call_s"] = numba_first if numba_first is not None else float("nan")
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu": pixelkit.cpu_features(),
        "numpy": np.__version__,
        "numba": getattr(numba, "__version__", None),
        "opencv": getattr(cv2, "__version__", None),
        "compiler": sysconfig.get_config_var("CC"),
        "cpus": os.cpu_count(),
    }
    (out_dir / "custom_kernel.json").write_text(json.dumps({"meta": meta, "startup": startup, "rows": rows}, indent=1))
    lines = [
        "| kernel | size | threads | pixelkit ms | vs numpy | vs numba | vs Cython | vs OpenCV |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        ratios = [f"{row['ratio'][p]:.2f}" if p in row["ratio"] else "" for p in PEERS]
        lines.append(
            f"| {row['kernel']} | {row['size']} | {row['threads']} | {row['ms']['pixelkit']:.2f} | "
            + " | ".join(ratios)
            + " |"
        )
    lines += [
        "",
        f"pixelkit.build: build {startup['build_s']:.1f} s, import {startup['import_s'] * 1e3:.1f} ms, "
        f"first call (1080p sepia) {startup['first_call_s'] * 1e3:.1f} ms; numba's first call (JIT) "
        f"{startup['numba_first_call_s']:.2f} s.",
        *notes,
    ]
    (out_dir / "custom_kernel.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"results in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
