"""Pipeline: fused chains against the same operations called one after another.

The op-by-op results (whose kernels are tested against OpenCV, Pillow and numpy elsewhere) are the
reference: a fused pipeline must equal them byte for byte on random chains, sizes, crops and padded
rows, for every instruction set and thread count.  Then the builder: immutability, repr, and errors
raised when a stage is added (or, for what depends on the image, before any C code runs).
"""

from __future__ import annotations

import doctest
import pickle
from collections.abc import Callable
from typing import Any

import dask.array
import numpy as np
import pytest

import pixelkit
import pixelkit.dask as pkdask
import pixelkit.ops
import pixelkit.pipeline
import pixelkit.pipeline.builder
import pixelkit.pipeline.run
import pixelkit.pipeline.stage
from kernel_refs import IMAGENET_MEAN, IMAGENET_STD, LAYOUTS, LUT1, LUT3, as_layout, pixels, split_of
from pixelkit import Image, Pipeline
from pixelkit._native import ffi, lib
from pixelkit.rawio import as_image

AVAILABLE = pixelkit.cpu_features()["available"]
Step = tuple[str, tuple[Any, ...]]
SHARPEN = [[-1, -1, -1], [-1, 16, -1], [-1, -1, -1]]
# Dask's own annotations are partial; the tests call it untyped.
da: Any = dask.array


def stepwise(img: Any, steps: list[Step]) -> Any:
    """The chain as separate pixelkit calls (crop as Image.crop, a view)."""
    current = img
    for name, args in steps:
        if name == "crop":
            current = as_image(current).crop(*args)
        else:
            current = getattr(pixelkit, name)(current, *args)
    return current


def fused(steps: list[Step]) -> Pipeline:
    pipe = Pipeline()
    for name, args in steps:
        pipe = getattr(pipe, name)(*args)
    return pipe


def random_steps(rng: np.random.Generator, width: int, height: int, max_len: int = 6) -> list[Step]:
    """A random valid chain for a width x height input, tracking the size stage by stage."""
    steps: list[Step] = []
    w, h = width, height
    for _ in range(int(rng.integers(1, max_len + 1))):
        choice = str(rng.choice(["point", "point", "geometry", "resize", "filter", "filter", "blend", "end"]))
        if choice == "point":
            name = str(rng.choice(["invert", "apply_lut", "adjust", "swap_rb", "flip_horizontal", "flip_vertical"]))
            if name == "apply_lut":
                steps.append((name, (LUT1 if rng.random() < 0.5 else LUT3,)))
            elif name == "adjust":
                steps.append((name, (float(rng.uniform(-0.3, 0.3)), float(rng.uniform(0.5, 2)), 1.3)))
            else:
                steps.append((name, ()))
        elif choice == "geometry":
            cw, ch = int(rng.integers(1, w + 1)), int(rng.integers(1, h + 1))
            x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            steps.append(("crop", (x, y, cw, ch)))
            w, h = cw, ch
        elif choice == "resize":
            nw = max(1, min(900, int(w * rng.uniform(0.2, 2.2)) + int(rng.integers(-1, 2))))
            nh = max(1, min(700, int(h * rng.uniform(0.2, 2.2)) + int(rng.integers(-1, 2))))
            if rng.random() < 0.3:  # the exact-half and integer-factor paths
                nw, nh = max(1, w // 2), max(1, h // 2)
            steps.append(("resize", (nw, nh, str(rng.choice(["nearest", "bilinear", "area"])))))
            w, h = nw, nh
        elif choice == "filter":
            kind = str(rng.choice(["box_blur", "gaussian_blur", "convolve"]))
            if kind == "box_blur":
                steps.append((kind, (int(rng.choice([0, 1, 2, 3, 5, 8, 40])),)))
            elif kind == "gaussian_blur":
                steps.append((kind, (float(rng.choice([0.3, 0.8, 1.0, 2.0, 4.5])),)))
            else:
                kh, kw = (int(k) for k in rng.choice([1, 3, 5, 7], 2))
                kernel = rng.integers(-4, 9, (kh, kw))
                steps.append((kind, (kernel, int(rng.choice([1, 8, 7, 16])), int(rng.integers(-20, 21)))))
        elif choice == "blend":
            other = np.random.default_rng(w * 7 + h).integers(0, 256, (h, w, 3), dtype=np.uint8)
            steps.append(("blend", (other, float(rng.uniform(0, 1)))))
        else:
            end = str(rng.choice(["to_gray", "to_tensor", "histogram"]))
            if end == "to_tensor":
                steps.append((end, (IMAGENET_MEAN, IMAGENET_STD, str(rng.choice(["CHW", "HWC"])))))
            else:
                steps.append((end, ()))
            break
    return steps


def assert_same(got: Any, expected: Any) -> None:
    a, b = pixels(got), pixels(expected)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    assert a.tobytes() == b.tobytes()


SMALL = [(1, 1), (1, 9), (9, 1), (2, 3), (7, 5), (33, 17), (64, 48)]


@pytest.mark.parametrize("seed", range(40))
def test_random_chains_on_small_images(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for width, height in SMALL:
        data = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        steps = random_steps(rng, width, height)
        assert_same(fused(steps)(data), stepwise(data, steps))


@pytest.mark.usefixtures("restore_runtime")
@pytest.mark.parametrize("seed", range(12))
def test_random_chains_every_isa_threads_and_layout(seed: int) -> None:
    """Images large enough for many bands and both threads, in every memory layout."""
    rng = np.random.default_rng(1000 + seed)
    width, height = int(rng.integers(200, 700)), int(rng.integers(150, 600))
    data = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    steps = random_steps(rng, width, height)
    pixelkit.set_isa("portable")
    pixelkit.set_num_threads(1)
    expected = stepwise(data, steps)
    for isa in AVAILABLE:
        for threads in (1, 2):
            pixelkit.set_isa(isa)
            pixelkit.set_num_threads(threads)
            layout = LAYOUTS[(seed + threads) % len(LAYOUTS)]
            assert_same(fused(steps)(as_layout(data, layout)), expected)


@pytest.mark.usefixtures("restore_runtime")
@pytest.mark.parametrize("seed", range(6))
def test_random_chains_on_tall_images(seed: int) -> None:
    """Many bands one after another, each reusing the rows the band above also needed."""
    rng = np.random.default_rng(2000 + seed)
    width, height = int(rng.integers(200, 500)), int(rng.integers(4000, 7000))
    data = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    steps = random_steps(rng, width, height)
    steps = [("box_blur", (int(rng.integers(1, 4)),)), *steps] if steps[0][0] not in _FILTERS else steps
    expected = stepwise(data, steps)
    for isa, threads in (("portable", 1), (AVAILABLE[-1], 2)):
        pixelkit.set_isa(isa)  # type: ignore[arg-type]
        pixelkit.set_num_threads(threads)
        assert_same(fused(steps)(as_layout(data, LAYOUTS[seed % len(LAYOUTS)])), expected)


_FILTERS = ("box_blur", "gaussian_blur", "convolve")


@pytest.mark.usefixtures("restore_runtime")
@pytest.mark.parametrize(
    "steps",
    [
        [("resize", (500, 375, "area")), ("gaussian_blur", (1.0,)), ("to_gray", ())],
        [("resize", (224, 224, "area")), ("to_tensor", (IMAGENET_MEAN, IMAGENET_STD, "CHW"))],
        [("crop", (100, 100, 800, 550)), ("resize", (720, 495, "bilinear")), ("convolve", (SHARPEN, 8))],
        [("gaussian_blur", (2.0,)), ("histogram", ())],
    ],
    ids=["thumbnail", "ml", "libvips", "blur-histogram"],
)
def test_the_benchmark_pipelines(steps: list[Step]) -> None:
    data = np.random.default_rng(3).integers(0, 256, (750, 1000, 3), dtype=np.uint8)
    expected = stepwise(data, steps)
    for isa in AVAILABLE:
        for threads in (1, 2):
            pixelkit.set_isa(isa)
            pixelkit.set_num_threads(threads)
            assert_same(fused(steps)(data), expected)


def test_a_tall_blur_on_a_short_image() -> None:
    # The gaussian's window is taller than the (resized) image: every row is read, reflected.
    data = np.random.default_rng(4).integers(0, 256, (40, 300, 3), dtype=np.uint8)
    steps: list[Step] = [("resize", (150, 5, "area")), ("gaussian_blur", (3.0,)), ("box_blur", (9,))]
    assert_same(fused(steps)(data), stepwise(data, steps))


# ---- out= ------------------------------------------------------------------------------------


def test_out_for_each_kind_of_result() -> None:
    data = np.random.default_rng(5).integers(0, 256, (61, 83, 3), dtype=np.uint8)
    rgb = Pipeline().resize(40, 30, "area").gaussian_blur(1.0)
    out = np.zeros((30, 40, 3), np.uint8)
    assert rgb(data, out=out) is out
    assert_same(out, pixelkit.gaussian_blur(pixelkit.resize(data, 40, 30, "area"), 1.0))
    gray = np.zeros((30, 40), np.uint8)
    assert rgb.to_gray()(data, out=gray) is gray
    assert_same(gray, pixelkit.to_gray(pixelkit.gaussian_blur(pixelkit.resize(data, 40, 30, "area"), 1.0)))
    batch = np.zeros((4, 3, 30, 40), np.float32)
    prep = Pipeline().resize(40, 30, "area").to_tensor(IMAGENET_MEAN, IMAGENET_STD)
    assert prep(data, out=batch[2]) is batch[2] or np.shares_memory(prep(data, out=batch[2]), batch)
    assert_same(batch[2], pixelkit.to_tensor(pixelkit.resize(data, 40, 30, "area"), IMAGENET_MEAN, IMAGENET_STD))
    assert not batch[1].any()
    counts = np.zeros((3, 256), np.uint64)
    assert Pipeline().box_blur(2).histogram()(data, out=counts) is counts
    assert_same(counts, pixelkit.histogram(pixelkit.box_blur(data, 2)))


def test_out_may_be_the_input() -> None:
    data = np.random.default_rng(6).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    expected = pixelkit.convolve(pixelkit.flip_vertical(pixelkit.invert(data)), SHARPEN, 8)
    Pipeline().invert().flip_vertical().convolve(SHARPEN, 8)(data, out=data)
    assert_same(data, expected)


def test_out_may_be_the_blend_image() -> None:
    data = np.random.default_rng(7).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    other = np.random.default_rng(8).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    expected = pixelkit.blend(pixelkit.box_blur(data, 1), other, 0.25)
    Pipeline().box_blur(1).blend(other, 0.25)(data, out=other)
    assert_same(other, expected)


def test_an_empty_pipeline_copies() -> None:
    data = np.random.default_rng(9).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    result = Pipeline()(as_layout(data, "padded"))
    assert isinstance(result, Image)
    assert_same(result, data)


def test_results_are_images_for_rgb_and_arrays_otherwise() -> None:
    data = np.zeros((8, 8, 3), np.uint8)
    assert isinstance(Pipeline().invert()(data), Image)
    assert Pipeline().to_gray()(data).shape == (8, 8)
    assert Pipeline().to_tensor(layout="HWC")(data).shape == (8, 8, 3)
    assert Pipeline().histogram()(data).dtype == np.uint64


# ---- the builder ---------------------------------------------------------------------------------


def test_builder_is_immutable_and_shows_its_stages() -> None:
    base = Pipeline().resize(2000, 1500, "area")
    longer = base.gaussian_blur(1.0).to_gray()
    assert len(base) == 1 and len(longer) == 3
    assert repr(base) == "Pipeline().resize(width=2000, height=1500, method='area')"
    assert repr(longer).endswith(".gaussian_blur(sigma=1.0).to_gray()")
    assert longer.stages[1] == "gaussian_blur(sigma=1.0)"
    with pytest.raises(AttributeError):
        base._stages = ()
    assert repr(Pipeline()) == "Pipeline()"
    assert Pipeline().box_blur(2).convolve(SHARPEN, 8).gaussian_blur(1.0).reach == (2 + 1 + 3, 2 + 1 + 3)


@pytest.mark.parametrize("end", ["histogram", "to_tensor", "to_gray"])
@pytest.mark.parametrize("after", ["invert", "swap_rb", "to_gray", "histogram", "flip_vertical"])
def test_nothing_follows_a_terminal_stage(end: str, after: str) -> None:
    pipe = getattr(Pipeline().invert(), end)()
    with pytest.raises(ValueError, match="cannot follow"):
        getattr(pipe, after)()


BAD: list[tuple[Callable[[Pipeline], Pipeline], type[Exception]]] = [
    (lambda p: p.resize(0, 10), ValueError),
    (lambda p: p.resize(10, 10, "cubic"), ValueError),  # type: ignore[arg-type]
    (lambda p: p.resize(10.5, 10), TypeError),  # type: ignore[arg-type]
    (lambda p: p.box_blur(-1), ValueError),
    (lambda p: p.box_blur(1.5), TypeError),  # type: ignore[arg-type]
    (lambda p: p.gaussian_blur(0.0), ValueError),
    (lambda p: p.gaussian_blur(float("nan")), ValueError),
    (lambda p: p.convolve([[1, 1]]), ValueError),
    (lambda p: p.convolve(SHARPEN, 0), ValueError),
    (lambda p: p.convolve([[0.5]]), ValueError),
    (lambda p: p.apply_lut(np.zeros(255, np.uint8)), ValueError),
    (lambda p: p.apply_lut(np.zeros(256, np.int16)), TypeError),
    (lambda p: p.adjust(gamma=0), ValueError),
    (lambda p: p.blend(np.zeros((2, 2, 3), np.uint8), 1.5), ValueError),
    (lambda p: p.blend(np.zeros((2, 2), np.uint8), 0.5), ValueError),
    (lambda p: p.crop(-1, 0, 2, 2), ValueError),
    (lambda p: p.crop(0, 0, 0, 2), ValueError),
    (lambda p: p.to_tensor(std=(1, 0, 1)), ValueError),
    (lambda p: p.to_tensor(layout="CWH"), ValueError),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("build", "error"), BAD)
def test_bad_parameters_raise_when_the_stage_is_added(build: Callable[[Pipeline], Pipeline], error: type) -> None:
    with pytest.raises(error):
        build(Pipeline())


def test_what_depends_on_the_image_raises_before_running(monkeypatch: pytest.MonkeyPatch) -> None:
    data = np.zeros((10, 10, 3), np.uint8)
    calls: list[Any] = []
    monkeypatch.setattr(pixelkit.pipeline.run, "lib", _Spy(lib, calls))
    with pytest.raises(ValueError, match="does not fit"):
        Pipeline().invert().crop(5, 5, 6, 2)(data)
    with pytest.raises(ValueError, match="same size"):
        Pipeline().resize(5, 5).blend(np.zeros((10, 10, 3), np.uint8), 0.5)(data)
    with pytest.raises(ValueError, match="shape"):
        Pipeline().invert()(data, out=np.zeros((10, 11, 3), np.uint8))
    with pytest.raises(ValueError):
        Pipeline().invert()(np.zeros((10, 10), np.uint8))
    with pytest.raises(TypeError):
        Pipeline().invert()("image.ppm")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Pipeline().to_gray()(data, out=np.zeros((10, 10), np.uint8)[::-1])
    assert calls == []


class _Spy:
    def __init__(self, lib: Any, calls: list[Any]) -> None:
        self._lib, self._calls = lib, calls

    def __getattr__(self, name: str) -> Any:
        if name == "pk_pipeline":
            return self._record
        return getattr(self._lib, name)

    def _record(self, *args: Any) -> int:
        self._calls.append(args)
        return 0


def test_doctests() -> None:
    results = [
        doctest.testmod(module)
        for module in (pixelkit.pipeline, pixelkit.pipeline.builder, pixelkit.pipeline.stage, pixelkit.pipeline.run)
    ]
    assert sum(r.failed for r in results) == 0
    assert sum(r.attempted for r in results) >= 15  # one example or more per stage method
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    for test in finder.find(pkdask.pipeline, "pipeline", globs={}):
        runner.run(test)
    assert runner.failures == 0
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(pixelkit.ops.convolve, "convolve", globs={}):
        runner.run(test)
    assert runner.failures == 0


# ---- pickling and Dask -----------------------------------------------------------------------------


def test_a_pipeline_pickles_to_the_same_chain() -> None:
    data = np.random.default_rng(10).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    other = np.random.default_rng(11).integers(0, 256, (15, 20, 3), dtype=np.uint8)
    pipe = Pipeline().apply_lut(LUT3).resize(20, 15, "area").blend(other, 0.3).convolve(SHARPEN, 8).to_gray()
    again = pickle.loads(pickle.dumps(pipe))
    assert repr(again) == repr(pipe)
    assert_same(again(data), pipe(data))
    with pytest.raises(ValueError):
        Pipeline.from_steps([("sharpen", {})])


@pytest.mark.parametrize("seed", range(25))
def test_dask_blocks_equal_the_whole_image(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    width, height = int(rng.integers(5, 150)), int(rng.integers(5, 120))
    data = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    pipe = fused(random_steps(rng, width, height))
    chunks = (int(rng.integers(3, 50)), int(rng.integers(3, 50)), 3)
    lazy: Any = pkdask.pipeline(da.from_array(data, chunks=chunks), pipe)
    assert_same(lazy.compute(scheduler="threads"), pipe(data))


def test_dask_frames_and_calling_the_pipeline_on_a_dask_array() -> None:
    rng = np.random.default_rng(12)
    frames = rng.integers(0, 256, (4, 40, 50, 3), dtype=np.uint8)
    pipe = Pipeline().box_blur(2).gaussian_blur(1.0).adjust(0.1).to_gray()
    lazy = pipe(da.from_array(frames, chunks=(2, 15, 20, 3)))
    got = np.asarray(lazy.compute(scheduler="threads"))
    for k in range(4):
        assert_same(got[k], pipe(frames[k]))
    counts = Pipeline().gaussian_blur(2.0).histogram()(da.from_array(frames, chunks=(1, 15, 50, 3)))
    expected = sum(Pipeline().gaussian_blur(2.0).histogram()(f) for f in frames)
    assert_same(counts.compute(scheduler="threads"), expected)


def test_dask_runs_a_chain_of_filters_as_one_task_per_block() -> None:
    data = da.from_array(np.zeros((64, 64, 3), np.uint8), chunks=(16, 64, 3))
    pipe = Pipeline().gaussian_blur(1.0).box_blur(1).convolve(SHARPEN, 8).invert()
    fused_graph = dict(pkdask.pipeline(data, pipe).__dask_graph__())
    stepwise_graph = dict(
        pkdask.invert(pkdask.box_blur(pkdask.gaussian_blur(data, 1.0), 1)).__dask_graph__()  # one stage fewer
    )
    assert len(fused_graph) < len(stepwise_graph)


def test_dask_refuses_what_does_not_fit_before_building_a_graph() -> None:
    data = da.from_array(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="does not fit"):
        pkdask.pipeline(data, Pipeline().crop(5, 5, 6, 6))
    with pytest.raises(TypeError):
        pkdask.pipeline(data, "invert")


# ---- the C entry point checks its arguments ------------------------------------------------------------


def _c_stages(*kinds: int) -> Any:
    stages = ffi.new("pk_stage[]", max(1, len(kinds)))
    for i, kind in enumerate(kinds):
        stages[i].kind = kind
    return stages


def test_pk_pipeline_refuses_bad_arguments() -> None:
    src, dst = Image(8, 8), Image(8, 8)
    plane = ffi.new("pk_plane *", {"data": ffi.new("uint8_t[64]"), "width": 8, "height": 8, "stride": 8, "writable": 1})
    null: Any = ffi.NULL
    invert = _c_stages(lib.PK_STAGE_INVERT)
    assert lib.pk_pipeline(null, invert, 1, dst._desc, null, null, null) == lib.PK_ERR_NULL
    assert lib.pk_pipeline(src._desc, null, 1, dst._desc, null, null, null) == lib.PK_ERR_NULL
    assert lib.pk_pipeline(src._desc, invert, lib.PK_MAX_STAGES + 1, dst._desc, null, null, null) == lib.PK_ERR_ARGUMENT
    assert lib.pk_pipeline(src._desc, invert, 1, null, null, null, null) == lib.PK_ERR_NULL
    assert lib.pk_pipeline(src._desc, invert, 1, src._desc, null, null, null) == lib.PK_ERR_OVERLAP
    assert lib.pk_pipeline(src._desc, _c_stages(99), 1, dst._desc, null, null, null) == lib.PK_ERR_ARGUMENT
    # A last stage anywhere but last; its output missing.
    gray_first = _c_stages(lib.PK_STAGE_TO_GRAY, lib.PK_STAGE_INVERT)
    assert lib.pk_pipeline(src._desc, gray_first, 2, dst._desc, plane, null, null) == lib.PK_ERR_ARGUMENT
    assert (
        lib.pk_pipeline(src._desc, _c_stages(lib.PK_STAGE_TO_GRAY), 1, dst._desc, null, null, null) == lib.PK_ERR_NULL
    )
    assert lib.pk_pipeline(src._desc, _c_stages(lib.PK_STAGE_HISTOGRAM), 1, null, null, null, null) == lib.PK_ERR_NULL
    crop = _c_stages(lib.PK_STAGE_CROP)
    crop[0].x, crop[0].y, crop[0].width, crop[0].height = 4, 0, 5, 8
    assert lib.pk_pipeline(src._desc, crop, 1, dst._desc, null, null, null) == lib.PK_ERR_ARGUMENT
    resize = _c_stages(lib.PK_STAGE_RESIZE)
    resize[0].width, resize[0].height, resize[0].method = 8, 8, 7
    assert lib.pk_pipeline(src._desc, resize, 1, dst._desc, null, null, null) == lib.PK_ERR_ARGUMENT
    resize[0].method = lib.PK_RESIZE_AREA
    resize[0].width = 9
    assert lib.pk_pipeline(src._desc, resize, 1, dst._desc, null, null, null) == lib.PK_ERR_SHAPE
    blur = _c_stages(lib.PK_STAGE_GAUSSIAN_BLUR)
    blur[0].sigma = float("nan")
    assert lib.pk_pipeline(src._desc, blur, 1, dst._desc, null, null, null) == lib.PK_ERR_ARGUMENT
    conv = _c_stages(lib.PK_STAGE_CONVOLVE)
    weights = ffi.new("int32_t[4]", [1, 1, 1, 1])
    conv[0].kernel, conv[0].kernel_width, conv[0].kernel_height, conv[0].scale = weights, 2, 2, 4
    assert lib.pk_pipeline(src._desc, conv, 1, dst._desc, null, null, null) == lib.PK_ERR_ARGUMENT
    lut = _c_stages(lib.PK_STAGE_APPLY_LUT)
    assert lib.pk_pipeline(src._desc, lut, 1, dst._desc, null, null, null) == lib.PK_ERR_NULL
    blend = _c_stages(lib.PK_STAGE_BLEND)
    short = Image(8, 7)  # kept alive while C reads its descriptor
    blend[0].other, blend[0].alpha = short._desc, 0.5
    assert lib.pk_pipeline(src._desc, blend, 1, dst._desc, null, null, null) == lib.PK_ERR_SHAPE
    blend[0].other = dst._desc
    assert lib.pk_pipeline(src._desc, blend, 1, dst._desc, null, null, null) == lib.PK_ERR_OVERLAP
    assert lib.pk_pipeline(src._desc, invert, 0, dst._desc, null, null, null) == lib.PK_OK  # a copy


@pytest.mark.usefixtures("restore_runtime")
def test_a_large_pipeline_is_split_over_the_pool() -> None:
    data = np.zeros((1200, 1600, 3), np.uint8)
    pipe = Pipeline().resize(800, 600, "area").gaussian_blur(1.0).to_gray()
    pixelkit.set_num_threads(2)
    two = split_of(lambda: pipe(data))
    assert two.bands > 1
    pixelkit.set_num_threads(1)
    one = split_of(lambda: pipe(data))
    assert one.worker_bands == 0
