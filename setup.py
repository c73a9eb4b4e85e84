"""setuptools needs this file only for the cffi extension, the header and the sdist's contents;
all metadata lives in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent


class BuildPyWithHeader(build_py):  # type: ignore[misc]
    """Ship include/pixelkit.h in the package: pixelkit.get_include() finds it there once installed."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib, "pixelkit", "include")
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "include" / "pixelkit.h", target / "pixelkit.h")


class SourceOnlySdist(sdist):  # type: ignore[misc]
    """An sdist of the sources (MANIFEST.in) and PKG-INFO only: without the egg-info folder and the
    setup.cfg that setuptools writes into it, which a build from the sdist makes again anyway."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        for egg_info in Path(base_dir).glob("*.egg-info"):
            shutil.rmtree(egg_info)
        if not (ROOT / "setup.cfg").exists():
            Path(base_dir, "setup.cfg").unlink(missing_ok=True)


setup(
    cffi_modules=["build_ffi.py:ffibuilder"],
    cmdclass={"build_py": BuildPyWithHeader, "sdist": SourceOnlySdist},
    # The extension is built against the stable ABI (build_ffi.py: py_limited_api=True), so one wheel,
    # tagged cp310-abi3, serves CPython 3.10 and every later version.
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
)
