"""Python functions for the C kernels of an extension module built with :mod:`pixelkit.build`.

``pixelkit.bind`` is :func:`bind`.

``bind(native)`` takes the compiled cffi module (its ``ffi`` and ``lib``)
and, once per module:

1. checks that the module's compiler laid out ``pixel_t``, ``pk_image``,
   ``pk_plane`` and ``pk_tensor`` exactly as pixelkit's did
   (:class:`pixelkit.LayoutError` otherwise);
2. hands the module pixelkit's function table, so that its C code reaches
   pixelkit's kernels, thread pool and settings (refused when the module
   was built against a pixelkit with other functions: rebuild it);
3. makes one Python function per C function, following the rules of
   :mod:`pixelkit.build.signatures` (images and arrays in, ``out=``,
   exceptions for error statuses).  The C call releases the GIL.
"""

from __future__ import annotations

import _thread
import operator
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from pixelkit._native import CData, ffi, lib
from pixelkit.errors import LayoutError, check
from pixelkit.image import Image, data_pointer, new_bytes
from pixelkit.rawio import as_image

if TYPE_CHECKING:  # pixelkit.build is imported by bind() only: `import pixelkit` stays light
    from pixelkit.build.signatures import Signature, WrappedParam

_bound: dict[int, SimpleNamespace] = {}
_lock = _thread.allocate_lock()  # not threading's: its import would cost `import pixelkit` 1 ms


def _layout(module_lib: Any, module_ffi: Any) -> dict[str, int]:
    out = module_ffi.new("pk_abi_layout *")
    check(module_lib.pk_module_layout(out), "pk_module_layout")
    return {name: int(getattr(out, name)) for name, _ in ffi.typeof("pk_abi_layout").fields}


def check_layout(native: ModuleType, name: str) -> None:
    """Raise LayoutError naming the first field where the module's compiler disagrees with pixelkit's."""
    ours, theirs = _layout(lib, ffi), _layout(native.lib, native.ffi)
    for field, value in ours.items():
        if theirs[field] != value:
            raise LayoutError(
                f"{name} was compiled with another layout of pixelkit's types: {field} is {theirs[field]} "
                f"there and {value} in pixelkit (were different struct packing or alignment flags used?)"
            )


def bind(native: ModuleType, name: str | None = None) -> SimpleNamespace:
    """The Python functions of an extension module built with :mod:`pixelkit.build`.

    Checks the module's layout of pixelkit's types, hands it pixelkit's
    function table and wraps each of its C functions (images and arrays
    in, ``out=``, exceptions for error statuses, the GIL released), once
    per module: later calls return the same namespace.  The ``MODULE.py``
    that ``python -m pixelkit.build`` writes calls it for you; a project
    that compiles the module itself (:func:`pixelkit.build.extension`) calls it.

    Parameters
    ----------
    native : module
        The compiled cffi module (it has ``ffi`` and ``lib``).
    name : str, optional
        The name used in error messages (default: the module's ``__name__``).

    Returns
    -------
    types.SimpleNamespace
        One function per wrapped C function, plus the module's ``ffi`` and ``lib``.

    Raises
    ------
    LayoutError
        The module's compiler laid out ``pixel_t``, ``pk_image``, ``pk_plane``
        or ``pk_tensor`` differently from pixelkit's.
    ImportError
        The module was built against a pixelkit with other C functions: rebuild it.

    Examples
    --------
    >>> import importlib, sys
    >>> _ = (tmp / "halve.h").write_text(
    ...     "#include <pixelkit.h>\\npk_status halve(const pk_image *src, const pk_image *dst);\\n")
    >>> _ = (tmp / "halve.c").write_text('''#include "halve.h"
    ... pk_status halve(const pk_image *src, const pk_image *dst) {
    ...     for (size_t y = 0; y < src->height; y++) {
    ...         const uint8_t *in = (const uint8_t *)src->pixels + y * src->stride;
    ...         uint8_t *out = (uint8_t *)dst->pixels + y * dst->stride;
    ...         for (size_t x = 0; x < 3 * src->width; x++)
    ...             out[x] = in[x] / 2;
    ...     }
    ...     return PK_OK;
    ... }
    ... ''')
    >>> ffi = pixelkit.build.extension("_halve_native", tmp / "halve.h", [tmp / "halve.c"],
    ...                                dispatch=False, build_dir=tmp / "objects")
    >>> _ = ffi.compile(tmpdir=str(tmp))
    >>> sys.path.insert(0, str(tmp))
    >>> halve = pixelkit.bind(importlib.import_module("_halve_native"))
    >>> halve.halve(pixelkit.Image(2, 2, fill=(200, 100, 51)))[0, 0]
    (100, 50, 25)
    >>> sys.path.remove(str(tmp))
    """
    name = name or native.__name__
    with _lock:
        cached = _bound.get(id(native))
        if cached is not None and cached.lib is native.lib:
            return cached
        check_layout(native, name)
        status = native.lib.pk_module_attach(lib.pk_module_api())
        if status == lib.PK_ERR_ARGUMENT:
            raise ImportError(
                f"{name} was built against a pixelkit whose C API has other functions than this one's; "
                "rebuild it with this pixelkit (python -m pixelkit.build ...)"
            )
        check(status, f"attaching {name}")
        from pixelkit.build.signatures import from_json

        manifest = ffi.string(native.lib.pk_module_manifest()).decode("utf-8")
        namespace = SimpleNamespace(ffi=native.ffi, lib=native.lib)
        for signature in from_json(manifest):
            setattr(namespace, signature.name, make_wrapper(signature, getattr(native.lib, signature.name), name))
        _bound[id(native)] = namespace
        return namespace


# ---- argument conversion ---------------------------------------------------------


def _image(value: Any, function: str, param: str) -> Image:
    if isinstance(value, Image):
        return value
    try:
        return as_image(value, param)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{function}: {exc}") from None


def _plane(value: Any, function: str, param: str, *, writable: bool = False) -> tuple[CData, NDArray[np.uint8]]:
    if not isinstance(value, np.ndarray) or value.dtype != np.uint8 or value.ndim != 2:
        raise TypeError(f"{function}: {param} must be an (H, W) uint8 numpy array, got {_describe(value)}")
    if writable and not value.flags.writeable:
        raise ValueError(f"{function}: {param} is read-only")
    height, width = value.shape
    if height == 0 or width == 0:
        raise ValueError(f"{function}: {param} is empty ({height}x{width})")
    row, step = value.strides
    if (width > 1 and step != 1) or (height > 1 and row < width):
        raise ValueError(
            f"{function}: {param} needs adjacent samples and positive row strides, got strides {value.strides}; "
            "use np.ascontiguousarray"
        )
    plane = ffi.new("pk_plane *")
    plane.data = data_pointer(value, "uint8_t *")
    plane.width = width
    plane.height = height
    plane.stride = row if height > 1 else width
    plane.writable = int(bool(value.flags.writeable))
    return plane, value


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    return type(value).__name__


def _integer(value: Any, function: str, param: str) -> int:
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{function}: {param} must be an integer, got {type(value).__name__}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{function}: {param} must be an integer, got {type(value).__name__}") from None


def _unsigned(value: Any, function: str, param: str) -> int:
    number = _integer(value, function, param)
    if number < 0:
        raise ValueError(f"{function}: {param} must be >= 0, got {number}")
    return number


def _float(value: Any, function: str, param: str) -> float:
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{function}: {param} must be a number, got {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{function}: {param} must be a number, got {type(value).__name__}") from None


def _bool(value: Any, function: str, param: str) -> bool:
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{function}: {param} must be a bool, got {type(value).__name__}")
    return bool(value)


_NUMBERS: dict[str, Callable[[Any, str, str], Any]] = {
    "int": _integer,
    "uint": _unsigned,
    "float": _float,
    "bool": _bool,
}


def _output_image(out: Any, like: Image, function: str) -> Image:
    if out is None:
        return Image._empty(like._width, like._height)
    image = _image(out, function, "out")
    if not image._writable:
        raise ValueError(f"{function}: out is read-only")
    return image


def make_wrapper(signature: Signature, c_function: Any, module: str) -> Callable[..., Any]:
    """The Python function for one C function (see pixelkit.build.signatures for the rules)."""
    name = signature.name
    order: list[WrappedParam] = sorted(
        [*signature.inputs, *([signature.output] if signature.output else [])], key=lambda p: p.c_index
    )
    inputs = signature.inputs
    output = signature.output
    first_image = signature.first_image
    result_kind = signature.result

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if len(args) > len(inputs) + (output is not None):
            raise TypeError(f"{name}() takes {len(inputs)} arguments (and out=), got {len(args)}")
        values: dict[str, Any] = {}
        for param, value in zip([*inputs, *([output] if output else [])], args, strict=False):
            values[param.python_name] = value
        for key, value in kwargs.items():
            if key in values:
                raise TypeError(f"{name}() got multiple values for argument {key!r}")
            if key not in {p.python_name for p in order}:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
            values[key] = value
        missing = [p.python_name for p in inputs if p.python_name not in values]
        if missing:
            raise TypeError(
                f"{name}() missing required argument{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
            )
        call: list[Any] = [None] * signature.c_arity
        keep: list[Any] = []
        images: dict[int, Image] = {}
        for param in inputs:
            value = values[param.python_name]
            if param.kind == "image":
                image = _image(value, name, param.python_name)
                images[param.c_index] = image
                call[param.c_index] = image._desc
            elif param.kind == "plane":
                plane, array = _plane(value, name, param.python_name)
                keep.append(array)
                call[param.c_index] = plane
            else:
                call[param.c_index] = _NUMBERS[param.kind](value, name, param.python_name)
        result: Any = None
        if output is not None:
            out = values.get("out")
            assert first_image is not None
            like = images[first_image.c_index]
            if output.kind == "image":
                target = _output_image(out, like, name)
                call[output.c_index] = target._desc
                result = target if out is None else out
            else:
                array = new_bytes(like._height, like._width) if out is None else out
                plane, array = _plane(array, name, "out", writable=True)
                keep.append(array)
                call[output.c_index] = plane
                result = array
        returned = c_function(*call)
        if result_kind == "status":
            if returned:
                check(returned, f"{module}.{name}")
            return result
        if result_kind == "void":
            return result
        return returned

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__module__ = module
    shown = [p.python_name for p in inputs] + (["out=None"] if output else [])
    wrapper.__doc__ = f"{name}({', '.join(shown)}): the C function {name} of {module} (built by pixelkit.build)."
    return wrapper
