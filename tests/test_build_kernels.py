"""pixelkit.build: users' own C and C++ kernels, built from their header into a typed module.

The modules are built in temporary folders the way a user builds them
(``python -m pixelkit.build``, or ``extension()`` + ``.compile()``), from
examples/custom_kernel/src, and checked against numpy and OpenCV.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

import pixelkit
from pixelkit import build as pkbuild

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "custom_kernel" / "src"
EXAMPLE_SOURCES = [EXAMPLE / n for n in ("sepia.c", "sobel.c", "median.cpp", "unsharp.c")]
# A 1500x1000 frame is 4.5 MB: well above the pool's split threshold, so 2 threads really split it.
BIG = (1000, 1500)
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)


def run_build(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixelkit.build", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def import_from(folder: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(folder))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The example module, built by the one command of the README."""
    folder = tmp_path_factory.mktemp("kit")
    result = run_build("--module", "sepiakit_t", str(EXAMPLE / "sepiakit.h"), *map(str, EXAMPLE_SOURCES), cwd=folder)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("__"))[-2:] == [
        "sepiakit_t.py",
        "sepiakit_t.pyi",
    ]
    yield import_from(folder, "sepiakit_t")


# Every test leaves the instruction set and thread count as it found them; every test here compiles (or
# preprocesses a header, or compares with the checkout's header).
pytestmark = [pytest.mark.usefixtures("restore_runtime"), pytest.mark.needs_compiler]


# ---- numpy references of the example kernels -------------------------------------------


def sepia_ref(a: NDArray[np.uint8], amount: float) -> NDArray[np.uint8]:
    amt = np.float32(amount)
    exact = np.float32(128) * (amt * SEPIA + (np.float32(1) - amt) * np.eye(3, dtype=np.float32))
    m = np.floor(exact + np.float32(0.5)).astype(np.int64)  # lroundf of positive values
    result: NDArray[np.uint8] = np.minimum((a.astype(np.int64) @ m.T + 64) >> 7, 255).astype(np.uint8)
    return result


def grey_ref(a: NDArray[np.uint8]) -> NDArray[np.int64]:
    v = a.astype(np.int64)
    return (19595 * v[..., 0] + 38470 * v[..., 1] + 7471 * v[..., 2] + 0x8000) >> 16


def sobel_ref(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    gp = np.pad(grey_ref(a), 1, mode="reflect")  # numpy's "reflect" is OpenCV's BORDER_REFLECT_101
    gx = (gp[:-2, 2:] - gp[:-2, :-2]) + 2 * (gp[1:-1, 2:] - gp[1:-1, :-2]) + (gp[2:, 2:] - gp[2:, :-2])
    gy = (gp[2:, :-2] + 2 * gp[2:, 1:-1] + gp[2:, 2:]) - (gp[:-2, :-2] + 2 * gp[:-2, 1:-1] + gp[:-2, 2:])
    magnitude = np.sqrt((gx * gx + gy * gy).astype(np.float32)) + np.float32(0.5)
    result: NDArray[np.uint8] = np.minimum(magnitude.astype(np.int64), 255).astype(np.uint8)
    return result


def median_ref(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
    padded = np.pad(a, ((1, 1), (1, 1), (0, 0)), mode="reflect")
    h, w = a.shape[:2]
    stack = np.stack([padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)])
    result: NDArray[np.uint8] = np.median(stack, axis=0).astype(np.uint8)
    return result


def unsharp_ref(a: NDArray[np.uint8], blurred: NDArray[np.uint8], amount: float) -> NDArray[np.uint8]:
    v = a.astype(np.float32) + np.float32(amount) * (a.astype(np.float32) - blurred.astype(np.float32))
    rounded = np.where(v >= 0, np.floor(v + np.float32(0.5)), np.ceil(v - np.float32(0.5)))  # lroundf
    result: NDArray[np.uint8] = np.clip(rounded, 0, 255).astype(np.uint8)
    return result


# ---- the module a user gets ----------------------------------------------------------------


def test_get_include_holds_the_header_the_package_was_built_from() -> None:
    folder = Path(pixelkit.get_include())
    assert (folder / "pixelkit.h").read_text() == (ROOT / "include" / "pixelkit.h").read_text()


def test_c_kernel_equals_numpy(kit: ModuleType, rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    for amount in (0.0, 0.25, 0.8, 1.0):
        out = kit.sepia(a, amount)
        assert isinstance(out, pixelkit.Image)
        np.testing.assert_array_equal(out.array, sepia_ref(a, amount))


def test_plane_output_equals_numpy_and_opencv(kit: ModuleType, rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (41, 67, 3), dtype=np.uint8)
    grey = kit.sobel(a)
    assert grey.shape == (41, 67) and grey.dtype == np.uint8
    np.testing.assert_array_equal(grey, sobel_ref(a))
    # OpenCV's Sobel + magnitude on the same grey image (float rounding: within 1).
    g = grey_ref(a).astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    expected = np.minimum(np.floor(cv2.magnitude(gx, gy) + 0.5), 255)
    assert np.abs(grey.astype(np.float64) - expected).max() <= 1


def test_cpp_kernel_equals_numpy_and_opencv(kit: ModuleType, rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (29, 31, 3), dtype=np.uint8)
    out = kit.median3(a).array
    np.testing.assert_array_equal(out, median_ref(a))
    np.testing.assert_array_equal(out[1:-1, 1:-1], cv2.medianBlur(a, 3)[1:-1, 1:-1])  # OpenCV replicates borders


def test_a_kernel_calls_pixelkits_own_kernels(kit: ModuleType, rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    blurred = cv2.GaussianBlur(a, (0, 0), 1.5, borderType=cv2.BORDER_REFLECT_101)
    out = kit.unsharp(a, 1.5, 0.7).array
    assert np.abs(pixelkit.gaussian_blur(a, 1.5).array.astype(int) - blurred).max() <= 1
    np.testing.assert_array_equal(out, unsharp_ref(a, pixelkit.gaussian_blur(a, 1.5).array, 0.7))


def test_crops_padded_rows_in_place_and_out(kit: ModuleType, rng: np.random.Generator) -> None:
    base = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    crop = base[5:45, 7:61]
    np.testing.assert_array_equal(kit.sepia(crop, 0.6).array, sepia_ref(crop, 0.6))
    padded = np.zeros((40, 100, 3), np.uint8)[:, :54]
    padded[:] = crop
    np.testing.assert_array_equal(kit.sepia(pixelkit.Image.from_array(padded), 0.6).array, sepia_ref(crop, 0.6))
    # into a crop of a larger buffer: the rest stays untouched
    target = np.full((70, 90, 3), 7, np.uint8)
    returned = kit.sepia(crop, 0.6, out=target[3:43, 2:56])
    assert isinstance(returned, np.ndarray)
    np.testing.assert_array_equal(target[3:43, 2:56], sepia_ref(crop, 0.6))
    assert (target[:3] == 7).all() and (target[:, :2] == 7).all() and (target[43:] == 7).all()
    # in place
    frame = crop.copy()
    assert kit.sepia(frame, 0.6, out=frame) is frame
    np.testing.assert_array_equal(frame, sepia_ref(crop, 0.6))
    grey = np.zeros((40, 54), np.uint8)
    assert kit.sobel(crop, out=grey) is grey
    np.testing.assert_array_equal(grey, sobel_ref(crop))


def test_error_statuses_raise_with_the_function_name(kit: ModuleType) -> None:
    a = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"sepiakit_t\.sepia: .*range"):
        kit.sepia(a, 2.0)
    with pytest.raises(ValueError, match=r"sepiakit_t\.sepia: .*size"):
        kit.sepia(a, 0.5, out=np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"sepiakit_t\.median3: .*overlap"):
        kit.median3(a, out=a)
    with pytest.raises(ValueError, match="read-only"):
        kit.sepia(a, 0.5, out=pixelkit.Image.from_buffer(bytes(8 * 8 * 3), 8, 8))


def test_arguments_are_checked_before_c_runs(kit: ModuleType) -> None:
    a = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(TypeError, match="amount must be a number, got str"):
        kit.sepia(a, "0.5")
    with pytest.raises(TypeError, match=r"must be a pixelkit\.Image or an"):
        kit.sepia([1, 2, 3], 0.5)
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        kit.sepia(np.zeros((8, 8), np.uint8), 0.5)
    with pytest.raises(TypeError, match=r"out must be an \(H, W\) uint8"):
        kit.sobel(a, out=np.zeros((8, 8), np.float32))
    with pytest.raises(TypeError, match="missing required argument"):
        kit.sepia(a)
    with pytest.raises(TypeError, match="unexpected keyword"):
        kit.sepia(a, 0.5, gain=2)
    with pytest.raises(TypeError, match="sigma must be a number"):
        kit.unsharp(a, None, 0.5)


def test_keywords_and_signature(kit: ModuleType) -> None:
    a = np.full((4, 4, 3), 100, np.uint8)
    np.testing.assert_array_equal(kit.sepia(src=a, amount=0.5).array, sepia_ref(a, 0.5))
    assert "out=None" in kit.sepia.__doc__
    assert kit.sepia.__module__ == "sepiakit_t"


def test_every_instruction_set_and_thread_count_gives_the_same_bits(kit: ModuleType, rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (*BIG, 3), dtype=np.uint8)
    expected_sepia, expected_sobel = sepia_ref(a, 0.8), sobel_ref(a)
    features = pixelkit.cpu_features()
    for isa in features["available"]:
        for threads in (1, 2):
            pixelkit.set_isa(isa)
            pixelkit.set_num_threads(threads)
            np.testing.assert_array_equal(kit.sepia(a, 0.8).array, expected_sepia, err_msg=f"{isa}, {threads}")
            np.testing.assert_array_equal(kit.sobel(a), expected_sobel, err_msg=f"{isa}, {threads}")


def test_pk_parallel_rows_splits_the_rows_over_pixelkits_pool(kit: ModuleType, rng: np.random.Generator) -> None:
    a = rng.integers(0, 256, (*BIG, 3), dtype=np.uint8)
    pixelkit.set_num_threads(2)
    for _ in range(200):
        before = pixelkit.runtime.pool_stats()
        kit.sobel(a)
        calls, bands, worker_bands = (x - y for x, y in zip(pixelkit.runtime.pool_stats(), before, strict=True))
        # One pass over the pool (the kernel's pk_parallel_rows), cut in two bands, on this pool's threads.
        assert calls == 1 and bands == 2, (calls, bands)
        if 0 < worker_bands < bands:
            break
    else:
        pytest.fail("the pool's worker never ran a band of the module's kernel")
    pixelkit.set_num_threads(1)
    before = pixelkit.runtime.pool_stats()
    kit.sobel(a)
    assert tuple(x - y for x, y in zip(pixelkit.runtime.pool_stats(), before, strict=True)) == (1, 1, 0)


def test_the_module_has_one_build_per_instruction_set(kit: ModuleType) -> None:
    native = str(kit._native.__file__)
    symbols = subprocess.run(["nm", native], capture_output=True, text=True, check=True).stdout
    if os.uname().machine == "x86_64":
        for isa in ("portable", "avx2", "avx512"):
            assert re.search(rf"\bsepia__pk_{isa}\b", symbols), isa
        disassembly = subprocess.run(["objdump", "-d", native], capture_output=True, text=True, check=True).stdout
        portable = re.search(r"<sepia__pk_portable>:\n(.*?)\n\n", disassembly, re.DOTALL)
        assert portable and "%ymm" not in portable.group(1) and "%zmm" not in portable.group(1)


def test_several_python_threads_call_one_kernel_at_once(kit: ModuleType, rng: np.random.Generator) -> None:
    frames = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda f: (kit.sobel(f), kit.sepia(f, 0.5).array), frames * 3))
    for frame, (grey, toned) in zip(frames * 3, results, strict=True):
        np.testing.assert_array_equal(grey, sobel_ref(frame))
        np.testing.assert_array_equal(toned, sepia_ref(frame, 0.5))


def test_calls_release_the_gil(tmp_path: Path) -> None:
    ext = pkbuild.Extension(
        "gilprobe", EXAMPLE / "sepiakit.h", EXAMPLE_SOURCES, build_dir=tmp_path / "objects", dispatch=False
    )
    c_file = tmp_path / "bindings.c"
    ext.ffi().emit_c_code(str(c_file))
    generated = c_file.read_text()
    for name in ("sepia", "sobel", "median3", "unsharp"):
        assert re.search(r"Py_BEGIN_ALLOW_THREADS\s+_cffi_restore_errno\(\);\s+\{ result = " + name + r"\(", generated)


def test_the_stub_types_the_wrappers_for_mypy(kit: ModuleType, tmp_path: Path) -> None:
    folder = Path(str(kit.__file__)).parent
    good = tmp_path / "good.py"
    good.write_text(
        textwrap.dedent(
            """
            import numpy as np
            from numpy.typing import NDArray

            import pixelkit
            import sepiakit_t

            frame = np.zeros((4, 4, 3), np.uint8)
            toned: pixelkit.Image = sepiakit_t.sepia(frame, 0.8)
            same: NDArray[np.uint8] = sepiakit_t.sepia(frame, 0.8, out=frame)
            grey: NDArray[np.uint8] = sepiakit_t.sobel(toned)
            descriptor = sepiakit_t.ffi.new("pk_image *")
            status: int = sepiakit_t.lib.sepia(descriptor, 0.5, descriptor)
            """
        )
    )
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\nimport sepiakit_t\n\nsepiakit_t.sepia(np.zeros((4, 4, 3), np.uint8), '0.8')\n")
    env = {**os.environ, "MYPYPATH": os.pathsep.join([str(folder), str(Path(pixelkit.__file__).parent.parent)])}
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent"]
    ok = subprocess.run([*command, str(good)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    flagged = subprocess.run([*command, str(bad)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert flagged.returncode == 1 and 'No overload variant of "sepia"' in flagged.stdout, flagged.stdout


# ---- building from a project (cffi_modules / .compile()) ---------------------------------


def compile_extension(tmp_path: Path, module: str, header: Path, sources: list[Path], **options: Any) -> ModuleType:
    builder = pkbuild.extension(module, header, sources, build_dir=tmp_path / "objects", **options)
    built = Path(builder.compile(tmpdir=str(tmp_path / "out")))
    assert built.exists()
    return import_from(tmp_path / "out", module)


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))


def test_extension_compiles_and_binds(tmp_path: Path) -> None:
    native = compile_extension(tmp_path, "kit_ext_native", EXAMPLE / "sepiakit.h", EXAMPLE_SOURCES)
    functions = pixelkit.bind(native)
    assert pixelkit.bind(native) is functions  # bound once
    a = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    np.testing.assert_array_equal(functions.sepia(a, 0.3).array, sepia_ref(a, 0.3))
    # pixelkit's pk_image *is* the module's pk_image
    assert native.ffi.typeof("pk_image *") is pixelkit._native.ffi.typeof("pk_image *")
    image = pixelkit.Image.from_array(a.copy())
    assert native.lib.sepia(image._desc, 0.3, image._desc) == 0


def test_a_header_that_disagrees_with_the_source_does_not_build(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "k.h": "#include <pixelkit.h>\npk_status gain(const pk_image *src, float g, const pk_image *dst);\n",
            "k.c": """\
                #include "k.h"
                pk_status gain(const pk_image *src, double g, const pk_image *dst)
                {
                    (void)src, (void)g, (void)dst;
                    return PK_OK;
                }
                """,
        },
    )
    result = run_build("--module", "mismatch", "k.h", "k.c", cwd=tmp_path)
    assert result.returncode == 1
    assert "k.c" in result.stderr and "conflicting types for 'gain'" in result.stderr
    assert not list(tmp_path.glob("mismatch*")) and not list(tmp_path.glob("_mismatch*"))


def test_a_cpp_definition_that_disagrees_with_the_header_does_not_build(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "k.h": """\
                #include <pixelkit.h>
                #ifdef __cplusplus
                extern "C" {
                #endif
                pk_status gain(const pk_image *src, float g, const pk_image *dst);
                #ifdef __cplusplus
                }
                #endif
                """,
            "k.cpp": '#include "k.h"\n'
            'extern "C" pk_status gain(const pk_image *, double, const pk_image *) { return PK_OK; }\n',
        },
    )
    result = run_build("--module", "mismatchpp", "k.h", "k.cpp", cwd=tmp_path)
    assert result.returncode == 1 and "k.cpp" in result.stderr and "gain" in result.stderr, result.stderr


def test_a_header_cdef_cannot_take_names_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "bad.h": "#include <pixelkit.h>\n\npk_status ok(const pk_image *src);\n"
            "int inline_body(int x) { return x; }\n",
            "k.c": '#include "bad.h"\npk_status ok(const pk_image *src) { (void)src; return PK_OK; }\n'
            "int inline_body(int x) { return x; }\n",
        },
    )
    result = run_build("--module", "badhdr", "bad.h", "k.c", cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(r"bad\.h:4", result.stderr), result.stderr


def test_a_header_that_includes_a_system_header_gets_advice(tmp_path: Path) -> None:
    write(tmp_path, {"io.h": "#include <stdio.h>\n#include <pixelkit.h>\npk_status f(const pk_image *src);\n"})
    (tmp_path / "k.c").write_text('#include "io.h"\npk_status f(const pk_image *src) { (void)src; return PK_OK; }\n')
    result = run_build("--module", "sysinc", "io.h", "k.c", cwd=tmp_path)
    assert result.returncode == 1 and "stdio.h" in result.stderr and "from the .c/.cpp source" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--module", "3d-kit", "k.h", "k.c"], "is not a Python module name"),
        (["--module", "numpy", "k.h", "k.c"], "would shadow"),
        (["--module", "kit", "missing.h", "k.c"], "header 'missing.h' does not exist"),
        (["--module", "kit", "k.h", "missing.c"], "does not exist"),
        (["--module", "kit", "empty.h", "k.c"], "declares no functions"),
        (["--module", "kit", "k.h", "broken.c"], "broken.c"),
        (["--module", "kit", "k.h", "k.txt"], "not a C or C++ source"),
        (["--module", "kit", "clash.h", "k.c"], "pk_invert, a name pixelkit.h already uses"),
    ],
)
def test_bad_input_gets_a_clear_error_and_nothing_is_built(tmp_path: Path, args: list[str], message: str) -> None:
    write(
        tmp_path,
        {
            "k.h": "#include <pixelkit.h>\npk_status f(const pk_image *src);\n",
            "k.c": '#include "k.h"\npk_status f(const pk_image *src) { (void)src; return PK_OK; }\n',
            "k.txt": "",
            "empty.h": "#include <pixelkit.h>\n#define EMPTY_VERSION 3\n",
            "clash.h": "#include <pixelkit.h>\npk_status pk_invert(const pk_image *src, const pk_image *dst);\n",
            "broken.c": '#include "k.h"\npk_status f(const pk_image *src) { return src->nonexistent; }\n',
        },
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_build(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert message in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing half-built


def test_a_failed_rebuild_keeps_the_working_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "k.h": "#include <pixelkit.h>\npk_status f(const pk_image *src);\n",
            "k.c": '#include "k.h"\npk_status f(const pk_image *src) { (void)src; return PK_OK; }\n',
        },
    )
    assert run_build("--module", "keepme", "k.h", "k.c", cwd=tmp_path).returncode == 0
    (tmp_path / "k.c").write_text("this is not C\n")
    assert run_build("--module", "keepme", "k.h", "k.c", cwd=tmp_path).returncode == 1
    check = subprocess.run(
        [sys.executable, "-c", "import keepme, numpy; print(keepme.f(numpy.zeros((2, 2, 3), numpy.uint8)))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and check.stdout.strip() == "None", check.stderr


def test_a_module_with_another_layout_is_refused_at_import(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            # Packing pixelkit's types differently: every pk_image would be misread.
            "p.h": "#pragma pack(push, 4)\n#include <pixelkit.h>\n#pragma pack(pop)\n"
            "pk_status touch(const pk_image *src);\n",
            "p.c": '#include "p.h"\npk_status touch(const pk_image *src) { return src ? PK_OK : PK_ERR_NULL; }\n',
        },
    )
    native = compile_extension(tmp_path, "packed_native", tmp_path / "p.h", [tmp_path / "p.c"])
    with pytest.raises(pixelkit.LayoutError, match="image_size is 36 there and 40 in pixelkit"):
        pixelkit.bind(native)
    result = run_build("--module", "packed", "p.h", "p.c", cwd=tmp_path)
    assert result.returncode == 1 and "LayoutError" in result.stderr


def test_a_module_built_against_another_pixelkit_api_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "include"
    other.mkdir()
    header = (ROOT / "include" / "pixelkit.h").read_text()
    marker = "int pk_num_threads(void);\n"
    assert marker in header
    (other / "pixelkit.h").write_text(header.replace(marker, marker + "int pk_future_function(void);\n"))
    monkeypatch.setattr(pkbuild, "get_include", lambda: str(other))
    pkbuild._pixelkit_cdef.cache_clear()
    try:
        write(
            tmp_path,
            {
                "k.h": "#include <pixelkit.h>\npk_status f(const pk_image *src);\n",
                "k.c": '#include "k.h"\npk_status f(const pk_image *src) { (void)src; return PK_OK; }\n',
            },
        )
        native = compile_extension(tmp_path, "future_native", tmp_path / "k.h", [tmp_path / "k.c"])
    finally:
        monkeypatch.undo()
        pkbuild._pixelkit_cdef.cache_clear()
    with pytest.raises(ImportError, match="rebuild it"):
        pixelkit.bind(native)


def test_functions_outside_the_rules_stay_in_lib(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "k.h": """\
                #include <pixelkit.h>
                #include <stdint.h>
                #define K_LIMIT 17
                size_t count_bright(const uint8_t *data, size_t n, uint8_t level);
                double mean_red(const pk_image *src);
                void touch(const pk_image *src, int k);
                """,
            "k.c": """\
                #include "k.h"
                size_t count_bright(const uint8_t *data, size_t n, uint8_t level)
                {
                    size_t c = 0;
                    for (size_t i = 0; i < n; i++)
                        c += data[i] >= level;
                    return c;
                }
                double mean_red(const pk_image *src)
                {
                    double sum = 0;
                    for (size_t y = 0; y < src->height; y++)
                        for (size_t x = 0; x < src->width; x++)
                            sum += ((const pixel_t *)((const uint8_t *)src->pixels + y * src->stride))[x].r;
                    return sum / (double)(src->width * src->height);
                }
                void touch(const pk_image *src, int k) { (void)src; (void)k; }
                """,
        },
    )
    assert run_build("--module", "rules", "k.h", "k.c", cwd=tmp_path).returncode == 0
    rules = import_from(tmp_path, "rules")
    data = np.array([1, 200, 50, 255], np.uint8)
    assert not hasattr(rules, "count_bright")
    assert rules.lib.count_bright(rules.ffi.from_buffer("uint8_t[]", data), 4, 100) == 2
    assert rules.lib.K_LIMIT == 17
    a = np.zeros((3, 5, 3), np.uint8)
    a[..., 0] = 90
    assert rules.mean_red(a) == pytest.approx(90.0)
    assert rules.touch(a, 3) is None
    with pytest.raises(TypeError, match="k must be an integer, got float"):
        rules.touch(a, 1.5)
    assert (
        "def count_bright(self, data: Uint8Ptr, n: int, level: int) -> int: ..." in (tmp_path / "rules.pyi").read_text()
    )


def test_dispatch_can_be_turned_off(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "k.h": "#include <pixelkit.h>\npk_status f(const pk_image *src);\n",
            "k.c": '#include "k.h"\npk_status f(const pk_image *src) { (void)src; return PK_OK; }\n',
        },
    )
    assert run_build("--module", "single", "--no-dispatch", "k.h", "k.c", cwd=tmp_path).returncode == 0
    native = next(tmp_path.glob("_single_native*"))
    symbols = subprocess.run(["nm", str(native)], capture_output=True, text=True, check=True).stdout
    assert "f__pk_portable" in symbols and "f__pk_avx2" not in symbols


def test_pixelkit_build_in_the_cli(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "k.h": "#include <pixelkit.h>\npk_status f(const pk_image *src);\n",
            "k.c": '#include "k.h"\npk_status f(const pk_image *src) { (void)src; return PK_OK; }\n',
        },
    )
    # `python -m pixelkit` is the `pixelkit` command (the installed entry point is run by .ci/run).
    command = [sys.executable, "-m", "pixelkit", "build", "--module", "viacli", "k.h", "k.c"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "viacli.py").exists() and (tmp_path / "viacli.pyi").exists()


def test_unsigned_parameters_build_wrap_and_type(tmp_path: Path, rng: np.random.Generator) -> None:
    """A uint8_t parameter: the command builds it, the wrapper refuses a negative value, the stub says int."""
    write(
        tmp_path,
        {
            "th.h": (
                "#include <pixelkit.h>\npk_status threshold(const pk_image *src, uint8_t level, const pk_image *dst);\n"
            ),
            "th.c": (
                '#include "th.h"\n'
                "pk_status threshold(const pk_image *src, uint8_t level, const pk_image *dst) {\n"
                "    for (size_t y = 0; y < src->height; y++) {\n"
                "        const uint8_t *in = (const uint8_t *)src->pixels + y * src->stride;\n"
                "        uint8_t *out = (uint8_t *)dst->pixels + y * dst->stride;\n"
                "        for (size_t i = 0; i < 3 * src->width; i++) out[i] = in[i] > level ? 255 : 0;\n"
                "    }\n"
                "    return PK_OK;\n"
                "}\n"
            ),
        },
    )
    result = run_build("--module", "thkit", "th.h", "th.c", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "def threshold(src: _ImageLike, level: int, out: None = None) -> Image: ..."
        in (tmp_path / "thkit.pyi").read_text()
    )
    thkit = import_from(tmp_path, "thkit")
    a = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    np.testing.assert_array_equal(np.asarray(thkit.threshold(a, 100)), np.where(a > 100, 255, 0))
    with pytest.raises(ValueError, match="level"):
        thkit.threshold(a, -1)


def test_building_without_setuptools_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "setuptools" else real(name, *a))
    with pytest.raises(pkbuild.BuildError, match=r"pip install 'pixelkit\[build\]'"):
        pkbuild.extension("nosetuptools", EXAMPLE / "sepiakit.h", EXAMPLE_SOURCES, build_dir=tmp_path)
