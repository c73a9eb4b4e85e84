"""The names every example of the documentation starts with.

``np`` (numpy), ``pixelkit``, ``pkd`` (``pixelkit.dask``) and ``tmp``, a
:class:`pathlib.Path` to an empty temporary folder (``tmp = new_folder()``,
one per page or docstring, removed afterwards with ``remove(tmp)``).
Used by Sphinx's doctest builder (``docs/conf.py``) and by ``tests/test_docs.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

import pixelkit
import pixelkit.dask as pkd


def new_folder() -> Path:
    """A new empty temporary folder for one page's or one docstring's examples."""
    return Path(tempfile.mkdtemp(prefix="pixelkit-docs-"))


def remove(folder: Path) -> None:
    """Remove a folder made by :func:`new_folder`."""
    shutil.rmtree(folder, ignore_errors=True)


__all__ = ["new_folder", "np", "pixelkit", "pkd", "remove"]
