"""The command line of the builder: ``python -m pixelkit.build`` and ``pixelkit build``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import build
from .header import HeaderError
from .objects import BuildError

DESCRIPTION = (
    "Build C/C++ kernels over pixelkit images into an importable, typed module: "
    "writes MODULE.py, MODULE.pyi and the compiled _MODULE_native in --out-dir."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--module", required=True, help="the Python module to create, e.g. sepiakit")
    parser.add_argument("header", help="the header declaring the functions (it includes <pixelkit.h>)")
    parser.add_argument("sources", nargs="+", help=".c / .cpp files defining them")
    parser.add_argument("--out-dir", default=".", help="where the module goes (default: the current folder)")
    parser.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR", help="include folder")
    parser.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]", help="macro")
    parser.add_argument(
        "--compile-arg",
        dest="extra_compile_args",
        action="append",
        default=[],
        metavar="FLAG",
        help="extra compiler flag (repeatable)",
    )
    parser.add_argument(
        "--no-dispatch",
        action="store_true",
        help="compile once for any CPU of the architecture instead of once per instruction set",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the compiler commands")


def run(args: argparse.Namespace) -> int:
    defines = []
    for item in args.defines:
        name, sep, value = item.partition("=")
        defines.append((name, value if sep else None))
    try:
        written = build(
            args.module,
            args.header,
            args.sources,
            out_dir=args.out_dir,
            include_dirs=args.include_dirs,
            define_macros=defines,
            extra_compile_args=args.extra_compile_args,
            dispatch=not args.no_dispatch,
            verbose=args.verbose,
        )
    except (BuildError, HeaderError) as exc:
        print(f"pixelkit build: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixelkit.build", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))
