"""CPU dispatch and threads: which kernels run, and on how many cores.

At import pixelkit selects the best instruction set the CPU has
(``"avx512"``, ``"avx2"`` or ``"portable"``) unless ``PIXELKIT_ISA`` names
another one (``PIXELKIT_ISA=portable`` forces the plain C kernels), and
uses as many threads as the process may run on unless
``PIXELKIT_NUM_THREADS`` says otherwise.  Every setting gives
bit-identical results; only the speed changes.
"""

from __future__ import annotations

import os
import warnings
from typing import Literal, NamedTuple, TypedDict, cast

from pixelkit._native import ffi, lib
from pixelkit.errors import check

IsaName = Literal["portable", "avx2", "avx512"]
ISA_NAMES: tuple[IsaName, ...] = ("portable", "avx2", "avx512")
MAX_THREADS: int = lib.PK_MAX_THREADS
"""Largest thread count :func:`~pixelkit.set_num_threads` accepts."""
MIN_BAND_WORK: int = lib.PK_MIN_BAND_WORK
"""A kernel only splits an image into bands of at least this many bytes of work (read plus written)."""
MIN_COPY_WORK: int = lib.PK_MIN_COPY_WORK
"""Memory-bound kernels (point operations, flips, transposes, copies) use threads only from this much work."""


class CpuFeatures(TypedDict):
    """What :func:`~pixelkit.cpu_features` reports: a dict with these keys.

    Examples
    --------
    >>> sorted(pixelkit.cpu_features())
    ['available', 'cpu', 'selected', 'threads']
    """

    cpu: IsaName  # the best instruction set this CPU supports
    available: list[IsaName]  # every one pixelkit can run here
    selected: IsaName  # the one kernels use now
    threads: int  # threads a kernel may use


def _isa_name(level: int) -> IsaName:
    return cast(IsaName, ffi.string(lib.pk_isa_name(level)).decode("ascii"))


def cpu_features() -> CpuFeatures:
    """The instruction sets this CPU offers and the one pixelkit selected.

    Returns
    -------
    CpuFeatures
        A dict: ``cpu``, the best instruction set of this CPU (``"avx512"``,
        ``"avx2"`` or ``"portable"``); ``available``, every one pixelkit can
        run here; ``selected``, the one the kernels use now; ``threads``, the
        threads a kernel may use.

    Examples
    --------
    >>> features = pixelkit.cpu_features()
    >>> features["selected"] in features["available"]
    True
    >>> "portable" in features["available"]
    True
    """
    best = lib.pk_cpu_isa()
    return {
        "cpu": _isa_name(best),
        "available": [_isa_name(level) for level in range(best + 1)],
        "selected": _isa_name(lib.pk_active_isa()),
        "threads": int(lib.pk_num_threads()),
    }


def set_isa(name: IsaName | None = None) -> None:
    """Select the kernels' instruction set for the whole process.

    Every instruction set gives bit-identical results; only the speed
    changes.  The environment variable ``PIXELKIT_ISA`` does the same at import.

    Parameters
    ----------
    name : {"portable", "avx2", "avx512"} or None, optional
        The instruction set; None (default) selects the best the CPU has.

    Raises
    ------
    ValueError
        An unknown name, or one this CPU cannot run.

    Examples
    --------
    >>> pixelkit.set_isa("portable")
    >>> pixelkit.cpu_features()["selected"]
    'portable'
    >>> pixelkit.set_isa()  # back to the best
    """
    level = lib.pk_cpu_isa() if name is None else _isa_level(name)
    if level > lib.pk_cpu_isa():
        raise ValueError(f"this CPU cannot run the {name} kernels; it supports {cpu_features()['available']}")
    check(lib.pk_set_isa(level), "set_isa")


def _isa_level(name: str) -> int:
    if name not in ISA_NAMES:
        raise ValueError(f"instruction set must be one of {ISA_NAMES}, got {name!r}")
    return ISA_NAMES.index(name)


def default_num_threads() -> int:
    """The cores this process may run on (its CPU affinity), at most MAX_THREADS.

    Returns
    -------
    int
        The default thread count of :func:`~pixelkit.set_num_threads`.

    Examples
    --------
    >>> pixelkit.runtime.default_num_threads() >= 1
    True
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_THREADS))


def set_num_threads(count: int | None = None) -> None:
    """How many threads a kernel may split a large image over.

    Small images always stay on the calling thread; results are identical
    for any count.  The environment variable ``PIXELKIT_NUM_THREADS`` sets
    it at import.

    Parameters
    ----------
    count : int or None, optional
        1 to :data:`pixelkit.runtime.MAX_THREADS`; None (default) restores the
        default, the cores this process may run on.

    Raises
    ------
    TypeError
        ``count`` is not an int.
    ValueError
        ``count`` is out of range.

    Examples
    --------
    >>> pixelkit.set_num_threads(1)
    >>> pixelkit.get_num_threads()
    1
    >>> pixelkit.set_num_threads()  # back to the default
    """
    if count is None:
        count = default_num_threads()
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"the thread count must be an int, got {type(count).__name__}")
    if not 1 <= count <= MAX_THREADS:
        raise ValueError(f"the thread count must be between 1 and {MAX_THREADS}, got {count}")
    check(lib.pk_set_num_threads(count), "set_num_threads")


def get_num_threads() -> int:
    """How many threads a kernel may use now (see :func:`set_num_threads`).

    Returns
    -------
    int
        The thread count, from 1 to :data:`pixelkit.runtime.MAX_THREADS`.

    Examples
    --------
    >>> pixelkit.get_num_threads() == pixelkit.cpu_features()["threads"]
    True
    """
    return int(lib.pk_num_threads())


class PoolStats(NamedTuple):
    """How the kernels called from one thread were split (cumulative; see :func:`pool_stats`).

    Parameters
    ----------
    calls : int
        Passes over an image (a kernel makes one or more).
    bands : int
        Row bands those passes were cut into (one for a pass that stayed on one thread).
    worker_bands : int
        Bands a pool worker ran instead of the calling thread.

    Examples
    --------
    >>> pixelkit.runtime.pool_stats()._fields
    ('calls', 'bands', 'worker_bands')
    """

    calls: int  # passes over an image (a kernel makes one or more)
    bands: int  # row bands those passes were cut into (one for a pass that stayed on one thread)
    worker_bands: int  # bands a pool worker ran instead of the calling thread


def pool_stats() -> PoolStats:
    """The band splits of every kernel this Python thread has called so far.

    The counters belong to the calling thread (other threads' kernels do not change them), so
    the difference between two readings around a call tells how that call was split.

    Returns
    -------
    PoolStats
        The counters of the calling thread.

    Examples
    --------
    >>> from pixelkit.runtime import pool_stats
    >>> before = pool_stats()
    >>> _ = pixelkit.gaussian_blur(pixelkit.Image(64, 64), 2.0)  # small: one band per pass
    >>> after = pool_stats()
    >>> after.calls > before.calls, after.bands - before.bands == after.calls - before.calls
    (True, True)
    """
    counts = ffi.new("pk_pool_counts *")
    check(lib.pk_pool_stats(counts), "pool_stats")
    return PoolStats(int(counts.calls), int(counts.bands), int(counts.worker_bands))


def configure_from_environment() -> None:
    """Apply PIXELKIT_ISA and PIXELKIT_NUM_THREADS (called once at import)."""
    wanted = os.environ.get("PIXELKIT_ISA", "").strip().lower()
    if wanted:
        try:
            level = min(_isa_level(wanted), lib.pk_cpu_isa())
            if level != _isa_level(wanted):
                warnings.warn(
                    f"PIXELKIT_ISA={wanted} is not supported by this CPU; using {_isa_name(level)}",
                    RuntimeWarning,
                    stacklevel=2,
                )
            check(lib.pk_set_isa(level), "PIXELKIT_ISA")
        except ValueError as exc:
            warnings.warn(f"ignoring PIXELKIT_ISA: {exc}", RuntimeWarning, stacklevel=2)
    threads = os.environ.get("PIXELKIT_NUM_THREADS", "").strip()
    count = default_num_threads()
    if threads:
        try:
            count = int(threads)
            if not 1 <= count <= MAX_THREADS:
                raise ValueError(f"must be between 1 and {MAX_THREADS}")
        except ValueError as exc:
            warnings.warn(f"ignoring PIXELKIT_NUM_THREADS={threads!r}: {exc}", RuntimeWarning, stacklevel=2)
            count = default_num_threads()
    check(lib.pk_set_num_threads(count), "PIXELKIT_NUM_THREADS")
