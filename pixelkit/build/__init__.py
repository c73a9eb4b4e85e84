"""Build your own C and C++ kernels over pixelkit images into a typed, GIL-free Python module.

One command, from a header that includes ``<pixelkit.h>`` and the sources
that implement it::

    python -m pixelkit.build --module sepiakit sepia.h sepia.c

writes ``sepiakit.py`` (the Python functions), ``sepiakit.pyi`` (their
types) and the compiled ``_sepiakit_native`` beside them.  From a
project's own build (setuptools ``cffi_modules``)::

    ffibuilder = pixelkit.build.extension("sepiakit._native", "sepia.h", ["sepia.c"])

returns the ``cffi.FFI`` to compile; ``pixelkit.bind(sepiakit._native)``
then gives the Python functions.  The declarations come from the header
alone (see ``pixelkit/build/header.py``), pixelkit's types are shared with
``ffi.include``, and the sources are compiled once per instruction set
(``pixelkit/build/objects.py``).  Compiling needs a C compiler (and a C++
one for C++ sources) and setuptools: ``pip install 'pixelkit[build]'``.

Only the standard library and cffi are imported here, so pixelkit's own
build (``build_ffi.py``) uses this package before pixelkit is compiled.
"""

from __future__ import annotations

import importlib.util
import keyword
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from cffi import FFI
from cffi.api import CDefError

from . import glue, objects, signatures, stubs
from .declarations import Declarations
from .header import Cdef, HeaderError, cdef_source, constant_names
from .objects import BuildError

__all__ = ["BuildError", "HeaderError", "build", "extension", "get_include", "pixelkit_declarations"]

PIXELKIT_MODULE = "pixelkit._pixelkit"
StrPath = str | os.PathLike[str]


def get_include() -> str:
    """The folder holding ``pixelkit.h``: pass it to the compiler as ``-I`` (like ``numpy.get_include()``).

    Returns
    -------
    str
        The installed package's ``include`` folder, or the checkout's.

    Examples
    --------
    >>> from pathlib import Path
    >>> (Path(pixelkit.get_include()) / "pixelkit.h").is_file()
    True
    """
    package = Path(__file__).resolve().parent.parent
    installed = package / "include"
    if (installed / "pixelkit.h").is_file():
        return str(installed)
    return str(package.parent / "include")  # a source checkout


def pixelkit_header() -> Path:
    return Path(get_include()) / "pixelkit.h"


@lru_cache(maxsize=4)
def _pixelkit_cdef(header: Path) -> Cdef:
    return cdef_source(header, constant_prefix="PK_")


def pixelkit_declarations(header: StrPath | None = None) -> Declarations:
    """pixelkit.h as pycparser sees it (the functions of pixelkit's table, its types).

    Parameters
    ----------
    header : str or os.PathLike, optional
        Another copy of ``pixelkit.h`` (default: the one of :func:`~pixelkit.get_include`).

    Returns
    -------
    Declarations
        Its ``functions``, ``structs`` and ``enums``.

    Raises
    ------
    HeaderError
        The header cannot be preprocessed.
    OSError
        The header cannot be read.

    Examples
    --------
    >>> decls = pixelkit.build.pixelkit_declarations()
    >>> "pk_invert" in [f.name for f in decls.functions], "pk_image" in decls.structs
    (True, True)
    """
    return Declarations(_pixelkit_cdef(Path(header) if header else pixelkit_header()).preprocessed.text)


def pixelkit_ffi() -> FFI:
    """An FFI of pixelkit's declarations, for ``ffi.include`` (the types are pixelkit's own at run time)."""
    builder = FFI()
    builder.cdef(_pixelkit_cdef(pixelkit_header()).text)
    builder.set_source(PIXELKIT_MODULE, "")
    return builder


def _require_setuptools() -> None:
    if importlib.util.find_spec("setuptools") is None:
        raise BuildError(
            "pixelkit.build compiles through setuptools, which is not installed: pip install 'pixelkit[build]'"
        )


def _check_module_name(module: str) -> None:
    parts = module.split(".")
    if not module or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise BuildError(f"module name {module!r} is not a Python module name (letters, digits, _ and dots)")
    if parts[0] in ("pixelkit", "numpy", "cffi"):
        raise BuildError(f"module name {module!r} would shadow the package {parts[0]!r}; choose another")


def _user_functions(cdef: Cdef) -> tuple[Declarations, list[Any]]:
    """The module's own function declarations (without the hooks pixelkit.h adds)."""
    pixelkit = pixelkit_declarations()
    try:
        decls = Declarations(cdef.preprocessed.text, known_types=pixelkit.type_names)
    except Exception as exc:  # pycparser's ParseError: map its line back
        raise HeaderError(cdef.locate(exc)) from None
    functions = [f for f in decls.functions if not f.name.startswith("pk_module_")]
    return decls, functions


def c_module(
    module: str,
    cdef: str,
    preamble: str,
    *,
    sources: Sequence[str] = (),
    include_dirs: Sequence[str] = (),
    compile_args: Sequence[str] | None = None,
    link_args: Sequence[str] = (),
    include: FFI | None = None,
    **options: Any,
) -> FFI:
    """An API-mode FFI compiled with pixelkit's strict flags and threads (pixelkit's own module uses it too)."""
    threads = [] if sys.platform == "win32" else ["-pthread"]
    builder = FFI()
    if include is not None:
        builder.include(include)
    builder.cdef(cdef)
    builder.set_source(
        module,
        preamble,
        sources=list(sources),
        include_dirs=list(include_dirs),
        extra_compile_args=[*(objects.strict_c_flags() if compile_args is None else compile_args), *threads],
        extra_link_args=[*threads, *link_args],
        **options,
    )
    return builder


def compile_in_place(builder: FFI, tmpdir: StrPath, target_dir: StrPath) -> Path:
    """Compile ``builder`` and move the result into ``target_dir`` (replacing, never overwriting, the old file)."""
    built = Path(builder.compile(tmpdir=str(tmpdir)))
    target = Path(target_dir) / built.name
    staging = target.with_name(target.name + ".new")
    shutil.copy2(built, staging)
    os.replace(staging, target)
    return target


def pixelkit_glue(header: StrPath) -> str:
    """What pixelkit's own module compiles beside c/: the header, its function table, its layout hook."""
    return '#include "pixelkit.h"\n' + glue.pixelkit_glue(pixelkit_declarations(header))


PIXELKIT_STUB_DOC = """Types of the compiled bindings, generated by `python build_ffi.py --stubs` from
include/pixelkit.h (the declarations that feed ffi.cdef).  Do not edit: CI fails when
this file and the header disagree."""


def pixelkit_stub(header: StrPath, docstring: str = PIXELKIT_STUB_DOC) -> str:
    """The text of pixelkit's own _pixelkit.pyi."""
    names = constant_names(Path(header).read_text(), "PK_")
    return stubs.raw_module_stub(pixelkit_declarations(header), names, docstring)


class Extension:
    """Everything the builder derived for one module (also used by the in-place build)."""

    def __init__(
        self,
        module: str,
        header: StrPath,
        sources: Sequence[StrPath],
        *,
        include_dirs: Sequence[StrPath] = (),
        define_macros: Sequence[tuple[str, str | None]] = (),
        extra_compile_args: Sequence[str] = (),
        dispatch: bool = True,
        build_dir: StrPath | None = None,
    ) -> None:
        _check_module_name(module)
        self.module = module
        self.header = Path(header).resolve()
        if not self.header.is_file():
            raise HeaderError(f"header {str(header)!r} does not exist")
        self.sources = [Path(s).resolve() for s in sources]
        if not self.sources:
            raise BuildError(f"{module}: no sources given (the .c/.cpp files that implement {self.header.name})")
        for source in self.sources:
            if not source.is_file():
                raise BuildError(f"source {str(source)!r} does not exist")
        self.include_dirs = [Path(get_include()), self.header.parent, *(Path(d).resolve() for d in include_dirs)]
        self.define_macros = list(define_macros)
        self.extra_compile_args = list(extra_compile_args)
        self.isas = objects.instruction_sets(dispatch)
        self.build_dir = Path(build_dir or Path("build", "pixelkit", module)).resolve()
        defines = ["PIXELKIT_EXTENSION", *(n if v is None else f"{n}={v}" for n, v in self.define_macros)]
        self.cdef = cdef_source(
            self.header, defines=defines, include_dirs=self.include_dirs[:1] + self.include_dirs[2:]
        )
        self.decls, self.functions = _user_functions(self.cdef)
        taken = {f.name for f in pixelkit_declarations().functions}
        clashes = [f.name for f in self.functions if f.name in taken]
        if clashes:
            raise HeaderError(f"{self.header.name} declares {', '.join(clashes)}, a name pixelkit.h already uses")
        if not self.functions:
            raise HeaderError(
                f"{self.header.name} declares no functions (expected e.g. pk_status f(const pk_image *src, ...);)"
            )
        wrapped = [signatures.signature_of(f, ["pk_status", *self.decls.enums]) for f in self.functions]
        self.signatures = [s for s in wrapped if s is not None]
        self.constants = constant_names(self.header.read_text())

    def ffi(self) -> FFI:
        """Compile the sources for each instruction set and return the FFI that links them."""
        _require_setuptools()
        pixelkit = pixelkit_declarations()
        rename_dir = self.build_dir / "rename"
        rename_dir.mkdir(parents=True, exist_ok=True)
        renames = {}
        for isa in self.isas:
            renames[isa] = rename_dir / f"{isa}.h"
            renames[isa].write_text(glue.rename_header(self.functions, isa))
        jobs = objects.plan(
            self.sources,
            isas=self.isas,
            rename_headers=renames,
            header=self.header,
            include_dirs=self.include_dirs,
            define_macros=self.define_macros,
            extra_compile_args=self.extra_compile_args,
            out_dir=self.build_dir,
        )
        # The layout probe: compiled like the module's own code, in its language.
        probe = self.build_dir / (
            "layout_probe.cpp" if all(objects.is_cxx(s) for s in self.sources) else "layout_probe.c"
        )
        probe.write_text(glue.layout_probe(self.header.as_posix(), pixelkit))
        jobs += objects.plan(
            [probe],
            isas=["portable"],
            rename_headers=renames,
            header=self.header,
            include_dirs=self.include_dirs,
            define_macros=self.define_macros,
            extra_compile_args=self.extra_compile_args,
            out_dir=self.build_dir / "probe",
        )
        linked = objects.compile_all(jobs)
        preamble = "\n".join(
            [
                '#include "pixelkit.h"',
                f'#include "{self.header.as_posix()}"',
                glue.extension_glue(pixelkit, self.functions, self.isas, signatures.to_json(self.signatures)),
            ]
        )
        cxx = any(objects.is_cxx(s) for s in self.sources)
        libraries = [] if sys.platform == "win32" else ["m"]
        if cxx:
            libraries.append("c++" if sys.platform == "darwin" else "stdc++")
        try:
            builder = c_module(
                self.module,
                self.cdef.text,
                preamble,
                include=pixelkit_ffi(),
                include_dirs=[str(d) for d in self.include_dirs],
                compile_args=[*objects.strict_c_flags(), *objects.EXTENSION_FLAGS, *self.extra_compile_args],
                define_macros=self.define_macros,
                extra_objects=[str(p) for p in linked],
                libraries=libraries,
            )
        except CDefError as exc:
            raise HeaderError(self.cdef.locate(exc)) from None
        return builder

    def raw_stub(self) -> str:
        pixelkit = pixelkit_declarations()
        return stubs.raw_module_stub(
            self.decls,
            self.constants,
            f"Types of the compiled {self.module}, generated by pixelkit.build from {self.header.name}.",
            shared_structs=[n for n in pixelkit.structs if n not in self.decls.structs],
            imports=False,
        )


def extension(
    module: str,
    header: StrPath,
    sources: Sequence[StrPath],
    *,
    include_dirs: Sequence[StrPath] = (),
    define_macros: Sequence[tuple[str, str | None]] = (),
    extra_compile_args: Sequence[str] = (),
    dispatch: bool = True,
    build_dir: StrPath | None = None,
) -> FFI:
    """The ``cffi.FFI`` of an extension module over pixelkit images, for ``cffi_modules`` or ``.compile()``.

    ``module`` is the dotted name of the compiled module; ``header`` declares
    its functions (and includes ``<pixelkit.h>``); ``sources`` are the
    ``.c``/``.cpp`` files that define them.  The sources are compiled here,
    once per instruction set unless ``dispatch=False``, into ``build_dir``
    (default ``build/pixelkit/MODULE``).  Compile the returned FFI (or let
    setuptools' ``cffi_modules`` do it) and get the Python functions with
    :func:`pixelkit.bind`.

    Parameters
    ----------
    module : str
        The dotted name of the compiled module, e.g. ``"sepiakit._native"``.
    header : str or os.PathLike
        The header declaring the module's functions; it includes ``<pixelkit.h>``.
    sources : sequence of str or os.PathLike
        The ``.c`` and ``.cpp`` files that define them.
    include_dirs : sequence of str or os.PathLike, optional
        More ``-I`` folders (pixelkit's and the header's are always there).
    define_macros : sequence of (name, value or None), optional
        Macros for every compile.
    extra_compile_args : sequence of str, optional
        More compiler flags.
    dispatch : bool, optional
        Compile once per instruction set and dispatch at run time (default), or once.
    build_dir : str or os.PathLike, optional
        Where the objects go.

    Returns
    -------
    cffi.FFI
        The module's builder, ready for ``.compile()``.

    Raises
    ------
    HeaderError
        The header cannot be read as declarations (the message gives its file and line),
        declares no function, or reuses a name of pixelkit.h.
    BuildError
        A source is missing or does not compile (the compiler's message), or setuptools is missing.

    Examples
    --------
    >>> _ = (tmp / "dim.h").write_text("#include <pixelkit.h>\\npk_status dim(const pk_image *, const pk_image *);\\n")
    >>> _ = (tmp / "dim.c").write_text('''#include "dim.h"
    ... pk_status dim(const pk_image *src, const pk_image *dst) { return pk_copy_image(src, dst); }
    ... ''')
    >>> try:
    ...     pixelkit.build.extension("_dim_native", tmp / "dim.h", [tmp / "dim.c"], build_dir=tmp / "objects")
    ... except pixelkit.build.BuildError as exc:
    ...     print("does not compile:", "pk_copy_image" in str(exc))
    does not compile: True
    """
    return Extension(
        module,
        header,
        sources,
        include_dirs=include_dirs,
        define_macros=define_macros,
        extra_compile_args=extra_compile_args,
        dispatch=dispatch,
        build_dir=build_dir,
    ).ffi()


def _wrapper_module(module: str, native: str, header: str, sources: Sequence[str], names: Sequence[str]) -> str:
    exported = sorted([*names, "ffi", "lib"])
    return "\n".join(
        [
            f'"""{module}: C kernels built by pixelkit.build from {header} ({", ".join(sources)}).',
            "",
            'Do not edit: rebuild with python -m pixelkit.build instead."""',
            "",
            "import importlib as _importlib",
            "",
            "from pixelkit import bind as _bind",
            "",
            f"_native = _importlib.import_module({native!r})",
            "ffi = _native.ffi",
            "lib = _native.lib",
            f"_functions = _bind(_native, {module!r})",
            *(f"{name} = _functions.{name}" for name in names),
            "",
            f"__all__ = {exported!r}",
            "",
        ]
    )


def build(
    module: str,
    header: StrPath,
    sources: Sequence[StrPath],
    *,
    out_dir: StrPath = ".",
    include_dirs: Sequence[StrPath] = (),
    define_macros: Sequence[tuple[str, str | None]] = (),
    extra_compile_args: Sequence[str] = (),
    dispatch: bool = True,
    verbose: bool = False,
) -> list[Path]:
    """Build ``module`` in ``out_dir``: MODULE.py, MODULE.pyi and the compiled _MODULE_native.

    Everything is built and test-imported in a temporary folder first, and
    moved into place only when the import succeeds, so a failed build never
    leaves a broken module under the target name.  ``python -m pixelkit.build``
    (and ``pixelkit build``) is this function on the command line.

    Parameters
    ----------
    module : str
        The Python module to create, e.g. ``"sepiakit"`` (or ``"package.sepiakit"``).
    header : str or os.PathLike
        The header declaring the functions; it includes ``<pixelkit.h>``.
    sources : sequence of str or os.PathLike
        The ``.c`` and ``.cpp`` files that define them.
    out_dir : str or os.PathLike, optional
        Where the module goes (default: the current folder).
    include_dirs, define_macros, extra_compile_args, dispatch
        As for :func:`extension`.
    verbose : bool, optional
        Show the compiler commands.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    HeaderError
        The header cannot be read as declarations (its file and line are named).
    BuildError
        A source does not compile or link, or the built module does not import.

    Examples
    --------
    >>> import importlib, sys
    >>> _ = (tmp / "tint.h").write_text("#include <pixelkit.h>\\npk_status tint(const pk_image *src, int red, "
    ...                             "const pk_image *dst);\\n")
    >>> _ = (tmp / "tint.c").write_text('''#include "tint.h"
    ... pk_status tint(const pk_image *src, int red, const pk_image *dst) {
    ...     pk_status status = pk_paste(dst, src, 0, 0);
    ...     for (size_t y = 0; status == PK_OK && y < dst->height; y++)
    ...         for (size_t x = 0; x < dst->width; x++)
    ...             ((pixel_t *)((uint8_t *)dst->pixels + y * dst->stride))[x].r = (uint8_t)red;
    ...     return status;
    ... }
    ... ''')
    >>> [p.name for p in pixelkit.build.build("tintkit", tmp / "tint.h", [tmp / "tint.c"], out_dir=tmp)][1:]
    ['tintkit.pyi', 'tintkit.py']
    >>> sys.path.insert(0, str(tmp))
    >>> tintkit = importlib.import_module("tintkit")
    >>> tintkit.tint(pixelkit.Image(2, 2, fill=(1, 2, 3)), 200)[0, 0]
    (200, 2, 3)
    >>> sys.path.remove(str(tmp))
    """
    _check_module_name(module)
    package, _, leaf = module.rpartition(".")
    native = f"{package + '.' if package else ''}_{leaf}_native"
    target_dir = Path(out_dir).resolve() / Path(*package.split(".")) if package else Path(out_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="pixelkit-build-") as work:
        work_dir = Path(work)
        ext = Extension(
            native,
            header,
            sources,
            include_dirs=include_dirs,
            define_macros=define_macros,
            extra_compile_args=extra_compile_args,
            dispatch=dispatch,
            build_dir=work_dir / "objects",
        )
        builder = ext.ffi()
        stage = work_dir / "stage"
        stage.mkdir()
        try:
            built = Path(builder.compile(tmpdir=str(work_dir / "cffi"), verbose=verbose))
        except Exception as exc:  # setuptools' CompileError/LinkError and the like
            raise BuildError(f"compiling {module} failed: {exc}") from None
        staged_package = stage / Path(*package.split(".")) if package else stage
        staged_package.mkdir(parents=True, exist_ok=True)
        files = {
            built.name: None,
            f"{leaf}.py": _wrapper_module(
                module, native, ext.header.name, [s.name for s in ext.sources], [s.name for s in ext.signatures]
            ),
            f"{leaf}.pyi": stubs.wrapper_stub(module, ext.header.name, ext.signatures, ext.raw_stub()),
        }
        shutil.copy2(built, staged_package / built.name)
        for name, text in files.items():
            if text is not None:
                (staged_package / name).write_text(text)
        _test_import(module, stage)
        target_dir.mkdir(parents=True, exist_ok=True)
        written = []
        # The compiled module first, the .py that imports it last: the name appears only when complete.
        for name in [built.name, f"{leaf}.pyi", f"{leaf}.py"]:
            destination = target_dir / name
            temporary = target_dir / f".{name}.pixelkit-new"
            shutil.copy2(staged_package / name, temporary)
            os.replace(temporary, destination)
            written.append(destination)
        for stale in target_dir.glob(f"_{leaf}_native.*"):
            if stale.name != built.name and stale.suffix in (".so", ".pyd", ".dylib"):
                stale.unlink()
        return written


def _test_import(module: str, stage: Path) -> None:
    """Import the staged module in a fresh interpreter: layout check, attach, wrappers."""
    program = f"import sys; sys.path.insert(0, {str(stage)!r}); import {module}"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=stage)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "(no output)"
        hint = ""
        if "undefined symbol" in result.stderr:
            hint = (
                "\nA function of the header has no definition with C linkage in the sources: "
                'a C++ source must see the declaration inside extern "C" (wrap the header\'s declarations in '
                '#ifdef __cplusplus extern "C" { #endif) and define it with the same parameter types.'
            )
        raise BuildError(f"the built {module} does not import: {detail}{hint}")
