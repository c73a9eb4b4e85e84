#!/usr/bin/env python3
"""Time pixelkit against numpy, Pillow and OpenCV, side by side in one run.

Usage::

    python benchmarks/run.py                      # 1920x1080 and 4000x3000, 1 and 2 threads
    python benchmarks/run.py --quick              # small frames, 2 repetitions (CI smoke run)
    python benchmarks/run.py --sizes 1280x720 --ops invert blend --threads 1 2 4
    python benchmarks/run.py --modes out          # only into preallocated out=/dst= (default: both modes)
    python benchmarks/run.py --readme             # rewrite README.md's table from benchmarks/results/results.json

Before an operation is timed at a frame size, every peer's pixels are
compared with pixelkit's: exact, or within the tolerance the operation
declares (one level for the filters against OpenCV; Pillow where it
computes the same thing, away from the borders where its border rule
differs).  A peer that computes something else (Pillow's antialiased
BILINEAR when shrinking, its centre-sampling NEAREST, its box-approximated
GaussianBlur) is timed but marked "timed only" (†) and never counted in the
ratio; a peer that should agree and does not stops that operation from being
timed, and the run exits with status 1.

Each operation runs in two modes: fresh outputs (every call returns a new
result) and preallocated outputs (out= for pixelkit, dst=/out= for OpenCV
and numpy; Pillow has none).  For every (frame size, operation, mode, thread
count) each library that has the
operation runs once as a warm-up, then all of them are measured in rounds,
each library once per round in a new random order (so that machine noise
hits them alike and none always runs after the same other one); each sample
starts with one untimed call, so that every library is timed with its own
data in the caches (as in a loop over frames) rather than right after
another library evicted them; the table reports the median time per call.  Calls shorter than ``--min-sample``
are repeated within one sample.  numpy and Pillow run single-threaded and
are measured again in every thread setting; pixelkit's thread count is set
with ``pixelkit.set_num_threads`` and OpenCV's with ``cv2.setNumThreads``.

``memcpy`` is ``np.copyto`` of the input frame into a preallocated array
of the same size: a memory bandwidth reference, never a peer.  ``ratio``
is pixelkit's time over the best peer's (below 1.0 pixelkit is faster).
``pk GB/s`` counts the bytes pixelkit reads plus the bytes it writes;
``memcpy GB/s`` counts 2x the frame.

Results go to ``DIR/results.json``, ``DIR/results.md`` (every row, both
modes) and ``DIR/benchmark.png`` (needs matplotlib; fresh outputs).
``--readme`` then rewrites the summary in README.md between its markers
from ``DIR/results.json``, including the list of every row where pixelkit
is not ahead.  ``DIR`` defaults
to ``benchmarks/results`` (a temporary directory with ``--quick``, so
that smoke runs never overwrite published figures).  OpenCV, Pillow and
matplotlib are optional; whatever is missing is skipped with a note.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib
import importlib.util
import json
import math
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

if importlib.util.find_spec("pixelkit") is None:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pixelkit as pk

# ---- libraries -------------------------------------------------------------------------

PIXELKIT = "pixelkit"
PEERS = ("numpy", "opencv", "pillow")
MEMCPY = "memcpy"
COLUMNS = (PIXELKIT, *PEERS, MEMCPY)
OPTIONAL = ("opencv", "pillow", "matplotlib")


def _optional_module(name: str) -> Any:
    """The module, or None when it is not installed (typed Any: no stubs needed)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


cv2: Any = _optional_module("cv2")
PILImage: Any = _optional_module("PIL.Image")
PILImageOps: Any = _optional_module("PIL.ImageOps")
PILImageFilter: Any = _optional_module("PIL.ImageFilter")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BLEND_ALPHA = 0.3
BOX_RADII = (1, 3, 7, 15)
GAUSSIAN_SIGMAS = (1.3, 2.0, 5.0)

Call = Callable[[], object]
Builder = Callable[["Frame", bool], dict[str, Call]]


def library_versions() -> dict[str, str | None]:
    def version(module: Any) -> str | None:
        return None if module is None else str(getattr(module, "__version__", "?"))

    pil = _optional_module("PIL")
    matplotlib = _optional_module("matplotlib")
    return {
        "pixelkit": pk.__version__,
        "numpy": np.__version__,
        "opencv": version(cv2),
        "pillow": version(pil),
        "matplotlib": version(matplotlib),
        "python": platform.python_version(),
    }


# ---- frames ------------------------------------------------------------------------------


@dataclass
class Frame:
    """Inputs, preallocated outputs and files for one frame size, built once per size."""

    width: int
    height: int
    folder: Path
    use_opencv: bool
    use_pillow: bool
    a: NDArray[np.uint8] = field(init=False)
    b: NDArray[np.uint8] = field(init=False)
    img: pk.Image = field(init=False)
    img_b: pk.Image = field(init=False)
    pil: Any = field(init=False)
    pil_b: Any = field(init=False)
    a3: NDArray[np.uint8] = field(init=False)  # the frame cropped to whole 3x3 blocks (contiguous)
    img3: pk.Image = field(init=False)
    pil3: Any = field(init=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.width * 100_003 + self.height)
        self.a = rng.integers(0, 256, (self.height, self.width, 3), dtype=np.uint8)
        self.b = rng.integers(0, 256, (self.height, self.width, 3), dtype=np.uint8)
        self.img = pk.Image.from_array(self.a)
        self.img_b = pk.Image.from_array(self.b)
        self.pil = PILImage.fromarray(self.a) if self.use_pillow else None
        self.pil_b = PILImage.fromarray(self.b) if self.use_pillow else None
        third_w, third_h = max(1, self.width // 3), max(1, self.height // 3)
        self.a3 = (
            np.ascontiguousarray(self.a[: 3 * third_h, : 3 * third_w]) if min(self.width, self.height) >= 3 else self.a
        )
        self.img3 = pk.Image.from_array(self.a3)
        self.pil3 = PILImage.fromarray(self.a3) if self.use_pillow else None
        self._files: dict[str, Path] = {}
        self._outputs: dict[tuple[str, tuple[int, ...]], NDArray[Any]] = {}

    @property
    def label(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def nbytes(self) -> int:
        return self.width * self.height * 3

    @property
    def half(self) -> tuple[int, int]:
        return max(1, self.width // 2), max(1, self.height // 2)

    def output(self, shape: tuple[int, ...], dtype: type[np.generic] = np.uint8) -> NDArray[Any]:
        """A preallocated, page-faulted output array (shared by all libraries, used one at a time)."""
        key = (np.dtype(dtype).str, shape)
        if key not in self._outputs:
            self._outputs[key] = np.ones(shape, dtype)
        return self._outputs[key]

    def pk_output(self, width: int, height: int) -> pk.Image:
        return pk.Image.from_array(self.output((height, width, 3)))

    def file(self, kind: str) -> Path:
        """The frame saved as ``raw``, ``ppm`` or ``bmp`` (written once; then in the page cache)."""
        if kind not in self._files:
            path = self.folder / f"frame-{self.label}.{kind}"
            if kind == "raw":
                pk.write_raw(self.img, path)
            elif kind == "ppm":
                pk.write_ppm(self.img, path)
            elif kind == "bmp" and self.use_opencv:
                cv2.imwrite(str(path), cv2.cvtColor(self.a, cv2.COLOR_RGB2BGR))
            elif kind == "bmp" and self.use_pillow:
                self.pil.save(path)
            else:
                raise ValueError(f"cannot write a {kind} file")
            self._files[kind] = path
        return self._files[kind]


# ---- operations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """How a peer's result must compare with pixelkit's before an operation is timed."""

    tolerance: int | None  # largest difference in levels; None: another computation, timed only
    why: str = ""  # what a timed-only peer computes instead
    border: int = 0  # compare only pixels at least this far from the edges (other border rules)


EXACT = Agreement(0)
WITHIN_1 = Agreement(1)  # the documented tolerance of pixelkit's filters against OpenCV


def time_only(why: str) -> Agreement:
    return Agreement(None, why)


@dataclass(frozen=True)
class Op:
    """One benchmarked operation and how each library spells it."""

    name: str
    description: str
    # bytes pixelkit reads plus bytes it writes, for (width, height); None: not meaningful
    traffic: Callable[[int, int], int] | None
    build: Builder
    overhead: bool = False  # a 1x1 call-overhead measurement (reported in microseconds)
    # How each peer's pixels compare with pixelkit's (a peer left out must be exact); None: the
    # results are of different kinds (files, lists of counts, float tensors) and are not compared.
    agreement: dict[str, Agreement] | None = None
    has_out: bool = True  # pixelkit has an out= variant (else the op runs in the fresh-output mode only)

    def agreement_of(self, peer: str) -> Agreement | None:
        return None if self.agreement is None else self.agreement.get(peer, EXACT)

    def timed_only(self, peer: str) -> bool:
        agreement = self.agreement_of(peer)
        return agreement is not None and agreement.tolerance is None


def _same(n: int) -> Callable[[int, int], int]:
    """Traffic of ``n`` frame-sized passes (e.g. 2: read the frame, write a frame)."""
    return lambda w, h: n * 3 * w * h


def _invert(f: Frame, pre: bool) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    if pre:
        out, out_img = f.output(f.a.shape), f.pk_output(f.width, f.height)
        calls[PIXELKIT] = lambda: pk.invert(f.img, out=out_img)
        calls["numpy"] = lambda: np.bitwise_not(f.a, out=out)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.bitwise_not(f.a, dst=out)
    else:
        calls[PIXELKIT] = lambda: pk.invert(f.img)
        calls["numpy"] = lambda: np.bitwise_not(f.a)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.bitwise_not(f.a)
    if f.use_pillow:
        calls["pillow"] = lambda: PILImageOps.invert(f.pil)
    return calls


def _copy(f: Frame, pre: bool) -> dict[str, Call]:
    calls: dict[str, Call] = {PIXELKIT: f.img.copy, "numpy": f.a.copy}
    if f.use_pillow:
        calls["pillow"] = f.pil.copy
    return calls


_GRAY_WEIGHTS = np.array([19595, 38470, 7471], np.uint32)


def _to_gray(f: Frame, pre: bool) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    # numpy: the exact BT.601 integer formula pixelkit and Pillow use (no BLAS, single-threaded)
    calls["numpy"] = lambda: ((f.a @ _GRAY_WEIGHTS + 0x8000) >> 16).astype(np.uint8)
    if pre:
        out = f.output((f.height, f.width))
        calls[PIXELKIT] = lambda: pk.to_gray(f.img, out=out)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.cvtColor(f.a, cv2.COLOR_RGB2GRAY, dst=out)
    else:
        calls[PIXELKIT] = lambda: pk.to_gray(f.img)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.cvtColor(f.a, cv2.COLOR_RGB2GRAY)
    if f.use_pillow:
        calls["pillow"] = lambda: f.pil.convert("L")
    return calls


def _swap_rb(f: Frame, pre: bool) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    if pre:
        out, out_img = f.output(f.a.shape), f.pk_output(f.width, f.height)
        calls[PIXELKIT] = lambda: pk.swap_rb(f.img, out=out_img)
        calls["numpy"] = lambda: np.copyto(out, f.a[..., ::-1])
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.cvtColor(f.a, cv2.COLOR_RGB2BGR, dst=out)
    else:
        calls[PIXELKIT] = lambda: pk.swap_rb(f.img)
        calls["numpy"] = lambda: f.a[..., ::-1].copy()
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.cvtColor(f.a, cv2.COLOR_RGB2BGR)
    return calls


def _flip(horizontal: bool) -> Callable[[Frame, bool], dict[str, Call]]:
    pk_flip = pk.flip_horizontal if horizontal else pk.flip_vertical
    np_flip = np.fliplr if horizontal else np.flipud
    cv_code = 1 if horizontal else 0

    def build(f: Frame, pre: bool) -> dict[str, Call]:
        calls: dict[str, Call] = {}
        if pre:
            out, out_img = f.output(f.a.shape), f.pk_output(f.width, f.height)
            calls[PIXELKIT] = lambda: pk_flip(f.img, out=out_img)
            calls["numpy"] = lambda: np.copyto(out, np_flip(f.a))
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.flip(f.a, cv_code, dst=out)
        else:
            calls[PIXELKIT] = lambda: pk_flip(f.img)
            calls["numpy"] = lambda: np_flip(f.a).copy()
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.flip(f.a, cv_code)
        if f.use_pillow:
            method = PILImage.Transpose.FLIP_LEFT_RIGHT if horizontal else PILImage.Transpose.FLIP_TOP_BOTTOM
            calls["pillow"] = lambda: f.pil.transpose(method)
        return calls

    return build


def _rotate90(f: Frame, pre: bool) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    if pre:
        out, out_img = f.output((f.width, f.height, 3)), f.pk_output(f.height, f.width)
        calls[PIXELKIT] = lambda: pk.rotate90(f.img, 1, out=out_img)
        calls["numpy"] = lambda: np.copyto(out, np.rot90(f.a))
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.rotate(f.a, cv2.ROTATE_90_COUNTERCLOCKWISE, dst=out)
    else:
        calls[PIXELKIT] = lambda: pk.rotate90(f.img, 1)
        calls["numpy"] = lambda: np.ascontiguousarray(np.rot90(f.a))
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.rotate(f.a, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if f.use_pillow:
        calls["pillow"] = lambda: f.pil.transpose(PILImage.Transpose.ROTATE_90)  # counter-clockwise
    return calls


_LUT = np.random.default_rng(7).permutation(256).astype(np.uint8)
_PIL_LUT = _LUT.tolist() * 3  # one table per band


def _apply_lut(f: Frame, pre: bool) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    if pre:
        out, out_img = f.output(f.a.shape), f.pk_output(f.width, f.height)
        calls[PIXELKIT] = lambda: pk.apply_lut(f.img, _LUT, out=out_img)
        calls["numpy"] = lambda: np.take(_LUT, f.a, out=out)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.LUT(f.a, _LUT, dst=out)
    else:
        calls[PIXELKIT] = lambda: pk.apply_lut(f.img, _LUT)
        calls["numpy"] = lambda: _LUT[f.a]
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.LUT(f.a, _LUT)
    if f.use_pillow:
        calls["pillow"] = lambda: f.pil.point(_PIL_LUT)
    return calls


def _histogram(f: Frame, pre: bool) -> dict[str, Call]:
    calls: dict[str, Call] = {
        PIXELKIT: lambda: pk.histogram(f.img),
        "numpy": lambda: [np.bincount(f.a[..., c].ravel(), minlength=256) for c in range(3)],
    }
    if f.use_opencv:
        calls["opencv"] = lambda: [cv2.calcHist([f.a], [c], None, [256], [0, 256]) for c in range(3)]
    if f.use_pillow:
        calls["pillow"] = f.pil.histogram
    return calls


Target = Callable[["Frame"], tuple[int, int]]


def _scaled(scale: float) -> Target:
    return lambda f: (max(1, int(f.width * scale)), max(1, int(f.height * scale)))


def _third(f: Frame) -> tuple[int, int]:
    return max(1, f.a3.shape[1] // 3), max(1, f.a3.shape[0] // 3)


def _resize(target: Target, method: pk.ops.ResizeMethod, pillow: str | None, third: bool = False) -> Builder:
    """pixelkit.resize to ``target`` against cv2.resize and, as ``pillow`` says, Pillow.

    ``pillow``: "resize" (Image.resize with the same filter), "reduce" (Image.reduce(k), a k x k
    mean), "box" (Image.resize with BOX) or None.  ``third``: the input is the frame cropped to
    whole 3x3 blocks.
    """
    cv_flag = {"nearest": "INTER_NEAREST", "bilinear": "INTER_LINEAR", "area": "INTER_AREA"}[method]

    def build(f: Frame, pre: bool) -> dict[str, Call]:
        a, img, pil = (f.a3, f.img3, f.pil3) if third else (f.a, f.img, f.pil)
        w, h = target(f)
        src_h, src_w = a.shape[:2]
        calls: dict[str, Call] = {}
        factor = src_w // w if src_w == w * (src_w // w) and src_h == h * (src_w // w) else 0
        if method == "nearest" and factor == 2:
            calls["numpy"] = lambda: a[::2, ::2].copy()
        elif method != "nearest" and factor in (2, 3):
            # mean of each k x k block, rounded (float64, as numpy's mean computes)
            blocks = a[: factor * h, : factor * w].reshape(h, factor, w, factor, 3)
            calls["numpy"] = lambda: np.rint(blocks.mean(axis=(1, 3))).astype(np.uint8)
        interpolation = getattr(cv2, cv_flag) if f.use_opencv else None
        if pre:
            out, out_img = f.output((h, w, 3)), f.pk_output(w, h)
            calls[PIXELKIT] = lambda: pk.resize(img, w, h, method, out=out_img)
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.resize(a, (w, h), dst=out, interpolation=interpolation)
        else:
            calls[PIXELKIT] = lambda: pk.resize(img, w, h, method)
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.resize(a, (w, h), interpolation=interpolation)
        if f.use_pillow and pillow is not None:
            if pillow == "reduce":
                k = src_w // w
                calls["pillow"] = lambda: pil.reduce(k)
            else:
                resample = {
                    "nearest": PILImage.Resampling.NEAREST,
                    "bilinear": PILImage.Resampling.BILINEAR,
                    "area": PILImage.Resampling.BOX,
                }[method]
                calls["pillow"] = lambda: pil.resize((w, h), resample)
        return calls

    return build


def _box_blur(radius: int) -> Builder:
    def build(f: Frame, pre: bool) -> dict[str, Call]:
        k = 2 * radius + 1
        calls: dict[str, Call] = {}
        if pre:
            out, out_img = f.output(f.a.shape), f.pk_output(f.width, f.height)
            calls[PIXELKIT] = lambda: pk.box_blur(f.img, radius, out=out_img)
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.blur(f.a, (k, k), dst=out)
        else:
            calls[PIXELKIT] = lambda: pk.box_blur(f.img, radius)
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.blur(f.a, (k, k))
        if f.use_pillow:
            box = PILImageFilter.BoxBlur(radius)
            calls["pillow"] = lambda: f.pil.filter(box)
        return calls

    return build


def _gaussian_blur(sigma: float) -> Builder:
    def build(f: Frame, pre: bool) -> dict[str, Call]:
        calls: dict[str, Call] = {}
        if pre:
            out, out_img = f.output(f.a.shape), f.pk_output(f.width, f.height)
            calls[PIXELKIT] = lambda: pk.gaussian_blur(f.img, sigma, out=out_img)
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.GaussianBlur(f.a, (0, 0), sigma, dst=out)
        else:
            calls[PIXELKIT] = lambda: pk.gaussian_blur(f.img, sigma)
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.GaussianBlur(f.a, (0, 0), sigma)
        if f.use_pillow:
            gaussian = PILImageFilter.GaussianBlur(sigma)  # three box passes: an approximation
            calls["pillow"] = lambda: f.pil.filter(gaussian)
        return calls

    return build


def _blend(f: Frame, pre: bool) -> dict[str, Call]:
    keep, mix = np.float32(1.0 - BLEND_ALPHA), np.float32(BLEND_ALPHA)
    calls: dict[str, Call] = {
        "numpy": lambda: (f.a.astype(np.float32) * keep + f.b.astype(np.float32) * mix + np.float32(0.5)).astype(
            np.uint8
        ),
    }
    if pre:
        out, out_img = f.output(f.a.shape), f.pk_output(f.width, f.height)
        calls[PIXELKIT] = lambda: pk.blend(f.img, f.img_b, BLEND_ALPHA, out=out_img)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.addWeighted(f.a, 1.0 - BLEND_ALPHA, f.b, BLEND_ALPHA, 0.0, dst=out)
    else:
        calls[PIXELKIT] = lambda: pk.blend(f.img, f.img_b, BLEND_ALPHA)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.addWeighted(f.a, 1.0 - BLEND_ALPHA, f.b, BLEND_ALPHA, 0.0)
    if f.use_pillow:
        calls["pillow"] = lambda: PILImage.blend(f.pil, f.pil_b, BLEND_ALPHA)
    return calls


def _opencv_blob(f: Frame) -> Callable[[NDArray[np.float32] | None], object]:
    """cv2.dnn's closest equivalent of to_tensor: per-channel scale and mean if this OpenCV has them."""
    mean255 = tuple(255.0 * m for m in IMAGENET_MEAN)
    if hasattr(cv2.dnn, "blobFromImageWithParams"):
        params = cv2.dnn.Image2BlobParams(
            scalefactor=tuple(1.0 / (255.0 * s) for s in IMAGENET_STD),
            size=(f.width, f.height),
            mean=mean255,
            swapRB=False,
            ddepth=cv2.CV_32F,
        )
        return lambda out: (
            cv2.dnn.blobFromImageWithParams(f.a, params)
            if out is None
            else cv2.dnn.blobFromImageWithParams(f.a, out, params)
        )
    # Older OpenCV: one scale factor for all channels (the mean std).
    scale = 1.0 / (255.0 * statistics.fmean(IMAGENET_STD))
    return lambda out: cv2.dnn.blobFromImage(f.a, scale, (f.width, f.height), mean255, False, False, cv2.CV_32F)


def _to_tensor(f: Frame, pre: bool) -> dict[str, Call]:
    std = np.array(IMAGENET_STD, np.float32)
    scale = (1.0 / (255.0 * std)).astype(np.float32)[:, None, None]
    bias = (-np.array(IMAGENET_MEAN, np.float32) / std).astype(np.float32)[:, None, None]

    def numpy_tensor() -> NDArray[np.float32]:
        x: NDArray[np.float32] = f.a.transpose(2, 0, 1).astype(np.float32, order="C")  # contiguous CHW
        x *= scale
        x += bias
        return x

    calls: dict[str, Call] = {"numpy": numpy_tensor}
    blob = _opencv_blob(f) if f.use_opencv else None
    if pre:
        out = f.output((3, f.height, f.width), np.float32)
        calls[PIXELKIT] = lambda: pk.to_tensor(f.img, IMAGENET_MEAN, IMAGENET_STD, out=out)
        if blob is not None:
            blob_out = f.output((1, 3, f.height, f.width), np.float32)
            calls["opencv"] = lambda: blob(blob_out)
    else:
        calls[PIXELKIT] = lambda: pk.to_tensor(f.img, IMAGENET_MEAN, IMAGENET_STD)
        if blob is not None:
            calls["opencv"] = lambda: blob(None)
    return calls


def _read_raw(f: Frame, pre: bool) -> dict[str, Call]:
    raw = f.file("raw")
    calls: dict[str, Call] = {
        PIXELKIT: lambda: pk.read_raw(raw, f.width, f.height),
        "numpy": lambda: np.fromfile(raw, np.uint8).reshape(f.height, f.width, 3),
    }
    if f.use_opencv:
        bmp = str(f.file("bmp"))
        calls["opencv"] = lambda: cv2.imread(bmp)  # the same pixels as a 24-bit BMP
    return calls


def _pillow_load(path: Path) -> Any:
    image = PILImage.open(path)
    image.load()
    return image


def _read_ppm(f: Frame, pre: bool) -> dict[str, Call]:
    ppm, raw = f.file("ppm"), f.file("raw")
    calls: dict[str, Call] = {
        PIXELKIT: lambda: pk.read_ppm(ppm),
        "numpy": lambda: np.fromfile(raw, np.uint8).reshape(f.height, f.width, 3),  # the raw file: a floor
    }
    if f.use_opencv:
        calls["opencv"] = lambda: cv2.imread(str(ppm))
    if f.use_pillow:
        calls["pillow"] = lambda: _pillow_load(ppm)
    return calls


def _overhead(kind: str) -> Callable[[Frame, bool], dict[str, Call]]:
    """pixelkit.invert on a 1x1 image: Image in and out=, Image in and a new result, ndarray in and out=."""

    def build(f: Frame, pre: bool) -> dict[str, Call]:
        out = f.output(f.a.shape)
        calls: dict[str, Call] = {}
        if kind == "new":
            calls[PIXELKIT] = lambda: pk.invert(f.img)
            calls["numpy"] = lambda: np.bitwise_not(f.a)
            if f.use_opencv:
                calls["opencv"] = lambda: cv2.bitwise_not(f.a)
            if f.use_pillow:
                calls["pillow"] = lambda: PILImageOps.invert(f.pil)
            return calls
        if kind == "out":
            out_img = f.pk_output(f.width, f.height)
            calls[PIXELKIT] = lambda: pk.invert(f.img, out=out_img)
        else:
            calls[PIXELKIT] = lambda: pk.invert(f.a, out=out)
        calls["numpy"] = lambda: np.bitwise_not(f.a, out=out)
        if f.use_opencv:
            calls["opencv"] = lambda: cv2.bitwise_not(f.a, dst=out)
        return calls

    return build


def _resized(scale: float) -> Callable[[int, int], int]:
    """Traffic of a resize by ``scale``: the source read once, the result written."""
    return lambda w, h: 3 * w * h + 3 * max(1, int(w * scale)) * max(1, int(h * scale))


ALL_EXACT: dict[str, Agreement] = {}
PILLOW_ANTIALIASES = time_only("Pillow's BILINEAR widens its filter when shrinking (antialiasing): other pixels")
PILLOW_NEAREST = time_only("Pillow's NEAREST samples pixel centres, OpenCV and pixelkit the top-left corners")
PILLOW_BOX = time_only("Pillow's BOX aligns its boxes differently from OpenCV's INTER_AREA at non-integer factors")
PILLOW_GAUSSIAN = time_only("Pillow's GaussianBlur is three box passes, an approximation")


def _box_agreement(radius: int) -> dict[str, Agreement]:
    # Pillow repeats the edge pixel where OpenCV and pixelkit reflect (BORDER_REFLECT_101).
    return {"opencv": EXACT, "pillow": Agreement(1, border=radius + 1)}


OPS: tuple[Op, ...] = (
    Op("invert", "255 - v", _same(2), _invert, agreement=ALL_EXACT),
    Op("copy", "Image.copy() / ndarray.copy() / PIL copy()", _same(2), _copy, has_out=False),
    Op("to_gray", "BT.601 luma", lambda w, h: 4 * w * h, _to_gray, agreement={"opencv": WITHIN_1}),
    Op("swap_rb", "RGB -> BGR", _same(2), _swap_rb, agreement=ALL_EXACT),
    Op("flip_horizontal", "mirror left-right", _same(2), _flip(True), agreement=ALL_EXACT),
    Op("flip_vertical", "mirror top-bottom", _same(2), _flip(False), agreement=ALL_EXACT),
    Op("rotate90", "k=1, counter-clockwise", _same(2), _rotate90, agreement=ALL_EXACT),
    Op("apply_lut", "one 256-entry table", _same(2), _apply_lut, agreement=ALL_EXACT),
    Op("histogram", "3 x 256 counts", _same(1), _histogram, has_out=False),
    Op(
        "resize_half_bilinear",
        "bilinear to exactly 1/2: the 2x2 mean, the same kernel as area at 1/2 (numpy: 2x2 mean; Pillow: reduce(2))",
        _resized(0.5),
        _resize(_scaled(0.5), "bilinear", "reduce"),
        agreement={"numpy": WITHIN_1},  # numpy's rint rounds halves to even
    ),
    Op(
        "resize_2x_bilinear",
        "bilinear to exactly 2x",
        _resized(2.0),
        _resize(_scaled(2.0), "bilinear", "resize"),
        agreement={"opencv": WITHIN_1, "pillow": WITHIN_1},
    ),
    Op(
        "resize_70pct_bilinear",
        "bilinear to 70% (general factor; Pillow antialiases: timed only)",
        _resized(0.7),
        _resize(_scaled(0.7), "bilinear", "resize"),
        agreement={"opencv": WITHIN_1, "pillow": PILLOW_ANTIALIASES},
    ),
    Op(
        "resize_130pct_bilinear",
        "bilinear to 130% (general factor)",
        _resized(1.3),
        _resize(_scaled(1.3), "bilinear", "resize"),
        agreement={"opencv": WITHIN_1, "pillow": WITHIN_1},
    ),
    Op(
        "resize_half_nearest",
        "nearest to exactly 1/2 (numpy: a[::2, ::2]; Pillow samples other pixels: timed only)",
        lambda w, h: 3 * w * h // 4 + 3 * (w // 2) * (h // 2),  # reads every other row
        _resize(_scaled(0.5), "nearest", "resize"),
        agreement={"pillow": PILLOW_NEAREST},
    ),
    Op(
        "resize_70pct_nearest",
        "nearest to 70% (general factor; Pillow samples other pixels: timed only)",
        lambda w, h: 2 * 3 * max(1, int(w * 0.7)) * max(1, int(h * 0.7)),
        _resize(_scaled(0.7), "nearest", "resize"),
        agreement={"pillow": PILLOW_NEAREST},
    ),
    Op(
        "resize_third_area",
        "area to exactly 1/3 of the frame cropped to whole 3x3 blocks (numpy: 3x3 mean; Pillow: reduce(3))",
        lambda w, h: 3 * w * h + 3 * (w // 3) * (h // 3),
        _resize(_third, "area", "reduce", third=True),
        agreement={"numpy": WITHIN_1, "opencv": WITHIN_1, "pillow": WITHIN_1},
    ),
    Op(
        "resize_224_area",
        "area to 224x224 (non-integer factors; Pillow BOX places its boxes otherwise: timed only)",
        lambda w, h: 3 * w * h + 3 * 224 * 224,
        _resize(lambda f: (224, 224), "area", "box"),
        agreement={"opencv": WITHIN_1, "pillow": PILLOW_BOX},
    ),
    *(
        Op(
            f"box_blur_r{radius}",
            f"radius {radius}, {2 * radius + 1}x{2 * radius + 1} mean (Pillow: compared away from the borders)",
            _same(2),
            _box_blur(radius),
            agreement=_box_agreement(radius),
        )
        for radius in BOX_RADII
    ),
    *(
        Op(
            f"gaussian_s{sigma:g}",
            f"sigma {sigma:g} (Pillow: a box approximation, timed only)",
            _same(2),
            _gaussian_blur(sigma),
            agreement={"opencv": WITHIN_1, "pillow": PILLOW_GAUSSIAN},
        )
        for sigma in GAUSSIAN_SIGMAS
    ),
    Op(
        "blend",
        f"alpha {BLEND_ALPHA}",
        _same(3),
        _blend,
        agreement={"numpy": WITHIN_1, "opencv": WITHIN_1, "pillow": WITHIN_1},
    ),
    Op("to_tensor", "CHW float32, ImageNet mean/std", lambda w, h: 3 * w * h + 12 * w * h, _to_tensor),
    Op(
        "read_raw",
        "raw file in the page cache (OpenCV: imread of the same pixels as BMP)",
        _same(2),
        _read_raw,
        has_out=False,
    ),
    Op(
        "read_ppm",
        "binary PPM in the page cache (numpy: np.fromfile of the raw file)",
        _same(2),
        _read_ppm,
        has_out=False,
    ),
    Op(
        "invert_1x1_out",
        "call overhead: 1x1 Image, out= preallocated",
        None,
        _overhead("out"),
        overhead=True,
        has_out=False,
    ),
    Op("invert_1x1_new", "call overhead: 1x1 Image, new result", None, _overhead("new"), overhead=True, has_out=False),
    Op(
        "invert_1x1_ndarray_out",
        "call overhead: 1x1 ndarray in, ndarray out=",
        None,
        _overhead("ndarray"),
        overhead=True,
        has_out=False,
    ),
)
OPS_BY_NAME = {op.name: op for op in OPS}


# ---- measurement -------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    repeat: int | None  # None: as many as fit in the budget, between min_repeat and max_repeat
    min_repeat: int
    max_repeat: int
    budget: float  # seconds per (size, op, threads) for the measured rounds
    min_sample: float  # a sample repeats a call until it lasts at least this long
    overhead_sample: float  # the same for the 1x1 call-overhead ops


MODES = ("new", "out")  # fresh results as a user calls them; results into preallocated out=/dst=
MODE_TITLES = {"new": "fresh outputs", "out": "preallocated outputs (out= / dst=)"}
# Operations that only move the frame's bytes (read it once, write it once): their floor is a memory
# copy, and the loss list also gives their time over np.copyto's (the memcpy column).
COPY_LIKE = ("invert", "copy", "swap_rb", "flip_horizontal", "flip_vertical", "rotate90", "apply_lut")


@dataclass
class Result:
    size: str
    op: str
    threads: int
    mode: str  # one of MODES
    description: str
    traffic_bytes: int | None
    median_s: dict[str, float]
    samples_s: dict[str, list[float]]
    calls_per_sample: dict[str, int]
    pixelkit_gbps: float | None
    memcpy_gbps: float | None
    best_peer: str | None
    ratio: float | None
    overhead: bool
    # peers timed but left out of the ratio: another computation (Op.agreement) or a failed check
    timed_only: dict[str, str] = field(default_factory=dict)


def measure(
    calls: dict[str, Call], settings: Settings, min_sample: float
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Per-call seconds of every sample, measured in rounds of random order after a warm-up."""
    names = list(calls)
    numbers: dict[str, int] = {}
    round_time = 0.0
    for name in names:
        calls[name]()  # warm-up: first-touch page faults, lazy initialisation, page cache
        # The steady-state time of one call (the fastest of three) sets how many calls make a sample:
        # a slow second call (a first reuse, a lazily started thread) would otherwise give a library
        # fewer calls per sample, so that the first call of each sample, cold in the caches after
        # the other libraries ran, weighed more in its figure than in theirs.
        elapsed = math.inf
        for _ in range(3):
            start = time.perf_counter()
            calls[name]()
            elapsed = min(elapsed, max(time.perf_counter() - start, 1e-9))
        numbers[name] = max(1, min(1_000_000, math.ceil(min_sample / elapsed)))
        round_time += elapsed * numbers[name]
    if settings.repeat is not None:
        repeat = settings.repeat
    else:
        repeat = max(settings.min_repeat, min(settings.max_repeat, int(settings.budget / round_time)))
    samples: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        # A new random order every round (seeded: runs are repeatable).  A rotation keeps the cyclic
        # order, so one library would nearly always run right after the same other one and find the
        # caches as that one left them (pixelkit, first in the list, after the slowest peer).
        order = random.Random(len(names) * 7919 + repeat)
        for _ in range(repeat):
            for name in order.sample(names, len(names)):
                call, number = calls[name], numbers[name]
                # One untimed call first: each library is timed with its own data in the caches, as
                # in a user's loop, not right after another library's sample evicted them (a 1080p
                # frame fits the last-level cache, and refilling it cost one library's sample up to
                # a third more than another's, depending on which ran before).
                call()
                start_ns = time.perf_counter_ns()
                for _ in range(number):
                    call()
                samples[name].append((time.perf_counter_ns() - start_ns) / number / 1e9)
    finally:
        if gc_enabled:
            gc.enable()
    return samples, numbers


def set_threads(count: int, use_opencv: bool) -> None:
    pk.set_num_threads(count)
    if use_opencv:
        cv2.setNumThreads(count)


class Disagreement(Exception):
    """A peer's pixels differ from pixelkit's by more than the operation allows."""


def _pixels(value: object) -> NDArray[Any] | None:
    """An output as a numpy array (pixelkit Image, ndarray, PIL image); None for anything else."""
    if isinstance(value, pk.Image | np.ndarray):
        return np.asarray(value)
    if PILImage is not None and isinstance(value, PILImage.Image):
        return np.asarray(value)
    return None


def check_agreement(frame: Frame, op: Op) -> dict[str, str]:
    """Compare every peer's fresh output with pixelkit's before any timing.

    Returns the peers timed only (another computation), with why.  Raises Disagreement when a
    peer that should compute the same pixels is further from pixelkit than its Agreement allows.
    """
    if op.agreement is None or op.overhead:
        return {}
    calls = op.build(frame, False)
    ours = _pixels(calls[PIXELKIT]())
    assert ours is not None, op.name
    timed_only: dict[str, str] = {}
    for peer in PEERS:
        agreement = op.agreement_of(peer)
        if peer not in calls or agreement is None:
            continue
        if agreement.tolerance is None:
            timed_only[peer] = agreement.why
            continue
        theirs = _pixels(calls[peer]())
        where = f"{op.name} at {frame.label}: {peer}"
        if theirs is None or theirs.shape != ours.shape:
            shape = None if theirs is None else theirs.shape
            raise Disagreement(f"{where} returned {shape}, pixelkit {ours.shape}")
        b = agreement.border
        inner = (slice(b, ours.shape[0] - b), slice(b, ours.shape[1] - b))
        difference = np.abs(ours[inner].astype(np.int16) - theirs[inner].astype(np.int16))
        worst = int(difference.max(initial=0))
        if worst > agreement.tolerance:
            share = float(np.count_nonzero(difference > agreement.tolerance)) / max(1, difference.size)
            raise Disagreement(
                f"{where} differs from pixelkit by up to {worst} levels in {share:.2%} of the samples"
                + (f" (away from a {b}-pixel border)" if b else "")
                + f"; at most {agreement.tolerance} is allowed"
            )
    return timed_only


def run_case(frame: Frame, op: Op, threads: int, settings: Settings, mode: str, timed_only: dict[str, str]) -> Result:
    set_threads(threads, frame.use_opencv)
    calls = op.build(frame, mode == "out")
    if not op.overhead:
        reference = frame.output(frame.a.shape)
        calls[MEMCPY] = lambda: np.copyto(reference, frame.a)
    ordered = {name: calls[name] for name in COLUMNS if name in calls}
    samples, numbers = measure(ordered, settings, settings.overhead_sample if op.overhead else settings.min_sample)
    median = {name: statistics.median(values) for name, values in samples.items()}
    peers = {name: t for name, t in median.items() if name in PEERS and name not in timed_only}
    best = min(peers, key=peers.__getitem__) if peers else None
    traffic = None if op.traffic is None else op.traffic(frame.width, frame.height)
    return Result(
        size=frame.label,
        op=op.name,
        threads=threads,
        mode=mode,
        description=op.description,
        traffic_bytes=traffic,
        median_s=median,
        samples_s=samples,
        calls_per_sample=numbers,
        pixelkit_gbps=None if traffic is None else traffic / median[PIXELKIT] / 1e9,
        memcpy_gbps=2 * frame.nbytes / median[MEMCPY] / 1e9 if MEMCPY in median else None,
        best_peer=best,
        ratio=None if best is None else median[PIXELKIT] / median[best],
        overhead=op.overhead,
        timed_only={name: why for name, why in timed_only.items() if name in median},
    )


# ---- reporting ----------------------------------------------------------------------------------

HEADER = ("size", "op", "thr", "out", *COLUMNS, "pk GB/s", "memcpy GB/s", "ratio", "best peer")
WIDTHS = (10, 22, 3, 3, 9, 9, 9, 9, 9, 8, 11, 9, 9)


def _time(seconds: float | None, overhead: bool) -> str:
    if seconds is None:
        return "-"
    value = seconds * (1e6 if overhead else 1e3)
    return f"{value:.3g}" if value < 0.1 else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(result: Result) -> str:
    if result.ratio is None:
        return "-"
    return f"{result.ratio:.2f}" + (" win" if result.ratio < 1.0 else "")


def _peer_time(result: Result, name: str) -> str:
    """A column's time; a peer timed only (not compared) is marked with a dagger."""
    text = _time(result.median_s.get(name), result.overhead)
    return text + "†" if name in result.timed_only else text


def row_cells(result: Result) -> list[str]:
    times = [_peer_time(result, name) for name in COLUMNS]
    return [
        result.size,
        result.op,
        str(result.threads),
        "yes" if result.mode == "out" else "",
        *times,
        _number(result.pixelkit_gbps, 1),
        _number(result.memcpy_gbps, 1),
        _ratio(result),
        result.best_peer or "-",
    ]


def format_row(cells: Sequence[str]) -> str:
    parts = [
        cell.ljust(width) if index < 2 or index == len(cells) - 1 else cell.rjust(width)
        for index, (cell, width) in enumerate(zip(cells, WIDTHS, strict=True))
    ]
    return "  ".join(parts).rstrip()


def print_header(unit: str) -> None:
    print(
        f"\n[{unit} per call, median; ratio = pixelkit / best peer, below 1.0 = pixelkit wins; "
        "† = timed only, another computation]"
    )
    print(format_row(HEADER))
    print(format_row(["-" * width for width in WIDTHS]))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_description() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "pixelkit_cpu_features": dict(pk.cpu_features()),
        "platform": platform.platform(),
        "versions": library_versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def machine_line(machine: dict[str, Any]) -> str:
    features = machine["pixelkit_cpu_features"]
    versions = machine["versions"]
    libs = ", ".join(
        f"{name} {versions[key]}"
        for name, key in (("numpy", "numpy"), ("OpenCV", "opencv"), ("Pillow", "pillow"), ("Python", "python"))
        if versions[key]
    )
    return (
        f"{machine['cpu']}, {machine['usable_cpus']} usable of {machine['logical_cpus']} logical CPUs; "
        f"pixelkit {versions['pixelkit']} with {features['selected']} kernels "
        f"(CPU supports {', '.join(features['available'])}); {libs}; {machine['platform']}; {machine['date']}"
    )


def write_markdown(path: Path, results: list[Result], machine: dict[str, Any], command: str, notes: list[str]) -> None:
    lines = [
        "# pixelkit benchmark",
        "",
        f"Machine: {machine_line(machine)}.",
        "",
        f"Command: `{command}`. Median time per call over rounds in random order after a warm-up, once with",
        "fresh outputs (every library returns a new result) and once into preallocated outputs (`out=` for",
        "pixelkit, `dst=`/`out=` for OpenCV and numpy; Pillow has none and allocates in both). numpy and Pillow",
        "are single-threaded in every thread setting; pixelkit and OpenCV use the given thread count. `memcpy`",
        "is `np.copyto` of the frame into a preallocated array (a bandwidth reference, not a peer). Before",
        "timing, every peer's pixels were compared with pixelkit's (exact, or within the tolerance the",
        "operation states); a peer marked † computes something else and is timed only, never counted in the",
        "ratio. `ratio` = pixelkit time / best comparable peer time: **bold** below 1.0 (pixelkit faster).",
        "",
    ]
    lines += [f"Note: {note}" for note in notes]
    if notes:
        lines.append("")
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        title = "call overhead (1x1)" if result.overhead else result.size
        groups.setdefault((result.mode, title), []).append(result)
    for (mode, title), group in groups.items():
        overhead = group[0].overhead
        unit = "µs" if overhead else "ms"
        heading = title if overhead else f"{title}, {MODE_TITLES[mode]}"
        lines += [f"## {heading} ({unit} per call)", ""]
        head = ["op", "threads", *COLUMNS, "pixelkit GB/s", "memcpy GB/s", "ratio", "best peer"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join(["---", "--:"] + ["--:"] * (len(head) - 3) + ["---"]) + "|")
        for result in group:
            ratio = "-" if result.ratio is None else f"{result.ratio:.2f}"
            if result.ratio is not None and result.ratio < 1.0:
                ratio = f"**{ratio}**"
            cells = [
                result.op,
                str(result.threads),
                *(_peer_time(result, name) for name in COLUMNS),
                _number(result.pixelkit_gbps, 1),
                _number(result.memcpy_gbps, 1),
                ratio,
                result.best_peer or "-",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Operations:", ""]
    seen = {result.op for result in results}
    for op in OPS:
        if op.name in seen:
            lines.append(f"- `{op.name}`: {op.description}")
            whys = sorted({f"{peer}: {why}" for r in results if r.op == op.name for peer, why in r.timed_only.items()})
            lines += [f"  - † {why}" for why in whys]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---- the README's table --------------------------------------------------------------------------

README_START = "<!-- benchmark table: generated by `python benchmarks/run.py --readme`, do not edit -->"
README_END = "<!-- end of benchmark table -->"
SIZE_NAMES = {"4000x3000": "12 MP", "1920x1080": "1080p"}


def _size_name(size: str) -> str:
    return SIZE_NAMES.get(size, size)


def _pixel_count(size: str) -> int:
    return math.prod(int(v) for v in size.split("x"))


def _copyto_ratio(result: Result) -> float | None:
    """A copy-like operation's time over np.copyto's of the same frame (None for the others)."""
    if result.op not in COPY_LIKE or MEMCPY not in result.median_s:
        return None
    return result.median_s[PIXELKIT] / result.median_s[MEMCPY]


def readme_table(payload: dict[str, Any]) -> list[str]:
    """The README's summary of a results.json: ratio tables and every row where pixelkit is not ahead."""
    results = [Result(**entry) for entry in payload["results"]]
    machine = payload["machine"]
    versions = machine["versions"]
    frames = [r for r in results if not r.overhead]
    sizes = sorted({r.size for r in frames}, key=_pixel_count, reverse=True)
    threads = sorted({r.threads for r in frames})
    libs = ", ".join(
        f"{name} {versions[key]}"
        for name, key in (("numpy", "numpy"), ("OpenCV", "opencv"), ("Pillow", "pillow"))
        if versions.get(key)
    )
    lines = [
        README_START,
        "",
        f"Figures of `{payload['command']}` ({machine['date']}; {machine['cpu']}, {machine['usable_cpus']} usable",
        f"CPUs, {machine['pixelkit_cpu_features']['selected']} kernels, Python {versions['python']}, {libs}).",
        "Ratio = pixelkit time / the fastest peer that computes the same pixels (checked before timing);",
        "**bold** where pixelkit is faster. All rows, the peers' times and the peers timed only (†, another",
        "computation): [benchmarks/results/results.md](benchmarks/results/results.md).",
        "",
    ]
    by_key = {(r.op, r.size, r.threads, r.mode): r for r in frames}
    ops = list(dict.fromkeys(r.op for r in frames))
    largest = sizes[0] if sizes else ""
    for mode in MODES:
        mode_ops = [op for op in ops if any(k[0] == op and k[3] == mode for k in by_key)]
        if not mode_ops:
            continue
        columns = [(size, count) for size in sizes for count in threads]
        head = [
            "op",
            f"{_size_name(largest)} ms ({threads[0]} thread{'s' if threads[0] > 1 else ''})",
            "best peer",
            *(f"{_size_name(s)}, {c} thr" for s, c in columns),
        ]
        lines += [f"{MODE_TITLES[mode].capitalize()}:", ""]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|---|--:|---|" + "--:|" * len(columns))
        for op in mode_ops:
            first = by_key.get((op, largest, threads[0], mode))
            cells = [
                op,
                _time(first.median_s.get(PIXELKIT), False) if first else "-",
                (first.best_peer or "-") if first else "-",
            ]
            for size, count in columns:
                result = by_key.get((op, size, count, mode))
                ratio = None if result is None else result.ratio
                text = "-" if ratio is None else f"{ratio:.2f}"
                cells.append(f"**{text}**" if ratio is not None and ratio < 1.0 else text)
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    overhead = [r for r in results if r.overhead]
    if overhead:
        lines += ["Call overhead (1x1 image, median per call):", ""]
        for r in overhead:
            peer = r.best_peer
            versus = f" against {peer}'s {r.median_s[peer] * 1e6:.2f} µs" if peer else ""
            thread_text = f"{r.threads} thread{'s' if r.threads > 1 else ''}"
            lines.append(f"- `{r.op}` ({thread_text}): {r.median_s[PIXELKIT] * 1e6:.2f} µs{versus}")
        lines.append("")
    behind = [r for r in frames if r.ratio is not None and r.ratio > 1.0]
    behind.sort(key=lambda r: (MODES.index(r.mode), ops.index(r.op), -_pixel_count(r.size), r.threads))
    if behind:
        rated = sum(r.ratio is not None for r in frames)
        lines += [
            f"Where pixelkit is not ahead: {len(behind)} of the {rated} rows of this run, every one listed "
            "(ratio against the fastest comparable peer; for operations that only move the frame's bytes, "
            "also the time over np.copyto's, their floor):",
            "",
        ]
        grouped: dict[tuple[str, str], list[Result]] = {}
        for r in behind:
            grouped.setdefault((r.op, r.mode), []).append(r)
        for (op, mode), group in grouped.items():
            cases = "; ".join(
                f"{_size_name(r.size)}, {r.threads} thread{'s' if r.threads > 1 else ''}: {r.ratio:.2f} ({r.best_peer}"
                + (f", {_copyto_ratio(r):.2f} of np.copyto)" if _copyto_ratio(r) is not None else ")")
                for r in group
                if r.ratio is not None
            )
            lines.append(f"- `{op}`, {MODE_TITLES[mode]}: {cases}")
    else:
        lines.append("pixelkit is ahead of the fastest comparable peer in every row.")
    lines += ["", README_END]
    return lines


def update_readme(readme: Path, payload: dict[str, Any]) -> None:
    """Replace the README's text between README_START and README_END with the table of ``payload``."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme} has no benchmark table markers ({README_START!r} ... {README_END!r})")
    table = "\n".join(readme_table(payload))
    readme.write_text(text[:start] + table + text[end + len(README_END) :], encoding="utf-8")


CHART_TICKS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0)


def write_chart(path: Path, results: list[Result], machine: dict[str, Any], wanted: bool = True) -> str | None:
    """A horizontal bar chart of ratio to the best peer for the largest size; None, or why it was skipped."""
    matplotlib = _optional_module("matplotlib") if wanted else None
    if matplotlib is None:
        return "matplotlib is not installed: no chart" if wanted else "no chart (--without matplotlib)"
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    frames = [r for r in results if not r.overhead and r.ratio is not None]
    if not frames:
        return "no ratios to chart"
    mode = "new" if any(r.mode == "new" for r in frames) else "out"
    frames = [r for r in frames if r.mode == mode]
    largest = max(frames, key=lambda r: math.prod(int(v) for v in r.size.split("x"))).size
    chosen = [r for r in frames if r.size == largest]
    ops = list(dict.fromkeys(r.op for r in chosen))
    threads = sorted({r.threads for r in chosen})
    height = 0.8 / len(threads)
    figure, axes = plt.subplots(figsize=(9, 0.18 * len(ops) * (len(threads) + 1) + 1.6))
    colors = ("#3b75af", "#ef8636", "#519e3e", "#c53a32")
    ratios = [r.ratio for r in chosen if r.ratio is not None]
    low, high = min([*ratios, 0.5]) / 1.8, max([*ratios, 2.0]) * 1.8
    for slot, count in enumerate(threads):
        ys, widths, labels = [], [], []
        for index, op in enumerate(ops):
            match = [r for r in chosen if r.op == op and r.threads == count and r.ratio is not None]
            if match:
                ratio = match[0].ratio
                assert ratio is not None
                ys.append(index + (slot - (len(threads) - 1) / 2) * height)
                widths.append(ratio - 1.0)
                labels.append(f"{ratio:.2f} vs {match[0].best_peer}")
        bars = axes.barh(ys, widths, height=height * 0.9, left=1.0, color=colors[slot % len(colors)])
        bars.set_label(f"{count} thread{'s' if count > 1 else ''}")
        for y, width, label in zip(ys, widths, labels, strict=True):
            end = 1.0 + width
            axes.text(
                end * (0.97 if width < 0 else 1.03),
                y,
                label,
                va="center",
                ha="right" if width < 0 else "left",
                fontsize=7,
            )
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_xscale("log")
    axes.set_xlim(low, high)
    ticker: Any = importlib.import_module("matplotlib.ticker")
    axes.xaxis.set_major_locator(ticker.FixedLocator([t for t in CHART_TICKS if low <= t <= high]))
    axes.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axes.xaxis.set_minor_formatter(ticker.NullFormatter())
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.set_yticks(range(len(ops)), ops)
    axes.invert_yaxis()
    axes.set_xlabel("pixelkit time / best peer time (log scale; left of 1.0 = pixelkit faster)")
    axes.set_title(
        f"pixelkit vs the fastest comparable peer (numpy / OpenCV / Pillow), {largest} RGB, {MODE_TITLES[mode]}",
        fontsize=9,
    )
    axes.legend(loc="lower right", fontsize=8)
    features = machine["pixelkit_cpu_features"]
    figure.text(
        0.01,
        0.005,
        f"{machine['cpu']}, {machine['usable_cpus']} CPUs, {features['selected']}; {machine['date']}",
        fontsize=7,
        color="#555555",
    )
    figure.tight_layout(rect=(0, 0.02, 1, 1))
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return None


# ---- command line ---------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is WIDTHxHEIGHT, e.g. 1920x1080; got {text!r}") from None
    if not (1 <= width <= pk.MAX_DIMENSION and 1 <= height <= pk.MAX_DIMENSION):
        raise argparse.ArgumentTypeError(f"width and height must be in 1..{pk.MAX_DIMENSION}, got {text!r}")
    return width, height


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark pixelkit against numpy, OpenCV and Pillow (median ms per call, side by side).",
    )
    parser.add_argument("--quick", action="store_true", help="small frames and 2 repetitions: a smoke run")
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=parse_size,
        metavar="WxH",
        help="frame sizes (default 1920x1080 4000x3000; --quick: 320x240 640x480)",
    )
    parser.add_argument(
        "--ops",
        nargs="+",
        choices=[op.name for op in OPS] + ["overhead"],
        metavar="OP",
        help=f"operations ('overhead': the 1x1 ones); default all: {', '.join(op.name for op in OPS)}",
    )
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="thread counts to run (default: 1 2)")
    parser.add_argument(
        "--out",
        type=Path,
        help="directory for results.json, results.md and benchmark.png "
        "(default benchmarks/results; --quick: a temporary directory)",
    )
    parser.add_argument("--repeat", type=int, help="measured repetitions per library (default: fit a time budget)")
    parser.add_argument(
        "--budget", type=float, default=2.0, help="seconds of measurement per op, size and thread count (default: 2)"
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="new: every call returns a fresh result; out: into a preallocated out=/dst= where the library "
        "accepts one (default: both, one after the other for each operation)",
    )
    parser.add_argument("--preallocated", action="store_true", help="the same as --modes out")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="measure nothing: rewrite the benchmark table of README.md (between its markers) from "
        "DIR/results.json, listing every row where pixelkit is not ahead",
    )
    parser.add_argument(
        "--readme-file",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "README.md",
        help="the README that --readme rewrites (default: the checkout's README.md)",
    )
    parser.add_argument(
        "--without", nargs="+", choices=OPTIONAL, default=[], help="leave out an optional library as if missing"
    )
    args = parser.parse_args(argv)
    for count in args.threads:
        if not 1 <= count <= pk.runtime.MAX_THREADS:
            parser.error(f"--threads must be between 1 and {pk.runtime.MAX_THREADS}, got {count}")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.preallocated:
        args.modes = ["out"]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    started = time.perf_counter()
    sizes: list[tuple[int, int]] = args.sizes or (
        [(320, 240), (640, 480)] if args.quick else [(1920, 1080), (4000, 3000)]
    )
    wanted: list[str] = args.ops or [op.name for op in OPS]
    selected = [op for op in OPS if op.name in wanted or (op.overhead and "overhead" in wanted)]
    if args.quick:
        settings = Settings(args.repeat or 2, 1, 2, 0.0, min_sample=2e-4, overhead_sample=2e-4)
    else:
        settings = Settings(args.repeat, 5, 21, args.budget, min_sample=1e-3, overhead_sample=5e-3)
    if args.out is not None:
        out_dir: Path = args.out
    elif args.quick:
        out_dir = Path(tempfile.gettempdir()) / "pixelkit-benchmark-quick"
    else:
        out_dir = Path(__file__).resolve().parent / "results"
    if args.readme:
        readme: Path = args.readme_file
        update_readme(readme, json.loads((out_dir / "results.json").read_text(encoding="utf-8")))
        print(f"rewrote the benchmark table of {readme} from {out_dir / 'results.json'}")
        return 0

    use_opencv = cv2 is not None and "opencv" not in args.without
    use_pillow = PILImage is not None and "pillow" not in args.without
    notes: list[str] = []
    if not use_opencv:
        notes.append("OpenCV (cv2) is not used: its column is empty" + ("" if cv2 is None else " (--without)"))
    if not use_pillow:
        notes.append("Pillow is not used: its column is empty" + ("" if PILImage is None else " (--without)"))
    if "out" in args.modes:
        notes.append(
            "preallocated outputs: pixelkit, OpenCV and numpy write into out=/dst= where they can; Pillow allocates"
        )
    for note in notes:
        print(f"note: {note}")

    machine = machine_description()
    command = "python benchmarks/run.py" + "".join(
        f" {shlex.quote(a)}" for a in (sys.argv[1:] if argv is None else argv)
    )
    print(f"machine: {machine_line(machine)}")
    initial_pk_threads = pk.get_num_threads()
    initial_cv_threads = cv2.getNumThreads() if use_opencv else 0

    results: list[Result] = []
    disagreements: list[str] = []
    frame_ops = [op for op in selected if not op.overhead]
    overhead_ops = [op for op in selected if op.overhead]
    try:
        with tempfile.TemporaryDirectory(prefix="pixelkit-bench-") as folder:
            plan = [((w, h), frame_ops) for w, h in sizes] + ([((1, 1), overhead_ops)] if overhead_ops else [])
            for (width, height), ops in plan:
                if not ops:
                    continue
                frame = Frame(width, height, Path(folder), use_opencv, use_pillow)
                print_header("µs" if ops[0].overhead else "ms")
                for op in ops:
                    try:
                        timed_only = check_agreement(frame, op)
                    except Disagreement as exc:
                        disagreements.append(str(exc))
                        print(f"DISAGREEMENT: {exc}", flush=True)
                        continue
                    modes = [m for m in args.modes if m == "new" or op.has_out] or ["new"]
                    for mode in dict.fromkeys(modes):
                        for threads in args.threads:
                            result = run_case(frame, op, threads, settings, mode, timed_only)
                            results.append(result)
                            print(format_row(row_cells(result)), flush=True)
                del frame
                gc.collect()
    finally:
        pk.set_num_threads(initial_pk_threads)
        if use_opencv:
            cv2.setNumThreads(initial_cv_threads)

    out_dir.mkdir(parents=True, exist_ok=True)
    elapsed = time.perf_counter() - started
    payload = {
        "machine": machine,
        "command": command,
        "settings": {**asdict(settings), "modes": args.modes, "threads": args.threads},
        "notes": notes,
        "disagreements": disagreements,
        "units": {"median_s": "seconds per call", "samples_s": "seconds per call", "gbps": "1e9 bytes / s"},
        "elapsed_s": round(elapsed, 2),
        "results": [asdict(result) for result in results],
    }
    (out_dir / "results.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    write_markdown(
        out_dir / "results.md", results, machine, command, notes + [f"not timed: {d}" for d in disagreements]
    )
    skipped = write_chart(out_dir / "benchmark.png", results, machine, "matplotlib" not in args.without)
    if skipped:
        print(f"note: {skipped}")
    wins = [r for r in results if r.ratio is not None and r.ratio < 1.0]
    rated = [r for r in results if r.ratio is not None]
    print(f"\npixelkit is faster than the best peer in {len(wins)} of {len(rated)} rows.")
    written = ["results.json", "results.md"] + ([] if skipped else ["benchmark.png"])
    print(f"wrote {', '.join(str(out_dir / name) for name in written)} in {elapsed:.1f} s")
    if disagreements:
        print(f"\n{len(disagreements)} operation(s) not timed: a peer's pixels disagree with pixelkit's:")
        for message in disagreements:
            print(f"  {message}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
