"""From a C header to the text ``ffi.cdef()`` reads, with every line traced back to its file.

The header itself is the only place a declaration is written:

1. The C preprocessor runs over it with ``PIXELKIT_CDEF`` defined, against
   a folder of empty stand-ins for the C library's ``<stddef.h>``,
   ``<stdint.h>`` and the like (cffi knows their types natively, and their
   real contents are not something cdef can parse).  pixelkit's header
   hides behind ``PIXELKIT_CDEF`` what cdef cannot take (``_Static_assert``,
   ``extern "C"``); a user's header includes ``<pixelkit.h>`` and declares
   its functions.
2. Preprocessing consumes ``#define`` constants, so every object-like
   integer ``#define`` of the header is declared again as
   ``#define NAME ...``: cffi then asks the C compiler for the value.
3. The preprocessor's line markers map each line of the result back to the
   file and line it came from, so that a declaration cdef cannot parse is
   reported as ``sepia.h:3``, not as a line of a generated string.

Only the standard library is imported here: pixelkit's own build uses this
module before pixelkit is built.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sysconfig
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Headers of the C library a header may include for its types; cffi knows
# those types (size_t, uint8_t, bool, ...) without them.
STANDARD_TYPE_HEADERS = ("stddef.h", "stdint.h", "stdbool.h", "inttypes.h", "limits.h", "float.h")

# An object-like macro with a value, e.g. "#define PK_MAX_DIMENSION 1048576".
_MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+(\S[^\n]*)$", re.MULTILINE)
# A line marker of the preprocessor's output: # 12 "sepia.h" 2
_MARKER = re.compile(r'^# (\d+) "((?:[^"\\]|\\.)*)"')
# Where cffi's parser says it stopped: "<cdef source string>:3:17".
_CDEF_LOCATION = re.compile(r":(\d+):(?:\d+:)?")


class HeaderError(Exception):
    """A header that cannot be turned into cffi declarations; the message names the file and line.

    Raised by :func:`pixelkit.build.build` and :func:`pixelkit.build.extension`.

    Examples
    --------
    >>> _ = (tmp / "empty.h").write_text("#include <pixelkit.h>\\n")
    >>> _ = (tmp / "empty.c").write_text("")
    >>> try:
    ...     pixelkit.build.extension("_empty_native", tmp / "empty.h", [tmp / "empty.c"], build_dir=tmp / "o")
    ... except pixelkit.build.HeaderError as exc:
    ...     print(exc)
    empty.h declares no functions (expected e.g. pk_status f(const pk_image *src, ...);)
    """


def c_compiler() -> list[str]:
    """The C compiler command: $CC, else the one Python was built with, else cc."""
    command = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(command)


@dataclass
class Preprocessed:
    """A header after the preprocessor: its lines and, for each, the (file, line) it came from."""

    lines: list[str] = field(default_factory=list)
    origins: list[tuple[str, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def origin(self, line_number: int) -> tuple[str, int] | None:
        """Where line ``line_number`` (1-based) of :attr:`text` came from."""
        if 1 <= line_number <= len(self.origins):
            return self.origins[line_number - 1]
        return None


def _parse_markers(output: str) -> Preprocessed:
    result = Preprocessed()
    current, number = "<unknown>", 1
    for raw in output.splitlines():
        marker = _MARKER.match(raw)
        if marker:
            number = int(marker.group(1))
            current = marker.group(2).encode().decode("unicode_escape")
            continue
        # cdef ignores pragmas (with a warning); the compiler still sees them in the real build.
        if raw.strip() and not raw.lstrip().startswith("#pragma"):
            result.lines.append(raw)
            result.origins.append((current, number))
        number += 1
    return result


def preprocess(
    header: Path,
    *,
    defines: Sequence[str] = (),
    include_dirs: Sequence[Path] = (),
) -> Preprocessed:
    """The header as the preprocessor sees it with ``PIXELKIT_CDEF`` and ``defines`` defined."""
    header = Path(header)
    if not header.is_file():
        raise HeaderError(f"header {str(header)!r} does not exist")
    with tempfile.TemporaryDirectory(prefix="pixelkit-cdef-") as stand_ins:
        for name in STANDARD_TYPE_HEADERS:
            Path(stand_ins, name).write_text("/* types cffi knows natively */\n")
        command = [
            *c_compiler(),
            "-E",
            "-std=c11",
            "-nostdinc",
            "-DPIXELKIT_CDEF",
            *(f"-D{name}" for name in defines),
            f"-I{header.resolve().parent}",
            *(f"-I{Path(d).resolve()}" for d in include_dirs),
            f"-isystem{stand_ins}",
            str(header),
        ]
        # LC_ALL=C keeps the compiler's output and messages plain ASCII.
        env = {**os.environ, "LC_ALL": "C"}
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        except FileNotFoundError as exc:
            raise HeaderError(f"building needs a C compiler; {command[0]!r} was not found (set CC)") from exc
    if result.returncode != 0:
        message = result.stderr.replace(stand_ins, "<stand-ins>")
        if "No such file or directory" in message:
            message += (
                "\nA header read by cdef may include <pixelkit.h>, its own headers and "
                f"{', '.join(STANDARD_TYPE_HEADERS)}; include anything else from the .c/.cpp source instead."
            )
        if not message.strip():  # e.g. CC=/bin/false: say what ran rather than nothing
            message = (
                f"{shlex.join(command[:2])} ... exited with status {result.returncode} and no message; "
                "building needs a working C compiler (set CC)"
            )
        raise HeaderError(f"preprocessing {header.name} failed:\n{message}")
    return _parse_markers(result.stdout)


def _is_integer_constant(value: str) -> bool:
    """Whether a macro's value can be an integer constant (no strings, characters or floats)."""
    value = re.sub(r"/\*.*?\*/|//.*$", "", value).strip()
    if not value or any(c in value for c in "\"'{};"):
        return False
    return re.search(r"\d\.|\.\d|\d[eE][+-]?\d(?![xX])", value) is None or value.lower().startswith("0x")


def constant_names(header_text: str, prefix: str = "") -> list[str]:
    """Names of the integer constants a header ``#define``s (starting with ``prefix``), in order."""
    names = [
        name
        for name, value in _MACRO.findall(header_text)
        if name.startswith(prefix) and _is_integer_constant(value) and not name.startswith("PIXELKIT_")
    ]
    return list(dict.fromkeys(names))


@dataclass
class Cdef:
    """The text for ``ffi.cdef`` and where each of its lines came from."""

    text: str
    preprocessed: Preprocessed

    def locate(self, error: Exception) -> str:
        """``error`` from cffi, with the place it names translated to the header's file and line."""
        message = str(error)
        match = _CDEF_LOCATION.search(message)
        origin = self.preprocessed.origin(int(match.group(1))) if match else None
        if origin is None:
            return message
        name, line = origin
        return f"{name}:{line}: {message}"


def cdef_source(
    header: Path,
    *,
    defines: Sequence[str] = (),
    include_dirs: Sequence[Path] = (),
    constant_prefix: str = "",
) -> Cdef:
    """The complete text handed to ffi.cdef, derived from the header alone."""
    pre = preprocess(header, defines=defines, include_dirs=include_dirs)
    names = constant_names(Path(header).read_text(), constant_prefix)
    constants = "".join(f"#define {name} ...\n" for name in names)
    return Cdef(pre.text + constants, pre)
