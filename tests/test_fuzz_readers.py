"""Fuzzing of the file readers: read_ppm / read_pgm on valid and mutated netpbm files, read_raw and
iter_raw_frames on random bytes.

Every input is either decoded correctly or refused with pixelkit.FormatError: never another
exception, never a hang (hypothesis deadline plus a SIGALRM guard around each call), never a leak of
C memory (``pk_live_allocations``) and never an allocation the input does not justify (C allocations
through ``allocate`` and Python ones through tracemalloc stay below ``8 * len(data) + 64 KiB``; a
non-seekable stream may make pixelkit allocate up to its 64 MiB probe, by design).

The expected result of a mutated netpbm file comes from ``fuzz_strategies.reference_decode``, an
independent pure-Python decoder of the documented rules, so a mutation that happens to leave a valid
file must decode to exactly the pixels that decoder finds.

Cases per run: 500 valid files (each read by both readers) + 3000 mutated files + 500 raw reads +
400 raw frame streams (4400 hypothesis examples, about 25-35 s on one core; slower while a
pixelkit pool worker busy-waits, see test_fuzz_kernels.py).  The examples differ on every run (no derandomize) and
nothing is stored: ``database=None`` keeps CI from writing ``.hypothesis/`` directories whose
replayed examples would make runs depend on the machine's history; a failure prints its minimal
input and a ``@reproduce_failure`` blob (``print_blob=True``) to replay it instead.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fuzz_strategies import (
    PGM_KINDS,
    PPM_KINDS,
    STREAM_KINDS,
    NetpbmFile,
    Pipe,
    bounded_allocations,
    live_allocations,
    make_stream,
    mutations,
    netpbm_files,
    reference_decode,
    time_limit,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import pixelkit
import pixelkit._fileio

CALL_TIMEOUT = 5.0
SLACK = 64 << 10


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=CALL_TIMEOUT),
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    )


def allocation_limit(data: bytes, stream_kind: str) -> int:
    limit = 8 * len(data) + SLACK
    if stream_kind != "bytesio":
        # A stream that cannot tell its size gets up to _PROBE_BYTES before pixelkit gives up.
        limit = max(limit, pixelkit._fileio._PROBE_BYTES + 2 * SLACK)
    return limit


def read_netpbm(data: bytes, reader: str, stream_kind: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(result or the FormatError raised, the stream), with every guard on."""
    stream = make_stream(data, stream_kind)
    before = live_allocations()
    outcome: Any
    with bounded_allocations(monkeypatch, allocation_limit(data, stream_kind)), time_limit(CALL_TIMEOUT):
        try:
            if reader == "ppm":
                outcome = np.array(pixelkit.read_ppm(stream), copy=True)
            else:
                outcome = pixelkit.read_pgm(stream).copy()
        except pixelkit.FormatError as exc:
            # Without its traceback, so that its frames do not keep pixelkit's buffers alive.
            outcome = exc.with_traceback(None)
    # The result was copied to numpy memory: every C block pixelkit took must be back.
    assert live_allocations() == before, "C memory leaked (pk_live_allocations changed)"
    return outcome, stream


def position(stream: Any) -> int | None:
    if isinstance(stream, io.BytesIO):
        return stream.tell()
    if isinstance(stream, Pipe):
        return stream.position
    return None


def reader_for(magic: bytes) -> str:
    return "ppm" if magic in PPM_KINDS else "pgm"


def other_reader(reader: str) -> str:
    return "pgm" if reader == "ppm" else "ppm"


def check_outcome(data: bytes, reader: str, outcome: Any, stream: Any) -> None:
    expected = reference_decode(data, PPM_KINDS if reader == "ppm" else PGM_KINDS)
    reason = re.sub(r"[0-9]+", "N", str(outcome).split(": ", 1)[-1].split(" (")[0])
    event("decoded" if expected is not None else f"refused: {reason}")
    if expected is None:
        assert isinstance(outcome, pixelkit.FormatError), (
            f"{data!r}: read_{reader} returned an image of shape {getattr(outcome, 'shape', None)}, "
            "the reference decoder refuses it"
        )
        return
    assert not isinstance(outcome, BaseException), f"{data!r}: read_{reader} refused a valid file: {outcome}"
    result: NDArray[np.uint8] = outcome
    assert result.dtype == np.uint8
    assert result.shape == expected.image.shape
    assert np.array_equal(result, expected.image), f"{data!r}: wrong pixels"
    where = position(stream)
    if where is not None:
        # Binary images end where their raster ends (the next image of a stream starts there).
        assert where == expected.end, f"{data!r}: the stream is left at {where}, not {expected.end}"


@fuzz_settings(500)
@given(file=netpbm_files(), stream_kind=st.sampled_from(STREAM_KINDS))
def test_valid_netpbm_files_decode_exactly(file: NetpbmFile, stream_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    right = "ppm" if file.magic in PPM_KINDS else "pgm"
    outcome, stream = read_netpbm(file.data, right, stream_kind, monkeypatch)
    assert not isinstance(outcome, BaseException), f"{file.data!r}: refused: {outcome}"
    assert np.array_equal(outcome, file.expected)
    # The independent decoder agrees with the generator (it is the oracle of the mutation test).
    decoded = reference_decode(file.data, PPM_KINDS | PGM_KINDS)
    assert decoded is not None and np.array_equal(decoded.image, file.expected)
    where = position(stream)
    if where is not None:
        assert where == file.end
    # The other reader refuses it with FormatError.
    wrong = "pgm" if right == "ppm" else "ppm"
    outcome, _ = read_netpbm(file.data, wrong, stream_kind, monkeypatch)
    assert isinstance(outcome, pixelkit.FormatError)


@fuzz_settings(3000)
@given(
    mutated=netpbm_files()
    .flatmap(lambda file: st.tuples(mutations(file.data), st.just(reader_for(file.magic)), st.integers(0, 9)))
    .map(lambda t: (t[0], t[1] if t[2] < 9 else other_reader(t[1]))),
    # Mostly seekable: on a pipe, each header that declares more than 64 MiB costs a 64 MiB probe
    # buffer (about 60 ms), which would dominate the run time.
    stream_kind=st.sampled_from(["bytesio", "bytesio", "bytesio", "pipe", "buffered-pipe"]),
)
def test_mutated_netpbm_files_decode_or_raise_format_error(
    mutated: tuple[bytes, str], stream_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mutants of valid files, read (nine times in ten) by the reader of the original's format."""
    data, reader = mutated
    outcome, stream = read_netpbm(data, reader, stream_kind, monkeypatch)
    check_outcome(data, reader, outcome, stream)


@fuzz_settings(500)
@given(
    data=st.binary(max_size=400),
    width=st.integers(1, 9),
    height=st.integers(1, 9),
    pad=st.one_of(st.none(), st.integers(0, 7)),
    stream_kind=st.sampled_from(STREAM_KINDS),
)
def test_read_raw_random_bytes(
    data: bytes, width: int, height: int, pad: int | None, stream_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stride = None if pad is None else 3 * width + pad
    row = 3 * width if stride is None else stride
    total = row * height
    stream = make_stream(data, stream_kind)
    before = live_allocations()
    outcome: Any
    with bounded_allocations(monkeypatch, allocation_limit(data, stream_kind)), time_limit(CALL_TIMEOUT):
        try:
            outcome = np.array(pixelkit.read_raw(stream, width, height, stride), copy=True)
        except pixelkit.FormatError as exc:
            # Without its traceback, so that its frames do not keep pixelkit's buffers alive.
            outcome = exc.with_traceback(None)
    assert live_allocations() == before
    if len(data) < total:
        assert isinstance(outcome, pixelkit.FormatError), f"{len(data)} bytes for {total}: no FormatError"
        return
    assert not isinstance(outcome, BaseException), f"{len(data)} bytes for {total}: {outcome}"
    rows = np.frombuffer(data[:total], np.uint8).reshape(height, row)[:, : 3 * width]
    assert np.array_equal(outcome, rows.reshape(height, width, 3))
    where = position(stream)
    if where is not None:
        assert where == total


@fuzz_settings(400)
@given(
    data=st.binary(max_size=600),
    width=st.integers(1, 7),
    height=st.integers(1, 5),
    stream_kind=st.sampled_from(STREAM_KINDS),
)
def test_iter_raw_frames_random_bytes(
    data: bytes, width: int, height: int, stream_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = 3 * width * height
    stream = make_stream(data, stream_kind)
    before = live_allocations()
    frames: list[NDArray[np.uint8]] = []
    error: pixelkit.FormatError | None = None
    with bounded_allocations(monkeypatch, allocation_limit(data, stream_kind)), time_limit(CALL_TIMEOUT):
        try:
            # Copies only: no Image (and so no C block) outlives its iteration.
            frames.extend(np.array(image, copy=True) for image in pixelkit.iter_raw_frames(stream, width, height))
        except pixelkit.FormatError as exc:
            error = exc.with_traceback(None)
    assert live_allocations() == before
    complete, partial = divmod(len(data), frame)
    assert len(frames) == complete
    for index, got in enumerate(frames):
        expected = np.frombuffer(data[index * frame : (index + 1) * frame], np.uint8).reshape(height, width, 3)
        assert np.array_equal(got, expected)
    assert (error is not None) == (partial != 0), f"{len(data)} bytes of {frame}-byte frames: error {error!r}"
