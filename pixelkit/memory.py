"""The buffer cache: freed large images kept for reuse, and given back to the system.

A fresh 4 MiB-or-larger result costs a page fault per page the first time it is
written.  pixelkit keeps up to 8 recently freed large blocks so that a loop over
frames of one size reuses memory that is already faulted in, but memory nobody
reuses goes back to the operating system:

- a block larger than :data:`pixelkit.memory.BUFFER_CACHE_BLOCK_MAX` (64 MiB) is never cached,
  nor one larger than the cache's limit;
- a cached block unused for about a second (:data:`pixelkit.memory.BUFFER_CACHE_IDLE_SECONDS`) is
  unmapped by a thread that sleeps until then, so a loop's memory comes back
  about a second after the loop ends;
- :func:`pixelkit.release_memory` gives every cached block back at once, and
  :func:`pixelkit.set_buffer_cache` changes the limit (``0`` disables the cache).

``PIXELKIT_BUFFER_CACHE`` sets the limit at import: bytes, or a number with a
binary suffix (``64M``, ``512MiB``, ``1G``); ``0`` disables the cache.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import NamedTuple

from pixelkit._native import ffi, lib
from pixelkit.errors import check

BUFFER_CACHE_DEFAULT: int = lib.PK_BUFFER_CACHE_DEFAULT
BUFFER_CACHE_BLOCK_MAX: int = lib.PK_BUFFER_CACHE_BLOCK_MAX
BUFFER_CACHE_IDLE_SECONDS: float = lib.PK_BUFFER_CACHE_IDLE_MS / 1000
ENVIRONMENT_VARIABLE = "PIXELKIT_BUFFER_CACHE"

_SIZE = re.compile(r"(\d+)\s*([kmgt]?)(i?b)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE_MAX = int(ffi.cast("size_t", -1))


class BufferCacheInfo(NamedTuple):
    """What :func:`pixelkit.buffer_cache_info` reports."""

    max_bytes: int  # the limit (0: the cache is disabled)
    block_max: int  # the largest block ever cached (0: this build has no cache)
    cached_bytes: int  # held now, not in use
    cached_blocks: int


def _limit(max_bytes: object, name: str) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise TypeError(f"{name} must be an int number of bytes, got {type(max_bytes).__name__}")
    if not 0 <= max_bytes <= _SIZE_MAX:
        raise ValueError(f"{name} must be between 0 and {_SIZE_MAX} bytes, got {max_bytes}")
    return max_bytes


def set_buffer_cache(max_bytes: int | None = None) -> int:
    """Limit the bytes of freed large blocks pixelkit keeps for reuse.

    Parameters
    ----------
    max_bytes : int or None
        The most bytes the cache may hold; ``0`` disables it (and frees what it holds), ``None``
        restores the default, :data:`pixelkit.memory.BUFFER_CACHE_DEFAULT` (256 MiB).  Blocks beyond a lower
        limit are released at once.

    Returns
    -------
    int
        The previous limit.

    Raises
    ------
    TypeError
        ``max_bytes`` is not an int.
    ValueError
        ``max_bytes`` is negative or larger than the address space.

    Examples
    --------
    >>> import pixelkit
    >>> previous = pixelkit.set_buffer_cache(64 << 20)
    >>> pixelkit.buffer_cache_info().max_bytes
    67108864
    >>> _ = pixelkit.set_buffer_cache(previous)
    """
    limit = BUFFER_CACHE_DEFAULT if max_bytes is None else _limit(max_bytes, "max_bytes")
    previous = buffer_cache_info().max_bytes
    check(lib.pk_set_buffer_cache(limit), "set_buffer_cache")
    return previous


def buffer_cache_info() -> BufferCacheInfo:
    """The cache's limit and what it holds now.

    Returns
    -------
    BufferCacheInfo
        ``max_bytes`` (the limit), ``block_max`` (the largest block ever cached; 0 in builds
        without a cache, such as sanitizer builds), ``cached_bytes`` and ``cached_blocks``.

    Examples
    --------
    >>> import pixelkit
    >>> info = pixelkit.buffer_cache_info()
    >>> info.cached_bytes <= info.max_bytes
    True
    """
    counts = ffi.new("pk_buffer_cache_counts *")
    check(lib.pk_buffer_cache_stats(counts), "buffer_cache_info")
    return BufferCacheInfo(
        int(counts.max_bytes), int(counts.block_max), int(counts.cached_bytes), int(counts.cached_blocks)
    )


def release_memory() -> int:
    """Give every cached block back to the operating system now.

    Images still in use are not touched; only freed blocks kept for reuse are released.

    Returns
    -------
    int
        The bytes released.

    Examples
    --------
    >>> import pixelkit
    >>> frame = pixelkit.Image(2000, 1000)  # 6 MB: large enough to be cached once freed
    >>> del frame
    >>> pixelkit.release_memory() >= 6_000_000 or pixelkit.buffer_cache_info().block_max == 0
    True
    >>> pixelkit.buffer_cache_info().cached_bytes
    0
    """
    released = ffi.new("size_t *")
    check(lib.pk_release_memory(released), "release_memory")
    return int(released[0])


def parse_size(text: str) -> int:
    """``"268435456"``, ``"64M"``, ``"512MiB"``, ``"1g"``: a byte count (binary units)."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError("expected a byte count such as 268435456, 64M, 512MiB or 0")
    number, unit, _ = match.groups()
    return _limit(int(number) * _UNITS[unit.lower()], "the size")


def configure_from_environment() -> None:
    """Apply PIXELKIT_BUFFER_CACHE (called once at import); a bad value warns and keeps the default."""
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return
    try:
        limit = parse_size(text)
    except ValueError as exc:
        warnings.warn(f"ignoring {ENVIRONMENT_VARIABLE}={text!r}: {exc}", RuntimeWarning, stacklevel=2)
        return
    check(lib.pk_set_buffer_cache(limit), ENVIRONMENT_VARIABLE)
