"""Coverage-guided fuzzing of pixelkit's file readers with atheris (libFuzzer for Python).

    python tools/fuzz_readers.py [libFuzzer flags] [corpus dirs / crash files]
    python tools/fuzz_readers.py -max_total_time=60 tests/fuzz_corpus
    python tools/fuzz_readers.py --asan -max_total_time=60 tests/fuzz_corpus

Every input is handed, as a file's bytes, to read_ppm, read_pgm, read_raw
and iter_raw_frames (the raw readers with small dimensions derived from the
first bytes of the input).  Each call must either return a valid result or
raise pixelkit.FormatError; any other exception is a crash that libFuzzer
reports (and saves as crash-<sha1>).  The netpbm readers also run twice, on
an io.BytesIO (seekable, no peek) and on a buffered non-seekable stream
(peek, no size), and both must agree.

``--asan`` runs against an ASan+UBSan build of the C core compiled with clang
and libFuzzer coverage (tools/sanitize_build.py --cc clang --fuzzer, into
build/fuzz/), re-executing this script with atheris's asan_with_fuzzer.so
preloaded, as atheris's documentation describes for native extensions.
Without it the in-place build (pixelkit/) is fuzzed, with coverage of the
Python code only.

A file given instead of a directory is run once (reproduce a crash:
``python tools/fuzz_readers.py --asan crash-...``).  The seed corpus is
tests/fuzz_corpus/ (tools/make_fuzz_corpus.py writes it); to keep what the
fuzzer finds, pass a scratch directory first: ``... build/fuzz/corpus tests/fuzz_corpus``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _reexec_under_asan(argv: list[str]) -> None:
    """Build build/fuzz/ if needed and exec this script under atheris's ASan runtime."""
    import atheris  # must be installed; it also locates the runtime

    # clang and its ASan and libFuzzer runtimes (Debian: clang, libclang-rt-dev).
    if subprocess.run([sys.executable, str(ROOT / "tools" / "system_requirements.py"), "fuzz"]).returncode:
        sys.exit(2)
    out = ROOT / "build" / "fuzz"
    ext = list((out / "pixelkit").glob("_pixelkit*.so"))
    sources = [*(ROOT / "c").glob("*.c"), *(ROOT / "c").glob("*/*.h"), ROOT / "include" / "pixelkit.h"]
    if not ext or max(p.stat().st_mtime for p in sources) > ext[0].stat().st_mtime:
        subprocess.run(
            [sys.executable, str(ROOT / "tools" / "sanitize_build.py"), "--out", str(out), "--cc", "clang", "--fuzzer"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    runtime = Path(atheris.path()) / "asan_with_fuzzer.so"
    if not runtime.exists():
        sys.exit(f"fuzz_readers.py: {runtime} not found (atheris without its sanitizer runtimes?)")
    env = dict(os.environ)
    env["LD_PRELOAD"] = str(runtime)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(out), env.get("PYTHONPATH", "")) if p)
    # Leaks are checked by tools/sanitize.sh over the test suite; in the fuzzing
    # loop CPython's caches look like leaks to libFuzzer's per-input check.
    env.setdefault(
        "ASAN_OPTIONS",
        "detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:halt_on_error=1:malloc_context_size=8:quarantine_size_mb=32",
    )
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env["PIXELKIT_FUZZ_ASAN"] = "1"
    os.execve(sys.executable, [sys.executable, "-P", __file__, *argv], env)


if __name__ == "__main__" and "--asan" in sys.argv[1:]:
    _reexec_under_asan([a for a in sys.argv[1:] if a != "--asan"])

if os.environ.get("PIXELKIT_FUZZ_ASAN") != "1":
    sys.path.insert(0, str(ROOT))  # the checkout's in-place build

import atheris  # noqa: E402

with atheris.instrument_imports():
    import numpy as np

    import pixelkit
    from pixelkit import FormatError

if os.environ.get("PIXELKIT_FUZZ_ASAN") == "1":
    # Make sure the instrumented build is the one under test.
    assert "build/fuzz" in pixelkit.__file__, pixelkit.__file__


class _Pipe(io.RawIOBase):
    """A non-seekable raw stream over bytes, like a pipe (short reads of up to 7 bytes)."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self._data) - self._pos, 7)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def _outcome(call: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """("ok", value) or ("error", None) for FormatError; anything else propagates (a crash)."""
    try:
        return "ok", call(*args)
    except FormatError:
        return "error", None


def _check_ppm(img: pixelkit.Image) -> np.ndarray:
    assert isinstance(img, pixelkit.Image)
    array = img.array
    assert array.dtype == np.uint8 and array.shape == (img.height, img.width, 3), array.shape
    return np.ascontiguousarray(array)


def _check_pgm(gray: np.ndarray) -> np.ndarray:
    assert isinstance(gray, np.ndarray) and gray.dtype == np.uint8 and gray.ndim == 2, gray
    return gray


def _netpbm(reader, check, data: bytes) -> None:  # type: ignore[no-untyped-def]
    first = _outcome(reader, io.BytesIO(data))
    second = _outcome(reader, io.BufferedReader(_Pipe(data), buffer_size=64))
    assert first[0] == second[0], (first, second)
    if first[0] == "ok":
        a, b = check(first[1]), check(second[1])
        assert np.array_equal(a, b)


def test_one_input(data: bytes) -> None:
    _netpbm(pixelkit.read_ppm, _check_ppm, data)
    _netpbm(pixelkit.read_pgm, _check_pgm, data)

    # Small dimensions from the first two bytes: 1..8 x 1..4.
    width = 1 + (data[0] % 8 if data else 0)
    height = 1 + (data[1] % 4 if len(data) > 1 else 0)
    frame = width * height * 3
    kind, img = _outcome(pixelkit.read_raw, io.BytesIO(data), width, height)
    if kind == "ok":
        assert len(data) >= frame
        assert bytes(_check_ppm(img).reshape(-1)) == data[:frame]
    else:
        assert len(data) < frame

    frames = []
    try:
        for image in pixelkit.iter_raw_frames(io.BytesIO(data), width, height):
            frames.append(bytes(_check_ppm(image).reshape(-1)))
        partial = False
    except FormatError:
        partial = True
    assert b"".join(frames) == data[: len(frames) * frame]
    assert len(frames) == len(data) // frame
    assert partial == (len(data) % frame != 0)


SEED_CORPUS = ROOT / "tests" / "fuzz_corpus"
SCRATCH_CORPUS = ROOT / "build" / "fuzz" / "corpus"


def libfuzzer_args(argv: list[str]) -> list[str]:
    """argv with the committed seed corpus kept read-only.

    libFuzzer writes new inputs into the first corpus directory; when that
    would be tests/fuzz_corpus, build/fuzz/corpus is put in front of it.
    Inputs may grow to 4 KiB unless -max_len says otherwise.
    """
    args = list(argv[1:])
    dirs = [i for i, a in enumerate(args) if not a.startswith("-") and Path(a).is_dir()]
    if dirs and Path(args[dirs[0]]).resolve() == SEED_CORPUS:
        SCRATCH_CORPUS.mkdir(parents=True, exist_ok=True)
        args.insert(dirs[0], str(SCRATCH_CORPUS))
    if not any(a.startswith("-max_len=") for a in args):
        args.insert(0, "-max_len=4096")
    return [argv[0], *args]


def main() -> None:
    atheris.Setup(libfuzzer_args(sys.argv), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
