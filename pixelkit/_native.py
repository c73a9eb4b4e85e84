"""The compiled extension: cffi's ``ffi`` and ``lib`` objects."""

from __future__ import annotations

from typing import Any

try:
    from pixelkit._pixelkit import ffi, lib
except ImportError as exc:  # pragma: no cover - only without a build
    raise ImportError(
        "pixelkit's C extension is not built. From a source checkout run "
        "`python build_ffi.py` (builds it in place) or `pip install .`; "
        f"the import failed with: {exc}"
    ) from exc

# cffi's objects are dynamically typed; give them a name for annotations.
CData = Any

__all__ = ["CData", "ffi", "lib"]
