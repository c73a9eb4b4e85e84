"""Geometry (c/geometry.c): flips, transpose, quarter turns and paste."""

from __future__ import annotations

import operator
from typing import SupportsIndex

from pixelkit._native import lib
from pixelkit.errors import check
from pixelkit.image import Image
from pixelkit.ops._common import ImageLike, ImageOrArray, _output, _run, _unary
from pixelkit.rawio import as_image


def flip_horizontal(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Mirror left to right: ``np.fliplr``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an ``(H, W, 3) uint8`` array.
    ValueError
        ``out`` has another shape, is read-only, or shares only part of its bytes with ``img``.

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> np.array_equal(pixelkit.flip_horizontal(a).array, np.fliplr(a))
    True
    """
    return _unary("flip_horizontal", lib.pk_flip_horizontal, img, out)  # type: ignore[no-any-return]


def flip_vertical(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Mirror top to bottom: ``np.flipud``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an ``(H, W, 3) uint8`` array.
    ValueError
        ``out`` has another shape, is read-only, or shares only part of its bytes with ``img``.

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> np.array_equal(pixelkit.flip_vertical(a).array, np.flipud(a))
    True
    """
    return _unary("flip_vertical", lib.pk_flip_vertical, img, out)  # type: ignore[no-any-return]


def transpose(img: ImageLike, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """Swap x and y: ``np.transpose(arr, (1, 0, 2))``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of shape ``(W, H, 3)``.

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an ``(H, W, 3) uint8`` array.
    ValueError
        ``out`` has another shape, is read-only, or shares only part of its bytes with ``img``.

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> pixelkit.transpose(a)
    <pixelkit.Image 2x3 stride=6>
    >>> np.array_equal(pixelkit.transpose(a).array, a.transpose(1, 0, 2))
    True
    """
    src = as_image(img)
    dst = _output(out, src.height, src.width, "transpose")
    _run("transpose", lib.pk_transpose, src, dst, in_place=False)
    return dst if out is None else out


def rotate90(img: ImageLike, k: SupportsIndex = 1, out: ImageOrArray | None = None) -> Image | ImageOrArray:
    """``k`` counter-clockwise quarter turns (any integer): ``np.rot90(arr, k)``.

    Parameters
    ----------
    img : Image or numpy.ndarray
        The source: an Image or an ``(H, W, 3) uint8`` array (wrapped without copying).
    k : int, optional
        Quarter turns counter-clockwise (default 1); negative turns clockwise.
    out : Image or numpy.ndarray, optional
        Where to write the result: an Image or array of the result's shape; may be ``img`` itself.

    Returns
    -------
    Image or numpy.ndarray
        A new Image, or ``out`` when given.

    Raises
    ------
    TypeError
        ``img`` or ``out`` is neither an Image nor an ``(H, W, 3) uint8`` array.
    ValueError
        ``out`` has another shape, is read-only, or shares only part of its bytes with ``img``.
    TypeError
        ``k`` is not an integer.

    Examples
    --------
    >>> a = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> all(np.array_equal(pixelkit.rotate90(a, k).array, np.rot90(a, k)) for k in range(-1, 5))
    True
    """
    if isinstance(k, bool) or not hasattr(k, "__index__"):
        raise TypeError(f"k must be an integer, got {type(k).__name__}")
    turns = operator.index(k) % 4
    src = as_image(img)
    width, height = (src.height, src.width) if turns % 2 else (src.width, src.height)
    dst = _output(out, width, height, "rotate90")
    _run("rotate90", lambda s, d: lib.pk_rotate90(s, turns, d), src, dst, in_place=turns % 2 == 0)
    return dst if out is None else out


def paste(dst: ImageOrArray, src: ImageLike, x: SupportsIndex, y: SupportsIndex) -> ImageOrArray:
    """Copy ``src`` into ``dst`` with its top-left corner at (x, y), clipped to ``dst``.

    Parameters
    ----------
    dst : Image or numpy.ndarray
        The image written to, in place.
    src : Image or numpy.ndarray
        The image copied.
    x, y : int
        Where ``src``'s top-left pixel goes; may be negative or beyond ``dst``:
        the part of ``src`` that falls outside is dropped.

    Returns
    -------
    Image or numpy.ndarray
        ``dst`` itself.

    Raises
    ------
    TypeError
        ``dst`` or ``src`` is neither an Image nor an array, or ``x`` or ``y`` is not an integer.
    ValueError
        ``dst`` is read-only.

    Examples
    --------
    >>> canvas = np.zeros((3, 4, 3), np.uint8)
    >>> _ = pixelkit.paste(canvas, pixelkit.Image(2, 2, fill=(9, 9, 9)), x=3, y=-1)
    >>> canvas[:, :, 0].tolist()
    [[0, 0, 0, 9], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    target, source = as_image(dst, "dst"), as_image(src, "src")
    left, top = operator.index(x), operator.index(y)
    if target.readonly:
        raise ValueError("paste: dst is read-only")
    # Far-away positions change nothing; keep them inside C's long.
    if abs(left) > 2 * lib.PK_MAX_DIMENSION or abs(top) > 2 * lib.PK_MAX_DIMENSION:
        return dst
    check(lib.pk_paste(target._desc, source._desc, left, top), "paste")
    return dst
