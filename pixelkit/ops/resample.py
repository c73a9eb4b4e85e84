"""Resampling (c/resample.c): resize, and its tiles (:class:`Rect`, :func:`resize_source`, :func:`resize_part`)."""

from __future__ import annotations

import operator
from typing import Literal, NamedTuple, SupportsIndex

from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check
from pixelkit.image import Image, dimension
from pixelkit.ops._common import ImageLike, ImageOrArray, _output, _run
from pixelkit.rawio import as_image

ResizeMethod = Literal["nearest", "bilinear", "area"]
_RESIZE_METHODS = {
    "nearest": lib.PK_RESIZE_NEAREST,
    "bilinear": lib.PK_RESIZE_BILINEAR,
    "area": lib.PK_RESIZE_AREA,
}


def resize(
    img: ImageLike,
    width: SupportsIndex,
    height: SupportsIndex,
    method: ResizeMethod = "bilinear",
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """Resize to ``width`` x ``height`` as OpenCV's ``cv2.resize`` does.

    ``"nearest"`` equals ``INTER_NEAREST`` exactly; ``"bilinear"``
    (``INTER_LINEAR``) and ``"area"`` (``INTER_AREA``) agree within one level.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array.
    width, height : int
        The result's size.
    method : {"bilinear", "nearest", "area"}, optional
        The interpolation (default ``"bilinear"``); ``"area"`` is the one for shrinking.
    out : Image or numpy.ndarray, optional
        Where to write the result, of shape ``(height, width, 3)``.

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an array, or a size is not an integer.
    ValueError
        A size out of range, an unknown ``method``, or an ``out`` of another shape or read-only.

    Examples
    --------
    >>> img = pixelkit.Image(4, 4)
    >>> img.array[:, 2:] = 200
    >>> pixelkit.resize(img, 2, 2, method="area").array[:, :, 0].tolist()
    [[0, 200], [0, 200]]
    >>> pixelkit.resize(img, 8, 6, method="nearest")
    <pixelkit.Image 8x6 stride=24>
    """
    w, h = dimension(width, "width"), dimension(height, "height")
    if method not in _RESIZE_METHODS:
        raise ValueError(f"method must be one of {tuple(_RESIZE_METHODS)}, got {method!r}")
    src = as_image(img)
    dst = _output(out, w, h, "resize")
    code = _RESIZE_METHODS[method]
    _run("resize", lambda s, d: lib.pk_resize(s, d, code), src, dst, in_place=False)
    return dst if out is None else out


class Rect(NamedTuple):
    """A rectangle of pixels inside a larger image: top-left corner and size.

    Parameters
    ----------
    x, y : int
        The top-left pixel.
    width, height : int
        The size in pixels.

    Examples
    --------
    >>> pixelkit.ops.Rect(0, 10, 64, 32)
    Rect(x=0, y=10, width=64, height=32)
    """

    x: int
    y: int
    width: int
    height: int


def _size_pair(size: tuple[SupportsIndex, SupportsIndex], name: str) -> tuple[int, int]:
    if not isinstance(size, tuple) or len(size) != 2:
        raise TypeError(f"{name} must be a (width, height) tuple")
    return dimension(size[0], f"{name} width"), dimension(size[1], f"{name} height")


def _tile(
    source_size: tuple[SupportsIndex, SupportsIndex], size: tuple[SupportsIndex, SupportsIndex], part: Rect
) -> CData:
    tile = ffi.new("pk_resize_tile *")
    tile.src_width, tile.src_height = _size_pair(source_size, "source_size")
    tile.dst_width, tile.dst_height = _size_pair(size, "size")
    x, y, width, height = (operator.index(v) for v in part)
    if x < 0 or y < 0 or width < 1 or height < 1 or x + width > tile.dst_width or y + height > tile.dst_height:
        raise ValueError(f"part {tuple(part)} does not lie inside the {tile.dst_width}x{tile.dst_height} result")
    tile.dst.x, tile.dst.y, tile.dst.width, tile.dst.height = x, y, width, height
    return tile


def _method_code(method: str) -> int:
    if method not in _RESIZE_METHODS:
        raise ValueError(f"method must be one of {tuple(_RESIZE_METHODS)}, got {method!r}")
    return int(_RESIZE_METHODS[method])


def resize_source(
    source_size: tuple[SupportsIndex, SupportsIndex],
    size: tuple[SupportsIndex, SupportsIndex],
    part: Rect,
    method: ResizeMethod = "bilinear",
) -> Rect:
    """The part of the source that computing ``part`` of a resize reads.

    Parameters
    ----------
    source_size : tuple of two ints
        (width, height) of the whole source.
    size : tuple of two ints
        (width, height) of the whole result.
    part : Rect
        A rectangle of the result.
    method : {"bilinear", "nearest", "area"}, optional
        The interpolation, as for :func:`pixelkit.resize`.

    Returns
    -------
    Rect
        The rectangle of the source to pass to :func:`resize_part`.

    Raises
    ------
    TypeError
        A size is not a (width, height) tuple of integers.
    ValueError
        A size out of range, ``part`` outside the result, or an unknown ``method``.

    Examples
    --------
    >>> pixelkit.ops.resize_source((100, 100), (50, 50), pixelkit.ops.Rect(0, 0, 10, 10), "area")
    Rect(x=0, y=0, width=20, height=20)
    """
    tile = _tile(source_size, size, part)
    check(lib.pk_resize_tile_source(tile, _method_code(method)), "resize_source")
    return Rect(tile.src.x, tile.src.y, tile.src.width, tile.src.height)


def resize_part(
    src: ImageLike,
    origin: tuple[SupportsIndex, SupportsIndex],
    source_size: tuple[SupportsIndex, SupportsIndex],
    size: tuple[SupportsIndex, SupportsIndex],
    part: Rect,
    method: ResizeMethod = "bilinear",
    out: ImageOrArray | None = None,
) -> Image | ImageOrArray:
    """One tile of a resize, equal to the same pixels of the whole-image :func:`~pixelkit.resize`.

    This is how an image too large for memory is resized tile by tile
    (:func:`pixelkit.dask.resize` does so).

    Parameters
    ----------
    src : Image or numpy.ndarray
        A piece of the whole source; it must cover ``resize_source(source_size, size, part, method)``.
    origin : tuple of two ints
        (x, y) of ``src``'s top-left pixel in the whole source.
    source_size, size : tuple of two ints
        (width, height) of the whole source and of the whole result.
    part : Rect
        The rectangle of the whole result to compute.
    method : {"bilinear", "nearest", "area"}, optional
        The interpolation, as for :func:`pixelkit.resize`.
    out : Image or numpy.ndarray, optional
        Where to write the tile, of shape ``(part.height, part.width, 3)``.

    Returns
    -------
    Image or numpy.ndarray
        A new Image of the tile, or ``out`` when given.

    Raises
    ------
    TypeError
        ``src`` or ``out`` is neither an Image nor an array, or a size is not a tuple of integers.
    ValueError
        ``src`` does not cover what ``part`` reads, ``part`` lies outside the result, an unknown
        ``method``, or an ``out`` of another shape or read-only.

    Examples
    --------
    >>> whole = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    >>> part = pixelkit.ops.Rect(10, 5, 8, 6)
    >>> need = pixelkit.ops.resize_source((60, 40), (30, 20), part)
    >>> piece = whole[need.y : need.y + need.height, need.x : need.x + need.width]
    >>> tile = pixelkit.ops.resize_part(piece, (need.x, need.y), (60, 40), (30, 20), part)
    >>> full = pixelkit.resize(whole, 30, 20).array
    >>> np.array_equal(tile.array, full[5:11, 10:18])
    True
    """
    tile = _tile(source_size, size, part)
    code = _method_code(method)
    image = as_image(src)
    x, y = (operator.index(v) for v in origin)
    if x < 0 or y < 0 or x + image.width > tile.src_width or y + image.height > tile.src_height:
        raise ValueError(f"src at {(x, y)} with size {(image.width, image.height)} does not lie inside the source")
    tile.src.x, tile.src.y, tile.src.width, tile.src.height = x, y, image.width, image.height
    needed = ffi.new("pk_resize_tile *", tile[0])
    check(lib.pk_resize_tile_source(needed, code), "resize_part")
    n = needed.src
    if n.x < x or n.y < y or n.x + n.width > x + image.width or n.y + n.height > y + image.height:
        raise ValueError(f"resize_part: src must cover {Rect(n.x, n.y, n.width, n.height)} of the source")
    dst = _output(out, tile.dst.width, tile.dst.height, "resize_part")
    _run("resize_part", lambda s, d: lib.pk_resize_part(s, d, code, tile), image, dst, in_place=False)
    return dst if out is None else out
