"""The buffer cache gives memory back: large blocks at once, cached ones after about a second.

Resident memory is read from /proc in fresh interpreters, so nothing else in the test
process (other tests' images, numpy's allocator) moves the figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit as pk
from pixelkit import memory

MIB = 1 << 20
HAS_CACHE = pk.buffer_cache_info().block_max > 0
needs_cache = pytest.mark.skipif(not HAS_CACHE, reason="this build has no buffer cache (AddressSanitizer builds)")
needs_proc = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="resident memory is read from /proc")

PRELUDE = """
import json, os, time
import pixelkit as pk

PAGE = os.sysconf("SC_PAGE_SIZE")

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE
"""


def run_python(body: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``body`` (after PRELUDE) in a fresh interpreter; it prints one JSON object."""
    environment = {name: value for name, value in os.environ.items() if name != "PIXELKIT_BUFFER_CACHE"}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def restore_cache() -> object:
    limit = pk.buffer_cache_info().max_bytes
    yield None
    pk.set_buffer_cache(limit if HAS_CACHE else None)


@needs_proc
def test_freeing_a_144_mb_image_returns_it_at_once() -> None:
    figures = run_python(
        """
        before = rss()
        img = pk.Image(8000, 6000, fill=(1, 2, 3))  # 144 MB, every page written
        held = rss()
        del img
        after = rss()
        print(json.dumps({"held": held - before, "returned": held - after,
                          "cached": pk.buffer_cache_info().cached_bytes}))
        """
    )
    assert figures["held"] >= 140 * 10**6  # type: ignore[operator]
    assert figures["returned"] >= 100 * MIB  # type: ignore[operator]
    assert figures["cached"] == 0


@needs_proc
@needs_cache
def test_a_loop_over_36_mb_frames_gives_its_memory_back_within_two_seconds() -> None:
    figures = run_python(
        """
        src = pk.Image(4000, 3000, fill=(10, 20, 30))  # 36 MB
        before = rss()
        for _ in range(12):
            flipped = pk.flip_vertical(src)
            inverted = pk.invert(flipped)
            del flipped, inverted
        end = time.monotonic()
        cached_at_end = pk.buffer_cache_info().cached_bytes
        peak = rss()
        while pk.buffer_cache_info().cached_bytes and time.monotonic() - end < 10:
            time.sleep(0.02)
        emptied = time.monotonic() - end
        print(json.dumps({"cached_at_end": cached_at_end, "above_before_at_end": peak - before,
                          "emptied_after": emptied, "above_before_after": rss() - before}))
        """
    )
    # The loop reused its blocks (they were cached) and they went back within 2 s of its end.
    assert figures["cached_at_end"] >= 36 * 10**6  # type: ignore[operator]
    assert figures["above_before_at_end"] >= 36 * 10**6  # type: ignore[operator]
    assert figures["emptied_after"] <= 2.0  # type: ignore[operator]
    assert figures["above_before_after"] < 8 * MIB  # type: ignore[operator]


@needs_cache
def test_blocks_above_the_block_limit_are_never_cached(restore_cache: object) -> None:
    pk.release_memory()
    img = pk.Image(4000, 6000)  # 72 MB > 64 MiB
    del img
    assert pk.buffer_cache_info().cached_bytes == 0
    img = pk.Image(3000, 3000)  # 27 MB
    del img
    info = pk.buffer_cache_info()
    assert info.cached_blocks == 1 and 27 * 10**6 <= info.cached_bytes <= 32 * MIB


@needs_cache
def test_release_memory_drops_every_cached_block(restore_cache: object) -> None:
    pk.release_memory()
    images = [pk.Image(2000, 1000 + i) for i in range(3)]
    del images
    cached = pk.buffer_cache_info()
    assert cached.cached_blocks == 3
    assert pk.release_memory() == cached.cached_bytes
    assert pk.buffer_cache_info()[2:] == (0, 0)
    assert pk.release_memory() == 0


@needs_cache
def test_zero_disables_the_cache_and_a_lower_limit_evicts_the_oldest(restore_cache: object) -> None:
    pk.release_memory()
    older, newer = pk.Image(2000, 1000), pk.Image(2000, 2000)  # 6 MB and 12 MB
    del older
    del newer
    assert pk.buffer_cache_info().cached_blocks == 2
    assert pk.set_buffer_cache(16 * MIB) == memory.BUFFER_CACHE_DEFAULT
    info = pk.buffer_cache_info()
    assert info.max_bytes == 16 * MIB and info.cached_blocks == 1 and 12 * 10**6 <= info.cached_bytes <= 16 * MIB
    assert pk.set_buffer_cache(0) == 16 * MIB
    assert pk.buffer_cache_info()[2:] == (0, 0)
    img = pk.Image(2000, 1000)
    del img
    assert pk.buffer_cache_info().cached_bytes == 0
    pk.set_buffer_cache(None)
    assert pk.buffer_cache_info().max_bytes == memory.BUFFER_CACHE_DEFAULT


def test_reused_blocks_hold_what_is_written_to_them(restore_cache: object) -> None:
    """A block taken from the cache is a working result (compared with numpy's)."""
    import numpy as np

    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (1100, 1900, 3), dtype=np.uint8)
    for _ in range(3):
        np.testing.assert_array_equal(np.asarray(pk.invert(a)), 255 - a)


@pytest.mark.parametrize("bad", [-1, 1 << 70])
def test_a_limit_out_of_range_is_a_value_error(bad: int) -> None:
    with pytest.raises(ValueError, match="max_bytes must be between 0 and"):
        pk.set_buffer_cache(bad)


@pytest.mark.parametrize("bad", ["64M", 1.5, True])
def test_a_limit_that_is_not_an_int_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="max_bytes must be an int"):
        pk.set_buffer_cache(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("268435456", 268435456), ("64M", 64 * MIB), ("512MiB", 512 * MIB), ("1g", 1 << 30), ("8 KB", 8192)],
)
def test_sizes_in_the_environment_variable(text: str, expected: int) -> None:
    assert memory.parse_size(text) == expected


@needs_cache
@pytest.mark.parametrize(("value", "expected"), [("64M", 64 * MIB), ("0", 0)])
def test_the_environment_variable_sets_the_limit_at_import(value: str, expected: int) -> None:
    figures = run_python(
        'print(json.dumps({"max": pk.buffer_cache_info().max_bytes}))', env={"PIXELKIT_BUFFER_CACHE": value}
    )
    assert figures["max"] == expected


@needs_cache
def test_a_bad_environment_variable_warns_and_keeps_the_default() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", "import pixelkit as pk; print(pk.buffer_cache_info().max_bytes)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PIXELKIT_BUFFER_CACHE": "lots"},
        timeout=60,
        check=True,
    )
    assert int(done.stdout) == memory.BUFFER_CACHE_DEFAULT
    assert "ignoring PIXELKIT_BUFFER_CACHE='lots': expected a byte count" in done.stderr


@needs_cache
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_caches_and_releases_on_its_own() -> None:
    """The reaper thread does not survive fork: the child's first cached block starts its own."""
    figures = run_python(
        """
        img = pk.Image(2000, 1000)
        del img  # the parent's reaper is running now
        pid = os.fork()
        if pid == 0:
            pk.release_memory()
            img = pk.Image(2000, 1000)
            del img
            cached = pk.buffer_cache_info().cached_blocks
            start = time.monotonic()
            while pk.buffer_cache_info().cached_blocks and time.monotonic() - start < 10:
                time.sleep(0.02)
            os._exit(0 if cached == 1 and time.monotonic() - start <= 2.0 else 1)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"child": os.waitstatus_to_exitcode(status)}))
        """
    )
    assert figures["child"] == 0


@pytest.mark.parametrize(("width", "height"), [(64, 64), (640, 480), (1920, 1080), (4000, 3000)])
def test_results_of_4_kib_and_more_start_on_a_cache_line(width: int, height: int) -> None:
    """numpy's own large arrays start 16 bytes past a 64-byte boundary; pixelkit's results do not.

    (A 64-byte store into a misaligned row straddles two cache lines: to_tensor at 1080p ran
    1.5-2x slower that way.)
    """
    array = np.random.default_rng(width).integers(0, 256, (height, width, 3), np.uint8)
    results: dict[str, NDArray[Any] | pk.Image] = {
        "invert": pk.invert(array),
        "to_gray": pk.to_gray(array),
        "to_tensor": pk.to_tensor(array, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
        "resize": pk.resize(array, width * 3 // 4, height * 3 // 4),
    }
    for name, result in results.items():
        data = np.asarray(result.array if isinstance(result, pk.Image) else result)
        assert data.nbytes >= 4096
        assert data.ctypes.data % 64 == 0, f"{name} at {width}x{height} starts at {data.ctypes.data:#x}"
    np.testing.assert_array_equal(np.asarray(results["invert"]), 255 - array)
