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
# A kernel only splits an image into bands of at least this many bytes of work (read plus written).
MIN_BAND_WORK: int = lib.PK_MIN_BAND_WORK
# Memory-bound kernels (point operations, flips, transposes, copies) use threads only from this much work.
MIN_COPY_WORK: int = lib.PK_MIN_COPY_WORK


class CpuFeatures(TypedDict):
    """What :func:`cpu_features` reports."""

    cpu: IsaName  # the best instruction set this CPU supports
    available: list[IsaName]  # every one pixelkit can run here
    selected: IsaName  # the one kernels use now
    threads: int  # threads a kernel may use


def _isa_name(level: int) -> IsaName:
    return cast(IsaName, ffi.string(lib.pk_isa_name(level)).decode("ascii"))


def cpu_features() -> CpuFeatures:
    """The instruction sets this CPU offers and the one pixelkit selected."""
    best = lib.pk_cpu_isa()
    return {
        "cpu": _isa_name(best),
        "available": [_isa_name(level) for level in range(best + 1)],
        "selected": _isa_name(lib.pk_active_isa()),
        "threads": int(lib.pk_num_threads()),
    }


def set_isa(name: IsaName | None = None) -> None:
    """Select the kernels' instruction set (None: the best the CPU has)."""
    level = lib.pk_cpu_isa() if name is None else _isa_level(name)
    if level > lib.pk_cpu_isa():
        raise ValueError(f"this CPU cannot run the {name} kernels; it supports {cpu_features()['available']}")
    check(lib.pk_set_isa(level), "set_isa")


def _isa_level(name: str) -> int:
    if name not in ISA_NAMES:
        raise ValueError(f"instruction set must be one of {ISA_NAMES}, got {name!r}")
    return ISA_NAMES.index(name)


def default_num_threads() -> int:
    """The cores this process may run on (its CPU affinity), at most MAX_THREADS."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_THREADS))


def set_num_threads(count: int | None = None) -> None:
    """How many threads a kernel may split a large image over (None: the default).

    Small images always stay on one thread; results are identical for any count.
    """
    if count is None:
        count = default_num_threads()
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"the thread count must be an int, got {type(count).__name__}")
    if not 1 <= count <= MAX_THREADS:
        raise ValueError(f"the thread count must be between 1 and {MAX_THREADS}, got {count}")
    check(lib.pk_set_num_threads(count), "set_num_threads")


def get_num_threads() -> int:
    return int(lib.pk_num_threads())


class PoolStats(NamedTuple):
    """How the kernels called from one thread were split (cumulative; see :func:`pool_stats`)."""

    calls: int  # passes over an image (a kernel makes one or more)
    bands: int  # row bands those passes were cut into (one for a pass that stayed on one thread)
    worker_bands: int  # bands a pool worker ran instead of the calling thread


def pool_stats() -> PoolStats:
    """The band splits of every kernel this Python thread has called so far.

    The counters belong to the calling thread (other threads' kernels do not change them), so
    the difference between two readings around a call tells how that call was split::

        before = pool_stats()
        pixelkit.gaussian_blur(img, 2.0)
        after = pool_stats()
        split = after.bands - before.bands > after.calls - before.calls
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
