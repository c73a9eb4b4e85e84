"""Check the system programs and libraries each CI step needs, naming the Debian package of each.

    python tools/system_requirements.py                  # every step
    python tools/system_requirements.py tests fuzz       # only these steps
    python tools/system_requirements.py --packages       # print the Debian packages, one line

Steps: ``build`` (a C compiler for the extension), ``tests`` (the reference
programs the test suite compares against), ``sanitize`` (gcc's ASan/UBSan
runtimes for tools/sanitize.sh) and ``fuzz`` (clang and its sanitizer and
libFuzzer runtimes for tools/fuzz_readers.py --asan).  A tool is checked by
running it (or, for the clang runtimes, by linking a small program against
them), not by looking for a file name, so that a stand-in or a half-installed
package is caught up front.  Exits 1 with one line per missing tool, saying
which Debian package provides it, when anything is missing.

.ci/run installs exactly ``--packages`` and then runs this check; a person
running a step by hand runs it to learn what to install.  Only the standard
library is used, so it runs before any virtual environment exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Requirement:
    """One program (or runtime) a step needs, and the Debian package that provides it."""

    what: str
    package: str
    check: Callable[[], str | None]  # None when present, else what is wrong


def _run(args: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=120, **kwargs)  # type: ignore[call-overload, no-any-return]


def program(name: str, *, banner: str | None = None, version_flag: str = "--version") -> Callable[[], str | None]:
    """A check that ``name`` is on PATH (and, with ``banner``, that its version text names it)."""

    def check() -> str | None:
        path = shutil.which(name)
        if path is None:
            return f"`{name}` is not on PATH"
        if banner is not None:
            try:
                result = _run([path, version_flag])
            except (OSError, subprocess.SubprocessError) as error:
                return f"`{path} {version_flag}` failed: {error}"
            if banner not in result.stdout + result.stderr:
                return f"`{path} {version_flag}` does not print {banner!r} (a stand-in?)"
        return None

    return check


def gcc_runtime(library: str) -> Callable[[], str | None]:
    """A check that gcc knows where its ``library`` (libasan.so, libubsan.so) is."""

    def check() -> str | None:
        gcc = shutil.which("gcc")
        if gcc is None:
            return "`gcc` is not on PATH"
        found = _run([gcc, f"-print-file-name={library}"]).stdout.strip()
        if not os.path.isabs(found) or not os.path.exists(found):
            return f"gcc has no {library}"
        return None

    return check


def clang_links(flags: Sequence[str], source: str) -> Callable[[], str | None]:
    """A check that clang compiles and links ``source`` with ``flags`` (finds its runtimes)."""

    def check() -> str | None:
        clang = shutil.which("clang")
        if clang is None:
            return "`clang` is not on PATH"
        with tempfile.TemporaryDirectory() as work:
            c_file = os.path.join(work, "probe.c")
            with open(c_file, "w") as handle:
                handle.write(source)
            result = _run([clang, *flags, c_file, "-o", os.path.join(work, "probe")])
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["(no output)"])[0]
            return f"`clang {' '.join(flags)}` cannot link: {last}"
        return None

    return check


# atheris links its fuzzing runtime against clang's libFuzzer, and the
# instrumented extension needs clang's ASan runtime: both are in
# libclang-rt-dev (clang itself does not depend on it).
_FUZZER_PROBE = (
    "#include <stddef.h>\n#include <stdint.h>\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return n && d[0]; }\n"
)
_MAIN_PROBE = "int main(void) { return 0; }\n"

STEPS: dict[str, tuple[Requirement, ...]] = {
    "build": (
        Requirement("gcc (C compiler for the extension)", "gcc", program("gcc")),
        Requirement("g++ (the public header is checked as C++17)", "g++", program("g++")),
    ),
    "tests": (
        Requirement("ffmpeg", "ffmpeg", program("ffmpeg", banner="ffmpeg version", version_flag="-version")),
        *(
            Requirement(name, "netpbm", program(name))
            for name in ("pnmfile", "ppmpat", "pgmramp", "pamdepth", "pamtopam", "pnmtoplainpnm")
        ),
        Requirement(
            "ImageMagick's convert",
            "imagemagick",
            program("convert", banner="Version: ImageMagick", version_flag="-version"),
        ),
    ),
    "sanitize": (
        Requirement("gcc's AddressSanitizer runtime", "libgcc-12-dev", gcc_runtime("libasan.so")),
        Requirement("gcc's UndefinedBehaviorSanitizer runtime", "libgcc-12-dev", gcc_runtime("libubsan.so")),
    ),
    "fuzz": (
        Requirement("clang", "clang", program("clang")),
        Requirement(
            "clang's ASan runtime (libclang_rt.asan)",
            "libclang-rt-dev",
            clang_links(["-fsanitize=address,undefined"], _MAIN_PROBE),
        ),
        Requirement(
            "clang's libFuzzer runtime (libclang_rt.fuzzer)",
            "libclang-rt-dev",
            clang_links(["-fsanitize=fuzzer,address"], _FUZZER_PROBE),
        ),
    ),
}


def packages(steps: Sequence[str]) -> list[str]:
    """The Debian packages the given steps need, in order, without repeats."""
    seen: dict[str, None] = {}
    for step in steps:
        for requirement in STEPS[step]:
            seen.setdefault(requirement.package, None)
    return list(seen)


def missing(steps: Sequence[str]) -> list[str]:
    """One line per missing requirement of the given steps (empty when all are there)."""
    problems = []
    for step in steps:
        for requirement in STEPS[step]:
            problem = requirement.check()
            if problem is not None:
                problems.append(
                    f"{step}: {requirement.what} is missing ({problem}); "
                    f"install the Debian package `{requirement.package}` (apt-get install {requirement.package})"
                )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", metavar="STEP", help=f"steps to check: {', '.join(STEPS)} (default: all)")
    parser.add_argument("--packages", action="store_true", help="print the Debian packages of the steps and exit")
    args = parser.parse_args(argv)
    steps = args.steps or list(STEPS)
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        parser.error(f"unknown step {', '.join(unknown)}; expected one of {', '.join(STEPS)}")
    if args.packages:
        print(" ".join(packages(steps)))
        return 0
    problems = missing(steps)
    for line in problems:
        print(f"system_requirements.py: {line}", file=sys.stderr)
    if not problems:
        print(f"system requirements present for: {', '.join(steps)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
