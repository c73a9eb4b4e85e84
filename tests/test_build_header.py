"""pixelkit.build's header machinery: from a header to cdef text, constants, line mapping, and pixelkit.h itself."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from cffi import FFI
from cffi.api import CDefError

import pixelkit
from conftest import require_tool
from pixelkit.build import header as cdef_header
from pixelkit.build.declarations import Declarations
from pixelkit.build.stubs import raw_module_stub

HEADER = Path(pixelkit.get_include()) / "pixelkit.h"
STRICT = ["-Wall", "-Wextra", "-Werror", "-pedantic"]

# Every test here runs the C preprocessor or a compiler over a header.
pytestmark = pytest.mark.needs_compiler


@pytest.mark.parametrize("extension", [False, True], ids=["pixelkit", "extension module"])
@pytest.mark.parametrize(
    ("compiler", "standard", "suffix"),
    [("gcc", "c11", ".c"), ("g++", "c++17", ".cpp"), ("clang", "c11", ".c"), ("clang++", "c++17", ".cpp")],
)
def test_the_public_header_compiles_as_c11_and_cpp17(
    tmp_path: Path, compiler: str, standard: str, suffix: str, extension: bool
) -> None:
    cc = require_tool(compiler)
    source = tmp_path / f"user{suffix}"
    source.write_text(
        textwrap.dedent(
            """
            #include <pixelkit.h>
            static pk_status touch(const pk_image *img) { return pk_image_validate(img); }
            int main(void) { pixel_t p = {1, 2, 3}; (void)p; return touch(0) == PK_ERR_NULL ? 0 : 1; }
            """
        )
    )
    defines = ["-DPIXELKIT_EXTENSION"] if extension else []
    result = subprocess.run(
        [
            cc,
            f"-std={standard}",
            *STRICT,
            *defines,
            "-I",
            str(HEADER.parent),
            "-c",
            str(source),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_header_declares_its_c_functions_with_c_linkage(tmp_path: Path) -> None:
    source = tmp_path / "link.cpp"
    source.write_text('#include <pixelkit.h>\nextern "C" pk_status pk_invert(const pk_image *, const pk_image *);\n')
    command = ["g++", "-std=c++17", *STRICT, "-I", str(HEADER.parent), "-c", str(source), "-o", str(tmp_path / "o")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_standard_type_headers_are_stood_in_for(tmp_path: Path) -> None:
    header = tmp_path / "types.h"
    header.write_text("#include <stdint.h>\n#include <stddef.h>\n#include <stdbool.h>\nuint32_t f(size_t n, bool b);\n")
    cdef = cdef_header.cdef_source(header)
    assert cdef.text.strip() == "uint32_t f(size_t n, bool b);"
    FFI().cdef(cdef.text)  # cffi takes it


def test_constants_are_redeclared_for_the_compiler_to_fill_in(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """
        #ifndef K_H
        #define K_H
        #define K_SIZE 16
        #define K_MASK (K_SIZE - 1)
        #define K_NAME "kernel"
        #define K_SCALE 0.5
        #define K_HEX 0x1e5
        #define K_CALL(x) (x)
        #endif
        int f(int);
        """
    )
    assert cdef_header.constant_names(text) == ["K_SIZE", "K_MASK", "K_HEX"]
    header = tmp_path / "k.h"
    header.write_text(text)
    assert "#define K_SIZE ...\n#define K_MASK ...\n#define K_HEX ...\n" in cdef_header.cdef_source(header).text


def test_a_cdef_error_is_reported_at_the_headers_line(tmp_path: Path) -> None:
    (tmp_path / "inner.h").write_text("int fine(int);\nint broken(int x) { return x; }\n")
    header = tmp_path / "outer.h"
    header.write_text('#include <stdint.h>\n\n#include "inner.h"\nint other(void);\n')
    cdef = cdef_header.cdef_source(header)
    with pytest.raises(CDefError) as error:
        FFI().cdef(cdef.text)
    assert cdef.locate(error.value).startswith(f"{tmp_path / 'inner.h'}:2:")


def test_a_missing_header_and_a_failing_preprocessor_are_clear(tmp_path: Path) -> None:
    with pytest.raises(cdef_header.HeaderError, match="does not exist"):
        cdef_header.cdef_source(tmp_path / "nope.h")
    bad = tmp_path / "bad.h"
    bad.write_text("#include <stdio.h>\n")
    with pytest.raises(
        cdef_header.HeaderError, match=r"(?s)stdio\.h: No such file.*include anything else from the \.c/\.cpp source"
    ):
        cdef_header.cdef_source(bad)


def test_a_compiler_that_fails_silently_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CC=/bin/false (the installed-package run sets it): the error says what ran, not nothing."""
    header = tmp_path / "k.h"
    header.write_text("int f(void);\n")
    monkeypatch.setenv("CC", "/bin/false")
    with pytest.raises(cdef_header.HeaderError, match=r"/bin/false -E \.\.\. exited with status 1 and no message"):
        cdef_header.cdef_source(header)


def test_pixelkits_own_cdef_and_stub_come_from_the_same_machinery() -> None:
    cdef = cdef_header.cdef_source(HEADER, constant_prefix="PK_")
    decls = Declarations(cdef.preprocessed.text)
    names = {f.name for f in decls.functions}
    assert {"pk_invert", "pk_parallel_rows", "pk_module_layout", "pk_module_api"} <= names
    assert "pk_module_attach" not in names  # only extension modules have it
    assert "pk_api" in decls.opaque and "pk_rows_fn" in decls.callbacks
    stub = raw_module_stub(decls, cdef_header.constant_names(HEADER.read_text(), "PK_"), "doc")
    assert "def pk_parallel_rows(self, rows: int, bytes_per_row: int, fn: CData, context: VoidPtr) -> int: ..." in stub
    assert "Literal['pk_api *']" not in stub.split("def cast")[0]  # an opaque struct cannot be allocated


def test_an_extension_modules_cdef_has_only_its_own_declarations(tmp_path: Path) -> None:
    header = tmp_path / "mine.h"
    header.write_text("#include <pixelkit.h>\npk_status mine(const pk_image *src);\n")
    cdef = cdef_header.cdef_source(header, defines=["PIXELKIT_EXTENSION"], include_dirs=[HEADER.parent])
    functions = [
        f.name
        for f in Declarations(cdef.preprocessed.text, ["pk_image", "pk_status", "pk_abi_layout", "pk_api"]).functions
    ]
    assert functions == ["pk_module_layout", "pk_module_attach", "pk_module_manifest", "mine"]
    assert "pk_invert" not in cdef.text and "typedef" not in cdef.text  # pixelkit's come through ffi.include
