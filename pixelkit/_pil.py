"""Pillow interop behind ``Image.from_pil`` and ``Image.to_pil``.

Pillow is optional: this module imports it only when one of those is
called, so ``import pixelkit`` never imports ``PIL``.

Neither direction can share memory.  Pillow keeps an ``RGB`` image in its
own row blocks with 4 bytes per pixel (r, g, b and a pad byte), while a
``pixel_t`` is 3 bytes, so neither library can view the other's pixels.
``PIL.Image.frombuffer`` maps a caller's buffer only for modes whose
storage matches it byte for byte (L, P, RGBX, RGBA, CMYK, I;16); for
``"RGB"`` it falls back to ``frombytes``, a copy (checked with Pillow
13.0.0: the result is writable and later writes to the buffer do not
show).  So both directions copy once, by the fastest path Pillow offers.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from pixelkit.image import Image, dimension

if TYPE_CHECKING:
    from PIL import Image as PILImage

# Bytes Pillow's raw encoder produces per call (whole rows; at least one row).
_CHUNK_BYTES = 1 << 16


def _require_pillow(what: str) -> ModuleType:
    """``PIL.Image``, or ImportError saying how to install Pillow."""
    try:
        from PIL import Image as pil_module
    except ImportError as exc:
        raise ImportError(f"Pillow is required for {what}: pip install 'pixelkit[png]'") from exc
    return pil_module


def _copy_pixels(pil_module: ModuleType, pil_image: Any, image: Image) -> None:
    """Copy an RGB-mode Pillow image's pixels into ``image`` (same size, contiguous).

    Pillow's raw encoder packs its 4-byte pixels to rgb24 in chunks of whole
    rows that are copied straight into the pixelkit buffer while they are in
    cache.  ``tobytes()`` would also allocate the whole frame as ``bytes`` and
    join the chunks first: several times slower for large images (page
    faults).  The encoder is not public API, so any surprise falls back to
    ``np.asarray`` (which is ``tobytes()``).
    """
    target = image._array.data.cast("B")
    try:
        encoder = pil_module._getencoder("RGB", "raw", "RGB")
        encoder.setimage(pil_image.im, (0, 0, image.width, image.height))
        bufsize = max(_CHUNK_BYTES, 4 * image.width)
        position = 0
        while True:
            _, status, data = encoder.encode(bufsize)
            end = position + len(data)
            if status < 0 or end > len(target) or (status == 0 and not data):
                raise RuntimeError(f"encoder error {status}")
            target[position:end] = data
            position = end
            if status > 0:
                break
        if position == len(target):
            return
    except (AttributeError, TypeError, ValueError, RuntimeError):
        pass
    np.copyto(image._array, np.asarray(pil_image))


def from_pil(pil_image: PILImage.Image, convert: bool) -> Image:
    pil_module = _require_pillow("Image.from_pil")
    if not isinstance(pil_image, pil_module.Image):
        raise TypeError(
            f"Image.from_pil needs a PIL.Image.Image, got {type(pil_image).__name__}; "
            "wrap numpy arrays with Image.from_array"
        )
    if pil_image.mode != "RGB":
        if not convert:
            raise ValueError(
                f"Image.from_pil needs an RGB-mode PIL image, got mode {pil_image.mode!r}; "
                "pass convert=True to convert it with pil_image.convert('RGB')"
            )
        try:
            pil_image = pil_image.convert("RGB")
        except ValueError as exc:
            raise ValueError(f"Pillow cannot convert mode {pil_image.mode!r} to RGB: {exc}") from exc
    width, height = dimension(pil_image.width, "width"), dimension(pil_image.height, "height")
    pil_image.load()  # images opened from files decode lazily
    image = Image._empty(width, height)
    _copy_pixels(pil_module, pil_image, image)
    return image


def to_pil(image: Image) -> PILImage.Image:
    pil_module = _require_pillow("Image.to_pil")
    # Pillow's raw decoder skips ``stride - 3 * width`` bytes between rows,
    # not after the last one, so a crop's span of memory is enough.
    span = (image.height - 1) * image.stride + 3 * image.width
    pixels = np.lib.stride_tricks.as_strided(image._array, shape=(span,), strides=(1,), writeable=False)
    result: PILImage.Image = pil_module.frombytes(
        "RGB", (image.width, image.height), pixels, "raw", "RGB", image.stride, 1
    )
    return result
