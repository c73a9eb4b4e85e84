"""Image.from_pil / Image.to_pil against numpy views of Pillow images.

Both directions copy: Pillow keeps RGB pixels 4 bytes apart in its own
memory.  The first tests pin down that Pillow behaviour (so the docstrings
stay true on a future Pillow); the rest check values, independence of the
copies, every mode with and without ``convert``, and a missing Pillow.
"""

from __future__ import annotations

import builtins
import ctypes
import gc
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image as PILImage

import pixelkit
from conftest import skip_unless_ci, subprocess_env

RandomRGB = Callable[[int, int], NDArray[np.uint8]]

ALL_MODES = ["1", "L", "LA", "P", "PA", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "I", "F",
             "I;16", "I;16L", "I;16B", "I;16N"]  # fmt: skip


def pil_pixels(pil: PILImage.Image) -> NDArray[Any]:
    """The independent reference: numpy's copy of a PIL image's pixels."""
    return np.array(pil)


# ---- what Pillow itself does (the evidence behind "always a copy") ----------------


def test_pillow_frombuffer_copies_rgb_but_maps_rgbx() -> None:
    width, height, stride = 5, 4, 5 * 3 + 4
    buf = bytearray(stride * height)
    rgb = PILImage.frombuffer("RGB", (width, height), buf, "raw", "RGB", stride, 1)
    buf[0] = 200
    assert rgb.getpixel((0, 0)) == (0, 0, 0)  # a copy: the write does not show
    assert not rgb.readonly
    # The same check does see sharing where Pillow maps the buffer.
    buf4 = bytearray(4 * width * height)
    rgbx = PILImage.frombuffer("RGBX", (width, height), buf4, "raw", "RGBX", 0, 1)
    buf4[0] = 200
    assert rgbx.getpixel((0, 0)) == (200, 0, 0, 0)
    assert rgbx.readonly


def test_pillow_stores_rgb_four_bytes_per_pixel() -> None:
    # Pillow exports its own storage to Arrow without copying: for RGB a
    # fixed-size list of 4 bytes per pixel (the format string is the first
    # field of the ArrowSchema struct).
    image = PILImage.new("RGB", (3, 2))
    if not hasattr(image, "__arrow_c_array__"):
        skip_unless_ci("Arrow export needs Pillow 11.2 (pip install -U pillow)")
    schema, _ = image.__arrow_c_array__()
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    fmt = ctypes.c_char_p.from_address(get(schema, b"arrow_schema")).value
    assert fmt == b"+w:4"


def test_importing_pixelkit_does_not_import_pillow() -> None:
    code = "import sys, pixelkit; img = pixelkit.Image(2, 2); assert 'PIL' not in sys.modules, 'PIL imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(),
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr


# ---- from_pil -------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (7, 3), (640, 480), (20000, 3), (2000, 2600)])
def test_from_pil_copies_the_pixels(random_rgb: RandomRGB, size: tuple[int, int]) -> None:
    # 20000 wide: one row is more than the 64 KiB encoder chunk; 2000x2600 spans
    # several of Pillow's 16 MiB blocks.
    expected = random_rgb(*size)
    pil = PILImage.fromarray(expected)
    img = pixelkit.Image.from_pil(pil)
    assert isinstance(img, pixelkit.Image)
    assert (img.width, img.height, img.stride) == (size[0], size[1], 3 * size[0])
    assert not img.readonly
    assert np.array_equal(img.array, expected)
    # A copy both ways: edits to one do not reach the other.
    img[0, 0] = (1, 2, 3)
    assert np.array_equal(pil_pixels(pil), expected)
    pil.putpixel((size[0] - 1, size[1] - 1), (9, 8, 7))
    edited = expected.copy()
    edited[0, 0] = (1, 2, 3)
    assert np.array_equal(img.array, edited)


def test_from_pil_of_a_frombuffer_image_does_not_share_the_buffer(random_rgb: RandomRGB) -> None:
    expected = random_rgb(6, 4)
    buf = bytearray(expected.tobytes())
    pil = PILImage.frombuffer("RGB", (6, 4), buf, "raw", "RGB", 0, 1)
    img = pixelkit.Image.from_pil(pil)
    assert not np.shares_memory(img.array, np.frombuffer(buf, np.uint8))
    buf[:] = bytes(len(buf))
    assert np.array_equal(img.array, expected)


def test_from_pil_of_a_lazily_loaded_file(tmp_path: Path, random_rgb: RandomRGB) -> None:
    expected = random_rgb(33, 17)
    PILImage.fromarray(expected).save(tmp_path / "a.png")
    with PILImage.open(tmp_path / "a.png") as pil:
        img = pixelkit.Image.from_pil(pil)
    assert np.array_equal(img.array, expected)


def test_from_pil_uses_the_encoder_not_tobytes(random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = random_rgb(300, 200)
    pil = PILImage.fromarray(expected)

    def refuse(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("tobytes called")

    monkeypatch.setattr(PILImage.Image, "tobytes", refuse)
    assert np.array_equal(pixelkit.Image.from_pil(pil).array, expected)


class _NoEncoder:
    pass


class _FailingEncoder:
    def __init__(self, status: int, data: bytes) -> None:
        self.result = (0, status, data)

    def setimage(self, *args: Any) -> None:
        pass

    def encode(self, bufsize: int) -> tuple[int, int, bytes]:
        return self.result


BREAKAGES: dict[str, Callable[..., Any]] = {
    "changed signature": lambda mode, name, args: (_ for _ in ()).throw(TypeError("unexpected argument")),
    "no such encoder": lambda mode, name, args: (_ for _ in ()).throw(ValueError("no raw encoder")),
    "different object": lambda mode, name, args: _NoEncoder(),
    "encoder error": lambda mode, name, args: _FailingEncoder(-2, b""),
    "too little data": lambda mode, name, args: _FailingEncoder(1, b"abc"),
    "too much data": lambda mode, name, args: _FailingEncoder(0, bytes(1 << 20)),
    "no progress": lambda mode, name, args: _FailingEncoder(0, b""),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_from_pil_falls_back_when_the_private_encoder_changes(
    random_rgb: RandomRGB, monkeypatch: pytest.MonkeyPatch, breakage: str
) -> None:
    # PIL.Image._getencoder is not public API: a Pillow where it behaves
    # differently must still give the right pixels (through np.asarray).
    expected = random_rgb(300, 200)
    pil = PILImage.fromarray(expected)
    real = PILImage._getencoder
    calls = []

    def first_call_broken(*args: Any) -> Any:
        calls.append(args)
        return BREAKAGES[breakage](*args) if len(calls) == 1 else real(*args)

    monkeypatch.setattr(PILImage, "_getencoder", first_call_broken)
    assert np.array_equal(pixelkit.Image.from_pil(pil).array, expected)
    assert len(calls) == 2  # the broken attempt, then tobytes() for np.asarray


@pytest.mark.parametrize("mode", ALL_MODES)
def test_from_pil_refuses_other_modes_without_convert(mode: str) -> None:
    with pytest.raises(ValueError, match=rf"mode '{mode}'.*convert=True"):
        pixelkit.Image.from_pil(PILImage.new(mode, (4, 3)))


@pytest.mark.parametrize("mode", ALL_MODES)
def test_from_pil_converts_every_mode(random_rgb: RandomRGB, mode: str) -> None:
    pil = PILImage.fromarray(random_rgb(9, 5)).convert(mode)
    img = pixelkit.Image.from_pil(pil, convert=True)
    assert np.array_equal(img.array, pil_pixels(pil.convert("RGB")))
    assert pil.mode == mode  # the caller's image is left alone


def test_converted_values_against_numpy(random_rgb: RandomRGB) -> None:
    gray = random_rgb(8, 6)[..., 0].copy()
    img = pixelkit.Image.from_pil(PILImage.fromarray(gray), convert=True)  # mode L
    assert np.array_equal(img.array, np.repeat(gray[..., None], 3, axis=2))
    rgba = np.concatenate([random_rgb(8, 6), random_rgb(8, 6)[..., :1]], axis=2)
    img = pixelkit.Image.from_pil(PILImage.fromarray(rgba), convert=True)  # alpha dropped
    assert np.array_equal(img.array, rgba[..., :3])
    palette = random_rgb(256, 1).reshape(-1)
    pal = PILImage.fromarray(gray).convert("P")
    pal.putpalette(palette.tolist())
    img = pixelkit.Image.from_pil(pal, convert=True)
    assert np.array_equal(img.array, palette.reshape(256, 3)[pil_pixels(pal)])
    bits = PILImage.fromarray(gray > 127)  # mode 1
    img = pixelkit.Image.from_pil(bits, convert=True)
    assert np.array_equal(img.array, np.repeat(np.where(gray > 127, 255, 0)[..., None], 3, axis=2))
    img = pixelkit.Image.from_pil(PILImage.new("RGB", (2, 2), (5, 6, 7)), convert=True)  # RGB: no-op
    assert img.array.reshape(-1, 3).tolist() == [[5, 6, 7]] * 4


def test_from_pil_reports_a_mode_pillow_cannot_convert() -> None:
    with pytest.raises(ValueError, match="cannot convert mode 'La'"):
        pixelkit.Image.from_pil(PILImage.new("La", (2, 2)), convert=True)


@pytest.mark.parametrize("obj", [np.zeros((2, 2, 3), np.uint8), b"\0" * 12, None, "a.png"])
def test_from_pil_refuses_non_pil_objects(obj: object) -> None:
    with pytest.raises(TypeError, match=r"PIL\.Image\.Image"):
        pixelkit.Image.from_pil(obj)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"PIL\.Image\.Image"):
        pixelkit.Image.from_pil(pixelkit.Image(2, 2))  # type: ignore[arg-type]


def test_from_pil_refuses_an_empty_image() -> None:
    with pytest.raises(ValueError, match="width"):
        pixelkit.Image.from_pil(PILImage.new("RGB", (0, 3)))


# ---- to_pil ---------------------------------------------------------------------


def _padded(expected: NDArray[np.uint8], pad: int) -> pixelkit.Image:
    """``expected`` in a buffer whose rows carry ``pad`` bytes of 0xAB."""
    height, width, _ = expected.shape
    stride = 3 * width + pad
    buf = bytearray(b"\xab" * (stride * height))
    np.frombuffer(buf, np.uint8).reshape(height, stride)[:, : 3 * width] = expected.reshape(height, -1)
    return pixelkit.Image.from_buffer(buf, width, height, stride)


@pytest.mark.parametrize("size", [(1, 1), (1, 9), (9, 1), (31, 17), (640, 480)])
def test_to_pil_copies_the_pixels(random_rgb: RandomRGB, size: tuple[int, int]) -> None:
    expected = random_rgb(*size)
    img = pixelkit.Image(*size)
    img.array[...] = expected
    pil = img.to_pil()
    assert isinstance(pil, PILImage.Image)
    assert (pil.mode, pil.size) == ("RGB", size)
    assert np.array_equal(pil_pixels(pil), expected)
    assert not pil.readonly
    # A copy both ways.
    pixelkit.invert(img, out=img)
    assert np.array_equal(pil_pixels(pil), expected)
    pil.putpixel((0, 0), (1, 2, 3))
    assert img[0, 0] == tuple((255 - expected[0, 0]).tolist())
    # The PIL image does not need the pixelkit memory.
    del img
    gc.collect()
    assert np.array_equal(pil_pixels(pil)[1:], expected[1:])


@pytest.mark.parametrize("pad", [1, 3, 64])
def test_to_pil_of_padded_rows_and_crops(random_rgb: RandomRGB, pad: int) -> None:
    expected = random_rgb(23, 11)
    img = _padded(expected, pad)
    assert np.array_equal(pil_pixels(img.to_pil()), expected)
    crop = img.crop(5, 2, 13, 9)  # ends before the last row and column
    assert np.array_equal(pil_pixels(crop.to_pil()), expected[2:11, 5:18])
    corner = img.crop(22, 10, 1, 1)  # the very last pixel of the buffer
    assert np.array_equal(pil_pixels(corner.to_pil()), expected[10:, 22:])


def test_to_pil_of_a_numpy_slice(random_rgb: RandomRGB) -> None:
    big = random_rgb(40, 30)
    view = big[3:20, 7:33]
    assert np.array_equal(pil_pixels(pixelkit.Image.from_array(view).to_pil()), view)


def test_to_pil_of_readonly_images(random_rgb: RandomRGB, tmp_path: Path) -> None:
    expected = random_rgb(12, 7)
    img = pixelkit.Image.from_buffer(expected.tobytes(), 12, 7)
    assert img.readonly
    pil = img.to_pil()
    assert np.array_equal(pil_pixels(pil), expected)
    pil.putpixel((0, 0), (0, 0, 0))  # writable, and independent
    assert img[0, 0] == tuple(expected[0, 0].tolist())
    pixelkit.write_raw(expected, tmp_path / "f.rgb")
    with pixelkit.open_raw(tmp_path / "f.rgb", 12, 7, mode="r") as mapped:
        assert mapped.readonly
        assert np.array_equal(pil_pixels(mapped.crop(1, 1, 10, 5).to_pil()), expected[1:6, 1:11])


@settings(max_examples=40, deadline=None)
@given(
    width=st.integers(1, 40), height=st.integers(1, 20), pad=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_round_trips(width: int, height: int, pad: int, seed: int) -> None:
    expected = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    img = _padded(expected, pad)
    pil = img.to_pil()
    assert np.array_equal(pil_pixels(pil), expected)
    again = pixelkit.Image.from_pil(pil)
    assert np.array_equal(again.array, expected)
    assert not np.shares_memory(again.array, img.array)


# ---- without Pillow ---------------------------------------------------------------


def _check_missing_pillow() -> None:
    with pytest.raises(ImportError, match=r"^Pillow is required for Image\.from_pil: pip install 'pixelkit\[png\]'$"):
        pixelkit.Image.from_pil(object())  # type: ignore[arg-type]
    with pytest.raises(ImportError, match=r"^Pillow is required for Image\.to_pil: pip install 'pixelkit\[png\]'$"):
        pixelkit.Image(2, 2).to_pil()


def test_missing_pillow_in_sys_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name == "PIL" or name.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `import PIL` raise ImportError
    _check_missing_pillow()


def test_missing_pillow_on_import(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pillow(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "PIL" or name.startswith("PIL."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pillow)
    _check_missing_pillow()
