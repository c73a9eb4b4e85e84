"""The structs, enums and functions of a preprocessed header, as pycparser (cffi's parser) sees them.

Shared by the stub generator, the wrapper rules and the code the builder
generates around a module's functions (dispatch by instruction set,
pixelkit's function table), so that all of them read one parse of the
header.  Only the standard library and pycparser (a dependency of cffi)
are imported.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Typedefs cdef knows natively; pycparser needs to be told they are types.
INTEGER_TYPEDEFS = (
    "size_t",
    "ssize_t",
    "ptrdiff_t",
    "intptr_t",
    "uintptr_t",
    *(f"{s}int{b}_t" for s in ("", "u") for b in (8, 16, 32, 64)),
)
BOOL_TYPES = frozenset({"bool", "_Bool"})
FLOAT_TYPES = frozenset({"float", "double"})


@dataclass(frozen=True)
class CType:
    """A type as far as the bindings care: its base name, pointer depth and whether the base is const."""

    base: str
    depth: int = 0
    const: bool = False

    @property
    def spelling(self) -> str:
        """The type as cffi spells it: ``const pk_image *``."""
        stars = " " + "*" * self.depth if self.depth else ""
        return ("const " if self.const else "") + self.base + stars


@dataclass(frozen=True)
class Param:
    name: str | None
    type: CType


@dataclass
class Function:
    name: str
    params: list[Param]
    result: CType
    node: Any = field(repr=False, compare=False)  # pycparser's Decl, to print the declaration again

    def declaration(self, name: str | None = None) -> str:
        """The C declaration (without ';'), optionally under another name, parameters named a0, a1, ..."""
        from pycparser import c_ast, c_generator

        node = copy.deepcopy(self.node)
        node.name = name or self.name
        inner = node.type.type
        while not isinstance(inner, c_ast.TypeDecl):
            inner = inner.type
        inner.declname = node.name
        for index, param in enumerate(self.parameter_nodes(node)):
            _rename_param(param, self.argument_names()[index])
        return str(c_generator.CGenerator().visit(node))

    def argument_names(self) -> list[str]:
        return [f"a{i}" for i in range(len(self.params))]

    @staticmethod
    def parameter_nodes(node: Any) -> list[Any]:
        from pycparser import c_ast

        args = node.type.args
        if args is None:
            return []
        params = [p for p in args.params if not isinstance(p, c_ast.EllipsisParam)]
        if len(params) == 1 and _is_void(params[0]):
            return []
        return params


def _is_void(param: Any) -> bool:
    from pycparser import c_ast

    t = getattr(param, "type", None)
    return (
        isinstance(t, c_ast.TypeDecl)
        and isinstance(t.type, c_ast.IdentifierType)
        and t.type.names == ["void"]
        and getattr(param, "name", None) is None
    )


def _rename_param(param: Any, name: str) -> None:
    from pycparser import c_ast

    param.name = name
    node = param.type
    while not isinstance(node, c_ast.TypeDecl):
        node = node.type
    node.declname = name


class UnsupportedDeclaration(Exception):
    """A declaration whose type the bindings do not describe (only the raw ``lib`` has it)."""


class Declarations:
    """Structs, enums and functions of a preprocessed header."""

    def __init__(self, text: str, known_types: Iterable[str] = ()) -> None:
        from pycparser import c_ast, c_parser

        prelude_names = [*INTEGER_TYPEDEFS, *(n for n in known_types if n not in INTEGER_TYPEDEFS)]
        prelude = "".join(f"typedef int {name};\n" for name in prelude_names)
        prelude += "typedef _Bool bool;\n"
        tree = c_parser.CParser().parse(prelude + text)
        self.prelude = frozenset([*prelude_names, "bool"])
        self.structs: dict[str, list[tuple[str, CType]]] = {}
        self.opaque: list[str] = []
        self.enums: dict[str, list[str]] = {}
        self.callbacks: list[str] = []  # typedefs of function pointers
        self.functions: list[Function] = []
        for node in tree.ext:
            if isinstance(node, c_ast.Typedef) and node.name not in self.prelude:
                inner = node.type.type if isinstance(node.type, c_ast.TypeDecl) else None
                if isinstance(node.type, c_ast.PtrDecl) and isinstance(node.type.type, c_ast.FuncDecl):
                    self.callbacks.append(node.name)
                elif isinstance(inner, c_ast.Struct):
                    if inner.decls is None:
                        self.opaque.append(node.name)
                    else:
                        self.structs[node.name] = [(decl.name, self.ctype(decl.type)) for decl in inner.decls]
                elif isinstance(inner, c_ast.Enum):
                    self.enums[node.name] = [item.name for item in inner.values.enumerators]
            elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
                params = [Param(param.name, self.ctype(param.type)) for param in Function.parameter_nodes(node)]
                self.functions.append(Function(node.name, params, self.ctype(node.type.type), node))

    @property
    def type_names(self) -> list[str]:
        """Every type name the header defines."""
        return [*self.structs, *self.opaque, *self.enums, *self.callbacks]

    @staticmethod
    def ctype(node: Any) -> CType:
        """The CType of a declarator; function pointers and arrays count as 'void *'-like CData."""
        from pycparser import c_ast

        depth = 0
        while isinstance(node, (c_ast.PtrDecl, c_ast.ArrayDecl)):
            depth += 1
            node = node.type
        if isinstance(node, c_ast.FuncDecl):
            return CType("<function>", depth)
        assert isinstance(node, c_ast.TypeDecl), node
        inner = node.type
        if isinstance(inner, c_ast.IdentifierType):
            base = " ".join(n for n in inner.names if n != "signed") or "int"
        elif isinstance(inner, (c_ast.Struct, c_ast.Enum)):
            base = f"{'struct' if isinstance(inner, c_ast.Struct) else 'enum'} {inner.name}"
        else:  # pragma: no cover - pycparser has no other leaf
            raise UnsupportedDeclaration(type(inner).__name__)
        return CType(base, depth, "const" in (node.quals or []))
