"""python -m pixelkit.build --module NAME HEADER SOURCE [SOURCE ...]: build a kernel module in place."""

from __future__ import annotations

import sys

from pixelkit.build.cli import main

if __name__ == "__main__":
    sys.exit(main())
