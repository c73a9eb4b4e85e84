"""Tests of the ``pixelkit`` command line (pixelkit.cli, ``python -m pixelkit``).

The CLI runs both in child processes (``python -m pixelkit``, as a user
runs it, with a real pipe or terminal) and in-process through
``pixelkit.cli.main``.  Inputs come from ffmpeg, netpbm and ImageMagick;
results are checked against Pillow, numpy and OpenCV, never against
pixelkit itself.
"""

from __future__ import annotations

import fcntl
import glob
import io
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image as PILImage

import pixelkit
import pixelkit.netpbm
from conftest import CHILD_PEAK_RSS, require_module, require_tool, run_tool, subprocess_env
from kernel_refs import assert_close_unbiased
from pixelkit.cli import main

FIXTURES = Path(__file__).resolve().parent / "data" / "netpbm"
SUBCOMMANDS = ("info", "convert", "apply", "frames")


# ---- helpers ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test runs in its own directory (relative paths, stray outputs)."""
    monkeypatch.chdir(tmp_path)


def cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -m pixelkit ARGS`` in a child process (stdin, stdout, stderr are pipes)."""
    return subprocess.run(
        [sys.executable, "-m", "pixelkit", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=subprocess_env(),
        cwd=cwd,
        timeout=60,
        check=False,
    )


def cli_with_terminal(*args: str, stdin: bytes) -> tuple[int, bytes, bytes]:
    """(status, stdout, stderr) of ``python -m pixelkit ARGS`` whose stderr is a terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    chunks: list[bytes] = []

    def drain() -> None:  # read while the child runs, so it never blocks on a full terminal
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        child = subprocess.run(
            [sys.executable, "-m", "pixelkit", *args],
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=slave,
            env=subprocess_env(),
            timeout=60,
            check=False,
        )
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)
    return child.returncode, child.stdout, b"".join(chunks)


def lavfi_testsrc(width: int, height: int, frames: int) -> list[str]:
    """ffmpeg's arguments for ``frames`` frames of its test pattern."""
    return f"-v error -f lavfi -i testsrc=size={width}x{height}:rate=25 -frames:v {frames}".split()


RAWVIDEO = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]


def ffmpeg_frame(path: Path, width: int = 64, height: int = 48, *extra: str) -> Path:
    """A frame of ffmpeg's test pattern, in the format the extension names."""
    run_tool("ffmpeg", *lavfi_testsrc(width, height, 1), *extra, str(path))
    return path


def ffmpeg_video(width: int, height: int, count: int) -> bytes:
    return run_tool("ffmpeg", *lavfi_testsrc(width, height, count), *RAWVIDEO)


def pil_rgb(path: Path) -> NDArray[np.uint8]:
    with PILImage.open(path) as image:
        return np.asarray(image.convert("RGB"))


def pil_file(path: Path) -> tuple[str, str, NDArray[np.uint8]]:
    """(format, mode, pixels) as Pillow reads ``path``."""
    with PILImage.open(path) as image:
        return image.format, image.mode, np.asarray(image)


def error_lines(stderr: str | bytes) -> list[str]:
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    assert "Traceback" not in text
    return text.splitlines()


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---- help and usage ----------------------------------------------------------------------


def test_help_of_every_subcommand_in_a_child_process() -> None:
    for args in ([], *[[command] for command in SUBCOMMANDS]):
        result = cli(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert result.stdout.decode().startswith(f"usage: {' '.join(['pixelkit', *args])}")
        assert result.stderr == b""


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_in_process(capsys: pytest.CaptureFixture[str], command: str) -> None:
    status, out, err = run_main(capsys, command, "--help")
    assert (status, err) == (0, "")
    assert out.startswith(f"usage: pixelkit {command}")
    assert "-h, --help" in out


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["bogus"],
        ["info"],
        ["info", "x.ppm", "--size", "64by48"],
        ["convert", "a.ppm"],
        ["convert", "a.rgb", "b.ppm"],  # raw input without --size
        ["convert", "a.ppm", "b.ppm", "--size", "8x6"],  # --size for a file with a header
        ["apply", "invert", "x.ppm"],  # neither -o nor --in-place
        ["apply", "invert", "x.ppm", "-o", "out", "--in-place"],
        ["apply", "sharpen", "x.ppm", "-o", "out"],
        ["apply", "invert", "x.ppm", "-o", "out", "--sigma", "2"],  # not an option of invert
        ["apply", "resize", "x.ppm", "-o", "out"],  # resize without a size
        ["apply", "blur", "--sigma", "0", "x.ppm", "-o", "out"],  # out of range, checked up front
        ["apply", "invert", "a.rgb", "-o", "out"],  # raw input without --input-size
        ["apply", "invert", "a/x.ppm", "b/x.ppm", "-o", "out"],  # both would write out/x.ppm
        ["apply", "invert", "x.ppm", "-o", "out", "-j", "0"],
        ["frames", "-o", "out"],
        ["frames", "--size", "8x6", "-o", "out", "--every", "0"],
        ["frames", "--size", "8x6", "-o", "out", "--sigma", "2"],  # an option without --op
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]) -> None:
    status, out, err = run_main(capsys, *args)
    assert status == 2
    assert out == ""
    assert "usage: pixelkit" in err and "error:" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_usage_error_in_a_child_process() -> None:
    result = cli("apply", "invert", "x.ppm")
    assert result.returncode == 2
    assert b"one of the arguments -o/--outdir --in-place is required" in result.stderr
    assert b"Traceback" not in result.stderr


# ---- info ---------------------------------------------------------------------------------


def test_info_reports_files_made_by_real_tools(tmp_path: Path) -> None:
    ffmpeg_frame(tmp_path / "testsrc.ppm")
    ffmpeg_frame(tmp_path / "testsrc_gray.pgm", 32, 24, "-pix_fmt", "gray")
    ffmpeg_frame(tmp_path / "testsrc.png")
    (tmp_path / "ramp.pgm").write_bytes(run_tool("pgmramp", "-lr", "16", "12"))
    require_tool("convert")
    run_tool("convert", "-size", "16x12", "gradient:", "-depth", "16", str(tmp_path / "gradient16.ppm"))
    run_tool("convert", "-size", "8x6", "gradient:", "-depth", "8", "-compress", "none", str(tmp_path / "plain.ppm"))
    run_tool("convert", "-size", "16x12", "gradient:", "-depth", "16", "-colorspace", "gray", str(tmp_path / "g16.png"))
    shutil.copy(FIXTURES / "ffmpeg_testsrc_3frames_8x6.ppm", tmp_path / "three.ppm")
    (tmp_path / "video.rgb").write_bytes(ffmpeg_video(32, 24, 3))
    (tmp_path / "noext").write_bytes((tmp_path / "testsrc.ppm").read_bytes())  # recognised by its bytes
    names = sorted(p.name for p in tmp_path.iterdir())

    result = cli("info", *names, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    size = {name: (tmp_path / name).stat().st_size for name in names}
    assert result.stdout.decode().splitlines() == [
        f"g16.png: PNG grey 16-bit, 16x12, maxval 65535, {size['g16.png']} bytes",
        f"gradient16.ppm: PPM P6, 16x12, maxval 65535, {size['gradient16.ppm']} bytes",
        f"noext: PPM P6, 64x48, maxval 255, {size['noext']} bytes",
        f"plain.ppm: PPM P3, 8x6, maxval 255, {size['plain.ppm']} bytes",
        f"ramp.pgm: PGM P5, 16x12, maxval 255, {size['ramp.pgm']} bytes",
        f"testsrc.png: PNG RGB 8-bit, 64x48, maxval 255, {size['testsrc.png']} bytes",
        f"testsrc.ppm: PPM P6, 64x48, maxval 255, {size['testsrc.ppm']} bytes",
        f"testsrc_gray.pgm: PGM P5, 32x24, maxval 255, {size['testsrc_gray.pgm']} bytes",
        f"three.ppm: PPM P6, 8x6, maxval 255, {size['three.ppm']} bytes ({2 * size['three.ppm'] // 3} after the image)",
        "video.rgb: raw, 6912 bytes",
    ]
    for args, expected in [
        (("--size", "32x24"), "video.rgb: raw, 6912 bytes, 3 frames of 32x24 rgb24"),
        (("--size", "32x72"), "video.rgb: raw, 6912 bytes, fits 32x72 rgb24 exactly"),
        (
            ("--size", "10x10"),
            "video.rgb: raw, 6912 bytes, does not fit 10x10 rgb24 (300 bytes a frame: 23 frames and 12 bytes)",
        ),
    ]:
        result = cli("info", "video.rgb", *args, cwd=tmp_path)
        assert (result.returncode, result.stdout.decode(), result.stderr) == (0, expected + "\n", b"")


def test_info_reads_headers_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "big.ppm"
    path.write_bytes(b"P6\n# a comment\n4000 3000\n255\n" + bytes(4000 * 3000 * 3))

    def no_pixels(*args: object) -> None:
        raise AssertionError("info read the pixels")

    monkeypatch.setattr(pixelkit.netpbm, "_read_samples", no_pixels)
    monkeypatch.setattr(pixelkit.netpbm, "read_payload", no_pixels)
    status, out, err = run_main(capsys, "info", str(path))
    assert (status, err) == (0, "")
    assert out == f"{path}: PPM P6, 4000x3000, maxval 255, {path.stat().st_size} bytes\n"


def test_info_reports_bad_files_on_one_line_each_and_continues(tmp_path: Path) -> None:
    ffmpeg_frame(tmp_path / "good.ppm")
    (tmp_path / "short.ppm").write_bytes((tmp_path / "good.ppm").read_bytes()[:500])
    (tmp_path / "text.ppm").write_bytes(b"hello")
    (tmp_path / "bitmap.pgm").write_bytes(b"P1\n2 2\n0 1 1 0\n")
    (tmp_path / "fake.png").write_bytes(b"GIF89a....")
    result = cli("info", "missing.ppm", "short.ppm", "text.ppm", "bitmap.pgm", "fake.png", "good.ppm", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.decode().startswith("good.ppm: PPM P6, 64x48")
    assert error_lines(result.stderr) == [
        "pixelkit: missing.ppm: No such file or directory",
        "pixelkit: short.ppm: PPM P6, 64x48, maxval 255, but the file ends at byte 500 of 9229",
        "pixelkit: text.ppm: bad magic number, expected P6 or P3 or P5 or P2; found b'he' (byte offset 0)",
        "pixelkit: bitmap.pgm: bad magic number, expected P6 or P3 or P5 or P2; "
        "it is a PBM (P1) file, which pixelkit does not read (byte offset 0)",
        "pixelkit: fake.png: not a PNG file (it starts with b'GIF89a..')",
    ]


# ---- convert --------------------------------------------------------------------------------


def test_convert_round_trips(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ffmpeg_frame(tmp_path / "src.ppm")
    reference = pil_rgb(tmp_path / "src.ppm")
    steps = [
        ("src.ppm", "a.png", []),
        ("a.png", "b.rgb", []),
        ("b.rgb", "c.ppm", ["--size", "64x48"]),
        ("c.ppm", "d.pnm", []),
        ("src.ppm", "e.pgm", []),
        ("e.pgm", "f.ppm", []),
        ("e.pgm", "g.png", []),
        ("g.png", "h.data", []),
    ]
    for source, target, extra in steps:
        assert run_main(capsys, "convert", source, target, *extra) == (0, "", "")
    assert pil_file(tmp_path / "a.png")[:2] == ("PNG", "RGB")
    assert np.array_equal(pil_rgb(tmp_path / "a.png"), reference)
    assert np.array_equal(np.fromfile(tmp_path / "b.rgb", np.uint8).reshape(48, 64, 3), reference)
    assert pil_file(tmp_path / "c.ppm")[:2] == ("PPM", "RGB")
    assert (
        (tmp_path / "c.ppm").read_bytes()
        == (tmp_path / "d.pnm").read_bytes()
        == b"P6\n64 48\n255\n" + reference.tobytes()
    )
    luma = np.asarray(PILImage.open(tmp_path / "src.ppm").convert("L"))  # Pillow's BT.601
    assert pil_file(tmp_path / "e.pgm")[1] == "L"
    assert np.array_equal(pil_file(tmp_path / "e.pgm")[2], luma)
    assert np.array_equal(pil_rgb(tmp_path / "f.ppm"), np.stack([luma] * 3, axis=2))
    assert pil_file(tmp_path / "g.png")[:2] == ("PNG", "L")
    assert np.array_equal(pil_file(tmp_path / "g.png")[2], luma)
    assert np.array_equal(np.fromfile(tmp_path / "h.data", np.uint8).reshape(48, 64, 3), np.stack([luma] * 3, axis=2))
    assert sorted(os.listdir(tmp_path)) == sorted(["src.ppm", *(target for _, target, _ in steps)])  # no temporaries


def test_convert_reads_what_other_tools_write(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    require_tool("convert")
    run_tool("convert", "-size", "64x48", "gradient:red-blue", "-depth", "16", "grad16.ppm")
    run_tool("convert", "grad16.ppm", "-depth", "8", "grad8.ppm")  # ImageMagick's own 8-bit version
    (tmp_path / "plain.pgm").write_bytes(run_tool("pnmtoplainpnm", stdin=run_tool("pgmramp", "-lr", "16", "12")))
    assert run_main(capsys, "convert", "grad16.ppm", "out.png") == (0, "", "")
    assert run_main(capsys, "convert", "plain.pgm", "ramp.ppm") == (0, "", "")
    # Within one level of ImageMagick's own 8-bit file, and a correct rounding of the 16-bit samples
    # (ImageMagick's is not: about a third of its samples are one level low).
    sixteen = np.frombuffer((tmp_path / "grad16.ppm").read_bytes()[-64 * 48 * 6 :], ">u2").reshape(48, 64, 3)
    exact = sixteen.astype(np.float64) * 255 / 65535
    assert_close_unbiased(pil_rgb(tmp_path / "out.png"), pil_rgb(tmp_path / "grad8.ppm"), exact=exact)
    ramp = np.asarray(PILImage.open(tmp_path / "plain.pgm"))
    assert np.array_equal(pil_rgb(tmp_path / "ramp.ppm"), np.stack([ramp] * 3, axis=2))


def test_convert_failures_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ffmpeg_frame(tmp_path / "x.ppm")
    (tmp_path / "odd.rgb").write_bytes(bytes(100))
    (tmp_path / "cut.png").write_bytes(ffmpeg_frame(tmp_path / "full.png").read_bytes()[:300])
    cases = [
        (["missing.ppm", "y.png"], "pixelkit: missing.ppm: No such file or directory"),
        (
            ["odd.rgb", "y.ppm", "--size", "8x6"],
            "pixelkit: odd.rgb: holds 100 bytes, but a 8x6 rgb24 image is 144 bytes",
        ),
        (["cut.png", "y.ppm"], "pixelkit: cut.png: image file is truncated"),
        (["x.ppm", "nodir/y.ppm"], "pixelkit: nodir/y.ppm: No such file or directory"),
        (["x.ppm", "nodir/y.png"], "pixelkit: nodir/y.png: No such file or directory"),
    ]
    for args, message in cases:
        status, out, err = run_main(capsys, "convert", *args)
        assert (status, out, error_lines(err)) == (1, "", [message])
    assert not (tmp_path / "y.ppm").exists() and not (tmp_path / "nodir").exists()


def test_convert_keeps_the_old_output_when_the_input_is_bad(tmp_path: Path) -> None:
    (tmp_path / "bad.ppm").write_bytes(b"P6\n64 48\n255\n" + bytes(10))
    (tmp_path / "out.png").write_bytes(b"old")
    result = cli("convert", "bad.ppm", "out.png", cwd=tmp_path)
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        "pixelkit: bad.ppm: the pixel data needs 9216 bytes at byte offset 13, but only 10 remain"
    ]
    assert (tmp_path / "out.png").read_bytes() == b"old"


# ---- apply ------------------------------------------------------------------------------------


def make_folder(folder: Path) -> dict[str, NDArray[np.uint8]]:
    """Images of every format from ffmpeg and netpbm, with their pixels as Pillow and numpy read them."""
    folder.mkdir()
    ffmpeg_frame(folder / "a.ppm")
    ffmpeg_frame(folder / "b.png", 40, 30)
    (folder / "c.pgm").write_bytes(run_tool("pgmramp", "-diag", "24", "20"))
    (folder / "d.rgb").write_bytes(ffmpeg_video(64, 48, 1))
    return {
        "a.ppm": pil_rgb(folder / "a.ppm"),
        "b.png": pil_rgb(folder / "b.png"),
        "c.pgm": np.asarray(PILImage.open(folder / "c.pgm")),
        "d.rgb": np.fromfile(folder / "d.rgb", np.uint8).reshape(48, 64, 3),
    }


def read_back(path: Path) -> NDArray[np.uint8]:
    if path.suffix == ".rgb":
        return np.fromfile(path, np.uint8).reshape(48, 64, 3)
    return pil_file(path)[2]


def test_apply_on_a_folder_with_a_corrupt_file(tmp_path: Path) -> None:
    originals = make_folder(tmp_path / "in")
    (tmp_path / "in" / "corrupt.ppm").write_bytes(b"P6\n64 48\n255\n" + bytes(100))
    (tmp_path / "in" / "noise.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    inputs = sorted(glob.glob(str(tmp_path / "in" / "*")))
    result = cli("apply", "invert", *inputs, "--input-size", "64x48", "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stdout == b""
    corrupt, noise = sorted(error_lines(result.stderr))
    assert corrupt == (
        f"pixelkit: {tmp_path}/in/corrupt.ppm: the pixel data needs 9216 bytes at byte offset 13, but only 100 remain"
    )
    assert noise.startswith(f"pixelkit: {tmp_path}/in/noise.png: ")  # Pillow's reason
    assert sorted(os.listdir(tmp_path / "out")) == sorted(originals)
    for name, pixels in originals.items():
        assert np.array_equal(read_back(tmp_path / "out" / name), 255 - pixels), name
    formats = {name: pil_file(tmp_path / "out" / name)[:2] for name in ("a.ppm", "b.png", "c.pgm")}
    assert formats == {"a.ppm": ("PPM", "RGB"), "b.png": ("PNG", "RGB"), "c.pgm": ("PPM", "L")}


def test_apply_ops_match_references(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    originals = make_folder(tmp_path / "in")
    inputs = sorted(str(tmp_path / "in" / name) for name in originals)
    size = ["--input-size", "64x48"]

    def colour(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
        return a if a.ndim == 3 else np.stack([a] * 3, axis=2)

    def grey(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
        return np.asarray(PILImage.fromarray(a).convert("L")) if a.ndim == 3 else a

    def gain(a: NDArray[np.uint8]) -> NDArray[np.uint8]:
        v = np.clip((a / 255.0 - 0.5) * 1.5 + 0.5 + 0.1, 0.0, 1.0) ** (1 / 0.8)
        return np.floor(v * 255.0 + 0.5).astype(np.uint8)

    cases = [  # (arguments, numpy / OpenCV reference, tolerance)
        (["swap-rb"], lambda a: colour(a)[..., ::-1] if a.ndim == 3 else a, 0),
        (["flip-h"], np.fliplr, 0),
        (["flip-v"], np.flipud, 0),
        (["rotate", "--k", "3"], lambda a: np.rot90(a, 3), 0),
        (["gray"], grey, 0),
        (
            ["resize", "--size", "20x10", "--method", "nearest"],
            lambda a: cv2.resize(a, (20, 10), interpolation=cv2.INTER_NEAREST),
            0,
        ),
        (
            ["resize", "--to", "33x17", "--method", "area"],
            lambda a: cv2.resize(a, (33, 17), interpolation=cv2.INTER_AREA),
            1,
        ),
        (["blur", "--sigma", "1.5"], lambda a: cv2.GaussianBlur(a, (0, 0), 1.5, borderType=cv2.BORDER_REFLECT_101), 1),
        (["box-blur", "--radius", "2"], lambda a: cv2.blur(a, (5, 5), borderType=cv2.BORDER_REFLECT_101), 1),
        (["adjust", "--brightness", "0.1", "--contrast", "1.5", "--gamma", "0.8"], gain, 0),
    ]
    for args, reference, tolerance in cases:
        out = tmp_path / args[0] / args[-1]
        status, stdout, stderr = run_main(capsys, "apply", *args, *inputs, *size, "-o", str(out))
        assert (status, stdout, stderr) == (0, "", ""), args
        for name, pixels in originals.items():
            got = read_back(out / name) if name != "d.rgb" else np.fromfile(out / name, np.uint8)
            expected = reference(pixels)
            if name == "d.rgb":  # raw stays rgb24, with the result's own size
                expected = colour(expected).reshape(-1)
            elif name == "a.ppm":
                expected = colour(expected)
            assert got.shape == expected.shape, (args, name)
            assert_close_unbiased(got, expected, max_abs=tolerance)


def test_apply_in_place_replaces_each_file_atomically(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    originals = make_folder(tmp_path / "in")
    inputs = [tmp_path / "in" / name for name in sorted(originals)]
    os.chmod(inputs[0], 0o640)
    inodes = [p.stat().st_ino for p in inputs]
    status, out, err = run_main(capsys, "apply", "flip-v", "--in-place", "--input-size", "64x48", *map(str, inputs))
    assert (status, out, err) == (0, "", "")
    assert sorted(os.listdir(tmp_path / "in")) == sorted(originals)  # no temporaries left
    assert all(p.stat().st_ino != inode for p, inode in zip(inputs, inodes, strict=True))  # renamed over
    assert inputs[0].stat().st_mode & 0o777 == 0o640
    for path in inputs:
        assert np.array_equal(read_back(path), np.flipud(originals[path.name]))


def test_apply_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    require_module("tqdm")
    originals = make_folder(tmp_path / "in")
    (tmp_path / "in" / "bad.pgm").write_bytes(b"P5 1 1 255")
    inputs = sorted(glob.glob(str(tmp_path / "in" / "*")))
    args = ["apply", "invert", *inputs, "--input-size", "64x48", "-o"]

    status, stdout, terminal = cli_with_terminal(*args, str(tmp_path / "tty"), stdin=b"")
    assert (status, stdout) == (1, b"")
    text = terminal.decode()
    assert re.search(r"invert: 100%\|.*\| 5/5 \[", text), text
    assert f"pixelkit: {tmp_path}/in/bad.pgm: the pixel data needs 1 bytes" in text
    assert "Traceback" not in text

    piped = cli(*args, str(tmp_path / "pipe"))
    assert (piped.returncode, piped.stdout) == (1, b"")
    assert error_lines(piped.stderr) == [
        f"pixelkit: {tmp_path}/in/bad.pgm: the pixel data needs 1 bytes at byte offset 10, but only 0 remain"
    ]
    for name in originals:
        assert (tmp_path / "tty" / name).read_bytes() == (tmp_path / "pipe" / name).read_bytes()


# ---- frames ---------------------------------------------------------------------------------


def pipe_ffmpeg_into_cli(
    width: int, height: int, count: int, *args: str, tail: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """ffmpeg's raw rgb24 video through a pipe into ``python -m pixelkit frames``."""
    require_tool("ffmpeg")
    ffmpeg = subprocess.Popen(["ffmpeg", *lavfi_testsrc(width, height, count), *RAWVIDEO], stdout=subprocess.PIPE)
    assert ffmpeg.stdout is not None
    command = [sys.executable, "-m", "pixelkit", "frames", *args]
    if tail:  # ffmpeg's frames, then a partial one: relayed by this process
        stdin: Any = None
        data = ffmpeg.stdout.read() + tail
    else:
        stdin, data = ffmpeg.stdout, None
    result = subprocess.run(
        command, stdin=stdin, input=data, capture_output=True, env=subprocess_env(), timeout=60, check=False
    )
    ffmpeg.stdout.close()
    assert ffmpeg.wait(timeout=60) == 0
    return result


def reference_frames(tmp_path: Path, width: int, height: int, count: int) -> list[NDArray[np.uint8]]:
    """The same frames decoded by ffmpeg into PPM files, read by Pillow."""
    folder = tmp_path / "reference"
    folder.mkdir()
    run_tool("ffmpeg", *lavfi_testsrc(width, height, count), str(folder / "%03d.ppm"))
    return [pil_rgb(folder / f"{i + 1:03d}.ppm") for i in range(count)]


def test_frames_from_ffmpeg_every_2_with_an_op(tmp_path: Path) -> None:
    expected = reference_frames(tmp_path, 64, 48, 7)
    result = pipe_ffmpeg_into_cli(
        64, 48, 7, "--size", "64x48", "--every", "2", "--op", "flip-h", "-o", str(tmp_path / "out")
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert sorted(os.listdir(tmp_path / "out")) == [f"frame_{i:06d}.ppm" for i in range(4)]
    for i, frame in enumerate(expected[::2]):
        assert np.array_equal(pil_rgb(tmp_path / "out" / f"frame_{i:06d}.ppm"), np.fliplr(frame))


@pytest.mark.parametrize("fmt", ["png", "pgm"])
def test_frames_formats_and_a_trailing_partial_frame(tmp_path: Path, fmt: str) -> None:
    expected = reference_frames(tmp_path, 32, 24, 3)
    args = ["--size", "32x24", "--format", fmt, "--op", "adjust", "--gamma", "2", "-o", str(tmp_path / "out")]
    result = pipe_ffmpeg_into_cli(32, 24, 3, *args, tail=bytes(100))
    assert (result.returncode, result.stdout) == (1, b"")
    assert error_lines(result.stderr) == [
        "pixelkit: <stdin>: frame 3 (32x24 rgb24) ends early: expected 2304 bytes at byte offset 6912, got 100"
    ]
    lut = np.floor((np.arange(256) / 255.0) ** 0.5 * 255.0 + 0.5).astype(np.uint8)
    assert sorted(os.listdir(tmp_path / "out")) == [f"frame_{i:06d}.{fmt}" for i in range(3)]
    for i, frame in enumerate(expected):
        image = PILImage.fromarray(lut[frame])
        reference = np.asarray(image.convert("L") if fmt == "pgm" else image)
        assert np.array_equal(pil_file(tmp_path / "out" / f"frame_{i:06d}.{fmt}")[2], reference)


def test_frames_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    require_module("tqdm")
    video = ffmpeg_video(32, 24, 5)
    status, stdout, terminal = cli_with_terminal(
        "frames", "--size", "32x24", "--every", "2", "-o", str(tmp_path), stdin=video
    )
    assert (status, stdout) == (0, b"")
    assert re.search(rb"frames: 3frame \[", terminal), terminal
    assert sorted(os.listdir(tmp_path)) == [f"frame_{i:06d}.ppm" for i in range(3)]


def test_frames_streams_in_constant_memory(tmp_path: Path) -> None:
    """300 MB of 1280x720 frames through a process whose peak memory stays far below that."""
    frames = 110
    measure = (
        "import sys; from pixelkit.cli import main; status = main(sys.argv[1:]); "
        f"print({CHILD_PEAK_RSS} // 1024, file=sys.stderr); sys.exit(status)"
    )
    source = subprocess.Popen(["head", "-c", str(frames * 1280 * 720 * 3), "/dev/zero"], stdout=subprocess.PIPE)
    result = subprocess.run(
        [sys.executable, "-c", measure, "frames", "--size", "1280x720", "--every", "50", "-o", str(tmp_path)],
        stdin=source.stdout,
        capture_output=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert source.stdout is not None
    source.stdout.close()
    source.wait()
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["frame_000000.ppm", "frame_000001.ppm", "frame_000002.ppm"]
    peak_kib = int(result.stderr.decode().split()[-1])
    assert peak_kib < 150 * 1024, peak_kib


def test_frames_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    video = rng.integers(0, 256, size=(5, 6, 8, 3), dtype=np.uint8)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(video.tobytes())))
    status, out, err = run_main(
        capsys, "frames", "--size", "8x6", "--every", "3", "--op", "rotate", "-o", str(tmp_path)
    )
    assert (status, out, err) == (0, "", "")
    for i, frame in enumerate(video[::3]):
        assert np.array_equal(pil_rgb(tmp_path / f"frame_{i:06d}.ppm"), np.rot90(frame))


# ---- optional dependencies ----------------------------------------------------------------------


def test_without_pillow_png_fails_clearly_and_the_rest_works(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ffmpeg_frame(tmp_path / "x.ppm")
    ffmpeg_frame(tmp_path / "y.png")
    for module in [name for name in sys.modules if name == "PIL" or name.startswith("PIL.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "PIL", None)
    hint = "PNG needs Pillow: pip install 'pixelkit[png]'"

    status, out, err = run_main(capsys, "convert", "x.ppm", "x.png")
    assert (status, out, error_lines(err)) == (1, "", [f"pixelkit: x.png: {hint}"])
    status, out, err = run_main(capsys, "convert", "y.png", "y.ppm")
    assert (status, out, error_lines(err)) == (1, "", [f"pixelkit: y.png: {hint}"])
    assert run_main(capsys, "convert", "x.ppm", "x.pgm") == (0, "", "")
    status, out, err = run_main(capsys, "info", "y.png")  # headers need no Pillow
    assert (status, err) == (0, "") and out.startswith("y.png: PNG RGB 8-bit, 64x48")

    status, out, err = run_main(capsys, "apply", "invert", "x.ppm", "y.png", "-o", "out")
    assert (status, out, error_lines(err)) == (1, "", [f"pixelkit: y.png: {hint}"])
    assert os.listdir("out") == ["x.ppm"]

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(bytes(8 * 6 * 3))))
    status, out, err = run_main(capsys, "frames", "--size", "8x6", "--format", "png", "-o", "frames")
    assert (status, out, error_lines(err)) == (1, "", [f"pixelkit: {hint}"])
    assert not os.path.exists("frames")
    assert sorted(os.listdir(tmp_path)) == ["out", "x.pgm", "x.ppm", "y.png"]


def test_without_tqdm_everything_works(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # a bar would show, if tqdm were there
    originals = make_folder(tmp_path / "in")
    (tmp_path / "in" / "bad.ppm").write_bytes(b"P7")
    inputs = sorted(glob.glob(str(tmp_path / "in" / "*")))
    status, out, err = run_main(
        capsys, "apply", "swap-rb", "--input-size", "64x48", "-o", str(tmp_path / "out"), *inputs
    )
    assert (status, out) == (1, "")
    assert error_lines(err) == [
        f"pixelkit: {tmp_path}/in/bad.ppm: bad magic number, expected P6 or P3; "
        "it is a PAM (P7) file, which read_ppm (use read_pgm for greyscale) does not read (byte offset 0)"
    ]
    assert sorted(os.listdir(tmp_path / "out")) == sorted(originals)


def test_apply_gives_the_same_files_for_any_number_of_jobs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    originals = make_folder(tmp_path / "in")
    inputs = sorted(glob.glob(str(tmp_path / "in" / "*")))
    threads = pixelkit.get_num_threads()
    for jobs in ("1", "3"):
        args = ["apply", "blur", "--sigma", "2", "--input-size", "64x48", "-j", jobs, "-o", str(tmp_path / jobs)]
        assert run_main(capsys, *args, *inputs) == (0, "", "")
    assert pixelkit.get_num_threads() == threads  # the kernels' own threads are left as they were
    for name in originals:
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "3" / name).read_bytes()


def test_info_stops_quietly_when_stdout_closes(tmp_path: Path) -> None:
    ffmpeg_frame(tmp_path / "x.ppm")
    command = [sys.executable, "-m", "pixelkit", "info", *["x.ppm"] * 5000]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env())
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().startswith(b"x.ppm: PPM P6, 64x48")
    child.stdout.close()  # as `| head -1` does
    stderr = child.stderr.read()
    assert (child.wait(timeout=60), stderr) == (1, b"")
