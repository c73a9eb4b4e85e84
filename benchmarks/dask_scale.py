#!/usr/bin/env python3
"""pixelkit.dask at scale: a raw image larger than memory, and a batch of frames.

Usage::

    python benchmarks/dask_scale.py            # a 4.4 GB image and 600 frames of 1280x720
    python benchmarks/dask_scale.py --quick    # 0.2 GB and 60 frames (CI smoke run)

The image is a sparse raw file made on the fly (a 256-row band of real
content every 2048 rows, holes elsewhere, so it costs no disk space and is
read from the page cache, not the disk).  Three pipelines go over it:

- ``histogram``: the per-channel histogram, a tree reduction (reads only);
- ``blur-gray``: ``gaussian_blur(sigma=2)`` (halo exchange between bands),
  ``to_gray``, written with ``to_raw`` (fsynced, renamed into place);
- ``half-ppm``: ``resize`` to half size (``area``), written with ``to_ppm``.

Each runs with the threaded scheduler (1 and 2 threads) and with a
``dask.distributed`` LocalCluster (1 and 2 worker processes of one thread,
pixelkit's own threads set to 1 in the workers), every run in a fresh
process whose peak resident memory (the process and its workers, sampled
every 20 ms, mapped file pages included) is reported next to the
throughput in GB of input per second.  The same blur-gray pipeline built
from OpenCV calls per block (cv2.GaussianBlur with the same halo,
cv2.cvtColor) runs in the same session as the peer.

The frame batch (rgb24 frames in one file) goes through ``resize`` to
half size, ``gaussian_blur(1)`` and ``to_gray``, written as one raw gray
stream (fsynced): frames per second for a plain serial pixelkit loop, the
same loop with OpenCV, and Dask with 1 and 2 threads or worker processes.
``--parts image`` or ``--parts frames`` runs one half; the results file then
keeps the other half's previous figures.

Results go to ``benchmarks/results/dask.json`` and ``dask.md`` (a temporary
directory with ``--quick``).  Timings are medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

if importlib.util.find_spec("pixelkit") is None:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULTS = Path(__file__).resolve().parent / "results"
IMAGE_WIDTH = 32768


# ---- inputs ------------------------------------------------------------------------


def make_sparse_image(path: Path, width: int, height: int) -> None:
    """A raw RGB file of width x height with a band of content every 2048 rows, holes elsewhere."""
    row = (np.arange(3 * width) % 251).astype(np.uint8)
    band = np.tile(row, (256, 1))
    band[:, ::7] = 255
    with open(path, "wb") as f:
        f.truncate(3 * width * height)
        for y in range(0, height - 256, 2048):
            f.seek(3 * width * y)
            f.write(band.tobytes())


def make_frames(path: Path, width: int, height: int, count: int) -> None:
    """``count`` rgb24 frames: a moving gradient with noise, back to back."""
    rng = np.random.default_rng(7)
    base = np.zeros((height, width, 3), np.uint8)
    base[..., 0] = (np.arange(width) * 255 // width).astype(np.uint8)
    base[..., 1] = (np.arange(height)[:, None] * 255 // height).astype(np.uint8)
    noise = rng.integers(0, 32, (height, width, 3), dtype=np.uint8)
    with open(path, "wb") as f:
        for i in range(count):
            frame = np.roll(base, 4 * i, axis=1) + np.roll(noise, i, axis=0)
            f.write(frame.tobytes())


# ---- one measured run (in its own process) ---------------------------------------------------


class PeakMemory:
    """Samples the resident memory of this process and its children (Dask's workers)."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def rss(self) -> int:
        total = 0
        for proc in [self.process, *self.process.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except Exception:  # a worker may come and go between the listing and the reading
                continue
        return total

    def sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return max(self.peak, self.rss())


def _cv_blur_block(block: Any, sigma: float) -> Any:
    import cv2

    return cv2.GaussianBlur(block, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)


def _cv_gray_block(block: Any) -> Any:
    import cv2

    return cv2.cvtColor(block, cv2.COLOR_RGB2GRAY)


def _cv_frame_pipeline(frame: Any) -> Any:
    import cv2

    h, w = frame.shape[:2]
    half = cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(half, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT_101)
    return cv2.cvtColor(blurred, cv2.COLOR_RGB2GRAY)


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Build the graph, start the scheduler, then time the computation alone."""
    import dask.base

    import pixelkit
    import pixelkit.dask as pkd

    compute_all: Any = dask.base.compute
    workers, mode = int(config["workers"]), config["scheduler"]
    compute: dict[str, Any] = {}
    cluster = client = None
    if mode == "distributed":
        import distributed

        os.environ["PIXELKIT_NUM_THREADS"] = "1"  # inherited by the worker processes
        untyped: Any = distributed
        cluster = untyped.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = untyped.Client(cluster)
        compute = {"scheduler": client}
    elif mode == "threads":
        compute = {"scheduler": "threads", "num_workers": workers}
    job, out = config["job"], Path(config["out"])
    w, h = config["width"], config["height"]
    reach = pixelkit.ops.gaussian_radius(2.0)

    def image_pipeline(x: Any) -> Any:
        if job == "histogram":
            return pkd.histogram(x)
        if job == "blur-gray":
            return pkd.to_gray(pkd.gaussian_blur(x, 2.0))
        if job == "half-ppm":
            return pkd.resize(x, x.shape[1] // 2, x.shape[0] // 2, "area")
        blurred = x.map_overlap(
            _cv_blur_block, depth={0: reach, 1: 0, 2: 0}, boundary="none", sigma=2.0, dtype=np.uint8
        )
        return blurred.map_blocks(_cv_gray_block, drop_axis=2, dtype=np.uint8)

    def frame_pipeline(frames: Any) -> Any:
        return pkd.to_gray(pkd.gaussian_blur(pkd.resize(frames, w // 2, h // 2, "area"), 1.0))

    image_job = job in ("histogram", "blur-gray", "half-ppm", "cv-blur-gray")
    # A small warm-up (thread pools, allocator, imports) so that a fresh process measures steady work.
    if image_job:
        x = pkd.from_raw(config["image"], w, h, chunks=config["chunks"])
        compute_all(image_pipeline(x[: 2 * x.chunksize[0]]), **compute)
    elif job == "frames":
        compute_all(frame_pipeline(pkd.from_raw_frames(config["frames"], w, h)[:4]), **compute)
    memory = PeakMemory()
    start = time.perf_counter()
    if image_job:
        lazy = image_pipeline(x)
        if job == "histogram":
            counts = compute_all(lazy, **compute)[0]
            assert int(counts[0].sum()) == w * h
        elif job == "half-ppm":
            pkd.to_ppm(lazy, out, **compute)
        else:
            pkd.to_raw(lazy, out, **compute)
    elif job in ("frames-serial", "frames-cv-serial"):
        count = 0
        with open(config["frames"], "rb") as stream, open(out, "wb") as sink:
            for frame in pixelkit.iter_raw_frames(stream, w, h):
                if job == "frames-serial":
                    small = pixelkit.resize(frame, w // 2, h // 2, "area")
                    sink.write(pixelkit.to_gray(pixelkit.gaussian_blur(small, 1.0)).data)
                else:
                    sink.write(np.ascontiguousarray(_cv_frame_pipeline(np.asarray(frame))).data)
                count += 1
            os.fsync(sink.fileno())
        assert count == config["count"]
    else:
        frames = pkd.from_raw_frames(config["frames"], w, h, frames_per_chunk=config["per_chunk"])
        pkd.to_raw(frame_pipeline(frames), out, **compute)
    if not image_job:
        assert out.stat().st_size == config["count"] * (w // 2) * (h // 2)
    elapsed = time.perf_counter() - start
    peak = memory.stop()
    if client is not None and cluster is not None:
        client.close()
        cluster.close()
    if out.exists():
        out.unlink()
    return {"seconds": elapsed, "peak_rss": peak}


def measure(config: dict[str, Any], repeat: int) -> dict[str, Any]:
    """Median time and largest peak memory of ``repeat`` runs, each in a fresh process."""
    runs = []
    for _ in range(repeat):
        result = subprocess.run(
            [sys.executable, __file__, "--run", json.dumps(config)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{config['job']} failed:\n{result.stderr[-3000:]}")
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_rss": max(r["peak_rss"] for r in runs),
        "runs": [r["seconds"] for r in runs],
    }


# ---- the session ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small inputs, one run each (CI)")
    parser.add_argument("--image-gb", type=float, default=4.4, help="size of the raw image in GB (default 4.4)")
    parser.add_argument("--frames", type=int, default=600, help="frames in the batch (default 600)")
    parser.add_argument("--frame-size", default="1280x720", help="WxH of a frame (default 1280x720)")
    parser.add_argument("--chunks", default="64MiB", help="chunk size of the image's row bands (default 64MiB)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting; the median is reported")
    parser.add_argument("--workdir", type=Path, help="where the inputs are made (default: a temporary directory)")
    parser.add_argument("--parts", nargs="+", choices=["image", "frames"], default=["image", "frames"])
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(json.loads(args.run))))
        return
    if args.quick:
        args.image_gb, args.frames, args.repeat, args.frame_size = 0.2, 60, 1, "640x360"
    fw, fh = (int(v) for v in args.frame_size.split("x"))
    height = max(2048, int(args.image_gb * 1e9 / (3 * IMAGE_WIDTH)) // 2 * 2)
    out_dir = Path(tempfile.mkdtemp(prefix="pixelkit-dask-results-")) if args.quick else RESULTS
    with tempfile.TemporaryDirectory(prefix="pixelkit-dask-", dir=args.workdir) as work:
        image, frames = Path(work) / "image.rgb", Path(work) / "frames.rgb"
        make_sparse_image(image, IMAGE_WIDTH, height)
        make_frames(frames, fw, fh, args.frames)
        image_bytes = 3 * IMAGE_WIDTH * height
        print(f"image {IMAGE_WIDTH}x{height} ({image_bytes / 1e9:.2f} GB, sparse); {args.frames} frames of {fw}x{fh}")
        common = {"image": str(image), "width": IMAGE_WIDTH, "height": height, "chunks": args.chunks}
        common["out"] = str(Path(work) / "out.raw")
        rows: list[dict[str, Any]] = []
        settings = [("threads", 1), ("threads", 2), ("distributed", 1), ("distributed", 2)]
        if "image" in args.parts:
            # Fault the file's pages into the page cache once, so every run reads from memory alike.
            measure({**common, "job": "histogram", "scheduler": "threads", "workers": 2}, 1)
        for job in ("histogram", "blur-gray", "half-ppm", "cv-blur-gray") if "image" in args.parts else ():
            for scheduler, workers in settings if job != "cv-blur-gray" else settings[:2]:
                result = measure({**common, "job": job, "scheduler": scheduler, "workers": workers}, args.repeat)
                result.update(
                    job=job, scheduler=scheduler, workers=workers, gb_per_s=image_bytes / 1e9 / result["seconds"]
                )
                rows.append(result)
                print(
                    f"{job:13s} {scheduler:11s} x{workers}: {result['seconds']:7.2f} s  "
                    f"{result['gb_per_s']:5.2f} GB/s  peak RSS {result['peak_rss'] / 2**20:6.0f} MiB"
                )
        frame_common = {"frames": str(frames), "width": fw, "height": fh, "count": args.frames, "out": common["out"]}
        frame_rows: list[dict[str, Any]] = []
        frame_settings = [("frames-serial", "none", 1, 1), ("frames-cv-serial", "none", 1, 1)]
        frame_settings += [("frames", s, w, 1) for s, w in settings]
        frame_settings += [("frames", s, 2, 10) for s in ("threads", "distributed")]
        for job, scheduler, workers, per_chunk in frame_settings if "frames" in args.parts else []:
            config = {**frame_common, "job": job, "scheduler": scheduler, "workers": workers, "per_chunk": per_chunk}
            result = measure(config, args.repeat)
            result.update(
                job=job, scheduler=scheduler, workers=workers, per_chunk=per_chunk, fps=args.frames / result["seconds"]
            )
            frame_rows.append(result)
            print(
                f"{job:16s} {scheduler:11s} x{workers} ({per_chunk:2d}/chunk): {result['fps']:7.1f} frames/s  "
                f"peak RSS {result['peak_rss'] / 2**20:6.0f} MiB"
            )
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "image": {"width": IMAGE_WIDTH, "height": height, "bytes": image_bytes, "chunks": args.chunks},
        "frames": {"width": fw, "height": fh, "count": args.frames},
        "image_runs": rows,
        "frame_runs": frame_rows,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    previous_path = out_dir / "dask.json"
    if previous_path.exists() and set(args.parts) != {"image", "frames"}:
        previous = json.loads(previous_path.read_text())
        kept = "frame" if "image" in args.parts else "image"
        report[kept + "s" if kept == "frame" else kept] = previous[kept + "s" if kept == "frame" else kept]
        report[f"{kept}_runs"] = previous[f"{kept}_runs"]
    (out_dir / "dask.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "dask.md").write_text(markdown(report))
    print(f"wrote {out_dir / 'dask.json'} and {out_dir / 'dask.md'}")


def markdown(report: dict[str, Any]) -> str:
    image = report["image"]
    lines = [
        f"Image: {image['width']}x{image['height']} raw RGB, {image['bytes'] / 1e9:.2f} GB "
        f"(sparse file in the page cache), row bands of {image['chunks']}.",
        "",
        "| pipeline | scheduler | workers | time | GB/s of input | peak RSS |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in report["image_runs"]:
        name = "OpenCV blur-gray (peer)" if r["job"] == "cv-blur-gray" else r["job"]
        lines.append(
            f"| {name} | {r['scheduler']} | {r['workers']} | {r['seconds']:.2f} s | {r['gb_per_s']:.2f} "
            f"| {r['peak_rss'] / 2**20:.0f} MiB |"
        )
    frames = report["frames"]
    lines += [
        "",
        f"Frames: {frames['count']} rgb24 frames of {frames['width']}x{frames['height']} in one file; "
        "per frame resize to half (area), gaussian_blur(1), to_gray, written to one raw file (fsynced).",
        "",
        "| how | scheduler | workers | frames per chunk | frames/s | peak RSS |",
        "|---|---|---:|---:|---:|---:|",
    ]
    names = {"frames-serial": "pixelkit loop", "frames-cv-serial": "OpenCV loop (peer)", "frames": "pixelkit.dask"}
    for r in report["frame_runs"]:
        memory = f"{r['peak_rss'] / 2**20:.0f} MiB"
        chunk = r["per_chunk"] if r["job"] == "frames" else "-"
        lines.append(f"| {names[r['job']]} | {r['scheduler']} | {r['workers']} | {chunk} | {r['fps']:.0f} | {memory} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
