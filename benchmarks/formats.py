#!/usr/bin/env python3
"""Camera and video pixel formats: pixelkit's conversions against OpenCV and a memory copy.

Usage::

    python benchmarks/formats.py            # 1080p and 4K, 1 and 2 threads, and the ffmpeg pipes
    python benchmarks/formats.py --quick    # small frames, few repetitions (CI smoke run)
    python benchmarks/formats.py --readme   # rewrite README.md's table from benchmarks/results/formats.json

Side by side in one process, in rounds of random order (as ``benchmarks/run.py``), fresh results
and ``out=``/``dst=``:

- ``from_yuv`` of i420, nv12 and yuyv, and ``to_yuv`` to i420, against OpenCV's ``cvtColor``
  (``COLOR_YUV2RGB_I420``, ``_NV12``, ``_YUYV``, ``COLOR_RGB2YUV_I420``);
- ``demosaic`` bilinear against ``cvtColor(COLOR_BayerBG2RGB)`` (an RGGB sensor);
- ``from_packed`` and ``to_packed`` of every packed format against a memory copy of the larger of
  the two buffers (``np.copyto`` into a preallocated array, or ``.copy()`` for fresh results);

Before timing, each pixelkit result is compared with OpenCV's (within 1) so that both compute the
same thing.  Then, end to end, the frames per second of two pipes on the same compressed clip,
with the same ffmpeg decoder threads: ``ffmpeg -i clip -f yuv4mpegpipe - | python`` reading with
:func:`pixelkit.iter_y4m` (pixelkit converts) against ``ffmpeg -i clip -f rawvideo -pix_fmt rgb24
- | python`` reading with :func:`pixelkit.iter_raw_frames` (ffmpeg converts).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

if importlib.util.find_spec("pixelkit") is None:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import Call, frame, measure

import pixelkit as pk
from pixelkit.packed import PackedFormat
from pixelkit.yuv import YuvFormat

RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent.parent / "README.md"
PACKED: tuple[PackedFormat, ...] = (
    "bgr24",
    "rgba",
    "bgra",
    "argb",
    "abgr",
    "rgb565le",
    "bgr565le",
    "rgb48le",
    "rgb48be",
)

cv2: Any
try:
    import cv2
except ImportError:  # the benchmark needs OpenCV for its YUV and Bayer rows
    cv2 = None


def close_to(ours: Any, theirs: Any, what: str) -> None:
    a = np.asarray(ours).astype(np.int64).reshape(-1)
    b = np.asarray(theirs).astype(np.int64).reshape(-1)
    if a.shape != b.shape or np.abs(a - b).max() > 1:
        raise SystemExit(f"{what}: pixelkit and OpenCV disagree; not timing it")


# ---- the rows -------------------------------------------------------------------------------------

Rows = dict[str, tuple[str, dict[str, Call]]]  # name -> (the peer, {"pixelkit": ..., peer: ...})


def from_yuv_calls(data: NDArray[np.uint8], fmt: YuvFormat, w: int, h: int, image: pk.Image | None) -> Call:
    return lambda: pk.from_yuv(data, w, h, fmt, out=image)


def cv_calls(src: NDArray[np.uint8], code: int, dst: NDArray[np.uint8] | None) -> Call:
    return (lambda: cv2.cvtColor(src, code, dst=dst)) if dst is not None else (lambda: cv2.cvtColor(src, code))


def yuv_rows(rgb: NDArray[np.uint8], out: bool) -> Rows:
    h, w = rgb.shape[:2]
    rows: Rows = {}
    image = pk.Image(w, h) if out else None
    dst = np.empty((h, w, 3), np.uint8) if out else None
    layouts: list[tuple[YuvFormat, str, tuple[int, ...]]] = [
        ("i420", "COLOR_YUV2RGB_I420", (h * 3 // 2, w)),
        ("nv12", "COLOR_YUV2RGB_NV12", (h * 3 // 2, w)),
        ("yuyv", "COLOR_YUV2RGB_YUYV", (h, w, 2)),
    ]
    for fmt, name, shape in layouts:
        data = pk.to_yuv(rgb, fmt)
        shaped, code = data.reshape(shape), int(getattr(cv2, name))
        close_to(pk.from_yuv(data, w, h, fmt), cv2.cvtColor(shaped, code), f"from_yuv {fmt}")
        rows[f"from_yuv {fmt}"] = ("opencv", {"pixelkit": from_yuv_calls(data, fmt, w, h, image),
                                              "opencv": cv_calls(shaped, code, dst)})  # fmt: skip
    code = int(cv2.COLOR_RGB2YUV_I420)
    close_to(pk.to_yuv(rgb, "i420"), cv2.cvtColor(rgb, code), "to_yuv i420")
    planes = np.empty(w * h * 3 // 2, np.uint8) if out else None
    rows["to_yuv i420"] = (
        "opencv",
        {
            "pixelkit": lambda: pk.to_yuv(rgb, "i420", out=planes),
            "opencv": cv_calls(rgb, code, np.empty((h * 3 // 2, w), np.uint8) if out else None),
        },
    )
    mosaic = np.random.default_rng(1).integers(0, 256, (h, w), dtype=np.uint8)
    bayer = int(cv2.COLOR_BayerBG2RGB)  # OpenCV's name for an RGGB sensor
    close_to(pk.demosaic(mosaic, "RGGB"), cv2.cvtColor(mosaic, bayer), "demosaic")
    rows["demosaic bilinear"] = (
        "opencv",
        {"pixelkit": lambda: pk.demosaic(mosaic, "RGGB", out=image), "opencv": cv_calls(mosaic, bayer, dst)},
    )
    return rows


def copy_call(larger: NDArray[np.uint8], out: bool) -> Call:
    target = np.empty_like(larger)
    return (lambda: np.copyto(target, larger)) if out else larger.copy


def packed_calls(rgb: NDArray[np.uint8], data: NDArray[np.uint8], fmt: PackedFormat, out: bool) -> tuple[Call, Call]:
    h, w = rgb.shape[:2]
    image, buffer = pk.Image(w, h), np.empty_like(data)
    if out:
        return (lambda: pk.from_packed(data, w, h, fmt, out=image)), (lambda: pk.to_packed(rgb, fmt, out=buffer))
    return (lambda: pk.from_packed(data, w, h, fmt)), (lambda: pk.to_packed(rgb, fmt))


def packed_rows(rgb: NDArray[np.uint8], out: bool) -> Rows:
    rows: Rows = {}
    for fmt in PACKED:
        data = pk.to_packed(rgb, fmt)
        into, back = packed_calls(rgb, data, fmt, out)
        copy = copy_call(data if data.nbytes >= rgb.nbytes else rgb.reshape(-1), out)
        rows[f"from_packed {fmt}"] = ("copy", {"pixelkit": into, "copy": copy})
        rows[f"to_packed {fmt}"] = ("copy", {"pixelkit": back, "copy": copy})
    return rows


# ---- the ffmpeg pipes -------------------------------------------------------------------------------


CONSUMER = """
import sys, pixelkit
pixelkit.set_num_threads(int(sys.argv[1]))
if sys.argv[2] == "y4m":
    frames = pixelkit.iter_y4m(sys.stdin.buffer)
else:
    frames = pixelkit.iter_raw_frames(sys.stdin.buffer, int(sys.argv[3]), int(sys.argv[4]))
count = 0
for image in frames:
    count += 1
print(count)
"""


def make_clip(path: Path, width: int, height: int, frames: int) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30",
         "-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-y", str(path)],
        check=True,
    )  # fmt: skip


def pipe_seconds(clip: Path, kind: str, width: int, height: int, threads: int) -> tuple[float, int]:
    """Wall time of ``ffmpeg -i clip ... - | python`` (ffmpeg decoding on one thread) and the frames read."""
    output = ["-f", "yuv4mpegpipe"] if kind == "y4m" else ["-f", "rawvideo", "-pix_fmt", "rgb24"]
    start = time.perf_counter()
    producer = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-i", str(clip), *output, "-"], stdout=subprocess.PIPE
    )
    consumer = subprocess.run(
        [sys.executable, "-c", CONSUMER, str(threads), kind, str(width), str(height)],
        stdin=producer.stdout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert producer.stdout is not None
    producer.stdout.close()
    producer.wait()
    elapsed = time.perf_counter() - start
    if consumer.returncode != 0 or producer.returncode != 0:
        raise SystemExit(f"the {kind} pipe failed: {consumer.stderr.strip()[-300:]}")
    return elapsed, int(consumer.stdout.strip())


def pipes(quick: bool, threads_list: list[int], repeat: int) -> list[dict[str, Any]]:
    if shutil.which("ffmpeg") is None:
        print("ffmpeg is not installed: no pipe rows", file=sys.stderr)
        return []
    width, height, count = (320, 240, 30) if quick else (1920, 1080, 240)
    found = []
    with tempfile.TemporaryDirectory(prefix="pixelkit-formats-") as folder:
        clip = Path(folder) / "clip.mp4"
        make_clip(clip, width, height, count)
        for threads in threads_list:
            times: dict[str, list[float]] = {"y4m": [], "rgb24": []}
            for _ in range(repeat):
                for kind in ("y4m", "rgb24") if len(times["y4m"]) % 2 == 0 else ("rgb24", "y4m"):
                    seconds, frames = pipe_seconds(clip, kind, width, height, threads)
                    if frames != count:
                        raise SystemExit(f"the {kind} pipe read {frames} frames of {count}")
                    times[kind].append(seconds)
            fps = {kind: count / min(t) for kind, t in times.items()}
            found.append({"frame": f"{width}x{height}", "frames": count, "threads": threads, "fps": fps})
            print(
                f"pipe {width}x{height} {threads}t: y4m (pixelkit converts) {fps['y4m']:.0f} fps, "
                f"rgb24 (ffmpeg converts) {fps['rgb24']:.0f} fps",
                flush=True,
            )
    return found


# ---- reports --------------------------------------------------------------------------------------


def markdown(results: dict[str, Any], short: bool = False) -> str:
    """The table; ``short``: out= only, one line per row with every size and thread count (the README's)."""
    runs = results["runs"]
    columns = sorted({(r["frame"], r["threads"]) for r in runs}, key=lambda c: (-len(c[0]), c[0], c[1]))
    modes = [True] if short else [False, True]
    lines = []
    for out in modes:
        head = ["row", "target"] + [f"{frame} {threads}t" for frame, threads in columns]
        lines += [f"{'Preallocated outputs (out=)' if out else 'Fresh outputs'}:", ""]
        lines += ["| " + " | ".join(head) + " |", "|---|---|" + "--:|" * len(columns)]
        names = list(dict.fromkeys(r["row"] for r in runs if r["out"] == out))
        for name in names:
            found = {(r["frame"], r["threads"]): r for r in runs if r["row"] == name and r["out"] == out}
            peer = next(iter(found.values()))["peer"]
            target = "≤ 1.0 of OpenCV" if peer == "opencv" else "≤ 1.2 of a copy"
            limit = 1.0 if peer == "opencv" else 1.2
            cells = []
            for column in columns:
                run = found.get(column)
                if run is None:
                    cells.append("")
                    continue
                value = run["ratio"]
                cells.append(f"**{value:.2f}**" if value <= limit else f"{value:.2f}")
            lines.append(f"| {name} | {target} | " + " | ".join(cells) + " |")
        lines.append("")
    for pipe in results.get("pipes", []):
        fps = pipe["fps"]
        lines.append(
            f"ffmpeg pipe, {pipe['frame']} H.264 clip, {pipe['frames']} frames, ffmpeg decoding on 1 thread, "
            f"pixelkit on {pipe['threads']}: `-f yuv4mpegpipe` + pixelkit converting {fps['y4m']:.0f} fps, "
            f"`-pix_fmt rgb24` (ffmpeg converting) {fps['rgb24']:.0f} fps ({fps['y4m'] / fps['rgb24']:.2f}x)"
        )
        lines.append("")
    return "\n".join(lines)


README_BEGIN = "<!-- formats:begin -->"
README_END = "<!-- formats:end -->"


def update_readme(results: dict[str, Any]) -> None:
    text = README.read_text()
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit(f"README.md has no {README_BEGIN} ... {README_END} markers")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    README.write_text(head + README_BEGIN + "\n" + markdown(results, short=True) + README_END + tail)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small frames, few repetitions")
    parser.add_argument("--repeat", type=int, default=None, help="rounds per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's table from the results file")
    args = parser.parse_args(argv)
    if args.readme:
        update_readme(json.loads((RESULTS / "formats.json").read_text()))
        return
    if cv2 is None:
        raise SystemExit("benchmarks/formats.py needs OpenCV (pip install -e '.[bench]')")
    repeat = args.repeat or (2 if args.quick else 25)
    sizes = [("240p", 320, 240)] if args.quick else [("1080p", 1920, 1080), ("4K", 3840, 2160)]
    target = Path(tempfile.mkdtemp(prefix="pixelkit-formats-")) if args.quick else RESULTS
    results: dict[str, Any] = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), **pk.cpu_features()},
        "versions": {"pixelkit": pk.__version__, "opencv": cv2.__version__, "numpy": np.__version__},
        "repeat": repeat,
        "runs": [],
    }
    for label, width, height in sizes:
        rgb = frame(width, height)
        for threads in args.threads:
            pk.set_num_threads(threads)
            cv2.setNumThreads(threads)
            for out in (False, True):
                rows = {**yuv_rows(rgb, out), **packed_rows(rgb, out)}
                for name, (peer, calls) in rows.items():
                    times = measure(calls, repeat, seed=11, warm=True)
                    value = times["pixelkit"]["median"] / times[peer]["median"]
                    results["runs"].append(
                        {"row": name, "frame": label, "threads": threads, "out": out, "peer": peer,
                         "times": times, "ratio": value}
                    )  # fmt: skip
                    print(
                        f"{name:22s} {label:6s} {threads}t {'out=' if out else 'fresh'}: pixelkit "
                        f"{times['pixelkit']['median'] * 1e3:.3f} ms, {peer} {times[peer]['median'] * 1e3:.3f} ms, "
                        f"ratio {value:.2f}",
                        flush=True,
                    )
    results["pipes"] = pipes(args.quick, args.threads, 1 if args.quick else 3)
    target.mkdir(parents=True, exist_ok=True)
    (target / "formats.json").write_text(json.dumps(results, indent=1) + "\n")
    (target / "formats.md").write_text(markdown(results))
    print(f"wrote {target / 'formats.json'} and formats.md")


if __name__ == "__main__":
    main()
