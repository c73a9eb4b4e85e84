"""Type stubs (``.pyi``) for compiled cffi modules and their wrappers, generated from the header.

``raw_module_stub`` types a cffi module's ``ffi`` and ``lib`` (pixelkit's
own ``_pixelkit.pyi`` is one); ``wrapper_stub`` types the Python functions
that :mod:`pixelkit.bind` makes for an extension module's kernels, and
appends the raw ``ffi``/``lib`` types.  cffi itself generates no stubs.
"""

from __future__ import annotations

from collections.abc import Sequence

from .declarations import BOOL_TYPES, FLOAT_TYPES, CType, Declarations
from .signatures import Signature


def pointer_class(base: str, depth: int) -> str:
    """The stub's name for ``base`` followed by ``depth`` stars: pixel_t * -> PixelPtr."""
    base = base.split()[-1]  # "struct foo" -> "foo"
    name = base[3:] if base.startswith("pk_") else base
    name = name[:-2] if name.endswith("_t") else name
    return "".join(part.capitalize() for part in name.split("_")) + "Ptr" * depth


def struct_class(name: str) -> str:
    """The stub's name for a struct: pk_image -> CImage."""
    return "C" + pointer_class(name, 0)


def _python_type(decls: Declarations, ctype: CType, structs: Sequence[str]) -> str:
    if ctype.base == "<function>":
        return "CData"
    if ctype.depth:
        return pointer_class(ctype.base, ctype.depth)
    if ctype.base == "void":
        return "None"
    if ctype.base in FLOAT_TYPES:
        return "float"
    if ctype.base in BOOL_TYPES:
        return "bool"
    if ctype.base in structs:
        return struct_class(ctype.base)
    if ctype.base in decls.callbacks:
        return "CData"
    return "int"


def _pointer_types(decls: Declarations, extra_structs: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Every pointer type the header mentions, by its cffi spelling ("pixel_t *")."""
    found: dict[str, tuple[str, int]] = {}
    ctypes = [t for fields in decls.structs.values() for _, t in fields]
    ctypes += [t for f in decls.functions for t in [f.result, *(p.type for p in f.params)]]
    ctypes += [CType(name, 1) for name in [*decls.structs, *extra_structs]]
    for ctype in ctypes:
        if ctype.base == "<function>":
            continue
        for level in range(1, ctype.depth + 1):
            found[ctype.base + " " + "*" * level] = (ctype.base, level)
    return dict(sorted(found.items()))


_PRELUDE = [
    "from collections.abc import Callable",
    "from typing import Any, Literal, TypeVar, overload",
    "",
    "from numpy.typing import NDArray",
    "from typing_extensions import Buffer",
    "",
]


def raw_module_stub(
    decls: Declarations,
    constants: Sequence[str],
    docstring: str,
    *,
    shared_structs: Sequence[str] = (),
    skip_functions: Sequence[str] = (),
    imports: bool = True,
) -> str:
    """The text of a ``.pyi`` for a cffi module: ``ffi`` and ``lib`` with every declaration typed.

    ``shared_structs`` are struct names the module takes from another ffi
    (``ffi.include``), typed as opaque classes.
    """
    structs = [*decls.structs, *shared_structs]
    pointers = _pointer_types(decls, shared_structs)
    out = [f'"""{docstring}"""', "", *_PRELUDE] if imports else []
    out += [
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
        out += [f"class {struct_class(name)}(CData):", f'    """A ``{name}``: a struct C reads and writes."""', ""]
        out += [f"    {field}: {_python_type(decls, ctype, structs)}" for field, ctype in fields]
        out.append("")
    for name in shared_structs:
        if name not in decls.structs:
            out += [f"class {struct_class(name)}(CData):", f'    """A ``{name}`` (pixelkit\'s type)."""', ""]
            out += [
                "    def __getattr__(self, name: str) -> Any: ...",
                "    def __setattr__(self, name: str, value: Any) -> None: ...",
                "",
            ]
    for spelling, (base, level) in pointers.items():
        cls = pointer_class(base, level)
        target = _python_type(decls, CType(base, level - 1), structs)
        if base in decls.opaque:
            target = "CData"
        if level == 1 and base in structs:
            target = struct_class(base)
        # A struct pointer also gives the first struct's fields: p.r is p[0].r.
        parents = struct_class(base) if level == 1 and base in structs else "CData"
        out += [
            f"class {cls}({parents}):",
            f'    """A ``{spelling}``."""',
            "",
            f"    def __getitem__(self, index: int) -> {target}: ...",
            f"    def __setitem__(self, index: int, value: {target}) -> None: ...",
            f"    def __add__(self, offset: int) -> {cls}: ...",
            "",
        ]
    # cffi can point at an opaque struct but not allocate one.
    allocated = {
        spelling: pointer_class(base, level)
        for spelling, (base, level) in pointers.items()
        if not (level == 1 and base in decls.opaque)
    }
    allocated.update(
        {
            f"{base}[]": pointer_class(base, 1)
            for base, level in pointers.values()
            if level == 1 and base != "void" and base not in decls.opaque
        }
    )
    if "char *" not in allocated:
        out += ["class CharPtr(CData):", '    """A ``char *``."""', ""]
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
    out += [f"    {name}: int" for name in constants]
    out += [f"    {item}: int" for items in decls.enums.values() for item in items]
    for function in decls.functions:
        if function.name in skip_functions:
            continue
        args = ", ".join(
            ["self"]
            + [f"{p.name or f'a{i}'}: {_python_type(decls, p.type, structs)}" for i, p in enumerate(function.params)]
        )
        out.append(f"    def {function.name}({args}) -> {_python_type(decls, function.result, structs)}: ...")
    if out[-1] == "class Lib:":
        out.append("    pass")
    out += ["", "ffi: FFI", "lib: Lib", ""]
    return "\n".join(out)


_WRAPPER_TYPES = {
    "image": "_ImageLike",
    "plane": "NDArray[np.uint8]",
    "int": "int",
    "uint": "int",
    "float": "float",
    "bool": "bool",
}


def wrapper_stub(module: str, header_name: str, signatures: Sequence[Signature], raw: str) -> str:
    """The ``.pyi`` of a module made by ``python -m pixelkit.build``: typed wrappers, then the raw ffi/lib.

    ``raw`` is :func:`raw_module_stub` of the compiled module without its imports.
    """
    out = [
        f'"""Types of {module}, generated by pixelkit.build from {header_name}.  Do not edit: rebuild instead."""',
        "",
        "from collections.abc import Callable",
        "from typing import Any, Literal, TypeVar, overload",
        "",
        "import numpy as np",
        "from numpy.typing import NDArray",
        "from typing_extensions import Buffer",
        "",
        "from pixelkit import Image",
        "",
        "_ImageLike = Image | NDArray[np.uint8]",
        '_ImageOut = TypeVar("_ImageOut", Image, NDArray[np.uint8])',
        "",
    ]
    names = []
    for sig in signatures:
        names.append(sig.name)
        params = [f"{p.python_name}: {_WRAPPER_TYPES[p.kind]}" for p in sig.inputs]
        result = {"status": "None", "int": "int", "float": "float", "bool": "bool", "void": "None"}[sig.result]
        if sig.output is None:
            out.append(f"def {sig.name}({', '.join(params)}) -> {result}: ...")
            continue
        if sig.output.kind == "plane":
            plane_params = ", ".join([*params, "out: NDArray[np.uint8] | None = None"])
            out.append(f"def {sig.name}({plane_params}) -> NDArray[np.uint8]: ...")
            continue
        out += [
            "@overload",
            f"def {sig.name}({', '.join([*params, 'out: None = None'])}) -> Image: ...",
            "@overload",
            f"def {sig.name}({', '.join([*params, 'out: _ImageOut'])}) -> _ImageOut: ...",
        ]
    out += [
        "",
        "# ---- the compiled module's ffi and lib ----",
        "",
        raw,
        f"__all__ = {sorted([*names, 'ffi', 'lib'])!r}",
        "",
    ]
    return "\n".join(out)
