"""pixelkit.dask: kernels on memory-mapped Dask arrays, on the threaded scheduler and a cluster.

Every tiled result must equal pixelkit's whole-image result exactly, and an
independent reference (numpy, Pillow, OpenCV) as the in-memory tests do.
Frames come from ffmpeg; written files are read back by Pillow and
ImageMagick.
"""

from __future__ import annotations

import itertools
import os
import pickle
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dask
import dask.array
import dask.base
import distributed
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image as PILImage

import pixelkit
import pixelkit.dask as pkd
from conftest import CHILD_PEAK_RSS, run_tool
from kernel_refs import (
    assert_matches,
    ffmpeg_frame,
    partner,
    ref_adjust,
    ref_blend,
    ref_blend_exact,
    ref_box,
    ref_gaussian,
    ref_gray,
    ref_histogram,
    ref_lut,
    ref_paste,
    ref_resize,
    ref_resize_exact,
    ref_tensor,
)
from pixelkit import FormatError
from pixelkit.ops import ResizeMethod

# Dask's own annotations are partial; the tests call it untyped.
da: Any = dask.array
Client = distributed.Client
compute_all: Any = dask.base.compute

WIDTH, HEIGHT = 333, 250
# Row bands, tiles, bands thinner than a blur's reach, one chunk.
CHUNKINGS: list[pkd.Chunks] = [37, (64, 90), 5, "100KiB", HEIGHT]
LUT = np.random.default_rng(3).integers(0, 256, (3, 256), dtype=np.uint8)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    """A dask.distributed cluster of two worker processes (one thread each) on this machine."""
    with (
        untyped(distributed.LocalCluster)(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        untyped(distributed.Client)(local, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture(params=["threads", "cluster"])
def scheduler(request: pytest.FixtureRequest) -> Any:
    """What compute() and to_raw() are given: the threaded scheduler, or the cluster's client."""
    if request.param == "threads":
        return "threads"
    return request.getfixturevalue("cluster")


def untyped(function: Any) -> Any:
    return function


def compute(array: dask.array.Array, scheduler: Any) -> NDArray[Any]:
    (result,) = compute_all(array, scheduler=scheduler)
    return np.asarray(result)


@pytest.fixture(scope="module")
def picture() -> NDArray[np.uint8]:
    """A real picture (ffmpeg's mandelbrot) with a random strip, so every pixel counts."""
    frame = ffmpeg_frame("mandelbrot", WIDTH, HEIGHT)
    frame[100:110] = np.random.default_rng(1).integers(0, 256, (10, WIDTH, 3), dtype=np.uint8)
    return frame


@pytest.fixture(scope="module")
def raw_file(picture: NDArray[np.uint8], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("raw") / "picture.rgb"
    picture.tofile(path)
    return path


# ---- sources --------------------------------------------------------------------------


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_from_raw_maps_the_file_lazily_in_the_chunks_asked_for(
    raw_file: Path, picture: NDArray[np.uint8], chunks: pkd.Chunks
) -> None:
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=chunks)
    assert (x.shape, x.dtype) == ((HEIGHT, WIDTH, 3), np.uint8)
    if isinstance(chunks, tuple):
        assert x.chunksize == (*chunks, 3)
    elif isinstance(chunks, int):
        assert x.chunksize == (chunks, WIDTH, 3)
    else:
        assert x.chunksize == (102400 // (3 * WIDTH), WIDTH, 3)
    np.testing.assert_array_equal(compute(x, "threads"), picture)
    np.testing.assert_array_equal(compute(x[17:203:3, 5:-7], "threads"), picture[17:203:3, 5:-7])
    np.testing.assert_array_equal(compute(x[::-2, ::-1], "threads"), picture[::-2, ::-1])


def test_the_default_chunks_are_whole_rows_of_dasks_chunk_size(raw_file: Path) -> None:
    with dask.config.set({"array.chunk-size": "64KiB"}):
        x = pkd.from_raw(raw_file, WIDTH, HEIGHT)
    assert x.chunksize == (65536 // (3 * WIDTH), WIDTH, 3)


def test_the_graph_holds_a_path_and_numbers_not_pixels(raw_file: Path) -> None:
    x = pkd.gaussian_blur(pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=50), 1.5)
    graph = dict(x.__dask_graph__())
    assert len(pickle.dumps(graph)) < 64 * 1024 < raw_file.stat().st_size


def test_stride_and_offset_address_padded_rows_after_a_header(tmp_path: Path, picture: NDArray[np.uint8]) -> None:
    header, pad = b"HEADER!", 5
    padded = np.zeros((HEIGHT, 3 * WIDTH + pad), np.uint8)
    padded[:, : 3 * WIDTH] = picture.reshape(HEIGHT, -1)
    path = tmp_path / "padded.raw"
    path.write_bytes(header + padded.tobytes())
    x = pkd.from_raw(path, WIDTH, HEIGHT, 3 * WIDTH + pad, offset=len(header), chunks=(40, 100))
    np.testing.assert_array_equal(compute(x, "threads"), picture)
    np.testing.assert_array_equal(compute(pkd.to_gray(x), "threads"), ref_gray(picture))


def test_from_raw_refuses_a_file_of_the_wrong_size(raw_file: Path, tmp_path: Path) -> None:
    pkd.from_raw(raw_file, WIDTH, HEIGHT)
    long = tmp_path / "long.rgb"
    long.write_bytes(raw_file.read_bytes() + b"x")
    with pytest.raises(FormatError, match=r"needs 249750 bytes, the file has 249751"):
        pkd.from_raw(long, WIDTH, HEIGHT)
    short = tmp_path / "short.rgb"
    short.write_bytes(raw_file.read_bytes()[:-1])
    with pytest.raises(FormatError, match=r"needs 249750 bytes, the file has 249749"):
        pkd.from_raw(short, WIDTH, HEIGHT)
    with pytest.raises(FileNotFoundError):
        pkd.from_raw(tmp_path / "missing.rgb", WIDTH, HEIGHT)
    with pytest.raises(ValueError, match="stride"):
        pkd.from_raw(raw_file, WIDTH, HEIGHT, stride=10)
    with pytest.raises(TypeError, match="chunks"):
        pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=[10])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pkd.from_raw(raw_file, 0, HEIGHT)


def test_a_file_truncated_after_from_raw_raises_instead_of_crashing(tmp_path: Path, picture: NDArray[np.uint8]) -> None:
    path = tmp_path / "shrinks.rgb"
    picture.tofile(path)
    x = pkd.invert(pkd.from_raw(path, WIDTH, HEIGHT, chunks=50))
    os.truncate(path, 1000)
    with pytest.raises(FormatError, match="truncated"):
        compute(x, "threads")


# ---- every kernel per block --------------------------------------------------------------

# name: (dask operation, whole-image pixelkit operation, independent reference, tolerance)
Case = tuple[
    Callable[[Any], dask.array.Array],
    Callable[[NDArray[np.uint8]], Any],
    Callable[[NDArray[np.uint8]], NDArray[Any]],
    float,
]
CASES: dict[str, Case] = {
    "invert": (pkd.invert, pixelkit.invert, lambda a: 255 - a, 0),
    "apply_lut": (lambda x: pkd.apply_lut(x, LUT), lambda a: pixelkit.apply_lut(a, LUT), lambda a: ref_lut(a, LUT), 0),
    "adjust": (
        lambda x: pkd.adjust(x, 0.1, 1.3, 0.8),
        lambda a: pixelkit.adjust(a, 0.1, 1.3, 0.8),
        lambda a: ref_adjust(a, 0.1, 1.3, 0.8),
        0,
    ),
    "swap_rb": (pkd.swap_rb, pixelkit.swap_rb, lambda a: a[..., ::-1], 0),
    "fill": (
        lambda x: pkd.fill(x, (9, 99, 199)),
        lambda a: pixelkit.fill(a.copy(), (9, 99, 199)),
        lambda a: np.broadcast_to(np.array([9, 99, 199], np.uint8), a.shape),
        0,
    ),
    "blend": (
        lambda x: pkd.blend(x, partner(np.asarray(x)), 0.3),
        lambda a: pixelkit.blend(a, partner(a), 0.3),
        lambda a: ref_blend(a, partner(a), 0.3),
        1,
    ),
    "to_gray": (pkd.to_gray, pixelkit.to_gray, ref_gray, 0),
    "to_tensor": (
        lambda x: pkd.to_tensor(x, (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)),
        lambda a: pixelkit.to_tensor(a, (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)),
        lambda a: ref_tensor(a, (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)),
        1e-5,
    ),
    "to_tensor_hwc": (
        lambda x: pkd.to_tensor(x, layout="HWC"),
        lambda a: pixelkit.to_tensor(a, layout="HWC"),
        lambda a: ref_tensor(a, layout="HWC"),
        1e-6,
    ),
    "flip_vertical": (pkd.flip_vertical, pixelkit.flip_vertical, np.flipud, 0),
    "flip_horizontal": (pkd.flip_horizontal, pixelkit.flip_horizontal, np.fliplr, 0),
    "transpose": (pkd.transpose, pixelkit.transpose, lambda a: a.transpose(1, 0, 2), 0),
    "rotate90": (pkd.rotate90, pixelkit.rotate90, np.rot90, 0),
    "rotate180": (lambda x: pkd.rotate90(x, 2), lambda a: pixelkit.rotate90(a, 2), lambda a: np.rot90(a, 2), 0),
    "rotate270": (lambda x: pkd.rotate90(x, -1), lambda a: pixelkit.rotate90(a, 3), lambda a: np.rot90(a, 3), 0),
    "paste": (
        lambda x: pkd.paste(x, partner(np.asarray(x))[:90, :120], 150, 40),
        lambda a: pixelkit.paste(a.copy(), partner(a)[:90, :120], 150, 40),
        lambda a: ref_paste(a, partner(a)[:90, :120], 150, 40),
        0,
    ),
    "paste_clipped": (
        lambda x: pkd.paste(x, partner(np.asarray(x)), -30, 200),
        lambda a: pixelkit.paste(a.copy(), partner(a), -30, 200),
        lambda a: ref_paste(a, partner(a), -30, 200),
        0,
    ),
    "box_blur": (lambda x: pkd.box_blur(x, 7), lambda a: pixelkit.box_blur(a, 7), lambda a: ref_box(a, 7), 1),
    "gaussian_blur": (
        lambda x: pkd.gaussian_blur(x, 2.2),
        lambda a: pixelkit.gaussian_blur(a, 2.2),
        lambda a: ref_gaussian(a, 2.2),
        1,
    ),
    "histogram": (pkd.histogram, pixelkit.histogram, ref_histogram, 0),
}

RESIZES: list[tuple[int, int, ResizeMethod]] = [
    (WIDTH // 2, HEIGHT // 2, "bilinear"),
    (WIDTH // 2, HEIGHT // 2, "area"),
    (2 * WIDTH, 2 * HEIGHT, "bilinear"),
    (111, 50, "area"),
    (200, 301, "area"),
    (500, 97, "bilinear"),
    (150, 120, "nearest"),
    (700, 400, "nearest"),
]


# The unrounded values where the reference's own rounding is biased (see assert_matches).
EXACT: dict[str, Callable[[NDArray[np.uint8]], NDArray[np.float64]]] = {
    "blend": lambda a: ref_blend_exact(a, partner(a), 0.3),
}


def check(
    result: NDArray[Any],
    whole: Any,
    reference: NDArray[Any],
    tolerance: float,
    exact: NDArray[np.float64] | None = None,
) -> None:
    """Exactly pixelkit's whole-image result, and within ``tolerance`` of the independent reference."""
    assert_matches(result, np.asarray(whole))
    assert_matches(result, np.asarray(reference), tolerance, exact)


def exact_of(name: str, picture: NDArray[np.uint8]) -> NDArray[np.float64] | None:
    return EXACT[name](picture) if name in EXACT else None


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize("name", CASES)
def test_each_kernel_on_a_mapped_image_equals_the_whole_image_result(
    name: str, chunks: pkd.Chunks, raw_file: Path, picture: NDArray[np.uint8]
) -> None:
    lazy, whole, reference, tolerance = CASES[name]
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=chunks)
    check(compute(lazy(x), "threads"), whole(picture), reference(picture), tolerance, exact_of(name, picture))


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize(("width", "height", "method"), RESIZES)
def test_tiled_resize_equals_the_whole_image_resize(
    width: int, height: int, method: ResizeMethod, chunks: pkd.Chunks, raw_file: Path, picture: NDArray[np.uint8]
) -> None:
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=chunks)
    result = compute(pkd.resize(x, width, height, method), "threads")
    check(
        result,
        pixelkit.resize(picture, width, height, method),
        ref_resize(picture, width, height, method),
        1,
        ref_resize_exact(picture, width, height, method),
    )


@pytest.mark.parametrize("name", ["box_blur", "gaussian_blur", "to_gray", "histogram", "rotate90", "paste"])
def test_kernels_on_the_cluster_equal_the_whole_image_result(
    name: str, cluster: Client, raw_file: Path, picture: NDArray[np.uint8]
) -> None:
    lazy, whole, reference, tolerance = CASES[name]
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=(64, 90))
    check(compute(lazy(x), cluster), whole(picture), reference(picture), tolerance, exact_of(name, picture))


@pytest.mark.parametrize(("width", "height", "method"), RESIZES[::2])
def test_tiled_resize_on_the_cluster_equals_the_whole_image_resize(
    width: int, height: int, method: ResizeMethod, cluster: Client, raw_file: Path, picture: NDArray[np.uint8]
) -> None:
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=41)
    result = compute(pkd.resize(x, width, height, method), cluster)
    check(
        result,
        pixelkit.resize(picture, width, height, method),
        ref_resize(picture, width, height, method),
        1,
        ref_resize_exact(picture, width, height, method),
    )


def test_a_pipeline_of_blur_resize_and_gray_equals_the_whole_image_pipeline(
    scheduler: Any, raw_file: Path, picture: NDArray[np.uint8]
) -> None:
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=30)
    lazy = pkd.to_gray(pkd.resize(pkd.gaussian_blur(x, 1.3), 250, 180, "area"))
    whole = pixelkit.to_gray(pixelkit.resize(pixelkit.gaussian_blur(picture, 1.3), 250, 180, "area"))
    assert_matches(compute(lazy, scheduler), whole)


@pytest.mark.parametrize("radius", [0, 1, 40])
def test_blur_halos_wider_than_a_chunk_or_the_image_stay_exact(radius: int, rng: np.random.Generator) -> None:
    small = rng.integers(0, 256, (23, 31, 3), dtype=np.uint8)
    x = da.from_array(small, chunks=(4, 6, 3))
    assert_matches(compute(pkd.box_blur(x, radius), "threads"), np.asarray(pixelkit.box_blur(small, radius)))
    assert_matches(
        compute(pkd.gaussian_blur(x, 0.4 + radius / 4), "threads"),
        np.asarray(pixelkit.gaussian_blur(small, 0.4 + radius / 4)),
    )


def test_numpy_arrays_and_split_channels_are_accepted(picture: NDArray[np.uint8]) -> None:
    split = da.from_array(picture, chunks=(50, 60, 1))
    assert_matches(compute(pkd.to_gray(split), "threads"), ref_gray(picture))
    assert_matches(compute(pkd.invert(picture), "threads"), 255 - picture)


def test_bad_arguments_fail_before_any_graph_runs(raw_file: Path) -> None:
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT)
    with pytest.raises(ValueError, match="radius"):
        pkd.box_blur(x, -1)
    with pytest.raises(ValueError, match="sigma"):
        pkd.gaussian_blur(x, 0.0)
    with pytest.raises(ValueError, match="method"):
        pkd.resize(x, 10, 10, "cubic")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pkd.resize(x, 0, 10)
    with pytest.raises(ValueError, match="alpha"):
        pkd.blend(x, x, 1.5)
    with pytest.raises(ValueError, match="same shape"):
        pkd.blend(x, x[:10], 0.5)
    with pytest.raises(ValueError, match="lut"):
        pkd.apply_lut(x, np.zeros(10, np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        pkd.invert(untyped(x).astype(np.float32))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        pkd.invert(x[..., :2])
    with pytest.raises(TypeError, match="integer"):
        pkd.rotate90(x, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dask or numpy"):
        pkd.invert([[1, 2, 3]])  # type: ignore[arg-type]


# ---- frames ---------------------------------------------------------------------------

FRAME_W, FRAME_H, FRAMES = 96, 64, 200


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 frames of ffmpeg's testsrc2 as one rgb24 file."""
    path = tmp_path_factory.mktemp("video") / "testsrc.rgb"
    raw = run_tool(
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={FRAME_W}x{FRAME_H}:rate=25",
        "-frames:v", str(FRAMES), "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    )  # fmt: skip
    path.write_bytes(raw)
    return path


def serial_pipeline(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return pixelkit.to_gray(pixelkit.gaussian_blur(pixelkit.resize(frame, 64, 40, "area"), 1.1))


def test_a_batch_of_200_frames_equals_the_serial_result(scheduler: Any, video: Path) -> None:
    frames = pkd.from_raw_frames(video, FRAME_W, FRAME_H)
    assert frames.shape == (FRAMES, FRAME_H, FRAME_W, 3)
    assert frames.numblocks == (FRAMES, 1, 1, 1)
    lazy = pkd.to_gray(pkd.gaussian_blur(pkd.resize(frames, 64, 40, "area"), 1.1))
    with open(video, "rb") as stream:
        serial = np.stack([serial_pipeline(np.asarray(f)) for f in pixelkit.iter_raw_frames(stream, FRAME_W, FRAME_H)])
    assert serial.shape == (FRAMES, 40, 64)
    assert_matches(compute(lazy, scheduler), serial)
    everything = np.fromfile(video, np.uint8).reshape(FRAMES, FRAME_H, FRAME_W, 3)
    assert_matches(compute(pkd.histogram(frames), scheduler), ref_histogram(everything))


def test_frames_from_many_files_in_order(tmp_path: Path, video: Path) -> None:
    everything = np.fromfile(video, np.uint8).reshape(FRAMES, FRAME_H, FRAME_W, 3)
    bounds = [0, 1, 50, 51, 120, FRAMES]
    paths = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        paths.append(tmp_path / f"part{i}.rgb")
        everything[a:b].tofile(paths[-1])
    frames = pkd.from_raw_frames(paths, FRAME_W, FRAME_H, frames_per_chunk=7)
    assert frames.chunksize == (7, FRAME_H, FRAME_W, 3)
    assert_matches(compute(frames, "threads"), everything)
    assert_matches(compute(frames[45:130:3], "threads"), everything[45:130:3])
    assert_matches(compute(pkd.flip_horizontal(frames), "threads"), everything[:, :, ::-1])
    assert_matches(compute(pkd.rotate90(frames), "threads"), np.rot90(everything, axes=(1, 2)))
    tensors = compute(pkd.to_tensor(frames[:20]), "threads")
    assert tensors.shape == (20, 3, FRAME_H, FRAME_W)
    assert_matches(tensors, np.stack([ref_tensor(f) for f in everything[:20]]), 1e-6)
    logo = everything[0, :10, :20]
    assert_matches(
        compute(pkd.paste(frames, logo, 70, 60), "threads"), np.stack([ref_paste(f, logo, 70, 60) for f in everything])
    )


def test_frame_files_must_hold_whole_frames(tmp_path: Path, video: Path) -> None:
    partial = tmp_path / "partial.rgb"
    partial.write_bytes(video.read_bytes()[: 3 * FRAME_W * FRAME_H * 2 + 5])
    with pytest.raises(FormatError, match="whole number"):
        pkd.from_raw_frames(partial, FRAME_W, FRAME_H)
    empty = tmp_path / "empty.rgb"
    empty.write_bytes(b"")
    with pytest.raises(FormatError):
        pkd.from_raw_frames([video, empty], FRAME_W, FRAME_H)
    with pytest.raises(ValueError, match="at least one"):
        pkd.from_raw_frames([], FRAME_W, FRAME_H)


# ---- writing block by block -----------------------------------------------------------


def test_to_raw_writes_the_result_block_by_block(
    scheduler: Any, raw_file: Path, picture: NDArray[np.uint8], tmp_path: Path
) -> None:
    out = tmp_path / "blurred.rgb"
    # Tiles, so blocks land as row pieces all over the file.
    pkd.to_raw(pkd.box_blur(pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=(40, 70)), 2), out, scheduler=scheduler)
    written = np.fromfile(out, np.uint8).reshape(HEIGHT, WIDTH, 3)
    assert_matches(written, ref_box(picture, 2), 1)
    assert_matches(written, np.asarray(pixelkit.box_blur(picture, 2)))
    assert sorted(os.listdir(tmp_path)) == ["blurred.rgb"]


def test_to_ppm_and_to_pgm_are_read_by_pillow_and_imagemagick(
    scheduler: Any, raw_file: Path, picture: NDArray[np.uint8], tmp_path: Path
) -> None:
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=33)
    pkd.to_ppm(x, tmp_path / "picture.ppm", scheduler=scheduler)
    pkd.to_pgm(pkd.to_gray(x), tmp_path / "gray.pgm", scheduler=scheduler)
    with PILImage.open(tmp_path / "picture.ppm") as ppm:
        assert_matches(np.asarray(ppm), picture)
    with PILImage.open(tmp_path / "gray.pgm") as pgm:
        assert_matches(np.asarray(pgm), ref_gray(picture))
    rgb = run_tool("convert", str(tmp_path / "picture.ppm"), "-depth", "8", "rgb:-")
    assert_matches(np.frombuffer(rgb, np.uint8).reshape(HEIGHT, WIDTH, 3), picture)


def test_to_raw_writes_frames_as_an_rgb24_stream_ffmpeg_reads(tmp_path: Path, video: Path) -> None:
    frames = pkd.from_raw_frames(video, FRAME_W, FRAME_H, frames_per_chunk=16)
    out = tmp_path / "inverted.rgb"
    pkd.to_raw(pkd.invert(frames), out)
    everything = np.fromfile(video, np.uint8).reshape(FRAMES, FRAME_H, FRAME_W, 3)
    assert_matches(np.fromfile(out, np.uint8).reshape(everything.shape), 255 - everything)
    # ffmpeg negates the same frames on its own; the two streams must agree.
    negated = run_tool(
        "ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{FRAME_W}x{FRAME_H}",
        "-i", str(video), "-vf", "negate", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
    )  # fmt: skip
    assert negated == out.read_bytes()


def _explode(block: NDArray[np.uint8], block_info: Any = None) -> NDArray[np.uint8]:
    if block_info is not None and block_info[0]["chunk-location"][0] == 3:
        raise RuntimeError("this block fails")
    return block


def test_a_failed_write_leaves_the_old_file_and_no_temporary(raw_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "kept.rgb"
    out.write_bytes(b"old content")
    out.chmod(0o640)
    x = pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=30)
    failing = untyped(x).map_blocks(_explode, dtype=np.uint8)
    with pytest.raises(RuntimeError, match="this block fails"):
        pkd.to_raw(failing, out, scheduler="threads")
    assert out.read_bytes() == b"old content"
    assert sorted(os.listdir(tmp_path)) == ["kept.rgb"]
    pkd.to_raw(x, out)
    assert out.read_bytes() == raw_file.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_writers_check_shape_and_dtype(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        pkd.to_ppm(da.zeros((4, 4), dtype=np.uint8), tmp_path / "a.ppm")
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        pkd.to_pgm(da.zeros((4, 4, 3), dtype=np.uint8), tmp_path / "a.pgm")
    with pytest.raises(TypeError, match="uint8"):
        pkd.to_raw(da.zeros((4, 4, 3), dtype=np.float64), tmp_path / "a.raw")
    assert os.listdir(tmp_path) == []


# ---- bounded memory and the missing-Dask message --------------------------------------

_BOUNDED = f"""
import sys
import numpy as np
import pixelkit.dask as pkd
path, out, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
x = pkd.from_raw(path, width, height, chunks="16MiB")
pkd.to_raw(pkd.to_gray(pkd.gaussian_blur(x, 2.0)), out, scheduler="threads", num_workers=2)
print({CHILD_PEAK_RSS})
"""


def peak_rss(tmp_path: Path, width: int, height: int) -> int:
    """Peak RSS of a fresh process that blurs and converts a sparse raw image into a file."""
    path, out = tmp_path / f"large-{height}.rgb", tmp_path / f"gray-{height}.raw"
    with open(path, "wb") as f:
        f.truncate(width * height * 3)
        f.seek(width * height * 3 // 2)
        f.write(np.arange(3 * width, dtype=np.uint8).tobytes())
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_BOUNDED), str(path), str(out), str(width), str(height)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert out.stat().st_size == width * height
    path.unlink()
    out.unlink()
    return int(result.stdout.split()[-1])


def test_memory_stays_bounded_as_the_image_grows(tmp_path: Path) -> None:
    width = 8192
    small = peak_rss(tmp_path, width, 8192)  # 192 MiB of RGB, sparse on disk
    large = peak_rss(tmp_path, width, 65536)  # 1.5 GiB
    assert large < small * 1.25 + 32 * 2**20, f"peak RSS {small >> 20} MiB, then {large >> 20} MiB for 8x the image"
    assert large < width * 65536 * 3 // 4, f"peak RSS {large >> 20} MiB for a 1536 MiB image"


def test_importing_without_dask_says_how_to_install_it() -> None:
    code = "import sys; sys.modules['dask'] = None; import pixelkit.dask"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "pip install 'pixelkit[dask]'" in result.stderr


# ---- fused pipelines ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_a_pipeline_per_block_equals_the_whole_image(
    raw_file: Path, picture: NDArray[np.uint8], chunks: pkd.Chunks, scheduler: Any
) -> None:
    """From a memory-mapped file, on the threaded scheduler and on worker processes (the pipeline pickled)."""
    other = partner(picture)
    pipe = (
        pixelkit.Pipeline()
        .blend(other, 0.4)
        .gaussian_blur(2.0)
        .convolve([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
        .resize(160, 120, "area")
        .box_blur(3)
        .to_gray()
    )
    lazy = pkd.pipeline(pkd.from_raw(raw_file, WIDTH, HEIGHT, chunks=chunks), pipe)
    np.testing.assert_array_equal(compute(lazy, scheduler), pipe(picture))
