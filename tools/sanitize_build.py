"""Build pixelkit with AddressSanitizer + UndefinedBehaviorSanitizer into a separate tree.

    python tools/sanitize_build.py [--out build/sanitize] [--cc gcc|clang] [--fuzzer | --thread]

The normal in-place build (pixelkit/_pixelkit*.so) is never touched: the
Python package is copied to ``OUT/pixelkit/`` and the instrumented extension
is compiled into that copy, from the checkout's own c/*.c and
include/pixelkit.h (through build_ffi.make_ffibuilder, so the bindings and
flags stay those of the real build, plus the sanitizer flags and with -O3
lowered to -O1).  Put ``OUT`` first on PYTHONPATH to import it.

``--cc clang --fuzzer`` adds ``-fsanitize=fuzzer-no-link`` (libFuzzer
coverage of the C code) for tools/fuzz_readers.py; that build must run under
atheris's clang runtime (asan_with_fuzzer.so), the gcc build under gcc's
libasan.  The two runtimes are not interchangeable, which is why the compiler
is recorded in ``OUT/BUILD_INFO``.

``--thread`` builds with ThreadSanitizer instead (``-fsanitize=thread``,
for tools/tsan.sh); it cannot be combined with ASan.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import build_ffi  # noqa: E402

THREAD_FLAGS = ["-fsanitize=thread", "-fno-omit-frame-pointer", "-g", "-O1"]
SANITIZE_FLAGS = [
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
    "-g",
    "-O1",
]


def copy_package(out: Path) -> Path:
    """OUT/pixelkit/: the package's Python files, without any compiled extension, and the header
    where an installed package has it (pixelkit/include/, for pixelkit.get_include())."""
    target = out / "pixelkit"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        ROOT / "pixelkit",
        target,
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.new"),
    )
    (target / "include").mkdir()
    shutil.copy2(ROOT / "include" / "pixelkit.h", target / "include" / "pixelkit.h")
    return target


def build(out: Path, cc: str, fuzzer: bool, source_root: Path = ROOT, thread: bool = False) -> Path:
    os.environ["CC"] = cc
    # distutils links with LDSHARED; it must be the same compiler family, or
    # gcc would pull in its own libasan under clang-instrumented objects.
    os.environ["LDSHARED"] = f"{cc} -shared"
    package = copy_package(out)
    header = source_root / "include" / "pixelkit.h"
    flags = [f for f in build_ffi.compile_flags() if not (f.startswith("-O") or f == "-g")]
    extra = list(THREAD_FLAGS if thread else SANITIZE_FLAGS)
    if fuzzer:
        extra.append("-fsanitize=fuzzer-no-link")
    # Shared objects do not link a runtime with clang; with gcc this records
    # libasan/libubsan as needed libraries (the runtime still has to be
    # LD_PRELOADed, since python itself is not instrumented).
    builder = build_ffi.make_ffibuilder(
        build_ffi.cdef_source(header),
        root=source_root,
        relative=False,
        compile_args=flags + extra,
        link_args=[f for f in extra if f.startswith("-fsanitize")],
    )
    tmpdir = out / "cffi"
    built = Path(builder.compile(tmpdir=str(tmpdir), verbose=True))
    target = package / built.name
    shutil.copy2(built, target)
    (out / "BUILD_INFO").write_text(
        f"cc={cc}\nfuzzer={int(fuzzer)}\nthread={int(thread)}\nflags={' '.join(flags + extra)}\n"
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "sanitize")
    parser.add_argument("--cc", default="gcc", help="gcc (default) or clang")
    parser.add_argument("--fuzzer", action="store_true", help="add -fsanitize=fuzzer-no-link (needs clang)")
    parser.add_argument("--thread", action="store_true", help="ThreadSanitizer instead of ASan + UBSan")
    parser.add_argument(
        "--source-root",
        type=Path,
        default=ROOT,
        help="take c/ and include/ from this directory (sanitize.sh --self-test builds a deliberately leaking copy)",
    )
    args = parser.parse_args()
    if args.thread and args.fuzzer:
        parser.error("--thread and --fuzzer do not combine")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"built {build(out, args.cc, args.fuzzer, args.source_root.resolve(), args.thread)}")


if __name__ == "__main__":
    main()
