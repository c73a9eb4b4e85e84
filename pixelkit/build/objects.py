"""Compile a module's own C and C++ sources once per instruction set, as pixelkit compiles ``c/rows/``.

Each source is compiled for every instruction set pixelkit dispatches to
(portable x86-64, AVX2, AVX-512; only portable elsewhere), with that set's
``-m`` flags and a forced-in header that renames the module's functions
(``sepia`` -> ``sepia__pk_avx2``), so that a plain C loop is vectorised for
each and a dispatcher picks one at run time.  The module's header is
forced into every compile as well: a source whose definition disagrees
with the header is a compile error, not a crash.

Objects are linked portable first.  C++ inline and template functions
that several builds share (``std::sort<int *>`` and the like) are merged
by the linker, which keeps the first copy it sees: the portable one, so no
path ever runs an instruction the CPU may lack.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sysconfig
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .header import c_compiler

# The instruction sets, in PK_ISA_* order, and their compiler flags (those of c/isa_*.c).
X86_ISA_FLAGS: dict[str, list[str]] = {
    "portable": [],
    "avx2": ["-mavx2", "-mfma", "-mbmi2"],
    "avx512": [
        "-mavx512f",
        "-mavx512bw",
        "-mavx512vl",
        "-mavx512dq",
        "-mavx512vbmi",
        "-mavx2",
        "-mfma",
        "-mbmi2",
        "-mprefer-vector-width=512",
    ],
}

C_SUFFIXES = (".c",)
CXX_SUFFIXES = (".cpp", ".cc", ".cxx", ".C")

# Flags of every module built here, pixelkit's own included.  The -Werror=
# ones are the warnings that show a definition disagreeing with its header.
WARNING_FLAGS = ["-Wall", "-Wextra", "-Werror=return-type"]
C_FLAGS = [
    "-std=c11",
    *WARNING_FLAGS,
    "-Werror=incompatible-pointer-types",
    "-Werror=int-conversion",
    "-Werror=implicit-function-declaration",
    "-Werror=pointer-sign",
]
CXX_FLAGS = ["-std=c++17", *WARNING_FLAGS]
# Every instruction set must give bit-identical floats: no fused multiply-add.
CODE_FLAGS = ["-O3", "-fvisibility=hidden", "-ffp-contract=off"]
# Math functions never set errno, so sqrtf and the like vectorise (their results are the same).
EXTENSION_FLAGS = ["-fPIC", "-fno-math-errno", "-DPIXELKIT_EXTENSION"]


def werror() -> list[str]:
    """-Werror when PIXELKIT_WERROR=1 (CI sets it): every warning is an error."""
    return ["-Werror"] if os.environ.get("PIXELKIT_WERROR") == "1" else []


def strict_c_flags() -> list[str]:
    """The flags of C code built into a module (pixelkit's c/, the generated bindings)."""
    return [*C_FLAGS, *CODE_FLAGS, *werror()]


class BuildError(Exception):
    """A build step failed; the message has the compiler's own words (file and line).

    Raised by :func:`pixelkit.build.build` and :func:`pixelkit.build.extension`.

    Examples
    --------
    >>> try:
    ...     pixelkit.build.build("nothing", tmp / "missing.h", [])
    ... except (pixelkit.build.BuildError, pixelkit.build.HeaderError) as exc:
    ...     print(type(exc).__name__)
    HeaderError
    """


def cxx_compiler() -> list[str]:
    """The C++ compiler command: $CXX, else the one Python was built with, else c++."""
    command = os.environ.get("CXX") or sysconfig.get_config_var("CXX") or "c++"
    return shlex.split(command)


def instruction_sets(dispatch: bool = True) -> list[str]:
    """The instruction sets to compile for on this machine's architecture."""
    machine = platform.machine().lower()
    if dispatch and machine in ("x86_64", "amd64") and os.name != "nt":
        return list(X86_ISA_FLAGS)
    return ["portable"]


@dataclass(frozen=True)
class CompileJob:
    source: Path
    isa: str
    command: list[str]
    output: Path


def is_cxx(source: Path) -> bool:
    return source.suffix in CXX_SUFFIXES


def plan(
    sources: Sequence[Path],
    *,
    isas: Sequence[str],
    rename_headers: dict[str, Path],
    header: Path,
    include_dirs: Sequence[Path],
    define_macros: Sequence[tuple[str, str | None]],
    extra_compile_args: Sequence[str],
    out_dir: Path,
) -> list[CompileJob]:
    """The compiler commands, portable first, one per (instruction set, source)."""
    jobs = []
    defines = [f"-D{name}" if value is None else f"-D{name}={value}" for name, value in define_macros]
    includes = [f"-I{d}" for d in include_dirs]
    for isa in isas:
        for index, source in enumerate(sources):
            if source.suffix not in C_SUFFIXES + CXX_SUFFIXES:
                expected = ", ".join(C_SUFFIXES + CXX_SUFFIXES)
                raise BuildError(f"{source}: not a C or C++ source (expected one of {expected})")
            compiler, language = (cxx_compiler(), CXX_FLAGS) if is_cxx(source) else (c_compiler(), C_FLAGS)
            language = [*language, *CODE_FLAGS, *EXTENSION_FLAGS, *werror()]
            output = out_dir / isa / f"{index}-{source.stem}.o"
            command = [
                *compiler,
                *language,
                *(X86_ISA_FLAGS[isa] if isa != "portable" else []),
                *defines,
                *includes,
                "-include",
                str(rename_headers[isa]),
                "-include",
                str(header),
                *extra_compile_args,
                "-c",
                str(source),
                "-o",
                str(output),
            ]
            jobs.append(CompileJob(source, isa, command, output))
    return jobs


def _run(job: CompileJob) -> str | None:
    job.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(job.command, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    except FileNotFoundError:
        return f"{job.source.name}: compiler {job.command[0]!r} not found (set {'CXX' if is_cxx(job.source) else 'CC'})"
    if result.returncode != 0:
        return f"compiling {job.source} ({job.isa}) failed:\n{readable(result.stderr.strip())}"
    return None


def readable(message: str) -> str:
    """Compiler output with the per-instruction-set renaming undone: users wrote ``gain``, not ``gain__pk_avx2``."""
    message = re.sub(r"\b(\w+)__pk_(?:portable|avx2|avx512)\b", r"\1", message)
    return re.sub(r"\S*/rename/(?:portable|avx2|avx512)\.h", "<pixelkit.build: one build per instruction set>", message)


def compile_all(jobs: Sequence[CompileJob]) -> list[Path]:
    """Run the compiles (in parallel); the objects in link order, or BuildError with the first failure."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        failures = [message for message in pool.map(_run, jobs) if message]
    if failures:
        raise BuildError(failures[0])
    return [job.output for job in jobs]
