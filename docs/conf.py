"""Sphinx configuration of pixelkit's documentation.

Build the pages with ``sphinx-build -W --keep-going -b html docs docs/_build/html``
and run every example of the pages and docstrings with ``sphinx-build -W -b doctest docs docs/_build/doctest``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The checkout's pixelkit (built in place) when it is not installed.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pixelkit  # noqa: E402

project = "pixelkit"
author = "the pixelkit authors"
copyright = "the pixelkit authors"
release = pixelkit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinxarg.ext",
]

exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"pixelkit {release}"

# Docstrings are numpy style.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
# The types are in the Parameters and Returns sections; signatures show names and defaults.
autodoc_typehints = "none"
autodoc_preserve_defaults = True
autosummary_generate = False

# Links to the documentation of Python, numpy and Dask work offline: no inventories are fetched.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

# Every example of the pages and of the docstrings runs with these names defined (docs/doctest_setup.py).
doctest_global_setup = "from doctest_setup import *  # noqa: F403\ntmp = new_folder()"
doctest_global_cleanup = "remove(tmp)"
doctest_test_doctest_blocks = "default"

# A reference to a function, method, module, attribute or exception that does not exist is a warning (an error
# with -W).  Class references are not checked: napoleon turns every word of a type ("sequence of three ints,
# optional") into one.
nitpicky = True
nitpick_ignore_regex = [("py:class", r".*")]
