"""Resizing in tiles (resize_source / resize_part) and the gaussian's reach.

A tile computed from a piece of the source must equal the same pixels of the
whole-image resize, which in turn is checked against cv2.resize; here each
tile is also compared with cv2.resize's output directly.  Each piece is copied
into a fresh buffer with random bytes all around it, so a kernel reading
outside the rectangle resize_source reports would change the tile.
"""

from __future__ import annotations

import itertools
from typing import get_args

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import pixelkit
from kernel_refs import assert_close_unbiased, ref_resize_exact
from pixelkit._native import ffi, lib
from pixelkit.ops import Rect, ResizeMethod, gaussian_radius, resize_part, resize_source

METHODS: tuple[ResizeMethod, ...] = get_args(ResizeMethod)
CV2_METHOD = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA}


def in_noise(piece: NDArray[np.uint8], seed: int) -> NDArray[np.uint8]:
    """``piece`` copied into a fresh, larger buffer of random bytes; returns the view of the copy.

    The copy has rows and columns of noise on every side (and the buffer's rows are longer than
    the piece's), so a kernel that reads one pixel outside the piece, before or after it in
    memory, gets noise into its result.
    """
    height, width = piece.shape[:2]
    top, left, bottom, right = 3, 2, 4, 5
    noise = np.random.default_rng(seed).integers(
        0, 256, (height + top + bottom, width + left + right, 3), dtype=np.uint8
    )
    inner = noise[top : top + height, left : left + width]
    inner[...] = piece
    return inner


def tile_of_resize(
    img: NDArray[np.uint8], size: tuple[int, int], part: Rect, method: ResizeMethod
) -> NDArray[np.uint8]:
    """Resize ``part`` from exactly the piece of ``img`` that resize_source names.

    The piece travels alone, in a fresh buffer surrounded by noise: nothing outside the
    rectangle resize_source reports is there to read.
    """
    height, width = img.shape[:2]
    src = resize_source((width, height), size, part, method)
    piece = in_noise(img[src.y : src.y + src.height, src.x : src.x + src.width], src.x * 7919 + src.y)
    return np.asarray(resize_part(piece, (src.x, src.y), (width, height), size, part, method))


@st.composite
def resize_cases(draw: st.DrawFn) -> tuple[NDArray[np.uint8], tuple[int, int], Rect, ResizeMethod]:
    sw, sh = draw(st.integers(1, 90)), draw(st.integers(1, 90))
    kind = draw(st.sampled_from(["any", "half", "double", "integer"]))
    if kind == "half":
        dw, dh = max(1, sw // 2), max(1, sh // 2)
    elif kind == "double":
        dw, dh = 2 * sw, 2 * sh
    elif kind == "integer":
        fx, fy = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        dw, dh = max(1, sw // fx), max(1, sh // fy)
        sw, sh = dw * fx, dh * fy
    else:
        dw, dh = draw(st.integers(1, 120)), draw(st.integers(1, 120))
    x, y = draw(st.integers(0, dw - 1)), draw(st.integers(0, dh - 1))
    part = Rect(x, y, draw(st.integers(1, dw - x)), draw(st.integers(1, dh - y)))
    seed = draw(st.integers(0, 2**32 - 1))
    img = np.random.default_rng(seed).integers(0, 256, (sh, sw, 3), dtype=np.uint8)
    return img, (dw, dh), part, draw(st.sampled_from(METHODS))


@settings(max_examples=400, deadline=None)
@given(resize_cases())
def test_a_tile_equals_the_same_pixels_of_the_whole_resize(
    case: tuple[NDArray[np.uint8], tuple[int, int], Rect, ResizeMethod],
) -> None:
    img, size, part, method = case
    whole = np.asarray(pixelkit.resize(img, *size, method=method))
    tile = tile_of_resize(img, size, part, method)
    np.testing.assert_array_equal(tile, whole[part.y : part.y + part.height, part.x : part.x + part.width])
    reference = cv2.resize(img, size, interpolation=CV2_METHOD[method])
    rows, columns = slice(part.y, part.y + part.height), slice(part.x, part.x + part.width)
    exact = ref_resize_exact(img, *size, method)
    assert_close_unbiased(
        tile,
        reference[rows, columns],
        max_abs=0 if method == "nearest" else 1,
        exact=None if exact is None else exact[rows, columns],
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("source", "size"),
    [((1000, 600), (500, 300)), ((640, 480), (1280, 960)), ((999, 701), (333, 250)), ((300, 200), (421, 157))],
)
def test_a_grid_of_tiles_rebuilds_the_whole_resize(
    method: ResizeMethod, source: tuple[int, int], size: tuple[int, int], rng: np.random.Generator
) -> None:
    img = rng.integers(0, 256, (source[1], source[0], 3), dtype=np.uint8)
    whole = np.asarray(pixelkit.resize(img, *size, method=method))
    rebuilt = np.zeros_like(whole)
    xs = [0, size[0] // 3, size[0] // 3 + 1, size[0]]
    ys = [0, size[1] // 4, size[1] // 2, size[1]]
    for y0, y1 in itertools.pairwise(ys):
        for x0, x1 in itertools.pairwise(xs):
            rebuilt[y0:y1, x0:x1] = tile_of_resize(img, size, Rect(x0, y0, x1 - x0, y1 - y0), method)
    np.testing.assert_array_equal(rebuilt, whole)


def test_resize_source_names_the_rows_a_tile_reads() -> None:
    # Halving with the 2x2 mean reads exactly rows 2y, 2y + 1; bilinear doubling one row more each side.
    assert resize_source((100, 100), (50, 50), Rect(0, 10, 50, 5), "area") == Rect(0, 20, 100, 10)
    assert resize_source((100, 100), (200, 200), Rect(0, 20, 200, 10), "bilinear") == Rect(0, 9, 100, 7)
    assert resize_source((100, 100), (100, 100), Rect(3, 4, 5, 6), "nearest") == Rect(3, 4, 5, 6)


def test_resize_part_refuses_a_piece_that_does_not_cover_the_tile(rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    part = Rect(0, 5, 20, 5)
    src = resize_source((40, 40), (20, 20), part, "bilinear")
    short = img[src.y + 1 : src.y + src.height, : src.width]
    with pytest.raises(ValueError, match="must cover"):
        resize_part(short, (0, src.y + 1), (40, 40), (20, 20), part, "bilinear")


@pytest.mark.parametrize(
    "part", [Rect(0, 0, 0, 1), Rect(-1, 0, 1, 1), Rect(0, 0, 21, 1), Rect(19, 19, 2, 1), Rect(0, 20, 1, 1)]
)
def test_parts_outside_the_result_are_refused(part: Rect) -> None:
    with pytest.raises(ValueError, match="does not lie inside"):
        resize_source((40, 40), (20, 20), part)


def test_a_piece_placed_outside_the_source_is_refused(rng: np.random.Generator) -> None:
    piece = rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="does not lie inside the source"):
        resize_part(piece, (35, 0), (40, 40), (20, 20), Rect(0, 0, 1, 1))
    with pytest.raises(ValueError):
        resize_source((0, 40), (20, 20), Rect(0, 0, 1, 1))
    with pytest.raises(ValueError, match="method"):
        resize_source((40, 40), (20, 20), Rect(0, 0, 1, 1), "cubic")  # type: ignore[arg-type]


def test_the_c_functions_validate_their_tile() -> None:
    src = pixelkit.Image(8, 8)
    dst = pixelkit.Image(4, 4)
    assert lib.pk_resize_tile_source(ffi.cast("pk_resize_tile *", 0), lib.PK_RESIZE_BILINEAR) == lib.PK_ERR_NULL
    assert (
        lib.pk_resize_part(src._desc, dst._desc, lib.PK_RESIZE_BILINEAR, ffi.cast("pk_resize_tile *", 0))
        == lib.PK_ERR_NULL
    )
    tile = ffi.new(
        "pk_resize_tile *", {"src_width": 8, "src_height": 8, "dst_width": 4, "dst_height": 4, "dst": (0, 0, 4, 4)}
    )
    assert lib.pk_resize_tile_source(tile, 7) == lib.PK_ERR_ARGUMENT
    assert lib.pk_resize_tile_source(tile, lib.PK_RESIZE_AREA) == lib.PK_OK
    assert (tile.src.x, tile.src.y, tile.src.width, tile.src.height) == (0, 0, 8, 8)
    assert lib.pk_resize_part(src._desc, dst._desc, lib.PK_RESIZE_AREA, tile) == lib.PK_OK
    # A tile claiming more than the images hold, or a source part too small for it.
    for field, value in [("dst_width", 2**40), ("src_height", 0)]:
        bad = ffi.new("pk_resize_tile *", tile[0])
        setattr(bad, field, value)
        assert lib.pk_resize_part(src._desc, dst._desc, lib.PK_RESIZE_AREA, bad) == lib.PK_ERR_SIZE
    bad = ffi.new("pk_resize_tile *", tile[0])
    bad.dst.x = 2**63
    assert lib.pk_resize_tile_source(bad, lib.PK_RESIZE_AREA) == lib.PK_ERR_ARGUMENT
    bad = ffi.new("pk_resize_tile *", tile[0])
    bad.src.y = 1
    assert lib.pk_resize_part(src._desc, dst._desc, lib.PK_RESIZE_AREA, bad) == lib.PK_ERR_ARGUMENT
    bad = ffi.new("pk_resize_tile *", tile[0])
    bad.dst.width = 3
    assert lib.pk_resize_part(src._desc, dst._desc, lib.PK_RESIZE_AREA, bad) == lib.PK_ERR_SHAPE


@pytest.mark.parametrize("sigma", [0.3, 0.5, 0.8, 1.0, 1.25, 2.0, 3.3, 7.5])
def test_gaussian_radius_is_opencvs_kernel_half_size(sigma: float, rng: np.random.Generator) -> None:
    radius = gaussian_radius(sigma)
    img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    automatic = cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    explicit = cv2.GaussianBlur(img, (2 * radius + 1, 2 * radius + 1), sigma, borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(explicit, automatic)
    if sigma >= 1.0:  # below, the outermost taps round to zero in 8-bit fixed point
        smaller = cv2.GaussianBlur(img, (2 * radius - 1, 2 * radius - 1), sigma, borderType=cv2.BORDER_REFLECT_101)
        assert not np.array_equal(smaller, automatic)


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan"), 1e9])
def test_gaussian_radius_refuses_what_gaussian_blur_refuses(sigma: float) -> None:
    with pytest.raises(ValueError):
        gaussian_radius(sigma)
    assert lib.pk_gaussian_radius(sigma) == 0
