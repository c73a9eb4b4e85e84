"""Which C functions get a Python wrapper, and what each parameter becomes.

The rules, applied to each function the module's header declares:

- ``pk_image *`` (const or not) takes an :class:`pixelkit.Image` or an
  ``(H, W, 3) uint8`` array, wrapped without copying, strides kept;
  ``pk_plane *`` takes an ``(H, W) uint8`` array.
- The last image or plane parameter named ``dst`` or ``out`` is the
  output: it becomes the keyword ``out=None`` at the end; when omitted, a
  new result of the first image argument's height and width is allocated
  and returned.
- Integer, ``bool`` and floating-point parameters take Python numbers
  (never strings).
- A ``pk_status`` result other than ``PK_OK`` raises pixelkit's exception;
  ``void`` and ``pk_status`` results return the output (or None); number
  results are returned.

A function with any other parameter or result type (a pointer to
something else, a struct by value, a callback) gets no wrapper and stays
callable through the module's raw ``lib``.  Build time (stubs, the
manifest compiled into the module) and run time (:mod:`pixelkit.bind`)
share these rules through :class:`Signature` and its JSON form.
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .declarations import BOOL_TYPES, FLOAT_TYPES, INTEGER_TYPEDEFS, CType, Function

OUTPUT_NAMES = ("dst", "out")
_SIGNED = frozenset({"char", "short", "int", "long", "long long", "ptrdiff_t", "ssize_t", "intptr_t"})
_SIGNED |= {f"int{b}_t" for b in (8, 16, 32, 64)}
_UNSIGNED = (
    frozenset({"size_t", "uintptr_t", *(f"uint{b}_t" for b in (8, 16, 32, 64))})
    | {f"unsigned {t}" for t in ("char", "short", "int", "long", "long long")}
    | {"unsigned"}
)


@dataclass(frozen=True)
class WrappedParam:
    c_index: int  # position in the C call
    python_name: str
    kind: str  # "image", "plane", "int", "uint", "float", "bool"


@dataclass(frozen=True)
class Signature:
    name: str
    c_arity: int
    inputs: tuple[WrappedParam, ...]
    output: WrappedParam | None
    result: str  # "status", "void", "int", "float", "bool"

    @property
    def first_image(self) -> WrappedParam | None:
        return next((p for p in self.inputs if p.kind == "image"), None)


def _kind(ctype: CType, enums: Sequence[str]) -> str | None:
    if ctype.depth == 1 and ctype.base == "pk_image":
        return "image"
    if ctype.depth == 1 and ctype.base == "pk_plane":
        return "plane"
    if ctype.depth:
        return None
    if ctype.base in FLOAT_TYPES:
        return "float"
    if ctype.base in BOOL_TYPES:
        return "bool"
    if ctype.base in _UNSIGNED:
        return "uint"
    if ctype.base in _SIGNED or ctype.base in enums or ctype.base in INTEGER_TYPEDEFS:
        return "int"
    return None


def _result_kind(ctype: CType, enums: Sequence[str]) -> str | None:
    if ctype == CType("pk_status"):
        return "status"
    if ctype == CType("void"):
        return "void"
    kind = _kind(ctype, enums)
    return {"int": "int", "uint": "int", "float": "float", "bool": "bool"}.get(kind or "")


def _python_name(name: str | None, index: int) -> str:
    name = name or f"arg{index}"
    return name + "_" if keyword.iskeyword(name) or name == "out" else name


def signature_of(function: Function, enums: Sequence[str] = ("pk_status",)) -> Signature | None:
    """The wrapper of ``function``, or None when its types fall outside the rules."""
    kinds = [_kind(p.type, enums) for p in function.params]
    result = _result_kind(function.result, enums)
    if result is None or any(k is None for k in kinds):
        return None
    output_index = None
    for index, (param, kind) in enumerate(zip(function.params, kinds, strict=True)):
        if kind in ("image", "plane") and param.name in OUTPUT_NAMES:
            output_index = index
    inputs = tuple(
        WrappedParam(i, _python_name(p.name, i), k or "")
        for i, (p, k) in enumerate(zip(function.params, kinds, strict=True))
        if i != output_index
    )
    output = None
    if output_index is not None:
        output = WrappedParam(output_index, "out", kinds[output_index] or "")
        if not any(p.kind == "image" for p in inputs):
            return None  # nothing to take the new result's size from
    return Signature(function.name, len(function.params), inputs, output, result)


def to_json(signatures: Sequence[Signature]) -> str:
    return json.dumps([asdict(s) for s in signatures], separators=(",", ":"), sort_keys=True)


def from_json(text: str) -> list[Signature]:
    result = []
    for item in json.loads(text):
        output = item["output"]
        result.append(
            Signature(
                item["name"],
                item["c_arity"],
                tuple(WrappedParam(**p) for p in item["inputs"]),
                None if output is None else WrappedParam(**output),
                item["result"],
            )
        )
    return result
