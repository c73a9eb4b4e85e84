"""sepiakit._native from its header and sources, with pixelkit's builder (run by setuptools through cffi_modules)."""

from pathlib import Path

import pixelkit.build

HERE = Path(__file__).resolve().parent
SOURCES = ["sepia.c", "sobel.c", "median.cpp", "unsharp.c"]

ffibuilder = pixelkit.build.extension(
    "sepiakit._native",
    HERE / "src" / "sepiakit.h",
    [HERE / "src" / name for name in SOURCES],
    build_dir=HERE / "build" / "pixelkit",
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
