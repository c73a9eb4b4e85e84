"""Edge cases of file and stream handling: swapped temporaries, special mode bits, odd streams, zero padding.

- an atomic write whose temporary name is replaced by a symlink while it is written changes
  neither the symlink's target nor ``path`` (on the unnamed-file path and the named fallback);
- a replaced file's set-user-ID, set-group-ID and sticky bits are not carried over;
- a stream whose ``write`` accepts 0 bytes raises OSError instead of looping forever;
- a stream that cannot seek back after being measured raises OSError instead of being read
  from its end;
- netpbm header fields with leading zeros are read as netpbm reads them (checked against the
  real netpbm tools where installed);
- a file that shrinks between its size check and the read of its pixels is a FormatError
  naming it, and a read that the system splits into pieces still gets every byte.
"""

from __future__ import annotations

import errno
import io
import os
import pathlib
import stat
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np
import pytest

import pixelkit
import pixelkit._fileio
from conftest import run_tool

OLD = b"old content\n"


def _force(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "named":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif not hasattr(os, "O_TMPFILE"):
        pytest.skip("no unnamed files (O_TMPFILE) here")


@pytest.mark.skipif(os.name != "posix", reason="symlinks and modes of POSIX")
@pytest.mark.parametrize("how", ["named", "unnamed"])
def test_a_temporary_replaced_by_a_symlink_redirects_nothing(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    target = work / "out.raw"
    target.write_bytes(OLD)
    target.chmod(0o644)
    victim = tmp_path / "victim"
    victim.write_bytes(b"secret")
    victim.chmod(0o600)
    _force(monkeypatch, how)
    swapped: list[str] = []
    real_fsync = os.fsync

    # Right after the file's data is durable and before its name is used: the window in which
    # someone with write access to the directory may swap the name.  With an unnamed file the
    # name appears only later (at link time), so the swap happens there.
    def fsync_then_swap(fd: int) -> None:
        real_fsync(fd)
        names = [n for n in os.listdir(work) if n.endswith(".tmp")]
        if names and not swapped:
            os.unlink(work / names[0])
            os.symlink(victim, work / names[0])
            swapped.append(names[0])

    real_link = os.link

    def link_then_swap(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real_link(src, dst, *args, **kwargs)
        fd = kwargs.get("dst_dir_fd")
        if fd is not None and not swapped:
            os.unlink(dst, dir_fd=fd)
            os.symlink(victim, dst, dir_fd=fd)
            swapped.append(str(dst))

    monkeypatch.setattr(os, "fsync", fsync_then_swap)
    monkeypatch.setattr(os, "link", link_then_swap)

    def write(stream: BinaryIO) -> None:
        stream.write(b"new content\n")

    with pytest.raises(OSError):
        pixelkit._fileio.atomic_write(target, write)
    monkeypatch.undo()
    assert swapped, "the test never swapped the temporary name"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o600, "chmod followed the symlink"
    assert victim.read_bytes() == b"secret"
    assert not target.is_symlink(), "the symlink was renamed over the target"
    assert target.read_bytes() == OLD
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def _without_swap_mode(target: pathlib.Path, mode: int, monkeypatch: pytest.MonkeyPatch, how: str) -> int:
    target.write_bytes(OLD)
    os.chmod(target, mode)
    if stat.S_IMODE(target.stat().st_mode) != mode:
        pytest.skip(f"this file system or user cannot set mode {mode:o}")
    _force(monkeypatch, how)
    pixelkit.write_raw(np.zeros((2, 3, 3), np.uint8), target)
    assert target.read_bytes() == bytes(18)
    return stat.S_IMODE(target.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX mode bits")
@pytest.mark.parametrize("how", ["named", "unnamed"])
@pytest.mark.parametrize("special", [stat.S_ISUID, stat.S_ISGID, stat.S_ISVTX], ids=["setuid", "setgid", "sticky"])
def test_special_mode_bits_are_not_copied(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, how: str, special: int
) -> None:
    assert _without_swap_mode(tmp_path / "prog", 0o750 | special, monkeypatch, how) == 0o750


@pytest.mark.skipif(os.name != "posix", reason="POSIX mode bits")
@pytest.mark.parametrize("how", ["named", "unnamed"])
def test_permissions_are_copied_through_the_descriptor(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    def no_chmod_by_name(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("os.chmod by name was called")

    monkeypatch.setattr(os, "chmod", no_chmod_by_name)
    target = tmp_path / "data.raw"
    target.write_bytes(OLD)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fchmod(fd, 0o604)
    finally:
        os.close(fd)
    _force(monkeypatch, how)
    pixelkit.write_raw(np.zeros((2, 3, 3), np.uint8), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


# ---- streams --------------------------------------------------------------------------------


class ZeroWriter(io.RawIOBase):
    """A raw stream whose write accepts nothing (a full device that does not say so)."""

    def __init__(self) -> None:
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.calls += 1
        if self.calls > 1000:
            raise AssertionError("write was called again and again after it accepted 0 bytes")
        return 0


@pytest.mark.parametrize("writer", ["raw", "ppm", "pgm"])
def test_a_stream_accepting_zero_bytes_raises(writer: str) -> None:
    stream = ZeroWriter()
    img = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(OSError, match="accepted 0"):
        if writer == "raw":
            pixelkit.write_raw(img, stream)  # type: ignore[arg-type]
        elif writer == "ppm":
            pixelkit.write_ppm(img, stream)  # type: ignore[arg-type]
        else:
            pixelkit.write_pgm(img[..., 0].copy(), stream)  # type: ignore[arg-type]
    assert stream.calls == 1


def test_a_stream_accepting_some_bytes_at_a_time_gets_everything() -> None:
    class Trickle(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            chunk = bytes(memoryview(data)[:7])
            self.data += chunk
            return len(chunk)

    img = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    stream = Trickle()
    pixelkit.write_raw(img, stream)  # type: ignore[arg-type]
    assert bytes(stream.data) == img.tobytes()


class StuckAtEnd(io.BytesIO):
    """Seeks to its end, then refuses (``failures`` times) to seek anywhere else."""

    def __init__(self, data: bytes, failures: int) -> None:
        super().__init__(data)
        self.failures = failures
        self.at_end = False

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            self.at_end = True
            return super().seek(offset, whence)
        if self.at_end and self.failures > 0:
            self.failures -= 1
            raise OSError(errno.EIO, "seek failed")
        self.at_end = False
        return super().seek(offset, whence)


def test_a_stream_that_cannot_seek_back_says_so() -> None:
    pixels = bytes(range(60))
    stream = StuckAtEnd(b"xx" + pixels, failures=1)
    stream.read(2)
    # Before, the failure was swallowed: the stream stayed at its end and the read found no data.
    with pytest.raises(OSError, match="seek back to byte offset 2"):
        pixelkit.read_raw(stream, 5, 4)


def test_a_stream_seeking_back_reads_from_where_it_was() -> None:
    pixels = bytes(range(60))
    stream = StuckAtEnd(b"xx" + pixels, failures=0)
    stream.read(2)
    img = pixelkit.read_raw(stream, 5, 4)
    assert img.array.tobytes() == pixels


# ---- netpbm header fields with leading zeros -------------------------------------------------------------


def _ppm(width: bytes, height: bytes, maxval: bytes, pixels: bytes) -> bytes:
    return b"P6\n" + width + b" " + height + b"\n" + maxval + b"\n" + pixels


@pytest.mark.parametrize(
    "width, height, maxval",
    [
        (b"00000000001", b"1", b"255"),  # 11 digits, value 1 (the case)
        (b"2", b"0000000000000000000000001", b"255"),
        (b"1", b"1", b"00000000000000255"),
        (b"0002", b"00001", b"0000015"),
    ],
)
def test_header_fields_with_leading_zeros(width: bytes, height: bytes, maxval: bytes, tmp_path: pathlib.Path) -> None:
    w, h, m = int(width), int(height), int(maxval)
    raw = bytes(range(3 * w * h))
    data = _ppm(width, height, maxval, raw)
    img = pixelkit.read_ppm(io.BytesIO(data))
    expected = np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(np.uint32)
    if m != 255:
        expected = (expected * 255 + m // 2) // m
    assert np.array_equal(img.array, expected)
    # netpbm itself reads the same header (pamfile prints the size and maxval it found).
    path = tmp_path / "zeros.ppm"
    path.write_bytes(data)
    assert f"{w} by {h}  maxval {m}".encode() in run_tool("pamfile", str(path))


@pytest.mark.parametrize("field", [b"4294967297", b"99999999999999999999999", b"000000004294967297"])
def test_header_fields_too_large_are_refused(field: bytes) -> None:
    with pytest.raises(pixelkit.FormatError, match=r"too large|outside"):
        pixelkit.read_ppm(io.BytesIO(_ppm(field, b"1", b"255", bytes(3))))


@pytest.mark.skipif(os.name != "posix", reason="POSIX mode bits")
def test_dask_block_writes_do_not_copy_special_mode_bits(tmp_path: pathlib.Path) -> None:
    pkd = pytest.importorskip("pixelkit.dask")
    target = tmp_path / "blocks.raw"
    target.write_bytes(OLD)
    os.chmod(target, 0o750 | stat.S_ISUID)
    if not stat.S_IMODE(target.stat().st_mode) & stat.S_ISUID:
        pytest.skip("this file system or user cannot set the set-user-ID bit")
    data = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    pkd.to_raw(data, target, scheduler="synchronous")
    assert target.read_bytes() == data.tobytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


_PPM_HEADER = b"P6\n4 5\n255\n"
_PreadV = Callable[[int, list[Any], int], int]


def _read_with(
    kind: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, fake: Callable[[_PreadV], _PreadV]
) -> tuple[pixelkit.Image, np.ndarray[Any, np.dtype[np.uint8]]]:
    """A 4x5 frame written as ``kind`` and read back with ``os.preadv`` replaced by ``fake(real)``."""
    pixels = np.random.default_rng(7).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    path = tmp_path / f"frame.{kind}"
    path.write_bytes((_PPM_HEADER if kind == "ppm" else b"") + pixels.tobytes())
    monkeypatch.setattr(os, "preadv", fake(os.preadv))
    return (pixelkit.read_ppm(path) if kind == "ppm" else pixelkit.read_raw(path, 4, 5)), pixels


@pytest.mark.skipif(not hasattr(os, "preadv"), reason="the positioned reads of POSIX")
@pytest.mark.parametrize("kind", ["raw", "ppm"])
def test_a_file_that_shrinks_while_read_says_so(
    kind: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = 0 if kind == "raw" else len(_PPM_HEADER)

    def shrunk(real: _PreadV) -> _PreadV:
        def preadv(fd: int, buffers: list[Any], offset: int) -> int:
            """The first 7 pixel bytes are there, then the file ends (another process truncated it)."""
            left = start + 7 - offset
            return real(fd, [memoryview(buffers[0])[:left]], offset) if left > 0 else 0

        return preadv

    expected = rf"frame\.{kind}.*ends early: expected 60 bytes at byte offset {start}, got 7"
    with pytest.raises(pixelkit.FormatError, match=expected):
        _read_with(kind, tmp_path, monkeypatch, shrunk)


@pytest.mark.skipif(not hasattr(os, "preadv"), reason="the positioned reads of POSIX")
@pytest.mark.parametrize("kind", ["raw", "ppm"])
def test_a_read_split_into_pieces_gets_every_byte(
    kind: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def piecewise(real: _PreadV) -> _PreadV:
        # 11 bytes a call, as a signal or a network file system may leave a read.
        return lambda fd, buffers, offset: real(fd, [memoryview(buffers[0])[:11]], offset)

    image, pixels = _read_with(kind, tmp_path, monkeypatch, piecewise)
    np.testing.assert_array_equal(image.array, pixels)
