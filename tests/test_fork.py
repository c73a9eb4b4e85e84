"""fork() while other threads allocate, free and run kernels leaves a working child.

Locks held by another thread at the moment of fork() are copied held into
the child, where that thread does not exist.  Every lock of the C core must
be released or reset in the child: the allocator's freed-block cache and
the thread pool.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import HAS_CHECKOUT, subprocess_env
from pixelkit.build.header import c_compiler

if HAS_CHECKOUT:  # the C program's test is marked needs_compiler
    import build_ffi

ROOT = Path(__file__).resolve().parent.parent
FORK_STRESS = ROOT / "tests" / "c" / "fork_stress.c"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def compile_fork_stress(out: Path, extra_flags: tuple[str, ...] = ()) -> Path:
    """tests/c/fork_stress.c linked with the C core, compiled with the project's flags."""
    flags = [f for f in build_ffi.compile_flags() if f != "-Werror"]
    sources = sorted(str(p) for p in (ROOT / "c").glob("*.c"))
    command = [
        *c_compiler(),
        *flags,
        *extra_flags,
        "-pthread",
        "-I",
        str(ROOT / "include"),
        "-I",
        str(ROOT / "c"),
        str(FORK_STRESS),
        *sources,
        "-lm",
        "-o",
        str(out),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return out


@pytest.mark.needs_compiler
def test_c_children_of_a_threaded_process_allocate_free_and_run_kernels(tmp_path: Path) -> None:
    program = compile_fork_stress(tmp_path / "fork_stress")
    # Before the fix the first child hung (the cache's spin lock) almost always.
    result = subprocess.run([str(program), "200"], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "forks 200 hung 0 failed 0"


# The same through the Python bindings: cffi releases the GIL around each
# call, so the threads are inside pk_alloc / pk_free when the main thread forks.
LIB_FORK = textwrap.dedent(
    """
    import os, sys, threading, time, warnings
    warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, on purpose
    import numpy as np
    import pixelkit
    from pixelkit._native import ffi, lib

    BLOCK = 8 << 20
    stop = threading.Event()

    def allocate():
        out = ffi.new("void **")
        while not stop.is_set():
            if lib.pk_alloc(BLOCK, 0, out) == 0:
                lib.pk_free(out[0])

    def kernels():
        image = np.zeros((1024, 1024, 3), np.uint8)
        while not stop.is_set():
            pixelkit.invert(image, out=image)

    pixelkit.set_num_threads(2)
    threads = [threading.Thread(target=f) for f in (allocate, allocate, kernels)]
    for t in threads:
        t.start()
    forks = int(sys.argv[1])
    hung = failed = 0
    for _ in range(forks):
        child = os.fork()
        if child == 0:
            out = ffi.new("void **")
            ok = lib.pk_alloc(BLOCK, 0, out) == 0
            if ok:
                lib.pk_free(out[0])
            image = np.zeros((1024, 1024, 3), np.uint8)
            pixelkit.invert(image, out=image)
            os._exit(0 if ok and image[0, 0, 0] == 255 else 1)
        deadline = time.monotonic() + 10
        while (done := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        if done[0] == 0:
            hung += 1
            os.kill(child, 9)
            os.waitpid(child, 0)
            break
        if done[1] != 0:
            failed += 1
    stop.set()
    for t in threads:
        t.join()
    print(f"hung {hung} failed {failed}")
    """
)


def test_lib_children_of_a_threaded_process_allocate_free_and_run_kernels(tmp_path: Path) -> None:
    # This same pixelkit (a sanitizer build under tools/), not one in the current directory.
    result = subprocess.run(
        [sys.executable, "-c", LIB_FORK, "100"],
        env=subprocess_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hung 0 failed 0", result.stderr
