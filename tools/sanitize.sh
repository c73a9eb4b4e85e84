#!/usr/bin/env bash
# Run the whole test suite against an ASan + UBSan build of pixelkit.
#
#   tools/sanitize.sh [--self-test] [extra pytest args...] [tests/test_X.py ...]
#
# With test files (or node ids) among the arguments only those run;
# otherwise the whole of tests/.
#
# The instrumented extension is built by tools/sanitize_build.py into
# build/sanitize/pixelkit/ (a copy of the package; the normal in-place build
# in pixelkit/ is left alone) and put first on PYTHONPATH.  The tests are the
# checkout's.  Python runs with gcc's ASan (and UBSan) runtime preloaded.
#
# Exits non-zero on any test failure and on any sanitizer report: ASan
# aborts at the first error, UBSan halts at the first error, LSan fails the
# process at exit, and every report (also from the subprocesses the tests
# start, whose stderr the tests capture) is written under
# build/sanitize/reports/, which must stay empty.
#
# Leak detection: LSan reports pixelkit's leaks but not CPython's/numpy's;
# see tools/lsan.supp for how.  --self-test builds a copy of the C core with
# a deliberate leak and checks that it IS reported (and that the clean build
# reports nothing for the same program), then exits.
#
# Environment: PYTHON (default python3; needs numpy, cffi, pytest and the
# test extras), CC is ignored (always gcc: the runtime preloaded is gcc's).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
OUT=$ROOT/build/sanitize
REPORTS=$OUT/reports

# gcc and its sanitizer runtimes; the reference programs the tests run.
"$PYTHON" tools/system_requirements.py build sanitize tests >/dev/null || exit 2
LIBASAN=$(gcc -print-file-name=libasan.so)
LIBUBSAN=$(gcc -print-file-name=libubsan.so)

# ASan/LSan/UBSan settings for every process of the run (children inherit them).
sanitizer_env() {
    local reports=$1
    export LD_PRELOAD="$LIBASAN $LIBUBSAN"
    # allocator_may_return_null: tests ask for absurd sizes and expect MemoryError.
    # No detect_stack_use_after_return: with it, gcc 12's fake stack frames
    # crash the AVX-512 to_tensor kernel (SEGV loading a 64-byte local in
    # row_tensor_chw, c/rows/convert.h:52) while the same run without it is
    # clean -- a sanitizer/codegen artifact, not a pixelkit bug.
    # malloc_context_size=3: allocation stacks of 3 frames, which the
    # suppressions in tools/lsan.supp depend on (read its header).
    export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:check_initialization_order=1:malloc_context_size=3:log_path=$reports/asan"
    # use_tls=0: gcc 12's LSan crashes ("Tracer caught signal 11") scanning the
    # dynamic TLS of dlopen'ed modules; pixelkit keeps no heap pointers in TLS.
    export LSAN_OPTIONS="suppressions=$ROOT/tools/lsan.supp:print_suppressions=0:use_tls=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
    # build/sanitize first (its pixelkit), then the checkout (build_ffi, which
    # tests import); tools/sanitize_site/sitecustomize.py keeps LD_PRELOAD
    # away from the non-Python programs the tests run (gcc, ffmpeg, ...).
    export PYTHONPATH="$OUT:$ROOT/tools/sanitize_site:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
    export PYTHONDONTWRITEBYTECODE=1
}

# Fails (after printing them) when any sanitizer report was written.
check_reports() {
    local reports=$1
    # allocator_may_return_null makes ASan warn when a test asks for an
    # impossible size (2**62 bytes) and gets NULL, as it should: a file with
    # nothing but such warnings is not a report.
    for f in "$reports"/*; do
        [[ -e $f ]] || continue
        if ! grep -qv "WARNING: AddressSanitizer failed to allocate" "$f"; then
            rm -f "$f"
        fi
    done
    if compgen -G "$reports/*" >/dev/null; then
        echo "== sanitizer reports:" >&2
        for f in "$reports"/*; do echo "--- $f" >&2; cat "$f" >&2; done
        return 1
    fi
}

if [[ ${1:-} == --self-test ]]; then
    echo "== self-test: a deliberate leak in pixelkit's C code must be reported"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp -r c include "$work/"
    # Leak 4321 bytes in every pk_netpbm_scale_u8 call (read_pgm with maxval < 255).
    "$PYTHON" - "$work/c/netpbm.c" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
text = text.replace('#include "internal.h"\n', '#include "internal.h"\n#include <stdlib.h>\n', 1)
marker = "    uint8_t table[256];\n"
assert marker in text
text = text.replace(marker, marker + "    void *volatile deliberate_leak = malloc(4321);\n    (void)deliberate_leak;\n", 1)
open(path, "w").write(text)
EOF
    program='import io, pixelkit; print(pixelkit.__file__, pixelkit.read_pgm(io.BytesIO(b"P5 4 4 15\n" + bytes(16))).shape)'
    status=0
    for variant in leaky clean; do
        src=$work; [[ $variant == clean ]] && src=$ROOT
        "$PYTHON" tools/sanitize_build.py --out "$work/$variant" --source-root "$src" >"$work/build.log" 2>&1 \
            || { cat "$work/build.log" >&2; exit 2; }
        mkdir -p "$work/$variant/reports"
        rc=0
        (OUT=$work/$variant; sanitizer_env "$work/$variant/reports"; cd "$work" && "$PYTHON" -P -c "$program") || rc=$?
        reported=$(cat "$work/$variant/reports"/* 2>/dev/null || true)
        if [[ $variant == leaky ]]; then
            if [[ $rc != 0 ]] && grep -q "Direct leak of 4321 byte(s)" <<<"$reported" && grep -q "pk_netpbm_scale_u8" <<<"$reported"; then
                echo "ok: the deliberate leak was reported (exit status $rc):"
                grep -A4 "Direct leak of 4321" <<<"$reported"
            else
                echo "FAIL: the deliberate leak was not reported (exit status $rc)" >&2; echo "$reported" >&2; status=1
            fi
        elif [[ $rc != 0 || -n $reported ]]; then
            echo "FAIL: the clean build reported something (exit status $rc):" >&2; echo "$reported" >&2; status=1
        else
            echo "ok: the clean build reports nothing"
        fi
    done
    exit $status
fi

echo "== building the ASan+UBSan extension into build/sanitize/"
mkdir -p "$OUT"
"$PYTHON" tools/sanitize_build.py --out "$OUT" >"$OUT.log" 2>&1 || { cat "$OUT.log" >&2; exit 2; }
rm -rf "$REPORTS" && mkdir -p "$REPORTS"

# Tests that cannot run meaningfully under ASan (keep this list minimal):
DESELECT=(
    # Its child Python runs with PYTHONPATH replaced (no sitecustomize), so the
    # gcc it starts inherits the ASan runtime and cc1 crashes under it.  It only
    # checks that importing build_ffi compiles nothing: no C code of ours runs.
    --deselect "tests/test_build.py::test_importing_the_build_script_builds_nothing"
    # Asserts the CLI child's peak RSS stays under 150 MiB; under ASan (shadow
    # memory, 256 MiB quarantine) it is about 500 MiB.
    --deselect "tests/test_cli.py::test_frames_streams_in_constant_memory"
    # Bounds RSS growth over 100000 allocate/free cycles; ASan's
    # quarantine holds freed blocks back, so RSS grows by design (the leak it
    # looks for is what LSan checks here anyway).
    --deselect "tests/test_lifetimes.py::test_allocate_view_kernel_free_cycles_do_not_leak"
    # Asserts the example's peak RSS stays under a fifth of a 1.2 GB mapped
    # file; ASan's shadow memory alone takes about 500 MiB.
    --deselect "tests/test_examples.py::test_mmap_edit_edits_a_huge_file_in_place"
    # Compares the peak RSS of two child processes with an absolute bound;
    # ASan's shadow memory and quarantine swamp both.
    --deselect "tests/test_dask.py::test_memory_stays_bounded_as_the_image_grows"
    # A bound on the import time of a fresh interpreter; the ASan runtime's start-up and the
    # instrumented extension's load are not pixelkit's cost (the other import test still runs).
    --deselect "tests/test_import_cost.py::test_import_costs_at_most_20_ms_over_numpy"
    # Builds the sdist through setup.py, which preprocesses the header with gcc: gcc inherits the
    # ASan runtime and cc1 crashes under it (as for the build-script test above).  No C of ours runs.
    --deselect "tests/test_packaging.py::test_the_sdist_holds_the_checkouts_files_and_nothing_generated"
    --deselect "tests/test_packaging.py::test_the_sdist_metadata"
    # Forks while other threads call malloc/free.  gcc 12's ASan allocator takes no locks around
    # fork() (LLVM added that in 18, llvm-project pull 75290), so about one child in a thousand hangs
    # on a spin lock of ASan's own quarantine that a parent thread held (seen with gdb:
    # Quarantine::Drain from pk_free).  pixelkit's locks are what the test checks; it runs
    # in the normal suite, and the C program version (no ASan) runs here too.
    --deselect "tests/test_fork.py::test_lib_children_of_a_threaded_process_allocate_free_and_run_kernels"
)

echo "== pytest under ASan+UBSan (reports: build/sanitize/reports/)"
targets=(tests)
for arg in "$@"; do
    if [[ $arg == tests/* && -e ${arg%%::*} ]]; then targets=(); break; fi
done
start=$SECONDS
rc=0
(
    sanitizer_env "$REPORTS"
    # -P: keep the checkout (the cwd) off sys.path, so that `import pixelkit`
    # finds build/sanitize/pixelkit and not the uninstrumented in-place build.
    exec "$PYTHON" -P -m pytest -p no:cacheprovider "${DESELECT[@]}" "$@" "${targets[@]}"
) || rc=$?
echo "== sanitized suite: exit status $rc after $((SECONDS - start)) s"
if ! check_reports "$REPORTS" && [[ $rc == 0 ]]; then rc=1; fi
exit "$rc"
