"""setuptools needs this file only for the cffi extension and the header;
all metadata lives in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithHeader(build_py):  # type: ignore[misc]
    """Ship include/pixelkit.h in the package: pixelkit.get_include() finds it there once installed."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib, "pixelkit", "include")
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(__file__).resolve().parent / "include" / "pixelkit.h", target / "pixelkit.h")


setup(cffi_modules=["build_ffi.py:ffibuilder"], cmdclass={"build_py": BuildPyWithHeader})
