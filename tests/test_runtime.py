"""CPU dispatch and threads: every instruction set and thread count gives the same bits.

Each operation runs on an image large enough to be split over threads under every available
instruction set and several thread counts; all results must be bit-identical and equal the
independent reference of kernel_refs.py.  PIXELKIT_ISA and PIXELKIT_NUM_THREADS are checked in
child processes; concurrent calls from Python threads must give the serial results.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from conftest import subprocess_env
from kernel_refs import (
    ALL_OPS,
    Op,
    RandomRGB,
    as_layout,
    assert_matches,
    pixels,
    ref_box,
    ref_gaussian,
    ref_resize,
    ref_resize_exact,
    ref_tensor,
    split_of,
)
from pixelkit import Image, runtime
from pixelkit.runtime import IsaName

ISA_NAMES = ("portable", "avx2", "avx512")
AVAILABLE = pixelkit.cpu_features()["available"]
THREAD_COUNTS = (1, 2, 3)
OPS = {op.name: op for op in ALL_OPS}


@pytest.fixture(autouse=True)
def restore_runtime() -> Iterator[None]:
    """Put the instruction set and the thread count back as they were (the defaults, unless the
    environment of this test run chose others)."""
    before = pixelkit.cpu_features()
    yield
    pixelkit.set_isa(before["selected"])
    pixelkit.set_num_threads(before["threads"])


def settings() -> Iterator[tuple[str, int]]:
    for isa in AVAILABLE:
        for threads in THREAD_COUNTS:
            pixelkit.set_isa(isa)
            pixelkit.set_num_threads(threads)
            yield isa, threads


def digest(result: Any) -> str:
    array = np.ascontiguousarray(pixels(result))
    return hashlib.sha256(array.tobytes() + str((array.shape, array.dtype)).encode()).hexdigest()


# ---- cpu_features, set_isa, set_num_threads -------------------------------------------------------------


def test_cpu_features() -> None:
    features = pixelkit.cpu_features()
    assert set(features) == {"cpu", "available", "selected", "threads"}
    available = features["available"]
    assert available == list(ISA_NAMES[: len(available)]), "every level up to the CPU's, in order"
    assert available[-1] == features["cpu"]
    assert features["selected"] in available
    assert isinstance(features["threads"], int) and 1 <= features["threads"] <= runtime.MAX_THREADS
    assert features["threads"] == pixelkit.get_num_threads()


def test_defaults_without_environment() -> None:
    pixelkit.set_isa(None)
    pixelkit.set_num_threads(None)
    features = pixelkit.cpu_features()
    assert features["selected"] == features["cpu"]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    assert features["threads"] == runtime.default_num_threads() == min(usable, runtime.MAX_THREADS)


@pytest.mark.parametrize("name", AVAILABLE)
def test_set_isa(name: IsaName) -> None:
    pixelkit.set_isa(name)
    assert pixelkit.cpu_features()["selected"] == name
    pixelkit.set_isa()
    assert pixelkit.cpu_features()["selected"] == pixelkit.cpu_features()["cpu"]


@pytest.mark.parametrize("name", ["sse", "AVX2", "Portable", "", "avx", 1])
def test_set_isa_refuses_unknown_names(name: Any) -> None:
    pixelkit.set_isa("portable")
    with pytest.raises(ValueError):
        pixelkit.set_isa(name)
    assert pixelkit.cpu_features()["selected"] == "portable"


@pytest.mark.parametrize("name", ISA_NAMES)
def test_set_isa_takes_what_the_cpu_runs_and_refuses_the_rest(name: IsaName) -> None:
    if name in AVAILABLE:
        pixelkit.set_isa(name)
        assert pixelkit.cpu_features()["selected"] == name
    else:
        with pytest.raises(ValueError, match="cannot run"):
            pixelkit.set_isa(name)


@pytest.mark.parametrize("count", [1, 2, 3, 7, runtime.MAX_THREADS])
def test_set_num_threads(count: int) -> None:
    pixelkit.set_num_threads(count)
    assert pixelkit.get_num_threads() == count == pixelkit.cpu_features()["threads"]
    pixelkit.set_num_threads(None)
    assert pixelkit.get_num_threads() == runtime.default_num_threads()


@pytest.mark.parametrize(
    "count, error",
    [
        (0, ValueError),
        (-1, ValueError),
        (10**6, ValueError),
        (runtime.MAX_THREADS + 1, ValueError),
        (-(2**70), ValueError),
        ("2", TypeError),
        (2.0, TypeError),
        (True, TypeError),
        ([2], TypeError),
    ],
)
def test_set_num_threads_refuses(count: Any, error: type[Exception]) -> None:
    pixelkit.set_num_threads(3)
    with pytest.raises(error):
        pixelkit.set_num_threads(count)
    assert pixelkit.get_num_threads() == 3


# ---- bit-identical results under every setting ---------------------------------------------------------------


@pytest.fixture(scope="module")
def large() -> NDArray[np.uint8]:
    """1200x900: ~1 MP, large enough that two or three threads really split every kernel.

    A kernel splits an image only into bands of at least runtime.MIN_BAND_WORK (256 KiB) bytes
    read plus written; the histogram, with the least work per pixel (3 bytes), needs 174,763
    pixels for two bands.  The identity test below asserts the split with pool_stats.
    """
    return np.random.default_rng(99).integers(0, 256, (900, 1200, 3), dtype=np.uint8)


# Memory-bound kernels split only from runtime.MIN_COPY_WORK (2 MiB) bytes of work: they run on `huge`.
COPY_KERNELS = frozenset(
    {
        "fill",
        "invert",
        "apply_lut",
        "adjust",
        "swap_rb",
        "blend",
        "flip_horizontal",
        "flip_vertical",
        "transpose",
        "rotate90",
    }
)


def is_copy_kernel(name: str) -> bool:
    return name.split("-")[0] in COPY_KERNELS


@pytest.fixture(scope="module")
def huge() -> NDArray[np.uint8]:
    """1000x1000: 3 MB, so that even fill (which only writes) has MIN_COPY_WORK bytes of work, also
    in an odd crop."""
    data = np.random.default_rng(98).integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    assert data.nbytes >= runtime.MIN_COPY_WORK
    return data


def input_for(name: str, large: NDArray[np.uint8], huge: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return huge if is_copy_kernel(name) else large


def large_input(data: NDArray[np.uint8], which: str) -> tuple[Callable[[], Any], NDArray[np.uint8]]:
    """(a factory of fresh inputs, the pixels they hold): the whole image, an odd crop of it, or a
    very wide or very tall strip (few rows or columns per band)."""
    if which == "full":
        return lambda: Image.from_array(data.copy()), data
    if which == "odd-crop":
        h, w = data.shape[:2]
        window = data[5 : h - 7, 3 : w - 11]  # odd sizes, rows 3 * w bytes apart
        return lambda: Image.from_array(data.copy()).crop(3, 5, w - 14, h - 12), window
    # Every pixel of the image: enough work for two bands even after a resize to half of each axis,
    # whose split counts only the output's bytes.
    pixels_count = data.shape[0] * data.shape[1]
    strip = data.reshape(10, pixels_count // 10, 3) if which == "wide" else data.reshape(pixels_count // 10, 10, 3)
    return lambda: Image.from_array(strip.copy()), strip


# Operations that make no pass over the thread pool: plain row copies on the calling thread.
UNSPLIT = {
    "paste": "pk_paste copies rows with memcpy on the calling thread (c/geometry.c)",
    "box_blur-0": "radius 0 is a row copy on the calling thread (c/filter.c)",
}


@pytest.mark.parametrize("which", ["full", "odd-crop", "wide", "tall"])
@pytest.mark.parametrize("name", OPS)
def test_every_isa_and_thread_count_gives_the_same_bits(
    name: str, which: str, large: NDArray[np.uint8], huge: NDArray[np.uint8]
) -> None:
    op = OPS[name]
    fresh, data = large_input(input_for(name, large, huge), which)
    digests: dict[tuple[str, int], str] = {}
    first: Any = None
    for isa, threads in settings():
        img = fresh()
        before = runtime.pool_stats()
        result = op.call(img)
        calls, bands, _ = (a - b for a, b in zip(runtime.pool_stats(), before, strict=True))
        # A 10-row result of a transpose is one group of rows: those split along the other way only.
        one_group = (
            which == "tall"
            and name.split("-")[0] in ("transpose", "rotate90")
            and name not in ("rotate90-0", "rotate90-2")
        )
        if threads > 1 and name not in UNSPLIT and not one_group:
            # The size is above the split threshold: every pass really was cut into bands.
            assert calls >= 1 and bands >= 2 * calls, (isa, threads, calls, bands)
        digests[isa, threads] = digest(result)
        if first is None:
            first = np.array(pixels(result))
        if name != "fill":
            assert np.array_equal(pixels(img), data), f"the input changed under {isa}, {threads} threads"
    assert len(set(digests.values())) == 1, f"results differ: {digests}"
    assert_matches(first, op.reference(data), op.tolerance, op.exact_of(data))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=UNSPLIT[name])) if name in UNSPLIT else name
        for name in OPS
    ],
)
def test_large_images_are_split_over_both_threads(name: str, large: NDArray[np.uint8], huge: NDArray[np.uint8]) -> None:
    """With 2 threads, a 1200x900 image (1000x1000 for memory-bound kernels) is cut into at least
    2 bands per pass, run by both threads.

    The band count is deterministic (PK_MIN_BAND_WORK bytes of work per band at least, and
    PK_MIN_COPY_WORK in all for memory-bound kernels, which then take bands of about 1 MiB; small
    boxes take 4 bands per thread); which thread takes a band is not, so the kernel runs until
    one call had bands run by the calling thread and by the pool's worker (normally within a few
    calls; at most 1,000).
    """
    op = OPS[name]
    pixelkit.set_num_threads(2)
    img = Image.from_array(input_for(name, large, huge).copy())
    assert runtime.MIN_BAND_WORK == 256 * 1024
    assert runtime.MIN_COPY_WORK == 2 << 20
    splits = []
    for _ in range(1000):
        split = split_of(lambda: op.call(img))
        assert split.calls >= 1, "the kernel made no pass over the thread pool"
        assert split.bands >= 2 * split.calls, split
        splits.append(split)
        if 0 < split.worker_bands < split.bands:  # the calling thread and the worker both ran bands
            break
    else:
        pytest.fail(f"no call ran bands on both threads; worker bands per call: {[s.worker_bands for s in splits]}")


def test_small_images_stay_on_the_calling_thread() -> None:
    pixelkit.set_num_threads(2)
    # histogram: 3 bytes of work a pixel; 2 bands need 2 * 256 KiB.
    below = np.zeros((300, 300, 3), np.uint8)
    assert split_of(lambda: pixelkit.histogram(below)) == (1, 1, 0)
    above = np.zeros((600, 600, 3), np.uint8)
    assert split_of(lambda: pixelkit.histogram(above)).bands == 2
    # invert: 6 bytes a pixel, memory-bound: one thread below 2 MiB of work, bands of 1 MiB above.
    frame = np.zeros((400, 800, 3), np.uint8)  # 1.92 MB of work
    assert split_of(lambda: pixelkit.invert(frame)) == (1, 1, 0)
    big = np.zeros((1080, 1920, 3), np.uint8)  # 12.4 MB
    assert split_of(lambda: pixelkit.invert(big)).bands == 6 * 1920 * 1080 // (1 << 20)
    pixelkit.set_num_threads(1)
    assert split_of(lambda: pixelkit.invert(big)) == (1, 1, 0)


def test_pool_counters_belong_to_the_calling_thread(large: NDArray[np.uint8]) -> None:
    pixelkit.set_num_threads(2)
    seen: list[runtime.PoolStats] = []
    before = runtime.pool_stats()
    thread = threading.Thread(target=lambda: seen.append(split_of(lambda: pixelkit.histogram(large))))
    thread.start()
    thread.join()
    assert runtime.pool_stats() == before
    assert seen[0].calls == 1 and seen[0].bands == 2


@pytest.mark.parametrize("isa", AVAILABLE)
@pytest.mark.parametrize("name", OPS)
def test_every_isa_on_small_and_odd_sizes(name: str, isa: IsaName, random_rgb: RandomRGB) -> None:
    """SIMD loops and their tails on sizes around the vector widths, against the reference."""
    op = OPS[name]
    pixelkit.set_isa(isa)
    for width, height in [(1, 1), (5, 3), (21, 2), (22, 4), (43, 3), (64, 2), (65, 5), (129, 4)]:
        data = random_rgb(width, height)
        assert_matches(op.call(as_layout(data, "padded")), op.reference(data), op.tolerance, op.exact_of(data))


def test_in_place_and_out_under_every_setting(large: NDArray[np.uint8]) -> None:
    """The paths that go through a temporary (in place) or write into out= agree too."""
    data = large[:611, :811]
    calls: dict[str, tuple[Callable[[Image, Any], Any], NDArray[Any], float]] = {
        "gaussian": (lambda img, out: pixelkit.gaussian_blur(img, 1.7, out=out), ref_gaussian(data, 1.7), 1),
        "box": (lambda img, out: pixelkit.box_blur(img, 4, out=out), ref_box(data, 4), 1),
        "resize": (
            lambda img, out: pixelkit.resize(img, 811, 611, "area", out=out),
            ref_resize(data, 811, 611, "area"),
            1,
        ),
        "invert": (lambda img, out: pixelkit.invert(img, out=out), 255 - data, 0),
        "flip": (lambda img, out: pixelkit.flip_vertical(img, out=out), np.flipud(data), 0),
        "rotate180": (lambda img, out: pixelkit.rotate90(img, 2, out=out), np.rot90(data, 2), 0),
    }
    for name, (call, expected, tolerance) in calls.items():
        digests = set()
        for _ in settings():
            img = Image.from_array(data.copy())
            assert call(img, img) is img
            digests.add(digest(img))
            out = np.zeros_like(data)
            assert call(Image.from_array(data), out) is out
            digests.add(digest(out))
        assert len(digests) == 1, name
        assert_matches(out, expected, tolerance)


def test_to_tensor_into_a_batch_under_every_setting(large: NDArray[np.uint8]) -> None:
    data = large[:300, :401]
    batch = np.zeros((len(AVAILABLE) * len(THREAD_COUNTS), 3, 300, 401), np.float32)
    for i, _ in enumerate(settings()):
        pixelkit.to_tensor(data, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), out=batch[i])
    assert all(np.array_equal(batch[0], entry) for entry in batch[1:])
    assert_matches(batch[0], ref_tensor(data, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)), 1e-6)


# ---- environment variables (child processes) ---------------------------------------------------------------

CHILD = """
import hashlib, json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import pixelkit
from pixelkit import runtime
import numpy as np
data = np.random.default_rng(5).integers(0, 256, (600, 700, 3), dtype=np.uint8)
result = np.asarray(pixelkit.gaussian_blur(data, 2.5))
print(json.dumps({
    "features": pixelkit.cpu_features(),
    "default_threads": runtime.default_num_threads(),
    "warnings": [[w.category.__name__, str(w.message)] for w in caught if issubclass(w.category, RuntimeWarning)],
    "result": hashlib.sha256(result.tobytes()).hexdigest(),
}))
"""


def run_child(**variables: str) -> dict[str, Any]:
    env = subprocess_env()
    for name in ("PIXELKIT_ISA", "PIXELKIT_NUM_THREADS"):
        env.pop(name, None)
    env.update(variables)
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.fixture(scope="module")
def plain_child() -> dict[str, Any]:
    return run_child()


def test_child_without_variables_uses_the_defaults(plain_child: dict[str, Any]) -> None:
    features = plain_child["features"]
    assert features["selected"] == features["cpu"] == pixelkit.cpu_features()["cpu"]
    assert features["threads"] == plain_child["default_threads"]
    assert plain_child["warnings"] == []


@pytest.mark.parametrize("value", ["portable", "PORTABLE", " portable\n", *AVAILABLE])
def test_pixelkit_isa_selects(value: str, plain_child: dict[str, Any]) -> None:
    child = run_child(PIXELKIT_ISA=value)
    assert child["features"]["selected"] == value.strip().lower()
    assert child["features"]["cpu"] == plain_child["features"]["cpu"], "the CPU is still reported"
    assert child["warnings"] == []
    assert child["result"] == plain_child["result"], "the same bits under every instruction set"


@pytest.mark.parametrize("value", ["sse4", "avx-512", "1", "portable,avx2"])
def test_pixelkit_isa_invalid_warns_and_falls_back(value: str, plain_child: dict[str, Any]) -> None:
    child = run_child(PIXELKIT_ISA=value)
    assert [category for category, _ in child["warnings"]] == ["RuntimeWarning"]
    assert "PIXELKIT_ISA" in child["warnings"][0][1]
    assert child["features"]["selected"] == plain_child["features"]["cpu"]
    assert child["result"] == plain_child["result"]


@pytest.mark.parametrize("name", ISA_NAMES)
def test_pixelkit_isa_selects_or_warns_and_uses_the_best(name: str, plain_child: dict[str, Any]) -> None:
    child = run_child(PIXELKIT_ISA=name)
    assert child["result"] == plain_child["result"]
    if name in AVAILABLE:
        assert child["warnings"] == []
        assert child["features"]["selected"] == name
    else:
        assert [category for category, _ in child["warnings"]] == ["RuntimeWarning"]
        assert child["features"]["selected"] == plain_child["features"]["cpu"]


@pytest.mark.parametrize("value, expected", [("1", 1), ("2", 2), (" 3 ", 3), ("256", 256)])
def test_pixelkit_num_threads(value: str, expected: int, plain_child: dict[str, Any]) -> None:
    child = run_child(PIXELKIT_NUM_THREADS=value)
    assert child["features"]["threads"] == expected
    assert child["warnings"] == []
    assert child["result"] == plain_child["result"]


@pytest.mark.parametrize("value", ["0", "-1", "257", "1000000", "two", "1.5", "2 threads"])
def test_pixelkit_num_threads_invalid_warns_and_falls_back(value: str, plain_child: dict[str, Any]) -> None:
    child = run_child(PIXELKIT_NUM_THREADS=value)
    assert [category for category, _ in child["warnings"]] == ["RuntimeWarning"]
    assert "PIXELKIT_NUM_THREADS" in child["warnings"][0][1]
    assert child["features"]["threads"] == child["default_threads"]


def test_both_variables_together(plain_child: dict[str, Any]) -> None:
    child = run_child(PIXELKIT_ISA="portable", PIXELKIT_NUM_THREADS="1")
    assert child["features"]["selected"] == "portable" and child["features"]["threads"] == 1
    assert child["warnings"] == []
    assert child["result"] == plain_child["result"]


# ---- concurrent calls -----------------------------------------------------------------------------------------

CONCURRENT_OPS: dict[str, Callable[[Image, Any], Any]] = {
    "gaussian_blur": lambda img, out: pixelkit.gaussian_blur(img, 2.0, out=out),
    "box_blur": lambda img, out: pixelkit.box_blur(img, 3, out=out),
    "resize-area": lambda img, out: pixelkit.resize(img.crop(0, 0, 2 * 300, 2 * 200), 300, 200, "area", out=out),
    "resize-bilinear": lambda img, out: pixelkit.resize(img, 517, 333, "bilinear", out=out),
    "invert": lambda img, out: pixelkit.invert(img, out=out),
    "transpose": lambda img, out: pixelkit.transpose(img, out=out),
    "to_tensor": lambda img, out: pixelkit.to_tensor(img, (0.5, 0.4, 0.3), (0.2, 0.3, 0.4), out=out),
    "histogram": lambda img, out: pixelkit.histogram(img),
}


def concurrent_outputs(img: Image) -> dict[str, Any]:
    h, w = img.height, img.width
    return {
        "gaussian_blur": np.empty((h, w, 3), np.uint8),
        "box_blur": np.empty((h, w, 3), np.uint8),
        "resize-area": np.empty((200, 300, 3), np.uint8),
        "resize-bilinear": np.empty((333, 517, 3), np.uint8),
        "invert": np.empty((h, w, 3), np.uint8),
        "transpose": np.empty((w, h, 3), np.uint8),
        "to_tensor": np.empty((3, h, w), np.float32),
        "histogram": None,
    }


def run_concurrently(
    images: list[Image], rounds: int, disturb: Callable[[], None] | None = None
) -> list[dict[str, str]]:
    """Every operation on every image, one Python thread per image, ``rounds`` times; digests per round."""
    barrier = threading.Barrier(len(images) + (disturb is not None))
    results: list[list[dict[str, str]]] = [[] for _ in images]
    errors: list[BaseException] = []
    done = threading.Event()

    def work(index: int) -> None:
        try:
            barrier.wait()
            outs = concurrent_outputs(images[index])
            for _ in range(rounds):
                digests = {}
                for name, call in CONCURRENT_OPS.items():
                    digests[name] = digest(call(images[index], outs[name]))
                results[index].append(digests)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def churn() -> None:
        assert disturb is not None
        barrier.wait()
        while not done.is_set():
            disturb()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(images))]
    spoiler = threading.Thread(target=churn) if disturb is not None else None
    for thread in [*threads, *([spoiler] if spoiler else [])]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    if spoiler is not None:
        spoiler.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not errors, errors
    return [entry for per_image in results for entry in per_image]


@pytest.fixture(scope="module")
def four_images(large: NDArray[np.uint8]) -> list[NDArray[np.uint8]]:
    return [np.ascontiguousarray(np.roll(large[:450, :640], 37 * i, axis=1)) for i in range(4)]


def serial_digests(arrays: list[NDArray[np.uint8]]) -> list[dict[str, str]]:
    expected = []
    for data in arrays:
        img = Image.from_array(data)
        outs = concurrent_outputs(img)
        expected.append({name: digest(call(img, outs[name])) for name, call in CONCURRENT_OPS.items()})
    return expected


@pytest.mark.parametrize("threads", [1, 2])
def test_concurrent_calls_give_the_serial_results(threads: int, four_images: list[NDArray[np.uint8]]) -> None:
    pixelkit.set_num_threads(2)
    expected = serial_digests(four_images)
    pixelkit.set_num_threads(threads)
    rounds = 3
    got = run_concurrently([Image.from_array(a) for a in four_images], rounds)
    assert got == [e for e in expected for _ in range(rounds)]


def test_concurrent_calls_while_settings_change(four_images: list[NDArray[np.uint8]]) -> None:
    """Changing the instruction set and thread count while kernels run changes no result."""
    expected = serial_digests(four_images)
    step = iter(range(10**9))

    def disturb() -> None:
        i = next(step)
        pixelkit.set_isa(AVAILABLE[i % len(AVAILABLE)])
        pixelkit.set_num_threads(1 + i % 3)
        time.sleep(0.0005)

    got = run_concurrently([Image.from_array(a) for a in four_images], 2, disturb)
    assert got == [e for e in expected for _ in range(2)]


def test_kernels_reference_for_concurrency(four_images: list[NDArray[np.uint8]]) -> None:
    """The serial results the concurrent tests compare with are themselves right."""
    data = four_images[1]
    img = Image.from_array(data)
    outs = concurrent_outputs(img)
    assert_matches(CONCURRENT_OPS["gaussian_blur"](img, outs["gaussian_blur"]), ref_gaussian(data, 2.0), 1)
    assert_matches(CONCURRENT_OPS["box_blur"](img, outs["box_blur"]), ref_box(data, 3), 1)
    assert_matches(
        CONCURRENT_OPS["resize-bilinear"](img, outs["resize-bilinear"]),
        ref_resize(data, 517, 333, "bilinear"),
        1,
        ref_resize_exact(data, 517, 333, "bilinear"),
    )
    assert_matches(
        CONCURRENT_OPS["resize-area"](img, outs["resize-area"]), ref_resize(data[:400, :600], 300, 200, "area"), 1
    )


# ---- fork ----------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_runs_threaded_kernels(large: NDArray[np.uint8]) -> None:
    """The pool's workers do not exist after fork(); the child must start its own, not hang."""
    pixelkit.set_num_threads(2)
    data = large[:700, :900]
    expected = digest(pixelkit.gaussian_blur(data, 3.0))  # the parent's pool is running now
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            answer = digest(pixelkit.gaussian_blur(data, 3.0)) + digest(pixelkit.box_blur(data, 2))
            os.write(write_end, answer.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 60)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the forked child hung running a threaded kernel")
        answer = os.read(read_end, 1024).decode()
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    assert answer == expected + digest(pixelkit.box_blur(data, 2))


def test_ops_table_is_complete() -> None:
    """Every public operation is exercised by the bit-identity test."""
    covered = {op.name.split("-")[0] for op in ALL_OPS}
    public = {
        "fill",
        "invert",
        "apply_lut",
        "adjust",
        "swap_rb",
        "blend",
        "to_gray",
        "to_tensor",
        "flip_horizontal",
        "flip_vertical",
        "transpose",
        "rotate90",
        "histogram",
        "paste",
        "resize",
        "box_blur",
        "gaussian_blur",
    }
    assert public <= covered
    assert all(isinstance(op, Op) for op in ALL_OPS)
