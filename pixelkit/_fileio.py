"""Shared plumbing of the file formats: sources, exact reads, atomic writes."""

from __future__ import annotations

import _thread
import contextlib
import errno
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, BinaryIO, cast

import numpy as np
from numpy.typing import NDArray

from pixelkit.errors import FormatError
from pixelkit.image import new_flat

StrPath = str | os.PathLike[str]
Source = StrPath | BinaryIO | IO[bytes]

# Rows are written in groups of about this many bytes: few system calls,
# little extra memory for images with padded rows.
_WRITE_CHUNK = 4 << 20
# A stream that cannot tell its size (a pipe) must deliver this much before
# pixelkit allocates more, so a lying header or wrong frame size costs at
# most this, not what it declares.  Smaller payloads are read in place.
_PROBE_BYTES = 64 << 20
# Reads at least this large are placed to match the file offset's alignment.
_ALIGNED_READ_BYTES = 1 << 20


def is_path(obj: object) -> bool:
    return isinstance(obj, (str, os.PathLike))


def describe(src: object) -> str:
    """How to name a source in messages."""
    if isinstance(src, (str, os.PathLike)):
        return repr(os.fspath(src))
    name = getattr(src, "name", None)
    return repr(name) if isinstance(name, (str, bytes)) else f"<{type(src).__name__}>"


def check_binary(stream: object, *, writing: bool) -> None:
    """Refuse objects that are not binary file objects, with a hint."""
    if isinstance(stream, io.TextIOBase):
        mode = "'wb'" if writing else "'rb'"
        raise TypeError(f"pixelkit needs a binary file object; open the file in binary mode ({mode})")
    needed = "write" if writing else "read"
    if not callable(getattr(stream, needed, None)):
        raise TypeError(f"expected a path (str or os.PathLike) or a binary file object, got {type(stream).__name__}")


@contextlib.contextmanager
def open_source(src: Source) -> Iterator[BinaryIO]:
    """A binary stream for a path (opened and closed here) or a file object (left open)."""
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as stream:
            yield stream
    else:
        check_binary(src, writing=False)
        yield cast(BinaryIO, src)


def stream_position(stream: BinaryIO) -> tuple[int, int] | None:
    """(position, bytes left) of a seekable stream, or None when that cannot be known.

    The stream is left where it was.  Should it refuse to go back there after
    moving to its end, OSError says so (reading on would silently start at
    the end).
    """
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
    except (OSError, ValueError, AttributeError):
        return None
    try:
        end = stream.seek(0, io.SEEK_END)
    except (OSError, ValueError):
        end = None
    try:
        stream.seek(position)
    except (OSError, ValueError) as exc:
        raise OSError(
            f"{describe(stream)} cannot seek back to byte offset {position} after seeking to its end "
            f"to measure it, and is left elsewhere"
        ) from exc
    if not isinstance(end, int):
        return None
    return position, max(end - position, 0)


def remaining_bytes(stream: BinaryIO) -> int | None:
    """Bytes left in a seekable stream, or None when that cannot be known."""
    where = stream_position(stream)
    return None if where is None else where[1]


def read_into(stream: BinaryIO, target: Any) -> int:
    """Fill ``target`` (a writable buffer) from ``stream``; returns the bytes read.

    Fewer bytes than ``len(target)`` means the stream ended.  Reads go
    straight into the target when the stream has ``readinto``.
    """
    view = memoryview(target).cast("B")
    size, filled = view.nbytes, 0
    readinto = getattr(stream, "readinto", None)
    while filled < size:
        if readinto is not None:
            count = readinto(view[filled:])
        else:
            chunk = stream.read(size - filled)
            if isinstance(chunk, str):
                raise TypeError("pixelkit needs a binary file object; open the file in binary mode ('rb')")
            count = len(chunk) if chunk is not None else None
            if count:
                view[filled : filled + count] = chunk
        if count is None:
            raise BlockingIOError("the stream is non-blocking and has no data ready; pass a blocking stream")
        if count == 0:
            break
        filled += count
    return filled


def _ends_early(what: str, expected: int, offset: int, got: int) -> FormatError:
    return FormatError(f"{what} ends early: expected {expected} bytes at byte offset {offset}, got {got}")


def read_exactly(stream: BinaryIO, target: Any, what: str, offset: int = 0) -> None:
    """Fill ``target`` completely or raise FormatError naming ``what``."""
    size = memoryview(target).nbytes
    got = read_into(stream, target)
    if got != size:
        raise _ends_early(what, size, offset, got)


def read_payload(
    stream: BinaryIO, nbytes: int, what: str, offset: int = 0, *, end_ok: bool = False
) -> NDArray[np.uint8] | None:
    """Exactly ``nbytes`` from ``stream`` in fresh C memory, read in place.

    Raises FormatError when the stream holds fewer bytes: before allocating
    anything when the stream can tell its size, and after at most
    ``_PROBE_BYTES`` when it cannot.  With ``end_ok``, a stream already at
    its end gives None (the clean end of a frame sequence).
    """
    where = stream_position(stream)
    available = None if where is None else where[1]
    head = bytearray()
    if available is not None:
        if end_ok and available == 0:
            return None
        if available < nbytes:
            raise FormatError(f"{what} needs {nbytes} bytes at byte offset {offset}, but only {available} remain")
    elif nbytes > _PROBE_BYTES:
        head = bytearray(_PROBE_BYTES)
        got = read_into(stream, head)
        if end_ok and got == 0:
            return None
        if got < _PROBE_BYTES:
            raise _ends_early(what, nbytes, offset, got)
    # The kernel copies from the page cache much faster when source and
    # destination share their offset within a cache line: start the buffer
    # at the file position's offset (pixels need no particular alignment).
    flat = new_flat(nbytes, where[0] if where is not None and nbytes >= _ALIGNED_READ_BYTES else 0)
    flat[: len(head)] = np.frombuffer(head, np.uint8)
    got = len(head) + read_into(stream, flat[len(head) :])
    if end_ok and got == 0:
        return None
    if got != nbytes:
        raise _ends_early(what, nbytes, offset, got)
    return flat


# Regular files given by path are read with plain system calls (open, fstat,
# pread, readv): the same single read() of the pixels as through a Python
# file object, without its buffering and seeks (about 10 us a call).
_DIRECT_READS = all(hasattr(os, name) for name in ("pread", "readv", "lseek"))
_POSITIONED_READS = hasattr(os, "preadv")


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class open_path:  # named like open(), which it is used like
    """``path`` opened for reading: (descriptor, size) for a regular file where direct
    reads work, else a binary stream (a pipe, a device, another platform).  A named
    pipe is opened once only: its writer may be gone once it has written."""

    # A class rather than a generator context manager: every read of a file by path
    # runs this, and the generator's machinery cost a microsecond of each call.
    __slots__ = ("_fd", "_path", "_stream")

    def __init__(self, path: StrPath) -> None:
        self._path = path
        self._fd = -1
        self._stream: BinaryIO | None = None

    def __enter__(self) -> tuple[int, int] | BinaryIO:
        if not _DIRECT_READS:
            self._stream = open(self._path, "rb")
            return self._stream
        fd = self._fd = os.open(self._path, _OPEN_FLAGS)
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(self._path))
            if stat.S_ISREG(info.st_mode):
                return fd, info.st_size
            self._stream = open(fd, "rb", closefd=False)
            return self._stream
        except BaseException:
            self._close()
            raise

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        stream, fd = self._stream, self._fd
        self._stream, self._fd = None, -1
        try:
            if stream is not None:
                stream.close()
        finally:
            if fd >= 0:
                os.close(fd)


def read_file_payload(fd: int, offset: int, nbytes: int, what: str | Callable[[], str]) -> NDArray[np.uint8]:
    """Exactly ``nbytes`` from byte ``offset`` of the open file ``fd`` in fresh C memory,
    read in place, or FormatError (the file shrank since its size was checked).  ``what``
    names the data in that error (a function: the name is only worked out then)."""
    # As in read_payload: the buffer starts at the offset's place in a cache line.
    flat = new_flat(nbytes, offset if nbytes >= _ALIGNED_READ_BYTES else 0)
    positioned = _POSITIONED_READS
    if offset and not positioned:
        os.lseek(fd, offset, os.SEEK_SET)
    view = flat.data
    filled = 0
    while filled < nbytes:
        if positioned:
            count = os.preadv(fd, [view[filled:]], offset + filled)
        else:
            count = os.readv(fd, [view[filled:]])
        if count == 0:
            raise _ends_early(what if isinstance(what, str) else what(), nbytes, offset, filled)
        filled += count
    return flat


def write_all(stream: BinaryIO, data: Any) -> None:
    """Write every byte of ``data``; raw streams may accept fewer per call."""
    view = memoryview(data).cast("B")
    while view:
        written = stream.write(view)
        if written is None:
            raise BlockingIOError("the stream is non-blocking and full; pass a blocking stream")
        if not 0 < written <= len(view):
            # Zero bytes would loop forever; more than offered is a broken stream.
            raise OSError(
                f"{describe(stream)}.write accepted {written} of {len(view)} bytes; "
                "the stream takes no more data (a full device, a closed pipe?)"
            )
        view = view[written:]


def write_array(stream: BinaryIO, array: NDArray[np.uint8]) -> None:
    """Write the bytes of an (H, W, ...) array row after row, without padding."""
    if array.flags.c_contiguous:
        write_all(stream, array.data)
        return
    row_bytes = max(array[0].nbytes, 1)
    rows_per_chunk = max(1, _WRITE_CHUNK // row_bytes)
    for top in range(0, array.shape[0], rows_per_chunk):
        write_all(stream, np.ascontiguousarray(array[top : top + rows_per_chunk]).data)


# A plain lock from _thread: importing threading would add a millisecond to `import pixelkit`.
_umask_lock = _thread.allocate_lock()


def current_umask() -> int:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    # Elsewhere the only way to read the umask is to set it; keep that brief.
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def fsync_directory(directory: str) -> None:
    """Make a rename durable; not every platform can open a directory."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# Why os.open(directory, O_TMPFILE) may fail where a named temporary file
# would work: the kernel or the file system lacks unnamed files.
_NO_UNNAMED_FILES = frozenset(
    code
    for code in (
        getattr(errno, "EOPNOTSUPP", None),
        getattr(errno, "ENOTSUP", None),
        errno.EISDIR,
        errno.ENOENT,
        errno.EINVAL,
        errno.ENOSYS,
    )
    if code is not None
)


# Whether files can be created, renamed, removed and inspected relative to a
# directory descriptor (POSIX *at calls): then the directory is opened once
# and every later step names files inside that very directory, even if its
# path is changed meanwhile.  (os.replace takes what os.rename takes; only
# the latter is listed in os.supports_dir_fd.)
_AT_CALLS = all(f in os.supports_dir_fd for f in (os.open, os.rename, os.unlink, os.stat))
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Bits of an old file's mode that a new file takes over: the permissions,
# never set-user-ID, set-group-ID or sticky (a replaced setuid program must
# not turn into a new setuid program holding other content).
COPIED_MODE_BITS = 0o777


def _open_unnamed(directory_fd: int | None) -> int | None:
    """An unnamed file (Linux ``O_TMPFILE``) in the directory, open for reading and writing.

    None where such files are unsupported, or where ``/proc/self/fd`` (needed
    to give the file a name later) is missing: the caller then falls back to
    a named temporary file.
    """
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or directory_fd is None:
        return None
    try:
        fd = os.open(".", flag | os.O_RDWR | _O_CLOEXEC, 0o600, dir_fd=directory_fd)
    except OSError as exc:
        if exc.errno in _NO_UNNAMED_FILES:
            return None
        raise
    if not os.path.exists(f"/proc/self/fd/{fd}"):
        os.close(fd)
        return None
    return fd


def _temporary_names(target: str) -> Iterator[str]:
    prefix = f".{os.path.basename(target)}."
    while True:
        # os.urandom, not secrets: secrets imports hmac and hashlib, a few ms of `import pixelkit`.
        yield f"{prefix}{os.urandom(6).hex()}.tmp"


def _name_unnamed(fd: int, directory_fd: int, target: str) -> str:
    """Link the unnamed file ``fd`` into the directory under a fresh temporary name (returned)."""
    # os.link only follows the /proc symlink (AT_SYMLINK_FOLLOW) when it calls
    # linkat, which it does when given a directory descriptor.
    source = f"/proc/self/fd/{fd}"
    for name in _temporary_names(target):
        try:
            os.link(source, name, dst_dir_fd=directory_fd, follow_symlinks=True)
        except FileExistsError:
            continue
        return name
    raise AssertionError("unreachable")


def _create_named(directory_fd: int | None, directory: str, target: str) -> tuple[int, str]:
    """A new file under a fresh temporary name in the directory: (descriptor, name).

    O_EXCL | O_NOFOLLOW: the name is new, never an existing file or symlink.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | _O_CLOEXEC
    flags |= getattr(os, "O_BINARY", 0)
    for name in _temporary_names(target):
        try:
            if directory_fd is None:
                return os.open(os.path.join(directory, name), flags, 0o600), name
            return os.open(name, flags, 0o600, dir_fd=directory_fd), name
        except FileExistsError:
            continue
    raise AssertionError("unreachable")


def _set_mode(fd: int, path: str, mode: int) -> None:
    # fchmod changes the file that was written, whatever its name now leads to.
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before Python 3.13: only the read-only bit exists there
        os.chmod(path, mode)


def _still_ours(fd: int, directory_fd: int | None, path: str, name: str) -> bool:
    """Whether the temporary name still leads to the file written (not to a file swapped in)."""
    mine = os.fstat(fd)
    try:
        if directory_fd is not None:
            now = os.stat(name, dir_fd=directory_fd, follow_symlinks=False)
        else:
            now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def place_file(path: StrPath, prepare: Callable[[int], None]) -> int:
    """Create a file's content first and its name last, so ``path`` is never half-made.

    ``prepare(fd)`` fills a new file open for reading and writing.  That file
    has no name while it is written (Linux ``O_TMPFILE``) or, where unnamed
    files are unsupported, a temporary name in the same directory.  It is
    then given the permissions ``path`` has (without set-user-ID,
    set-group-ID and sticky bits; ``0o666 & ~umask`` for a new file),
    fsynced, and given its name atomically: ``path`` holds either its old or
    its complete new content.  Returns the new file's descriptor, still open
    (the caller closes it).  On any error nothing named is left behind and
    ``path`` is untouched.

    The mode is set through the descriptor and the directory is opened once:
    the temporary name is created (never an existing file or symlink),
    checked to still lead to the file written, renamed and removed relative
    to that directory descriptor, so no symlink swapped in for the name or
    the directory's path can redirect any step.

    A process killed while writing leaves nothing behind with an unnamed
    file (the kernel frees it); only a kill in the short window between
    naming the file and renaming it over ``path`` (a link and a rename,
    about a tenth of a millisecond) can leave a
    ``.NAME.<random>.tmp`` file.  With the named fallback a killed writer
    leaves its temporary file.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    final = os.path.basename(target)
    try:
        mode = os.stat(target).st_mode & COPIED_MODE_BITS
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    directory_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC) if _AT_CALLS else None
    try:
        fd = _place(directory_fd, directory, target, final, mode, prepare)
        if directory_fd is not None:
            # Make the rename durable.
            with contextlib.suppress(OSError):
                os.fsync(directory_fd)
    finally:
        if directory_fd is not None:
            os.close(directory_fd)
    if directory_fd is None:
        fsync_directory(directory)
    return fd


def _place(
    directory_fd: int | None, directory: str, target: str, final: str, mode: int, prepare: Callable[[int], None]
) -> int:
    temporary: str | None = None  # the temporary name, relative to the directory
    fd = _open_unnamed(directory_fd)
    unnamed = fd is not None
    if fd is None:
        fd, temporary = _create_named(directory_fd, directory, target)
    try:
        prepare(fd)
        _set_mode(fd, os.path.join(directory, temporary or final), mode)
        os.fsync(fd)
        if unnamed:
            # The data is durable; only now does the file get a name, so a
            # killed writer leaves something only in the link-to-rename
            # window (the directory fsync after the rename makes the final
            # name durable).
            assert directory_fd is not None
            temporary = _name_unnamed(fd, directory_fd, target)
        assert temporary is not None
        if not _still_ours(fd, directory_fd, os.path.join(directory, temporary), temporary):
            # Someone with write access to the directory replaced the name
            # (with a symlink, say): renaming it would put their file in
            # place, and removing it is not ours to do.
            where = os.path.join(directory, temporary)
            temporary = None
            raise FileExistsError(errno.EEXIST, f"the temporary file {where!r} was replaced while written")
        if directory_fd is None:
            os.replace(os.path.join(directory, temporary), target)
        else:
            os.replace(temporary, final, src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
    except BaseException:
        if temporary is not None:
            with contextlib.suppress(OSError):
                if directory_fd is None:
                    os.unlink(os.path.join(directory, temporary))
                else:
                    os.unlink(temporary, dir_fd=directory_fd)
        os.close(fd)
        raise
    return fd


def atomic_write(path: StrPath, write: Callable[[BinaryIO], None]) -> None:
    """Write a file so that it holds either its old or its complete new content.

    ``write`` gets a binary stream over a new file with no name (or, where
    unnamed files are unsupported, a temporary name in the same directory);
    the file is flushed, fsynced and then named ``path`` atomically (see
    :func:`place_file`).  On any error ``path`` is untouched and no file is
    left behind.
    """

    def prepare(fd: int) -> None:
        with open(fd, "wb", closefd=False) as stream:
            write(stream)

    os.close(place_file(path, prepare))


def write_to(dst: Source, write: Callable[[BinaryIO], None]) -> None:
    """Write atomically to a path, or straight to a binary file object."""
    if isinstance(dst, (str, os.PathLike)):
        atomic_write(dst, write)
    else:
        check_binary(dst, writing=True)
        write(cast(BinaryIO, dst))
