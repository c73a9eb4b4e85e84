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


def make_ffibuilder(
    cdef: str,
    root: Path = ROOT,
    relative: bool = True,
    module_name: str = MODULE_NAME,
    compile_args: list[str] | None = None,
    link_args: list[str] | None = None,
) -> FFI:
    """An FFI for ``cdef`` compiled against the sources under ``root``.

    ``compile_args`` and ``link_args`` replace the usual flags (the
    sanitizer build in tools/ uses them).

    setuptools wants source paths relative to the project, so the real
    build passes ``relative=True`` (it always runs from the project root);
    builds from elsewhere, such as the tests' throw-away builds, use
    absolute paths.
    """
    base = Path(os.path.relpath(root)) if relative else root
    threads = [] if sys.platform == "win32" else ["-pthread"]
    builder = FFI()
    builder.cdef(cdef)
    builder.set_source(
        module_name,
        '#include "pixelkit.h"',
        sources=sorted(str(base / "c" / p.name) for p in (root / "c").glob("*.c")),
        include_dirs=[str(base / "include"), str(base / "c")],
        extra_compile_args=(compile_flags() if compile_args is None else compile_args) + threads,
        extra_link_args=threads + ([] if link_args is None else link_args),
        libraries=[] if sys.platform == "win32" else ["m"],
    )
    return builder


ffibuilder = make_ffibuilder(cdef_source())


# ---- type stubs -----------------------------------------------------------------

STUB = ROOT / "pixelkit" / "_pixelkit.pyi"
# Typedefs cdef knows natively; pycparser needs to be told they are types.
_INTEGER_TYPEDEFS = ("size_t", "ptrdiff_t", "uintptr_t", *(f"{s}int{b}_t" for s in ("", "u") for b in (8, 16, 32, 64)))
_FLOAT_TYPES = {"float", "double"}


def _pointer_class(base: str, depth: int) -> str:
    """The stub's name for ``base`` followed by ``depth`` stars: pixel_t * -> PixelPtr."""
    name = base[3:] if base.startswith("pk_") else base
    name = name[:-2] if name.endswith("_t") else name
    return "".join(part.capitalize() for part in name.split("_")) + "Ptr" * depth


def _struct_class(name: str) -> str:
    """The stub's name for a struct: pk_image -> CImage."""
    return "C" + _pointer_class(name, 0)


class _Declarations:
    """Structs, enums and functions of the preprocessed header, as pycparser sees them."""

    def __init__(self, text: str) -> None:
        from pycparser import c_ast, c_parser  # cffi's own parser dependency

        prelude = "".join(f"typedef int {name};\n" for name in _INTEGER_TYPEDEFS)
        tree = c_parser.CParser().parse(prelude + text)
        self.structs: dict[str, list[tuple[str, tuple[str, int]]]] = {}
        self.enums: dict[str, list[str]] = {}
        self.functions: list[tuple[str, list[tuple[str, tuple[str, int]]], tuple[str, int]]] = []
        for node in tree.ext:
            if isinstance(node, c_ast.Typedef) and node.name not in _INTEGER_TYPEDEFS:
                inner = node.type.type
                if isinstance(inner, c_ast.Struct):
                    self.structs[node.name] = [
                        (name, self._ctype(decl.type)) for decl in inner.decls for name in [decl.name]
                    ]
                elif isinstance(inner, c_ast.Enum):
                    self.enums[node.name] = [item.name for item in inner.values.enumerators]
            elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
                params = [
                    (param.name, self._ctype(param.type))
                    for param in (node.type.args.params if node.type.args else [])
                    if param.name is not None
                ]
                self.functions.append((node.name, params, self._ctype(node.type.type)))

    @staticmethod
    def _ctype(node: object) -> tuple[str, int]:
        """(base type name, pointer depth) of a declarator."""
        from pycparser import c_ast

        depth = 0
        while isinstance(node, c_ast.PtrDecl):
            depth += 1
            node = node.type
        assert isinstance(node, c_ast.TypeDecl) and isinstance(node.type, c_ast.IdentifierType)
        return " ".join(n for n in node.type.names if n not in ("signed",)), depth

    def python_type(self, ctype: tuple[str, int], result: bool = False) -> str:
        base, depth = ctype
        if depth:
            return _pointer_class(base, depth)
        if base == "void":
            return "None"
        if base in _FLOAT_TYPES:
            return "float"
        if base in self.structs:
            return _struct_class(base)
        return "int"

    def pointer_types(self) -> dict[str, tuple[str, int]]:
        """Every pointer type the header mentions, by its cffi spelling ("pixel_t *")."""
        found: dict[str, tuple[str, int]] = {}
        ctypes = [t for fields in self.structs.values() for _, t in fields]
        ctypes += [t for _, params, ret in self.functions for t in [ret, *(p for _, p in params)]]
        ctypes += [(name, 1) for name in self.structs]
        for base, depth in ctypes:
            for level in range(1, depth + 1):
                found[base + " " + "*" * level] = (base, level)
        return dict(sorted(found.items()))


def stub_source(header: Path = HEADER) -> str:
    """The text of pixelkit/_pixelkit.pyi, derived from the header like the cdef."""
    header_text = header.read_text()
    decls = _Declarations(preprocess(header))
    pointers = decls.pointer_types()
    out = [
        '"""Types of the compiled bindings, generated by `python build_ffi.py --stubs` from',
        "include/pixelkit.h (the declarations that feed ffi.cdef).  Do not edit: CI fails when",
        'this file and the header disagree."""',
        "",
        "from collections.abc import Callable",
        "from typing import Any, Literal, TypeVar, overload",
        "",
        "from numpy.typing import NDArray",
        "from typing_extensions import Buffer",
        "",
        '_T = TypeVar("_T", bound="CData")',
        "# What ffi.from_buffer takes (numpy's stubs do not mark arrays as Buffer before 3.12).",
        "_Buffer = Buffer | NDArray[Any]",
        "",
        "class CData:",
        '    """Any cffi object: a pointer, array or struct."""',
        "",
        "    def __int__(self) -> int: ...",
        "    def __bool__(self) -> bool: ...",
        "",
    ]
    for name, fields in decls.structs.items():
        out += [f"class {_struct_class(name)}(CData):", f'    """A ``{name}``: a struct C reads and writes."""', ""]
        out += [f"    {field}: {decls.python_type(ctype)}" for field, ctype in fields]
        out.append("")
    for spelling, (base, level) in pointers.items():
        cls = _pointer_class(base, level)
        target = decls.python_type((base, level - 1))
        if level == 1 and base in decls.structs:
            target = _struct_class(base)
        # A struct pointer also gives the first struct's fields: p.r is p[0].r.
        parents = _struct_class(base) if level == 1 and base in decls.structs else "CData"
        out += [
            f"class {cls}({parents}):",
            f'    """A ``{spelling}``."""',
            "",
            f"    def __getitem__(self, index: int) -> {target}: ...",
            f"    def __setitem__(self, index: int, value: {target}) -> None: ...",
            f"    def __add__(self, offset: int) -> {cls}: ...",
            "",
        ]
    allocated = {spelling: _pointer_class(base, level) for spelling, (base, level) in pointers.items()}
    allocated.update(
        {f"{base}[]": _pointer_class(base, 1) for base, level in pointers.values() if level == 1 and base != "void"}
    )
    out += [
        "_AnyCData = CData",
        "",
        "class FFI:",
        "    NULL: _AnyCData",
        "    CData: type[_AnyCData]",
        "    error: type[Exception]",
        "",
    ]
    for verb, signature in (
        ("new", "self, cdecl: Literal[{lit}], init: Any = ...) -> {cls}"),
        ("cast", "self, cdecl: Literal[{lit}], value: Any) -> {cls}"),
    ):
        for spelling, cls in sorted(allocated.items()):
            out += ["    @overload", f"    def {verb}(" + signature.format(lit=repr(spelling), cls=cls) + ": ..."]
        last = "init: Any = ..." if verb == "new" else "value: Any"
        out += ["    @overload", f"    def {verb}(self, cdecl: str, {last}) -> Any: ..."]
    arrays = {s: c for s, c in allocated.items() if s.endswith("[]")}
    for spelling, cls in sorted(arrays.items()):
        out += [
            "    @overload",
            f"    def from_buffer(self, cdecl: Literal[{spelling!r}], python_buffer: _Buffer, "
            f"require_writable: bool = ...) -> {cls}: ...",
        ]
    out += [
        "    @overload",
        "    def from_buffer(self, python_buffer: _Buffer, require_writable: bool = ...) -> CharPtr: ...",
        "    def buffer(self, cdata: _AnyCData, size: int = ...) -> Any: ...",
        "    def gc(self, cdata: _T, destructor: Callable[[_T], object] | None, size: int = ...) -> _T: ...",
        "    def sizeof(self, cdecl: str | _AnyCData) -> int: ...",
        "    def alignof(self, cdecl: str | _AnyCData) -> int: ...",
        "    def offsetof(self, cdecl: str, *fields: str | int) -> int: ...",
        "    def typeof(self, cdecl: str | _AnyCData) -> Any: ...",
        "    def string(self, cdata: _AnyCData, maxlen: int = ...) -> bytes: ...",
        "",
        "class Lib:",
    ]
    out += [f"    {name}: int" for name in constant_names(header_text)]
    out += [f"    {item}: int" for items in decls.enums.values() for item in items]
    for name, params, ret in decls.functions:
        args = ", ".join(["self"] + [f"{p}: {decls.python_type(t)}" for p, t in params])
        out.append(f"    def {name}({args}) -> {decls.python_type(ret, result=True)}: ...")
    out += ["", "ffi: FFI", "lib: Lib", ""]
    return "\n".join(out)


def write_stub() -> Path:
    STUB.write_text(stub_source())
    return STUB


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
    if "--stubs" not in sys.argv[1:]:
        print(f"built {build_in_place().relative_to(ROOT)}")
    print(f"wrote {write_stub().relative_to(ROOT)}")
