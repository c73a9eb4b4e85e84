"""The bindings come from the real header, and the C compiler checks them."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import cffi
import pytest

import pixelkit
from conftest import CHECKOUT, HAS_CHECKOUT
from pixelkit._native import ffi, lib
from pixelkit.build import header as cdef_header

if HAS_CHECKOUT:  # the tests that use the build script are marked needs_compiler
    import build_ffi

ROOT = CHECKOUT
# The header pixelkit uses: the checkout's, or the installed package's copy (the same text).
HEADER_TEXT = (Path(pixelkit.get_include()) / "pixelkit.h").read_text()


def header_functions() -> set[str]:
    """Every pk_* function pixelkit's module has, found by a regex of our own.

    The hooks under ``#ifdef PIXELKIT_EXTENSION`` exist only in users' extension modules.
    """
    text = re.sub(r"#ifdef PIXELKIT_EXTENSION\n.*?#else\n", "", HEADER_TEXT, flags=re.DOTALL)
    return set(re.findall(r"^\S.*?\b(pk_\w+)\(", text, re.MULTILINE))


@pytest.mark.needs_compiler
def test_cdef_has_no_preprocessor_lines_or_static_asserts() -> None:
    cdef = build_ffi.cdef_source()
    assert "#include" not in cdef
    assert "_Static_assert" not in cdef
    directives = [line for line in cdef.splitlines() if line.startswith("#")]
    assert all(re.fullmatch(r"#define PK_[A-Z0-9_]+ \.\.\.", line) for line in directives), directives


def test_every_header_function_reaches_lib() -> None:
    functions = header_functions()
    assert {"pk_alloc", "pk_free", "pk_pixel_layout", "pk_to_gray"} <= functions
    missing = [name for name in functions if not hasattr(lib, name)]
    assert not missing


def test_constants_take_their_values_from_the_compiler() -> None:
    defines = dict(re.findall(r"^#define (PK_\w+) (\d+)$", HEADER_TEXT, re.MULTILINE))
    assert set(cdef_header.constant_names(HEADER_TEXT, "PK_")) == set(defines)
    for name, value in defines.items():
        assert getattr(lib, name) == int(value)
    assert pixelkit.MAX_DIMENSION == int(defines["PK_MAX_DIMENSION"])


def test_constant_scan_skips_guards_and_function_macros() -> None:
    text = "#ifndef PIXELKIT_H\n#define PIXELKIT_H\n#define PK_A 1\n  #  define PK_B (1 << 3)\n#define PK_F(x) x\n"
    assert cdef_header.constant_names(text, "PK_") == ["PK_A", "PK_B"]


def test_enum_values_match_the_header() -> None:
    for name, value in re.findall(r"^\s+(PK_(?:OK|ERR_\w+)) = (\d+)", HEADER_TEXT, re.MULTILINE):
        assert getattr(lib, name) == int(value)


@pytest.mark.needs_compiler
def test_importing_the_build_script_builds_nothing(tmp_path: Path) -> None:
    before = sorted(p.relative_to(ROOT) for p in ROOT.rglob("*") if ".git" not in p.parts)
    code = "import build_ffi; assert build_ffi.ffibuilder is not None"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    after = sorted(p.relative_to(ROOT) for p in ROOT.rglob("*") if ".git" not in p.parts)
    assert before == after
    assert list(tmp_path.iterdir()) == []


def _build(tmp_path: Path, cdef: str, module_name: str = "pixelkit._pixelkit") -> Path:
    builder = build_ffi.make_ffibuilder(cdef, relative=False, module_name=module_name)
    return Path(builder.compile(tmpdir=str(tmp_path)))


@pytest.mark.needs_compiler
def test_the_real_bindings_compile(tmp_path: Path) -> None:
    assert _build(tmp_path, build_ffi.cdef_source()).exists()


SIGNATURE_MISMATCHES = {
    "pointer parameter": ("pk_status pk_invert(const pk_image *src,", "pk_status pk_invert(const int *src,"),
    "struct pointer": (
        "pk_status pk_to_gray(const pk_image *src, const pk_plane *dst)",
        "pk_status pk_to_gray(const pk_image *src, const pk_image *dst)",
    ),
    "integer for pointer": (
        "pk_status pk_alloc(size_t nbytes, int zeroed, void **out)",
        "pk_status pk_alloc(size_t nbytes, int zeroed, size_t out)",
    ),
    "signedness of a pointee": (
        "pk_status pk_netpbm_scale_u8(uint8_t *samples,",
        "pk_status pk_netpbm_scale_u8(int8_t *samples,",
    ),
}


@pytest.mark.needs_compiler
@pytest.mark.parametrize("change", SIGNATURE_MISMATCHES.values(), ids=list(SIGNATURE_MISMATCHES))
def test_a_signature_that_disagrees_with_the_header_does_not_compile(tmp_path: Path, change: tuple[str, str]) -> None:
    real, wrong = change
    cdef = build_ffi.cdef_source()
    assert real in cdef
    with pytest.raises(cffi.VerificationError):
        _build(tmp_path, cdef.replace(real, wrong))


FIELD_MISMATCHES = {
    "wider fields": "int r, g, b;",
    "one wider field": "unsigned short r; unsigned char g, b;",
    "signed fields": "signed char r, g, b;",
}


@pytest.mark.needs_compiler
@pytest.mark.parametrize("fields", FIELD_MISMATCHES.values(), ids=list(FIELD_MISMATCHES))
def test_a_wrong_pixel_field_is_caught_by_the_import_check(tmp_path: Path, fields: str) -> None:
    """cffi checks struct field types only when the type is first used, not
    when compiling; pixelkit's import check uses the type to force that."""
    cdef = build_ffi.cdef_source().replace("unsigned char r, g, b;", fields)
    path = _build(tmp_path, cdef, module_name="pixelkit_layout_probe")
    spec = importlib.util.spec_from_file_location("pixelkit_layout_probe", path)
    assert spec is not None and spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    with pytest.raises(pixelkit.LayoutError, match="pixel_t"):
        pixelkit._layout.cffi_layout(probe.ffi)
    pixelkit._layout.cffi_layout(ffi)  # the real bindings pass


@pytest.mark.needs_compiler
def test_compiled_in_api_mode_with_the_gil_released(tmp_path: Path) -> None:
    """cffi's API mode wraps each call in Py_BEGIN/END_ALLOW_THREADS; keep it so."""
    assert type(ffi).__module__ != "cffi.api"  # the compiled module's FFI, not ABI mode
    c_file = tmp_path / "bindings.c"
    build_ffi.ffibuilder.emit_c_code(str(c_file))
    generated = c_file.read_text()
    for name in ("pk_invert", "pk_to_gray", "pk_fill"):
        call = re.search(r"Py_BEGIN_ALLOW_THREADS\s+_cffi_restore_errno\(\);\s+\{ result = " + name, generated)
        assert call, name


def test_no_python_api_in_the_c_core() -> None:
    for path in (ROOT / "c").glob("*.[ch]"):
        text = path.read_text()
        assert "Python.h" not in text
        assert not re.search(r"\bPy[A-Z_]\w*", text), path.name


def _disassembly(tmp_path: Path, source: Path) -> str:
    """The compiled instructions of one source file, with the project's flags."""
    obj = tmp_path / (source.stem + ".o")
    cc = cdef_header.c_compiler()
    flags = [f for f in build_ffi.compile_flags() if f != "-Werror"]
    subprocess.run(
        [*cc, *flags, "-I", str(ROOT / "include"), "-I", str(ROOT / "c"), "-c", str(source), "-o", str(obj)], check=True
    )
    return subprocess.run(["objdump", "-d", str(obj)], capture_output=True, text=True, check=True).stdout


@pytest.mark.needs_compiler
@pytest.mark.skipif(not sys.platform.startswith("linux") or os.uname().machine != "x86_64", reason="x86-64 only")
def test_only_the_dispatched_files_use_avx(tmp_path: Path) -> None:
    """A build must run on any x86-64: AVX registers appear only in the
    isa_avx2/isa_avx512 tables, which run only where the CPU has them."""
    for source in sorted((ROOT / "c").glob("*.c")):
        code = _disassembly(tmp_path, source)
        if source.name == "isa_avx512.c":
            assert "%zmm" in code
        elif source.name == "isa_avx2.c":
            assert "%ymm" in code and "%zmm" not in code
        else:
            assert "%ymm" not in code and "%zmm" not in code, source.name


@pytest.mark.needs_compiler
def test_the_committed_stub_matches_the_header() -> None:
    """CI regenerates the type stub; a header change without `python build_ffi.py --stubs` fails here."""
    assert build_ffi.stub_source() == build_ffi.STUB.read_text(), "run `python build_ffi.py --stubs`"


@pytest.mark.needs_compiler
def test_the_stub_follows_the_header(tmp_path: Path) -> None:
    header = tmp_path / "pixelkit.h"
    text = HEADER_TEXT.replace(
        "pk_status pk_invert(const pk_image *src, const pk_image *dst);",
        "pk_status pk_invert(const pk_image *src, const pk_image *dst, double gain);",
    )
    header.write_text(text.replace("#define PK_MAX_THREADS 256", "#define PK_MAX_THREADS 256\n#define PK_NEW_LIMIT 7"))
    stub = build_ffi.stub_source(header)
    assert "def pk_invert(self, src: ImagePtr, dst: ImagePtr, gain: float) -> int: ..." in stub
    assert "    PK_NEW_LIMIT: int" in stub
    assert stub != build_ffi.stub_source()


def test_the_stub_declares_every_binding() -> None:
    stub = (Path(pixelkit.__file__).parent / "_pixelkit.pyi").read_text()  # the installed one, too
    for name in header_functions():
        assert f"    def {name}(self" in stub
    for name in cdef_header.constant_names(HEADER_TEXT, "PK_"):
        assert f"    {name}: int" in stub
    assert "def __getitem__(self, index: int) -> CPixel: ..." in stub  # pixel_t * indexes to pixels
    assert "def new(self, cdecl: Literal['pk_image *'], init: Any = ...) -> ImagePtr: ..." in stub
