"""``python -m pixelkit``: the ``pixelkit`` command line (see :mod:`pixelkit.cli`)."""

from __future__ import annotations

from pixelkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
