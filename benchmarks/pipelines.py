#!/usr/bin/env python3
"""Fused pipelines against the same steps called one by one, OpenCV, Pillow and pyvips.

Usage::

    python benchmarks/pipelines.py            # the issue's sizes, 1 and 2 threads
    python benchmarks/pipelines.py --quick    # small frames, few repetitions (CI smoke run)

Four pipelines, each run side by side in one process, in rounds of random order:

1. ``thumbnail``: ``resize(1/2, area) -> gaussian_blur(1) -> to_gray`` on a 12 MP frame and on a
   1080p frame;
2. ``ml``: ``resize(224x224, area) -> to_tensor(ImageNet mean and std, CHW)`` from 12 MP, 1080p
   and 256x256 frames (also as images per second per core);
3. ``libvips``: libvips's benchmark pipeline on a 5000x5000 image: ``crop`` 100 px from every edge,
   ``resize`` to 90 % (bilinear), ``convolve`` with the 3x3 sharpen
   ``[[-1, -1, -1], [-1, 16, -1], [-1, -1, -1]] / 8``; pyvips in memory (``new_from_memory`` ...
   ``write_to_memory``, all its threads);
4. ``blur-histogram``: ``gaussian_blur(2) -> histogram`` on 12 MP and 1080p.

Every pipeline runs with fresh results and with ``out=`` (where the peer has one), with 1 and 2
threads.  ``fused`` is one :class:`pixelkit.Pipeline` call; ``steps`` the same pixelkit
operations one after another.  For the thumbnail and blur -> histogram, ``cached`` runs the same
steps over a strip of the frame that stays in the cache, once per strip of the frame: the frame's
arithmetic without its memory traffic, so ``cached / steps`` is the lowest ``fused / steps`` that
fusing could reach with these kernels on this machine.  The peak resident memory of the libvips pipeline above its input
and output is measured in a fresh process per library (VmHWM after resetting it).

Results go to ``benchmarks/results/pipelines.json``, ``pipelines.md`` and ``pipelines.png`` (a
temporary directory with ``--quick``); ``--readme`` rewrites the table of README.md's "Fused
pipelines" section from the JSON file.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

if importlib.util.find_spec("pixelkit") is None:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import Call, frame, measure

import pixelkit as pk

RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent.parent / "README.md"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SHARPEN = np.array([[-1, -1, -1], [-1, 16, -1], [-1, -1, -1]])


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


cv2: Any = _optional("cv2")
pyvips: Any = _optional("pyvips")
PIL: Any = _optional("PIL")
PILImage: Any = None
ImageFilter: Any = None
if PIL is not None:
    from PIL import Image as _PILImage
    from PIL import ImageFilter as _ImageFilter

    PILImage, ImageFilter = _PILImage, _ImageFilter


def set_threads(count: int) -> None:
    pk.set_num_threads(count)
    if cv2 is not None:
        cv2.setNumThreads(count)
    if pyvips is not None and hasattr(pyvips, "concurrency_set"):
        pyvips.concurrency_set(count)


# ---- the pipelines ------------------------------------------------------------------------------

# The "cached" entry: the same steps over a strip of the frame small enough to stay in the cache,
# run as many times as the frame has strips.  It does the frame's arithmetic without its memory
# traffic: the time a fused pass would take if fusing removed every cost but the computing, so
# cached / steps is the lowest fused / steps this machine allows with these kernels.
CACHED_STRIP_BYTES = 2 << 20


def cached_strip(a: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], int]:
    """The frame's top strip (an even number of rows that divides the height) and how many cover it."""
    height, row_bytes = a.shape[0], a.shape[1] * 3
    rows = max(
        (r for r in range(2, height + 1, 2) if height % r == 0 and r * row_bytes <= CACHED_STRIP_BYTES),
        default=height,
    )
    return np.ascontiguousarray(a[:rows]), height // rows


def thumbnail(a: NDArray[np.uint8], out: bool) -> dict[str, Call]:
    h, w = a.shape[0] // 2, a.shape[1] // 2
    fused = pk.Pipeline().resize(w, h, "area").gaussian_blur(1.0).to_gray()
    calls: dict[str, Call] = {}
    strip, strips = cached_strip(a)
    sh = strip.shape[0] // 2
    s_half, s_blurred, s_gray = pk.Image(w, sh), pk.Image(w, sh), np.empty((sh, w), np.uint8)

    def cached() -> None:
        for _ in range(strips):
            pk.to_gray(pk.gaussian_blur(pk.resize(strip, w, sh, "area", out=s_half), 1.0, out=s_blurred), out=s_gray)

    calls["cached"] = cached
    if out:
        gray, half, blurred = np.empty((h, w), np.uint8), pk.Image(w, h), pk.Image(w, h)
        calls["fused"] = lambda: fused(a, out=gray)
        calls["steps"] = lambda: pk.to_gray(
            pk.gaussian_blur(pk.resize(a, w, h, "area", out=half), 1.0, out=blurred), out=gray
        )
        if cv2 is not None:
            c_half, c_blur = np.empty((h, w, 3), np.uint8), np.empty((h, w, 3), np.uint8)
            calls["opencv"] = lambda: cv2.cvtColor(
                cv2.GaussianBlur(
                    cv2.resize(a, (w, h), dst=c_half, interpolation=cv2.INTER_AREA), (0, 0), 1.0, dst=c_blur
                ),
                cv2.COLOR_RGB2GRAY,
                dst=gray,
            )
        return calls
    calls["fused"] = lambda: fused(a)
    calls["steps"] = lambda: pk.to_gray(pk.gaussian_blur(pk.resize(a, w, h, "area"), 1.0))
    if cv2 is not None:
        calls["opencv"] = lambda: cv2.cvtColor(
            cv2.GaussianBlur(cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA), (0, 0), 1.0), cv2.COLOR_RGB2GRAY
        )
    if PIL is not None:
        calls["pillow"] = lambda: (
            PILImage.fromarray(a).reduce(2).filter(ImageFilter.GaussianBlur(1.0)).convert("L").tobytes()
        )
    if pyvips is not None:

        def vips() -> object:
            image = pyvips.Image.new_from_memory(a.data, a.shape[1], a.shape[0], 3, "uchar").copy(interpretation="srgb")
            return image.shrink(2, 2).gaussblur(1.0).colourspace("b-w").write_to_memory()

        calls["pyvips"] = vips
    return calls


def ml(a: NDArray[np.uint8], out: bool) -> dict[str, Call]:
    fused = pk.Pipeline().resize(224, 224, "area").to_tensor(MEAN, STD)
    calls: dict[str, Call] = {}
    blob: Callable[[Any], object] | None = None
    if cv2 is not None:
        mean255 = tuple(255.0 * m for m in MEAN)
        if hasattr(cv2.dnn, "blobFromImageWithParams"):
            params = cv2.dnn.Image2BlobParams(
                scalefactor=tuple(1.0 / (255.0 * s) for s in STD), size=(224, 224), mean=mean255, swapRB=False
            )

            def blob(dst: Any) -> object:
                small = cv2.resize(a, (224, 224), interpolation=cv2.INTER_AREA)
                if dst is None:
                    return cv2.dnn.blobFromImageWithParams(small, params)
                return cv2.dnn.blobFromImageWithParams(small, dst, params)

        else:  # older OpenCV: one scale factor for every channel
            scale = 1.0 / (255.0 * statistics.fmean(STD))

            def blob(dst: Any) -> object:
                small = cv2.resize(a, (224, 224), interpolation=cv2.INTER_AREA)
                return cv2.dnn.blobFromImage(small, scale, (224, 224), mean255, False, False)

    if out:
        batch = np.empty((2, 3, 224, 224), np.float32)
        half = pk.Image(224, 224)
        calls["fused"] = lambda: fused(a, out=batch[1])
        calls["steps"] = lambda: pk.to_tensor(pk.resize(a, 224, 224, "area", out=half), MEAN, STD, out=batch[1])
        if blob is not None:
            blob_out = np.empty((1, 3, 224, 224), np.float32)
            calls["opencv"] = lambda: blob(blob_out)
        return calls
    calls["fused"] = lambda: fused(a)
    calls["steps"] = lambda: pk.to_tensor(pk.resize(a, 224, 224, "area"), MEAN, STD)
    if blob is not None:
        calls["opencv"] = lambda: blob(None)
    return calls


def libvips_steps(a: NDArray[np.uint8]) -> tuple[int, int, int, int, int, int]:
    """crop 100 px from every edge, then the 90 % size: (x, y, w, h, resized w, resized h)."""
    w, h = a.shape[1] - 200, a.shape[0] - 200
    return 100, 100, w, h, round(w * 0.9), round(h * 0.9)


def libvips(a: NDArray[np.uint8], out: bool) -> dict[str, Call]:
    x, y, w, h, rw, rh = libvips_steps(a)
    fused = pk.Pipeline().crop(x, y, w, h).resize(rw, rh, "bilinear").convolve(SHARPEN, 8)
    source = pk.Image.from_array(a)
    calls: dict[str, Call] = {}
    if out:
        result, resized = pk.Image(rw, rh), pk.Image(rw, rh)
        calls["fused"] = lambda: fused(a, out=result)
        calls["steps"] = lambda: pk.convolve(
            pk.resize(source.crop(x, y, w, h), rw, rh, "bilinear", out=resized), SHARPEN, 8, out=result
        )
        if cv2 is not None:
            c_resized, c_out = np.empty((rh, rw, 3), np.uint8), np.empty((rh, rw, 3), np.uint8)
            calls["opencv"] = lambda: cv2.filter2D(
                cv2.resize(a[y : y + h, x : x + w], (rw, rh), dst=c_resized, interpolation=cv2.INTER_LINEAR),
                -1,
                SHARPEN / 8.0,
                dst=c_out,
                borderType=cv2.BORDER_REFLECT_101,
            )
        return calls
    calls["fused"] = lambda: fused(a)
    calls["steps"] = lambda: pk.convolve(pk.resize(source.crop(x, y, w, h), rw, rh, "bilinear"), SHARPEN, 8)
    calls.update(libvips_peers(a))
    return calls


def libvips_peers(a: NDArray[np.uint8]) -> dict[str, Call]:
    x, y, w, h, rw, rh = libvips_steps(a)
    calls: dict[str, Call] = {}
    if cv2 is not None:
        calls["opencv"] = lambda: cv2.filter2D(
            cv2.resize(a[y : y + h, x : x + w], (rw, rh), interpolation=cv2.INTER_LINEAR),
            -1,
            SHARPEN / 8.0,
            borderType=cv2.BORDER_REFLECT_101,
        )
    if PIL is not None:
        kernel = ImageFilter.Kernel((3, 3), SHARPEN.ravel().tolist(), scale=8)
        calls["pillow"] = lambda: (
            PILImage.fromarray(a).crop((x, y, x + w, y + h)).resize((rw, rh), PILImage.BILINEAR).filter(kernel)
        )
    if pyvips is not None:
        mask = pyvips.Image.new_from_array(SHARPEN.tolist(), scale=8)

        def vips() -> object:
            image = pyvips.Image.new_from_memory(a.data, a.shape[1], a.shape[0], 3, "uchar")
            return image.crop(x, y, w, h).resize(0.9, kernel="linear").conv(mask, precision="integer").write_to_memory()

        calls["pyvips"] = vips
    return calls


def blur_histogram(a: NDArray[np.uint8], out: bool) -> dict[str, Call]:
    fused = pk.Pipeline().gaussian_blur(2.0).histogram()
    calls: dict[str, Call] = {}
    strip, strips = cached_strip(a)
    s_blurred, s_counts = pk.Image(a.shape[1], strip.shape[0]), np.empty((3, 256), np.uint64)

    def cached() -> None:
        for _ in range(strips):
            pk.histogram(pk.gaussian_blur(strip, 2.0, out=s_blurred), out=s_counts)

    calls["cached"] = cached
    if out:
        counts, blurred = np.empty((3, 256), np.uint64), pk.Image(a.shape[1], a.shape[0])
        calls["fused"] = lambda: fused(a, out=counts)
        calls["steps"] = lambda: pk.histogram(pk.gaussian_blur(a, 2.0, out=blurred), out=counts)
        return calls
    calls["fused"] = lambda: fused(a)
    calls["steps"] = lambda: pk.histogram(pk.gaussian_blur(a, 2.0))
    if cv2 is not None:

        def opencv() -> object:
            b = cv2.GaussianBlur(a, (0, 0), 2.0, borderType=cv2.BORDER_REFLECT_101)
            return [cv2.calcHist([b], [c], None, [256], [0, 256]) for c in range(3)]

        calls["opencv"] = opencv
    return calls


PIPELINES: dict[str, Callable[[NDArray[np.uint8], bool], dict[str, Call]]] = {
    "thumbnail": thumbnail,
    "ml": ml,
    "libvips": libvips,
    "blur-histogram": blur_histogram,
}


def sizes(quick: bool) -> dict[str, list[tuple[str, int, int]]]:
    if quick:
        return {
            "thumbnail": [("12MP/8", 500, 375)],
            "ml": [("1080p/4", 480, 270), ("256x256", 256, 256)],
            "libvips": [("5000/10", 500, 500)],
            "blur-histogram": [("12MP/8", 500, 375)],
        }
    return {
        "thumbnail": [("12MP", 4000, 3000), ("1080p", 1920, 1080)],
        "ml": [("12MP", 4000, 3000), ("1080p", 1920, 1080), ("256x256", 256, 256)],
        "libvips": [("5000x5000", 5000, 5000)],
        "blur-histogram": [("12MP", 4000, 3000), ("1080p", 1920, 1080)],
    }


# ---- peak memory of the libvips pipeline, in a fresh process per library --------------------------------


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _trim() -> None:
    """Give memory freed so far back to the system, so that reusing it later shows in the peak."""
    try:
        import ctypes

        libc: Any = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_child(library: str, size: int, threads: int) -> None:
    """In a fresh process: the peak resident memory of one run above its input and output (prints JSON)."""
    set_threads(threads)
    a = frame(size, size, 1)
    x, y, w, h, rw, rh = libvips_steps(a)
    calls: dict[str, Call] = {
        "fused": lambda: pk.Pipeline().crop(x, y, w, h).resize(rw, rh, "bilinear").convolve(SHARPEN, 8)(a)
    }
    calls["steps"] = lambda: pk.convolve(
        pk.resize(pk.Image.from_array(a).crop(x, y, w, h), rw, rh, "bilinear"), SHARPEN, 8
    )
    calls.update(libvips_peers(a))
    call = calls[library]
    del calls
    gc.collect()
    _trim()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset VmHWM to the current resident size
    base = _status_kib("VmRSS")
    result = call()
    peak = _status_kib("VmHWM")
    del result
    extra = (peak - base) * 1024 - 3 * rw * rh
    print(json.dumps({"extra_bytes": extra}))


def peak_memory(size: int, threads: int, libraries: list[str]) -> dict[str, float]:
    found: dict[str, float] = {}
    for library in libraries:
        done = subprocess.run(
            [sys.executable, __file__, "--peak-child", library, str(size), str(threads)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip():
            found[library] = json.loads(done.stdout.strip().splitlines()[-1])["extra_bytes"] / 2**20
        else:
            print(f"  peak memory of {library}: failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
    return found


# ---- reports ----------------------------------------------------------------------------------------


def ratio(rows: dict[str, dict[str, float]], name: str, peer: str) -> float | None:
    if name not in rows or peer not in rows:
        return None
    return rows[name]["median"] / rows[peer]["median"]


def markdown(results: dict[str, Any], short: bool = False) -> str:
    """The results as a table; ``short``: one thread and fresh results only (the README's)."""
    lines = [
        "| pipeline | frame | threads | results | fused ms | fused / steps | fused / OpenCV | fused / Pillow "
        "| fused / pyvips | cached / steps |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in results["runs"]:
        if short and (run["threads"] != 1 or run["out"]):
            continue
        rows = run["times"]
        cells = [run["pipeline"], run["frame"], str(run["threads"]), "out=" if run["out"] else "fresh"]
        cells.append(f"{rows['fused']['median'] * 1e3:.2f}")
        for peer in ("steps", "opencv", "pillow", "pyvips"):
            r = ratio(rows, "fused", peer)
            cells.append("" if r is None else f"{r:.2f}x")
        floor = ratio(rows, "cached", "steps")
        cells.append("" if floor is None else f"{floor:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    per_core = [
        run
        for run in results["runs"]
        if run["pipeline"] == "ml" and not run["out"] and (run["threads"] == 1 or not short)
    ]
    if per_core:
        rates = []
        for run in per_core:
            per_second = 1.0 / (run["times"]["fused"]["median"] * run["threads"])
            rates.append(f"{run['frame']} {per_second:.0f} ({_threads(run['threads'])})")
        lines.append("ML preprocessing, images per second per core (fused, fresh tensors): " + ", ".join(rates))
        lines.append("")
    for threads, peaks in results.get("peak_mib", {}).items():
        lines.append(
            f"libvips pipeline, peak RSS above input and output with {_threads(int(threads))} (MiB): "
            + ", ".join(f"{k} {v:.1f}" for k, v in peaks.items())
        )
    return "\n".join(lines) + "\n"


def _threads(count: int) -> str:
    return "1 thread" if count == 1 else f"{count} threads"


def chart(results: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart", file=sys.stderr)
        return
    runs = [r for r in results["runs"] if not r["out"] and r["threads"] == 1]
    labels = [f"{r['pipeline']}\n{r['frame']}" for r in runs]
    peers = ["steps", "opencv", "pillow", "pyvips"]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(runs)), 3.6))
    width = 0.8 / len(peers)
    for k, peer in enumerate(peers):
        values = [ratio(r["times"], "fused", peer) or 0.0 for r in runs]
        ax.bar([i + k * width for i in range(len(runs))], values, width, label=f"fused / {peer}")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(runs))], labels, fontsize=8)
    ax.set_ylabel("time ratio (lower: fused faster)")
    ax.set_title("pixelkit.Pipeline, 1 thread, fresh results")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


README_BEGIN = "<!-- pipelines:begin -->"
README_END = "<!-- pipelines:end -->"


def update_readme(results: dict[str, Any]) -> None:
    text = README.read_text()
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit(f"README.md has no {README_BEGIN} ... {README_END} markers")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    table = markdown(results, short=True)
    README.write_text(head + README_BEGIN + "\n" + table + README_END + tail)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small frames, few repetitions")
    parser.add_argument("--repeat", type=int, default=None, help="rounds per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="+", choices=list(PIPELINES), default=list(PIPELINES))
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's table from the results file")
    parser.add_argument("--peak-child", nargs=3, metavar=("LIBRARY", "SIZE", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peak_child:
        peak_child(args.peak_child[0], int(args.peak_child[1]), int(args.peak_child[2]))
        return
    if args.readme:
        update_readme(json.loads((RESULTS / "pipelines.json").read_text()))
        return
    repeat = args.repeat or (2 if args.quick else 15)
    target = Path(tempfile.mkdtemp(prefix="pixelkit-pipelines-")) if args.quick else RESULTS
    results: dict[str, Any] = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), **pk.cpu_features()},
        "versions": {
            "pixelkit": pk.__version__,
            "opencv": getattr(cv2, "__version__", None),
            "pillow": getattr(PIL, "__version__", None),
            "pyvips": None if pyvips is None else f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
        },
        "repeat": repeat,
        "runs": [],
    }
    for pipeline in args.only:
        for label, width, height in sizes(args.quick)[pipeline]:
            a = frame(width, height)
            for threads in args.threads:
                set_threads(threads)
                for out in (False, True):
                    times = measure(PIPELINES[pipeline](a, out), repeat)
                    run = {"pipeline": pipeline, "frame": label, "threads": threads, "out": out, "times": times}
                    results["runs"].append(run)
                    shown = ", ".join(f"{k} {v['median'] * 1e3:.2f} ms" for k, v in times.items())
                    print(f"{pipeline:15s} {label:10s} {threads}t {'out=' if out else 'fresh'}: {shown}", flush=True)
    if "libvips" in args.only:
        size = sizes(args.quick)["libvips"][0][1]
        peers = (("opencv", cv2), ("pillow", PIL), ("pyvips", pyvips))
        libraries = ["fused", "steps"] + [name for name, module in peers if module is not None]
        peaks = {str(t): peak_memory(size, t, libraries) for t in args.threads}
        results["peak_mib"] = peaks
        for threads, found in peaks.items():
            print(f"libvips peak RSS above input+output, {threads} threads (MiB): {found}")
    target.mkdir(parents=True, exist_ok=True)
    (target / "pipelines.json").write_text(json.dumps(results, indent=1) + "\n")
    (target / "pipelines.md").write_text(markdown(results))
    chart(results, target / "pipelines.png")
    print(f"wrote {target / 'pipelines.json'}, pipelines.md and pipelines.png")


if __name__ == "__main__":
    main()
