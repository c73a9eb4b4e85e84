"""pixelkit's version, in one place: the package metadata (pyproject.toml reads it without importing
pixelkit), ``pixelkit.__version__`` and ``pixelkit --version``."""

__version__ = "0.1.0"
