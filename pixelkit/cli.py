"""The ``pixelkit`` command: ``info``, ``convert``, ``apply`` and ``frames``.

Formats follow the file name: ``.ppm``/``.pnm``/``.pgm`` are netpbm (colour
or grey decided by the magic number), ``.png`` goes through Pillow (the
optional extra ``pixelkit[png]``), ``.y4m`` is a YUV4MPEG2 video (a frame
of it, or one frame written as one) and anything else is raw rgb24, whose
size must be given.  ``info`` looks at the bytes instead of the name when the
extension says nothing.  Every file is written atomically.  User errors
(bad or missing files, wrong sizes) print one line ``pixelkit: ...`` on
stderr and exit 1; usage errors exit 2.  The progress bar needs the
optional ``tqdm`` (extra ``pixelkit[cli]``) and shows only on a terminal.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import importlib
import os
import struct
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

import pixelkit
import pixelkit.pixfmt
from pixelkit import netpbm
from pixelkit._fileio import atomic_write
from pixelkit.build import cli as build_cli
from pixelkit.image import Image
from pixelkit.runtime import default_num_threads

Pixels: TypeAlias = "Image | NDArray[np.uint8]"  # RGB, or (H, W) grey
Size = tuple[int, int]
Op = Callable[[Image], Pixels]

RAW_EXTENSIONS = frozenset({".rgb", ".raw", ".data"})
NETPBM_EXTENSIONS = frozenset({".ppm", ".pnm", ".pgm"})
Y4M_EXTENSION = ".y4m"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_HINT = "PNG needs Pillow: pip install 'pixelkit[png]'"
NETPBM_KINDS = {**netpbm._PPM_KINDS, **netpbm._PGM_KINDS}
PNG_COLOURS = {0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA"}
# operation -> the options it takes (argparse dests)
OPS: dict[str, tuple[str, ...]] = {
    "invert": (), "gray": (), "swap-rb": (), "flip-h": (), "flip-v": (), "rotate": ("k",),
    "resize": ("to", "method"), "blur": ("sigma",), "box-blur": ("radius",),
    "adjust": ("brightness", "contrast", "gamma"),
}  # fmt: skip
OP_OPTIONS = ("k", "to", "method", "sigma", "radius", "brightness", "contrast", "gamma")


class CliError(Exception):
    """A user error: reported as one line, without a traceback."""


USER_ERRORS = (CliError, OSError, ValueError, MemoryError)


def failure(exc: BaseException, path: str | None = None) -> str:
    """The one-line ``pixelkit: [PATH: ]reason`` message for a user error."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename not in (None, path) else None
        text = f"{where}: {exc.strerror}" if where is not None else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
        for prefix in () if path is None else (f"{path!r}: ", f"{path}: "):
            text = text.removeprefix(prefix)
    return f"pixelkit: {text}" if path is None else f"pixelkit: {path}: {text}"


def size_arg(text: str) -> Size:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}")
    w, h = int(width), int(height)
    if not (1 <= w <= pixelkit.MAX_DIMENSION and 1 <= h <= pixelkit.MAX_DIMENSION):
        raise argparse.ArgumentTypeError(f"width and height must be 1..{pixelkit.MAX_DIMENSION}, got {text!r}")
    return w, h


def frame_index(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a frame number from 0, got {text!r}")
    return int(text)


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


# ---- reading and writing ------------------------------------------------------------


def extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def is_raw(path: str) -> bool:
    return extension(path) not in NETPBM_EXTENSIONS | {".png", Y4M_EXTENSION}


def pil_image() -> Any:
    """Pillow's ``PIL.Image`` module, or a CliError saying how to install it."""
    try:
        return importlib.import_module("PIL.Image")
    except ImportError:
        raise CliError(PNG_HINT) from None


def load_y4m_frame(path: str, index: int) -> Image:
    """Frame ``index`` (from 0) of a y4m file; the frames before it are read but not converted."""
    with pixelkit.iter_y4m(path, rgb=False) as frames:
        count = 0
        for count, planes in enumerate(frames, 1):
            if count == index + 1:
                return frames.convert(planes)
    raise CliError(f"has {count} frame{'s' if count != 1 else ''}, so no frame {index} (frames count from 0)")


def load(path: str, size: Size | None, frame: int | None = None) -> Pixels:
    """An image file as an RGB Image or an (H, W) grey array, by its extension."""
    if extension(path) == Y4M_EXTENSION:
        return load_y4m_frame(path, frame or 0)
    if extension(path) == ".png":
        with pil_image().open(path) as png:
            if png.mode.startswith("I"):  # 16-bit grey: rescale as netpbm does
                wide = np.asarray(png, np.int64)
                return np.clip((wide * 255 + 32767) // 65535, 0, 255).astype(np.uint8)
            if png.mode in ("1", "L", "LA"):
                return np.array(png.convert("L"), np.uint8)
            return Image.from_array(np.array(png.convert("RGB"), np.uint8))
    if extension(path) in NETPBM_EXTENSIONS:
        with open(path, "rb") as stream:
            grey = stream.read(2) in netpbm._PGM_KINDS
        return pixelkit.read_pgm(path) if grey else pixelkit.read_ppm(path)
    if size is None:
        raise CliError("a raw rgb24 file needs its size (WxH)")
    (w, h), nbytes = size, os.path.getsize(path)
    if nbytes != 3 * w * h:
        raise CliError(f"holds {nbytes} bytes, but a {w}x{h} rgb24 image is {3 * w * h} bytes")
    return pixelkit.read_raw(path, w, h)


def is_grey(pixels: Pixels) -> bool:
    return not isinstance(pixels, Image)


def as_rgb(pixels: Pixels) -> Image:
    if isinstance(pixels, Image):
        return pixels
    return Image.from_array(np.repeat(pixels[:, :, np.newaxis], 3, axis=2))


def as_grey(pixels: Pixels) -> NDArray[np.uint8]:
    return pixelkit.to_gray(pixels) if isinstance(pixels, Image) else pixels


def output_format(path: str, grey: bool) -> str:
    """'ppm', 'pgm', 'png', 'y4m' or 'raw' for a path; ``grey``: the image has no colour."""
    ext = extension(path)
    if ext == ".pnm":
        return "pgm" if grey else "ppm"
    return {".ppm": "ppm", ".pgm": "pgm", ".png": "png", Y4M_EXTENSION: "y4m"}.get(ext, "raw")


def save(pixels: Pixels, path: str, fmt: str, grey: bool, fps: str = "25") -> None:
    """Write atomically in ``fmt``; a ``grey`` PNG is written as mode L."""
    try:
        if fmt == "pgm":
            pixelkit.write_pgm(as_grey(pixels), path)
        elif fmt == "ppm":
            pixelkit.write_ppm(as_rgb(pixels), path)
        elif fmt == "raw":
            pixelkit.write_raw(as_rgb(pixels), path)
        elif fmt == "y4m":
            pixelkit.write_y4m(as_rgb(pixels), path, fps=fps)
        else:
            array = as_grey(pixels) if grey else as_rgb(pixels).array
            png = pil_image().fromarray(np.ascontiguousarray(array))
            atomic_write(path, lambda stream: png.save(stream, format="PNG"))
    except OSError as exc:  # name the target, not its temporary file
        if not exc.strerror:
            raise
        raise OSError(exc.errno, exc.strerror, path) from exc


# ---- progress -----------------------------------------------------------------------


class Progress:
    """A tqdm bar on stderr when it is a terminal and tqdm is installed."""

    def __init__(self, total: int | None, unit: str, desc: str) -> None:
        try:
            tqdm: Any = importlib.import_module("tqdm").tqdm
        except ImportError:
            tqdm = None
        disable = not sys.stderr.isatty()
        self._bar = None if tqdm is None else tqdm(total=total, unit=unit, desc=desc, disable=disable)

    def update(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def error(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# ---- operations ------------------------------------------------------------------


def make_op(name: str, args: argparse.Namespace) -> Op:
    """The kernel call for an operation and its options (defaults filled in)."""
    k = 1 if args.k is None else args.k
    sigma = 1.0 if args.sigma is None else args.sigma
    radius = 1 if args.radius is None else args.radius
    gains = (
        0.0 if args.brightness is None else args.brightness,
        1.0 if args.contrast is None else args.contrast,
        1.0 if args.gamma is None else args.gamma,
    )
    ops: dict[str, Op] = {
        "invert": lambda img: pixelkit.invert(img),
        "gray": lambda img: pixelkit.to_gray(img),
        "swap-rb": lambda img: pixelkit.swap_rb(img),
        "flip-h": lambda img: pixelkit.flip_horizontal(img),
        "flip-v": lambda img: pixelkit.flip_vertical(img),
        "rotate": lambda img: pixelkit.rotate90(img, k),
        "resize": lambda img: pixelkit.resize(img, args.to[0], args.to[1], args.method or "bilinear"),
        "blur": lambda img: pixelkit.gaussian_blur(img, sigma),
        "box-blur": lambda img: pixelkit.box_blur(img, radius),
        "adjust": lambda img: pixelkit.adjust(img, *gains),
    }
    return ops[name]


def checked_op(parser: argparse.ArgumentParser, name: str | None, args: argparse.Namespace) -> Op | None:
    """The operation, after refusing options it does not take and values out of range (exit 2)."""
    for option in OP_OPTIONS:
        if getattr(args, option) is not None and (name is None or option not in OPS[name]):
            flag = args.op_flags[option]
            parser.error(f"{flag} does not apply to {'no operation' if name is None else name}")
    if name is None:
        return None
    if name == "resize" and args.to is None:
        parser.error(f"resize needs the new size: {args.op_flags['to']} WxH")
    op = make_op(name, args)
    try:
        op(Image(1, 1))  # the kernels check their arguments before any work
    except ValueError as exc:
        parser.error(f"{name}: {exc}")
    return op


def add_op_options(parser: argparse.ArgumentParser, size_flags: Sequence[str]) -> None:
    group = parser.add_argument_group("operation options")
    group.add_argument("--k", type=int, help="rotate: counter-clockwise quarter turns (default 1)")
    group.add_argument(*size_flags, dest="to", type=size_arg, metavar="WxH", help="resize: the new size (required)")
    group.add_argument("--method", choices=("nearest", "bilinear", "area"), help="resize: default bilinear")
    group.add_argument("--sigma", type=float, help="blur: gaussian sigma in pixels (default 1.0)")
    group.add_argument("--radius", type=int, help="box-blur: the (2r+1)^2 square's r (default 1)")
    group.add_argument("--brightness", type=float, help="adjust: shift, -1..1 (default 0)")
    group.add_argument("--contrast", type=float, help="adjust: gain around mid-grey, >= 0 (default 1)")
    group.add_argument("--gamma", type=float, help="adjust: > 0, above 1 brightens (default 1)")
    parser.set_defaults(op_flags={a.dest: a.option_strings[0] for a in group._group_actions})


# ---- subcommands ------------------------------------------------------------------


def describe_file(path: str, size: Size | None) -> str:
    """The info line of one file, from its header only."""
    nbytes = os.path.getsize(path)
    ext = extension(path)
    with open(path, "rb") as stream:
        head = stream.peek(32)[:32] if ext not in RAW_EXTENSIONS else b""
        if ext == Y4M_EXTENSION or head.startswith(b"YUV4MPEG2"):
            return describe_y4m(path, nbytes)
        if ext == ".png" or head.startswith(PNG_SIGNATURE):
            if len(head) < 26 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
                raise CliError(f"not a PNG file (it starts with {head[:8]!r})")
            width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
            kind = f"PNG {PNG_COLOURS.get(colour, f'colour type {colour}')} {depth}-bit"
            return f"{path}: {kind}, {width}x{height}, maxval {(1 << depth) - 1}, {nbytes} bytes"
        if ext in NETPBM_EXTENSIONS or head[:2] in NETPBM_KINDS:
            header = netpbm._read_header(stream, repr(path), NETPBM_KINDS, "pixelkit")
            kind = "PGM" if header.channels == 1 else "PPM"
            line = f"{path}: {kind} {header.magic.decode()}, {header.width}x{header.height}, maxval {header.maxval}"
            if not header.plain:
                sample = 1 if header.maxval < 256 else 2
                end = header.raster_offset + header.width * header.height * header.channels * sample
                if nbytes < end:
                    raise CliError(f"{line[len(path) + 2 :]}, but the file ends at byte {nbytes} of {end}")
                if nbytes > end:
                    return f"{line}, {nbytes} bytes ({nbytes - end} after the image)"
            return f"{line}, {nbytes} bytes"
    line = f"{path}: raw, {nbytes} bytes"
    if size is None:
        return line
    (w, h), frame = size, 3 * size[0] * size[1]
    frames, extra = divmod(nbytes, frame)
    if extra == 0 and frames == 1:
        return f"{line}, fits {w}x{h} rgb24 exactly"
    if extra == 0 and frames > 1:
        return f"{line}, {frames} frames of {w}x{h} rgb24"
    return f"{line}, does not fit {w}x{h} rgb24 ({frame} bytes a frame: {frames} frames and {extra} bytes)"


def describe_y4m(path: str, nbytes: int) -> str:
    """The info line of a y4m file: size, rate, colour space and frames (FRAME lines read, payloads skipped)."""
    count = pixelkit.count_y4m_frames(path)
    with pixelkit.iter_y4m(path, rgb=False) as frames:
        h = frames.header
    chroma = {"420": "4:2:0", "422": "4:2:2", "444": "4:4:4", "mono": "grey"}[h.subsampling]
    aspect = "unknown" if h.aspect is None else f"{h.aspect.numerator}:{h.aspect.denominator}"
    return (
        f"{path}: Y4M, {h.width}x{h.height}, {h.fps.numerator}/{h.fps.denominator} fps ({float(h.fps):.3f}), "
        f"C{h.colorspace} ({chroma}, {h.bit_depth}-bit), {h.interlacing}, aspect {aspect}, "
        f"range {h.color_range or 'unset'}, {count} frame{'s' if count != 1 else ''}, {nbytes} bytes"
    )


def cmd_info(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    status = 0
    for path in args.files:
        try:
            line = describe_file(path, args.size)
        except USER_ERRORS as exc:
            print(failure(exc, path), file=sys.stderr, flush=True)
            status = 1
        else:
            print(line, flush=True)
    return status


def cmd_convert(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.frame is not None and extension(args.input) != Y4M_EXTENSION:
        parser.error("--frame picks a frame of a .y4m IN; this IN is one image")
    if is_raw(args.input) and args.size is None:
        parser.error(f"{args.input} is read as raw rgb24 (by its extension): give its size with --size WxH")
    if not is_raw(args.input) and args.size is not None:
        parser.error("--size gives the size of a raw rgb24 IN; this IN has a header")
    try:
        pixels = load(args.input, args.size, args.frame)
    except USER_ERRORS as exc:
        print(failure(exc, args.input), file=sys.stderr)
        return 1
    grey = is_grey(pixels)
    try:
        save(pixels, args.output, output_format(args.output, grey), grey, args.fps)
    except USER_ERRORS as exc:
        print(failure(exc, args.output), file=sys.stderr)
        return 1
    return 0


def apply_one(path: str, target: str, op: Op, size: Size | None) -> None:
    source = load(path, size)
    result = op(as_rgb(source))
    grey = is_grey(source) or is_grey(result)  # every operation keeps grey images grey
    save(result, target, output_format(path, grey), grey)


def cmd_apply(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    op = checked_op(parser, args.op, args)
    assert op is not None
    if args.input_size is None and (raw := [p for p in args.inputs if is_raw(p)]):
        parser.error(f"{raw[0]} is read as raw rgb24 (by its extension): give its size with --input-size WxH")
    targets = [p if args.in_place else os.path.join(args.outdir, os.path.basename(p)) for p in args.inputs]
    seen: set[str] = set()
    for target in map(os.path.abspath, targets):
        if target in seen:
            parser.error(f"two inputs would both write {target}")
        seen.add(target)
    if args.outdir is not None:
        os.makedirs(args.outdir, exist_ok=True)
    # Files run in parallel and each kernel keeps its row bands: pixelkit's pool
    # serves one call at a time and other callers run their bands themselves,
    # so cores are not oversubscribed, and the last big file still uses them all.
    jobs = args.jobs or min(len(targets), default_num_threads())
    bar = Progress(len(targets), "file", args.op)
    pool = concurrent.futures.ThreadPoolExecutor(jobs, thread_name_prefix="pixelkit")
    failed = 0
    try:
        futures = {
            pool.submit(apply_one, p, t, op, args.input_size): p for p, t in zip(args.inputs, targets, strict=True)
        }
        for future in concurrent.futures.as_completed(futures):
            error = future.exception()
            if isinstance(error, USER_ERRORS):
                bar.error(failure(error, futures[future]))
                failed += 1
            elif error is not None:
                raise error
            bar.update()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    return 1 if failed else 0


def cmd_frames(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    op = checked_op(parser, args.op, args)
    if sys.stdin is None or sys.stdin.isatty():
        parser.error(
            "frames reads video from stdin: pipe it in (ffmpeg ... -f rawvideo -pix_fmt rgb24 - or -f yuv4mpegpipe -)"
        )
    stdin = sys.stdin.buffer
    peek = getattr(stdin, "peek", None)
    y4m = args.pix_fmt == "y4m" or (args.pix_fmt is None and peek is not None and peek(9)[:9] == b"YUV4MPEG2")
    if not y4m and args.size is None:
        parser.error("raw video needs its frame size: --size WxH (a y4m stream carries its own)")
    if args.pix_fmt not in (None, "y4m"):
        try:
            pixelkit.pixfmt.pixel_format(args.pix_fmt)
        except ValueError as exc:
            parser.error(str(exc))
    if args.format == "png":
        pil_image()  # fail before reading anything
    os.makedirs(args.outdir, exist_ok=True)
    bar = Progress(None, "frame", "frames")
    written = 0
    try:
        if y4m:
            source: Any = pixelkit.iter_y4m(stdin)
        else:
            width, height = args.size
            source = pixelkit.iter_raw_frames(stdin, width, height, args.pix_fmt or "rgb24")
        for index, frame in enumerate(source):
            if index % args.every == 0:
                result = frame if op is None else op(frame)
                path = os.path.join(args.outdir, f"frame_{written:06d}.{args.format}")
                save(result, path, args.format, grey=is_grey(result))
                written += 1
                bar.update()
    except pixelkit.FormatError as exc:  # a trailing partial frame, a malformed y4m stream
        bar.error(failure(exc, "<stdin>"))
        return 1
    finally:
        bar.close()
    return 0


# ---- the command line ----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pixelkit", description="Raw RGB, PPM, PGM and PNG images at C speed.")
    parser.add_argument("-V", "--version", action="version", version=f"pixelkit {pixelkit.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="format, size and maxval of image files (headers only)")
    info.add_argument("files", nargs="+", metavar="FILE")
    info.add_argument("--size", type=size_arg, metavar="WxH", help="for raw files: check that they hold such frames")
    info.set_defaults(run=cmd_info, parser=info)

    convert = commands.add_parser(
        "convert", help="convert between raw rgb24, PPM, PGM, PNG and Y4M (by extension)",
        description="Formats by extension: .ppm/.pnm, .pgm, .png (needs Pillow), .y4m (one frame of it, or one frame "
        "written as a video), anything else raw rgb24.",
    )  # fmt: skip
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.add_argument("--size", type=size_arg, metavar="WxH", help="the size of a raw IN")
    convert.add_argument("--frame", type=frame_index, metavar="N", help="a .y4m IN: the frame to take, from 0")
    convert.add_argument("--fps", default="25", metavar="RATE", help="a .y4m OUT: its frame rate (default 25)")
    convert.set_defaults(run=cmd_convert, parser=convert)

    apply = commands.add_parser(
        "apply", help="apply an operation to many image files in parallel",
        description="Outputs keep the input's name and format; a failed file does not stop the others.",
    )  # fmt: skip
    apply.add_argument("op", choices=tuple(OPS), metavar="OP", help=f"one of: {', '.join(OPS)}")
    apply.add_argument("inputs", nargs="+", metavar="INPUT")
    where = apply.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--outdir", metavar="OUTDIR", help="write the results here (created if needed)")
    where.add_argument("--in-place", action="store_true", help="replace each input (atomically)")
    apply.add_argument("--input-size", type=size_arg, metavar="WxH", help="the size of raw rgb24 inputs")
    apply.add_argument("-j", "--jobs", type=positive_int, help="files processed at once (default: the cores)")
    add_op_options(apply, ("--size", "--to"))
    apply.set_defaults(run=cmd_apply, parser=apply)

    frames = commands.add_parser(
        "frames", help="split raw or y4m video from stdin into image files",
        description="e.g. ffmpeg -i in.mp4 -f rawvideo -pix_fmt yuv420p - | pixelkit frames --pix-fmt yuv420p "
        "--size 1920x1080 -o out, or ffmpeg -i in.mp4 -f yuv4mpegpipe - | pixelkit frames -o out",
    )  # fmt: skip
    frames.add_argument("--size", type=size_arg, metavar="WxH", help="the frame size of raw video")
    frames.add_argument(
        "--pix-fmt", metavar="FMT", help="ffmpeg's name of the raw frames' format (default rgb24), or y4m; "
        "a stream starting with a YUV4MPEG2 header is read as y4m",
    )  # fmt: skip
    frames.add_argument("--every", type=positive_int, default=1, metavar="N", help="keep every Nth frame")
    frames.add_argument("-o", "--outdir", metavar="OUTDIR", required=True, help="where frame_000000.EXT go")
    frames.add_argument("--format", choices=("ppm", "png", "pgm"), default="ppm", help="default ppm")
    frames.add_argument("--op", choices=tuple(OPS), metavar="OP", help=f"apply one of: {', '.join(OPS)}")
    add_op_options(frames, ("--to",))
    frames.set_defaults(run=cmd_frames, parser=frames)

    build = commands.add_parser(
        "build", help="build your own C/C++ kernels over pixelkit images into a typed module",
        description=build_cli.DESCRIPTION,
    )  # fmt: skip
    build_cli.add_arguments(build)
    build.set_defaults(run=lambda args, _parser: build_cli.run(args), parser=build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pixelkit`` command line (the console script and ``python -m pixelkit``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 success, 1 failure (one line ``pixelkit: ...`` per
        failed file on stderr; the other files still complete), 2 usage error,
        130 interrupted.

    Raises
    ------
    Exception
        None that a user can cause: missing or malformed files, wrong sizes,
        ``OSError``, ``ValueError`` and ``MemoryError`` are reported on stderr and
        give status 1, usage errors (argparse's ``SystemExit``) status 2, Ctrl-C 130.

    Examples
    --------
    >>> from pixelkit.cli import main
    >>> pixelkit.write_ppm(pixelkit.Image(4, 3), tmp / "a.ppm")
    >>> main(["info", f"{tmp}/a.ppm"])
    /.../a.ppm: PPM P6, 4x3, maxval 255, 47 bytes
    0
    >>> main(["convert", f"{tmp}/a.ppm", f"{tmp}/a.rgb"]), main(["info", f"{tmp}/a.rgb", "--size", "4x3"])
    /.../a.rgb: raw, 36 bytes, fits 4x3 rgb24 exactly
    (0, 0)
    >>> main(["apply", "invert", f"{tmp}/a.ppm", "-o", f"{tmp}/inverted"])
    0
    >>> pixelkit.read_ppm(tmp / "inverted" / "a.ppm")[0, 0]
    (255, 255, 255)
    >>> main(["info", f"{tmp}/missing.ppm"])  # stderr: pixelkit: /.../missing.ppm: No such file or directory
    1
    """
    parser = build_parser()
    try:
        args, rest = parser.parse_known_args(argv)
        if rest:  # options between positionals (info a.rgb --size 8x6 b.rgb): parse the command again
            words = list(sys.argv[1:] if argv is None else argv)
            args = args.parser.parse_intermixed_args(words[words.index(args.command) + 1 :])
        status: int = args.run(args, args.parser)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except BrokenPipeError:  # stdout closed early (pixelkit info ... | head -1): stop quietly
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except USER_ERRORS as exc:
        print(failure(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status
