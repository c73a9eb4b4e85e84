"""pixelkit's C core into ``pixelkit._pixelkit`` with pixelkit's own builder (pixelkit/build/): the cdef from
include/pixelkit.h alone, c/*.c with its strict flags (all warnings errors with PIXELKIT_WERROR=1, as in CI).
``python build_ffi.py`` builds in place (``--stubs``: only the stub), ``pip install .`` via ``cffi_modules``."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from cffi import FFI

ROOT = Path(__file__).resolve().parent
HEADER, STUB, MODULE_NAME = ROOT / "include" / "pixelkit.h", ROOT / "pixelkit" / "_pixelkit.pyi", "pixelkit._pixelkit"


# pixelkit/build/ as a package of its own: importing pixelkit itself needs the extension this file builds.
_where = ROOT / "pixelkit" / "build"
_spec = importlib.util.spec_from_file_location("_pixelkit_builder", _where / "__init__.py",
                                               submodule_search_locations=[str(_where)])  # fmt: skip
assert _spec is not None and _spec.loader is not None
builder: Any = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(builder, "c_module"):
    _spec.loader.exec_module(builder)
compile_flags = builder.objects.strict_c_flags


def cdef_source(header: Path = HEADER) -> str:
    return str(builder.header.cdef_source(header, constant_prefix="PK_").text)


def stub_source(header: Path = HEADER) -> str:
    return str(builder.pixelkit_stub(header))


def make_ffibuilder(cdef: str, root: Path = ROOT, relative: bool = True, module_name: str = MODULE_NAME,
                    compile_args: list[str] | None = None, link_args: list[str] | None = None) -> FFI:  # fmt: skip
    """The FFI of ``cdef`` over the sources under ``root`` (relative paths for setuptools)."""
    base = Path(os.path.relpath(root)) if relative else root
    return builder.c_module(
        module_name, cdef, builder.pixelkit_glue(root / "include" / "pixelkit.h"),
        sources=sorted(str(base / "c" / p.name) for p in (root / "c").glob("*.c")),
        include_dirs=[str(base / "include"), str(base / "c")], compile_args=compile_args,
        link_args=link_args or [], libraries=[] if sys.platform == "win32" else ["m"],
        # The stable ABI: one _pixelkit.abi3.so for every CPython >= 3.10 (cffi's generated C uses only the
        # limited API; setup.py tags the wheel cp310-abi3).
        py_limited_api=True,
    )  # fmt: skip


ffibuilder = make_ffibuilder(cdef_source())

if __name__ == "__main__":
    if "--stubs" not in sys.argv[1:]:
        built = builder.compile_in_place(make_ffibuilder(cdef_source(), relative=False), ROOT / "build" / "cffi",
                                         ROOT / "pixelkit")  # fmt: skip
        # An older in-place build named for one interpreter (_pixelkit.cpython-311-...so) would be imported
        # before the abi3 one.
        for stale in (ROOT / "pixelkit").glob("_pixelkit.*"):
            if stale != built and stale.suffix in (".so", ".pyd"):
                stale.unlink()
        print(f"built {built.relative_to(ROOT)}")
    STUB.write_text(stub_source())
    print(f"wrote {STUB.relative_to(ROOT)}")
