"""Build pixelkit's C core into the extension module ``pixelkit._pixelkit``.

The declarations cffi needs come from ``include/pixelkit.h`` itself, never
from a Python string:

1. The C preprocessor runs over the header with ``PIXELKIT_CDEF`` defined.
   The header hides behind that macro exactly what ``ffi.cdef`` cannot
   parse (``#include`` lines and ``_Static_assert``), so the output is plain
   declarations and no line needs patching.
2. Preprocessing consumes ``#define`` constants, so every object-like
   ``#define PK_...`` of the header is declared again as
   ``#define PK_... ...``: cffi then asks the C compiler for the value.
3. ``set_source`` compiles ``c/*.c`` together with cffi's generated code,
   which includes the same header, so the compiler checks every binding
   against the real declarations.  Strict warning flags turn the warnings
   that reveal a mismatch into errors; ``PIXELKIT_WERROR=1`` (set in CI)
   makes every warning an error.

Importing this module only reads the header (and runs the preprocessor);
``python build_ffi.py`` builds the extension in place, next to the sources,
so that ``import pixelkit`` works from the checkout.  ``pip install .``
builds it through setuptools (``cffi_modules`` in setup.py).  There is no
fallback to cffi's ABI mode: a failed build fails loudly.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent
HEADER = ROOT / "include" / "pixelkit.h"
MODULE_NAME = "pixelkit._pixelkit"

# Flags for our own code and the generated bindings.  The -Werror= ones are
# the warnings that show a binding disagreeing with the header.
STRICT_FLAGS = [
    "-std=c11",
    "-O3",
    "-Wall",
    "-Wextra",
    "-Werror=incompatible-pointer-types",
    "-Werror=int-conversion",
    "-Werror=implicit-function-declaration",
    "-Werror=pointer-sign",
    "-Werror=return-type",
    "-fvisibility=hidden",
    # Every instruction set must give bit-identical floats: no fused multiply-add.
    "-ffp-contract=off",
]

# An object-like macro with a value, e.g. "#define PK_MAX_DIMENSION 1048576".
_CONSTANT = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(PK_[A-Z0-9_]+)[ \t]+\S", re.MULTILINE)


def c_compiler() -> list[str]:
    """The C compiler command: $CC, else the one Python was built with, else cc."""
    command = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(command)


def preprocess(header: Path = HEADER) -> str:
    """The header as the preprocessor sees it with PIXELKIT_CDEF defined."""
    command = [*c_compiler(), "-E", "-P", "-std=c11", "-DPIXELKIT_CDEF", str(header)]
    # LC_ALL=C keeps the compiler's output and messages plain ASCII.
    env = {**os.environ, "LC_ALL": "C"}
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    except FileNotFoundError as exc:
        raise RuntimeError(f"pixelkit needs a C compiler to build; {command[0]!r} was not found") from exc
    if result.returncode != 0:
        raise RuntimeError(f"preprocessing {header.name} failed:\n{result.stderr}")
    return result.stdout


def constant_names(header_text: str) -> list[str]:
    """Names of the integer constants the header #defines, in order."""
    return list(dict.fromkeys(_CONSTANT.findall(header_text)))


def cdef_source(header: Path = HEADER) -> str:
    """The complete text handed to ffi.cdef, derived from the header alone."""
    declarations = preprocess(header)
    constants = "\n".join(f"#define {name} ..." for name in constant_names(header.read_text()))
    return f"{declarations}\n{constants}\n"


def compile_flags() -> list[str]:
    flags = list(STRICT_FLAGS)
    if os.environ.get("PIXELKIT_WERROR") == "1":
        flags.append("-Werror")
    return flags


def make_ffibuilder(cdef: str, root: Path = ROOT, relative: bool = True, module_name: str = MODULE_NAME) -> FFI:
    """An FFI for ``cdef`` compiled against the sources under ``root``.

    setuptools wants source paths relative to the project, so the real
    build passes ``relative=True`` (it always runs from the project root);
    builds from elsewhere, such as the tests' throw-away builds, use
    absolute paths.
    """
    base = Path(os.path.relpath(root)) if relative else root
    builder = FFI()
    builder.cdef(cdef)
    builder.set_source(
        module_name,
        '#include "pixelkit.h"',
        sources=sorted(str(base / "c" / p.name) for p in (root / "c").glob("*.c")),
        include_dirs=[str(base / "include"), str(base / "c")],
        extra_compile_args=compile_flags() + ([] if sys.platform == "win32" else ["-pthread"]),
        extra_link_args=[] if sys.platform == "win32" else ["-pthread"],
        libraries=[] if sys.platform == "win32" else ["m"],
    )
    return builder


ffibuilder = make_ffibuilder(cdef_source())


def build_in_place() -> Path:
    """Compile the extension and put it in pixelkit/ for use from the checkout."""
    builder = make_ffibuilder(cdef_source(), relative=False)
    built = Path(builder.compile(tmpdir=str(ROOT / "build" / "cffi"), verbose=True))
    target = ROOT / "pixelkit" / built.name
    # Replace, never overwrite: a running process may have the old file mapped.
    staging = target.with_name(target.name + ".new")
    shutil.copy2(built, staging)
    os.replace(staging, target)
    return target


if __name__ == "__main__":
    print(f"built {build_in_place().relative_to(ROOT)}")
