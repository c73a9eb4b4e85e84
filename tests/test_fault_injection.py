"""Files survive faults: every writer leaves the old or the complete new file, and no temporary.

(a) An OSError (ENOSPC) injected at every point of the write path: after N bytes of the data,
    and at the k-th call of os.open, os.link, os.fsync, os.chmod, os.replace (os.ftruncate for
    open_raw "w+"), for the unnamed-file (O_TMPFILE) path and the named mkstemp fallback.
(b) A writer process killed with SIGKILL at a random moment while writing a 48 MB file: the
    destination hashes to the complete old or the complete new content.  The writer fills an
    unnamed O_TMPFILE file, so a kill while writing or fsyncing leaves nothing; only a kill in
    the window between linking the finished file under its temporary name and renaming it
    (about 4 ms here, nearly all of it the fsync by name that tests/test_rawio.py requires)
    leaves a temporary file, which then holds the complete new content.
(c) open_raw "w+" killed with SIGKILL: the path holds the old file or a file of exactly the
    right size, each byte zero or the new pixel (pages dirtied through the map before the kill
    are still written back by the kernel; a power loss could lose them).
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import os
import pathlib
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
import pixelkit._fileio
from conftest import subprocess_env

WIDTH, HEIGHT = 37, 23
OLD = b"old content, not an image\n" * 7


def _rgb() -> NDArray[np.uint8]:
    return np.random.default_rng(5).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


def _expected(writer: str, arr: NDArray[np.uint8]) -> bytes:
    if writer == "raw":
        return arr.tobytes()
    if writer == "ppm":
        return b"P6\n%d %d\n255\n" % (WIDTH, HEIGHT) + arr.tobytes()
    gray = arr[..., 0]
    return b"P5\n%d %d\n255\n" % (WIDTH, HEIGHT) + gray.tobytes()


def _write(writer: str, arr: NDArray[np.uint8], path: pathlib.Path, layout: str) -> None:
    # "crop": rows not contiguous, so the data goes out in many chunks.
    big = np.zeros((HEIGHT + 2, WIDTH + 3, 3), np.uint8)
    big[1 : 1 + HEIGHT, 2 : 2 + WIDTH] = arr
    source = big[1 : 1 + HEIGHT, 2 : 2 + WIDTH] if layout == "crop" else arr
    if writer == "raw":
        pixelkit.write_raw(source, path)
    elif writer == "ppm":
        pixelkit.write_ppm(source, path)
    else:
        pixelkit.write_pgm(source[..., 0] if layout == "crop" else np.ascontiguousarray(arr[..., 0]), path)


class _Budget:
    """A binary file object that writes ``budget`` bytes, then fails with ENOSPC."""

    def __init__(self, stream: Any, budget: list[int]) -> None:
        self._stream = stream
        self._budget = budget

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if view.nbytes > self._budget[0]:
            self._stream.write(view[: self._budget[0]])
            self._stream.flush()
            self._budget[0] = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._budget[0] -= view.nbytes
        return int(self._stream.write(view))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __enter__(self) -> _Budget:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()


def _limit_writes(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    left = [budget]

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        stream = builtins.open(file, mode, *args, **kwargs)
        return _Budget(stream, left) if "w" in mode else stream

    monkeypatch.setattr(pixelkit._fileio, "open", fake_open, raising=False)


OS_CALLS = ("open", "link", "fsync", "fchmod", "replace", "ftruncate")


def _fail_call(monkeypatch: pytest.MonkeyPatch, name: str, nth: int, code: int = errno.ENOSPC) -> None:
    """Make the ``nth`` call of os.<name> (1-based) raise OSError(code)."""
    real = getattr(os, name)
    calls = [0]

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == nth:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, failing)


def _count_calls(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> dict[str, int]:
    counts = dict.fromkeys(OS_CALLS, 0)
    with monkeypatch.context() as patch:
        for name in OS_CALLS:
            real = getattr(os, name)

            def counting(*args: Any, _name: str = name, _real: Any = real, **kwargs: Any) -> Any:
                counts[_name] += 1
                return _real(*args, **kwargs)

            patch.setattr(os, name, counting)
        action()
    return counts


def _use_named_fallback(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "no-O_TMPFILE":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif how == "EOPNOTSUPP":
        real = os.open
        flag = getattr(os, "O_TMPFILE", 0)

        def no_tmpfile(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flag and flags & flag == flag:
                raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
            return real(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", no_tmpfile)


def _check_outcome(
    directory: pathlib.Path, path: pathlib.Path, old: bytes | None, new: bytes, raised: bool, mode: int
) -> None:
    if raised:
        if old is None:
            assert not path.exists()
        else:
            assert path.read_bytes() == old
    else:
        assert path.read_bytes() == new
    if path.exists():
        assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert sorted(os.listdir(directory)) == ([path.name] if path.exists() else [])


def _fault_points(counts: dict[str, int], total: int) -> Iterator[tuple[str, int]]:
    for budget in sorted({0, 1, 2, 13, 100, total // 2, total - 1, total}):
        yield "bytes", budget
    for name, count in counts.items():
        for nth in range(1, count + 2):  # one past the last call: no fault
            yield name, nth


CASES = [0]  # fault cases run, for the summary
RUNS = [0]  # fault tests that ran to the end
# The README's figures, asserted below: fault cases of a whole run of the two tests that follow
# (36 + 6 parametrizations), and the writers sent SIGKILL.
FAULT_CASES = 825
FAULT_TESTS = 3 * 2 * 3 * 2 + 3 * 2
KILLS = {"raw": 30, "ppm": 10, "w+": 10}


@pytest.mark.parametrize("writer", ["raw", "ppm", "pgm"])
@pytest.mark.parametrize("exists", [True, False])
@pytest.mark.parametrize("how", ["unnamed", "no-O_TMPFILE", "EOPNOTSUPP"])
@pytest.mark.parametrize("layout", ["image", "crop"])
def test_writer_survives_errors_at_every_point(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, writer: str, exists: bool, how: str, layout: str
) -> None:
    arr = _rgb()
    new = _expected(writer, arr)
    old = OLD if exists else None
    work = tmp_path / "work"
    work.mkdir()
    path = work / f"out.{writer}"
    old_mode = 0o640
    new_mode = 0o666 & ~pixelkit._fileio.current_umask()

    def reset() -> None:
        for name in os.listdir(work):
            os.unlink(work / name)
        if old is not None:
            path.write_bytes(old)
            os.chmod(path, old_mode)

    monkeypatch.setattr(pixelkit._fileio, "_WRITE_CHUNK", 64)
    reset()
    with monkeypatch.context() as patch:
        _use_named_fallback(patch, how)
        counts = _count_calls(patch, lambda: _write(writer, arr, path, layout))
    assert path.read_bytes() == new
    expected_mode = old_mode if exists else new_mode
    if how == "unnamed" and hasattr(os, "O_TMPFILE"):
        assert counts["link"] == 1  # the unnamed path really ran
    cases = 0
    for what, point in _fault_points(counts, len(new)):
        reset()
        with monkeypatch.context() as patch:
            _use_named_fallback(patch, how)
            if what == "bytes":
                _limit_writes(patch, point)
            else:
                _fail_call(patch, what, point)
            try:
                _write(writer, arr, path, layout)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, (what, point)
                raised = True
            else:
                raised = False
        _check_outcome(work, path, old, new, raised, expected_mode)
        cases += 1
    CASES[0] += cases
    RUNS[0] += 1
    assert cases >= 15


@pytest.mark.parametrize("exists", [0, 36, 1000])
@pytest.mark.parametrize("how", ["unnamed", "no-O_TMPFILE"])
def test_open_raw_w_plus_survives_errors_at_every_point(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, exists: int, how: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = work / "map.raw"
    old = bytes(range(256)) * 4 if exists else None

    def reset() -> None:
        for name in os.listdir(work):
            os.unlink(work / name)
        if old is not None:
            path.write_bytes(old[:exists])
            os.chmod(path, 0o604)

    def create() -> None:
        img = pixelkit.open_raw(path, WIDTH, HEIGHT, "w+")
        assert img.array.shape == (HEIGHT, WIDTH, 3)
        del img

    reset()
    with monkeypatch.context() as patch:
        _use_named_fallback(patch, how)
        counts = _count_calls(patch, create)
    assert counts["ftruncate"] == 1
    zeros = bytes(WIDTH * HEIGHT * 3)
    for what, nth in _fault_points(counts, 0):
        if what == "bytes":
            continue
        reset()
        with monkeypatch.context() as patch:
            _use_named_fallback(patch, how)
            _fail_call(patch, what, nth)
            try:
                create()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                raised = True
            else:
                raised = False
        expected_mode = 0o604 if old is not None else 0o666 & ~pixelkit._fileio.current_umask()
        _check_outcome(work, path, None if old is None else old[:exists], zeros, raised, expected_mode)
        CASES[0] += 1
    RUNS[0] += 1


def test_fault_case_count() -> None:
    """Runs after the tests above: they checked exactly the README's number of fault cases."""
    print(f"\nfault injection: {CASES[0]} cases checked by {RUNS[0]} tests")
    if RUNS[0] != FAULT_TESTS:
        pytest.skip(f"only {RUNS[0]} of the {FAULT_TESTS} fault tests ran (a selection): nothing to count")
    assert CASES[0] == FAULT_CASES, f"{CASES[0]} fault cases, the README says {FAULT_CASES}: update both"


# ---- SIGKILL -------------------------------------------------------------------------------

BIG_W, BIG_H = 4000, 4000  # 48 MB of pixels

CHILD = r"""
import sys
import numpy as np
import pixelkit

writer, path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
w, h = int(sys.argv[4]), int(sys.argv[5])
arr = ((np.arange(w * h * 3, dtype=np.uint32) * seed) % 251).astype(np.uint8).reshape(h, w, 3)
if writer == "w+":
    import time
    print("ready", flush=True)
    img = pixelkit.open_raw(path, w, h, "w+")
    for top in range(0, h, 100):  # slowly, so that kills land while filling
        img.array[top : top + 100] = arr[top : top + 100]
        time.sleep(0.002)
    img.flush()
    print("done", flush=True)
    sys.stdin.read()
else:
    write = {"raw": pixelkit.write_raw, "ppm": pixelkit.write_ppm}[writer]
    print("ready", flush=True)
    write(arr, path)
    print("done", flush=True)
"""


def _pattern(seed: int) -> NDArray[np.uint8]:
    flat = ((np.arange(BIG_W * BIG_H * 3, dtype=np.uint32) * seed) % 251).astype(np.uint8)
    return flat.reshape(BIG_H, BIG_W, 3)


def _content(writer: str, arr: NDArray[np.uint8]) -> bytes:
    header = b"" if writer == "raw" else b"P6\n%d %d\n255\n" % (BIG_W, BIG_H)
    return header + arr.tobytes()


def _start(writer: str, path: pathlib.Path, seed: int) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, writer, str(path), str(seed), str(BIG_W), str(BIG_H)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=subprocess_env(),
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"
    return child


@pytest.mark.parametrize(("writer", "trials"), [("raw", KILLS["raw"]), ("ppm", KILLS["ppm"])])
def test_sigkilled_writer_leaves_old_or_new_file(tmp_path: pathlib.Path, writer: str, trials: int) -> None:
    old = _content(writer, _pattern(3))
    new = _content(writer, _pattern(7))
    old_hash, new_hash = hashlib.sha256(old).digest(), hashlib.sha256(new).digest()
    path = tmp_path / f"big.{writer}"

    # How long one complete write takes, from "ready" to exit.
    path.write_bytes(old)
    child = _start(writer, path, 7)
    started = time.monotonic()
    assert child.stdout is not None
    assert child.stdout.readline() == b"done\n"
    duration = time.monotonic() - started
    child.wait(60)
    assert child.returncode == 0
    assert hashlib.sha256(path.read_bytes()).digest() == new_hash

    chooser = random.Random(1124)
    outcomes = {"old": 0, "new": 0}
    leftovers = killed = 0
    for _ in range(trials):
        path.write_bytes(old)
        child = _start(writer, path, 7)
        time.sleep(chooser.uniform(0.0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        child.wait(60)
        killed += child.returncode == -signal.SIGKILL
        digest = hashlib.sha256(path.read_bytes()).digest()
        assert digest in (old_hash, new_hash), "a killed writer left a partial file"
        outcomes["old" if digest == old_hash else "new"] += 1
        others = [name for name in os.listdir(tmp_path) if name != path.name]
        for name in others:
            # Only a kill between naming the finished file and renaming it leaves one
            # (see pixelkit._fileio.place_file): it then holds the complete new content.
            assert name.startswith(f".{path.name}.") and name.endswith(".tmp"), name
            assert hashlib.sha256((tmp_path / name).read_bytes()).digest() == new_hash
            assert digest == old_hash
            os.unlink(tmp_path / name)
        leftovers += bool(others)
    print(
        f"\nSIGKILL {writer}: write takes {duration:.3f} s; {trials} trials, {killed} killed, "
        f"outcomes {outcomes}, trials with a leftover (complete, fsynced) temporary file: {leftovers}"
    )
    assert leftovers <= trials // 4


def test_sigkilled_open_raw_w_plus_has_right_size(tmp_path: pathlib.Path) -> None:
    total = BIG_W * BIG_H * 3
    old = b"\x5a" * 1000
    new = _pattern(7).reshape(-1)
    path = tmp_path / "map.raw"
    chooser = random.Random(99)
    outcomes = {"old": 0, "zeros": 0, "mixed": 0, "new": 0}
    leftovers = 0
    for _ in range(KILLS["w+"]):
        path.write_bytes(old)
        child = _start("w+", path, 7)
        time.sleep(chooser.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        child.wait(60)
        data = path.read_bytes()
        if data == old:
            outcomes["old"] += 1
        else:
            assert len(data) == total, "open_raw 'w+' left a file of the wrong size"
            got = np.frombuffer(data, np.uint8)
            # The child fills the map front to back; a kill can land mid-page.
            zero_bytes, new_bytes = got == 0, got == new
            assert (zero_bytes | new_bytes).all(), "a byte is neither zero nor the new pixel"
            zero_pages, new_pages = zero_bytes, new_bytes
            outcomes["zeros" if zero_pages.all() else "new" if new_pages.all() else "mixed"] += 1
        others = [name for name in os.listdir(tmp_path) if name != path.name]
        leftovers += bool(others)
        for name in others:
            os.unlink(tmp_path / name)
    print(f"\nSIGKILL open_raw w+: outcomes {outcomes}, trials with a leftover temporary file: {leftovers}")
    assert leftovers == 0
