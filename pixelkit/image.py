"""``Image``: an RGB buffer of ``pixel_t`` shared, without copies, by C and numpy.

An Image is a numpy ``(H, W, 3) uint8`` array with row stride ``stride``
(pixels 3 bytes apart, channels 1 byte apart) plus a cached ``pk_image``
descriptor that C kernels read.  The array's base chain owns the memory:
C memory from ``pk_alloc`` (through ``ffi.gc``), a user's numpy array,
bytearray, mmap or any other buffer.  Views and crops hold that chain, so
memory lives exactly as long as something can still reach it.
"""

from __future__ import annotations

import math
import mmap
import operator
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, SupportsIndex

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray

from pixelkit._layout import PIXEL_DTYPE
from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check

if TYPE_CHECKING:
    from PIL import Image as PILImage

MAX_DIMENSION: int = lib.PK_MAX_DIMENSION
_UINT8 = np.dtype(np.uint8)
_IMAGE_P = ffi.typeof("pk_image *")
_PIXEL_P = ffi.typeof("pixel_t *")
"""Largest width or height of an image, in pixels (2**20): larger sizes raise ValueError."""

Color = Sequence[SupportsIndex]


def dimension(value: SupportsIndex, name: str) -> int:
    """A width or height as an int in 1..MAX_DIMENSION, or a clear exception."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    number = operator.index(value)
    if not 1 <= number <= MAX_DIMENSION:
        raise ValueError(f"{name} must be between 1 and {MAX_DIMENSION}, got {number}")
    return number


def image_nbytes(width: int, height: int, stride: SupportsIndex | None = None) -> tuple[int, int]:
    """(stride, stride * height) for a valid image size: the plain stride worked out in Python,
    any other checked in Python and in C."""
    row_bytes = width * 3
    if stride is None and 1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION:
        total = row_bytes * height
        if total <= sys.maxsize:
            return row_bytes, total  # what pk_image_nbytes would give: it has nothing left to refuse
    if stride is None:
        stride_bytes = row_bytes
    else:
        if isinstance(stride, bool) or not hasattr(stride, "__index__"):
            raise TypeError(f"stride must be an integer, got {type(stride).__name__}")
        stride_bytes = operator.index(stride)
        if stride_bytes < row_bytes:
            raise ValueError(f"stride must be at least width * 3 = {row_bytes} bytes, got {stride_bytes}")
        if stride_bytes * height > sys.maxsize:
            raise ValueError(f"a {width}x{height} image with stride {stride_bytes} is too large for the address space")
    row_out, total_out = ffi.new("size_t *"), ffi.new("size_t *")
    check(lib.pk_image_nbytes(width, height, stride_bytes, row_out, total_out), f"a {width}x{height} image")
    return stride_bytes, int(total_out[0])


def allocate(nbytes: int, zeroed: bool) -> NDArray[np.uint8]:
    """A flat uint8 array over ``nbytes`` of fresh C memory, freed when unreachable.

    The array's base is an ``ffi.buffer`` that holds the ``ffi.gc`` pointer,
    so every view derived from it keeps the memory alive.
    """
    return np.frombuffer(ffi.buffer(_block(nbytes, zeroed), nbytes), np.uint8)


def _block(nbytes: int, zeroed: bool) -> CData:
    """``nbytes`` of fresh C memory as a ``void *`` that frees it when unreachable."""
    out = ffi.new("void **")
    status = lib.pk_alloc(nbytes, int(zeroed), out)
    if status:
        check(status, f"allocating {nbytes} bytes")
    return ffi.gc(out[0], lib.pk_free, size=nbytes)


# Below this size a result comes from numpy's allocator.  glibc's malloc
# behind it hands a freed block of up to 32 MiB straight back to the next
# request of its size, already faulted in (its mmap threshold grows to the
# sizes a program frees, up to 32 MiB), and side by side with OpenCV and
# numpy a 1080p result from it is 4-15% faster than one from pixelkit's
# 2 MiB-aligned mappings.  Above it glibc maps every block afresh and pays a
# page fault per page; pixelkit's buffer cache (c/image.c) avoids that.
_SMALL_RESULT_BYTES = 32 << 20
# From here such a result starts on a 64-byte boundary, as pixelkit's own
# blocks do: numpy's are 16 bytes past one, so every 64-byte store of an
# AVX-512 row would straddle two cache lines (a 1080p to_tensor measured
# 2.3-3.5 ms that way, 1.5 ms aligned, on an Intel Xeon).
_ALIGNED_RESULT_BYTES = 4096


def new_bytes(*shape: int) -> NDArray[np.uint8]:
    """An uninitialised uint8 array for a result: C memory when large (huge pages, reuse)."""
    nbytes = math.prod(shape)
    if nbytes < _ALIGNED_RESULT_BYTES:
        return np.empty(shape, np.uint8)
    if nbytes < _SMALL_RESULT_BYTES:
        return new_flat(nbytes).reshape(shape)
    return allocate(nbytes, zeroed=False).reshape(shape)


def new_flat(nbytes: int, offset: int = 0) -> NDArray[np.uint8]:
    """``nbytes`` uninitialised bytes for a result starting ``offset`` bytes past a 64-byte boundary.

    (Readers start the pixels where the file position sits in its cache line: the kernel copies
    from the page cache faster when both share their offset.)
    """
    offset %= 64
    if nbytes < _SMALL_RESULT_BYTES:
        spare = np.empty(nbytes + 64, np.uint8)
        # The address through cffi: a third of the cost of ``spare.ctypes.data``.
        start = (offset - int(ffi.cast("uintptr_t", ffi.from_buffer(spare)))) % 64
        return spare[start : start + nbytes]
    return allocate(nbytes + offset, zeroed=False)[offset:] if offset else allocate(nbytes, zeroed=False)


def data_pointer(array: NDArray[Any], ctype: str = "pixel_t *") -> CData:
    """A ``ctype`` pointer to the first element of ``array`` (which must stay alive)."""
    if array.flags.c_contiguous:
        # Much cheaper than __array_interface__; the buffer is released at once.
        return ffi.cast(ctype, ffi.from_buffer(array))
    return ffi.cast(ctype, array.__array_interface__["data"][0])


def pixel_color(value: Color, name: str = "color") -> tuple[int, int, int]:
    """An (r, g, b) tuple of ints in 0..255, or a clear exception."""
    try:
        channels = tuple(operator.index(c) for c in value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of three integers (r, g, b), got {value!r}") from None
    if len(channels) != 3 or not all(0 <= c <= 255 for c in channels):
        raise ValueError(f"{name} must be three integers (r, g, b) in 0..255, got {value!r}")
    return channels[0], channels[1], channels[2]


def _byte_stride(strides: tuple[int, ...], *, pixels: str) -> NoReturn:
    raise ValueError(
        f"Image.from_array needs {pixels}; got byte strides {strides}. "
        "Make a compatible copy with np.ascontiguousarray(arr)."
    )


class Image:
    """An RGB image of ``pixel_t`` (3 bytes per pixel) usable from C and numpy.

    ``Image(width, height)`` allocates a zeroed image in C memory;
    ``fill=(r, g, b)`` sets every pixel instead.  :meth:`from_array` and
    :meth:`from_buffer` wrap existing memory without copying.  The memory
    lives as long as anything can still reach it: the Image, a view from
    :attr:`array` or :attr:`pixels`, or a :meth:`crop`.

    ``img[y, x]`` reads a pixel as an ``(r, g, b)`` tuple and ``img[y, x] = (r, g, b)``
    writes one (bounds-checked, ``IndexError`` outside; negative indices count
    from the end); use :attr:`array` for slices.  ``np.asarray(img)`` is the
    :attr:`array` view.

    Parameters
    ----------
    width, height : int
        The size in pixels, each from 1 to :data:`MAX_DIMENSION`.
    fill : sequence of three ints, optional
        An (r, g, b) colour, each 0..255, for every pixel (default: zeros).

    Raises
    ------
    TypeError
        ``width`` or ``height`` is not an integer, or ``fill`` is not a sequence of integers.
    ValueError
        A size outside 1..MAX_DIMENSION, or a channel of ``fill`` outside 0..255.
    MemoryError
        The system refuses the allocation.

    Examples
    --------
    >>> img = pixelkit.Image(4, 2, fill=(255, 0, 0))
    >>> img
    <pixelkit.Image 4x2 stride=12>
    >>> img[1, 3]
    (255, 0, 0)
    >>> img.array.shape
    (2, 4, 3)
    >>> img[-1, -1] = (0, 0, 9)
    >>> np.asarray(img)[1, 3].tolist()
    [0, 0, 9]
    """

    __slots__ = ("__weakref__", "_array", "_desc", "_height", "_mmap", "_width", "_writable")

    _array: NDArray[np.uint8]
    _desc: CData
    _mmap: mmap.mmap | None
    # Plain copies of descriptor fields: cheaper to read than cffi's.
    _width: int
    _height: int
    _writable: bool

    def __init__(self, width: SupportsIndex, height: SupportsIndex, fill: Color | None = None) -> None:
        w, h = dimension(width, "width"), dimension(height, "height")
        color = None if fill is None else pixel_color(fill, "fill")
        stride, total = image_nbytes(w, h)
        self._attach(_strided(allocate(total, zeroed=color is None), w, h, stride))
        if color is not None:
            check(lib.pk_fill(self._desc, *color), "Image")

    # ---- construction ---------------------------------------------------

    def _attach(self, array: NDArray[np.uint8], mapping: mmap.mmap | None = None) -> None:
        """Adopt ``array`` ((H, W, 3) uint8, strides (stride, 3, 1), already checked)."""
        height, width, _ = array.shape
        flags = array.flags
        writable = bool(flags.writeable)
        self._array = array
        self._mmap = mapping
        self._width = width
        self._height = height
        self._writable = writable
        desc = ffi.new(_IMAGE_P)
        # data_pointer, inlined: this runs for every array a kernel is given.
        if flags.c_contiguous:
            desc.pixels = ffi.from_buffer("pixel_t[]", array)
        else:
            desc.pixels = ffi.cast(_PIXEL_P, array.__array_interface__["data"][0])
        desc.width = width
        desc.height = height
        desc.stride = array.strides[0]
        desc.writable = writable
        self._desc = desc

    @classmethod
    def _wrap(cls, array: NDArray[np.uint8], mapping: mmap.mmap | None = None) -> Image:
        image = cls.__new__(cls)
        image._attach(array, mapping)
        return image

    @classmethod
    def _from_flat(
        cls, flat: NDArray[np.uint8], width: int, height: int, stride: int, mapping: mmap.mmap | None = None
    ) -> Image:
        """An image over a flat byte array holding ``height`` rows ``stride`` bytes apart."""
        if stride == 3 * width and flat.size == stride * height and flat.strides == (1,):
            return cls._wrap(flat.reshape(height, width, 3), mapping)  # cheaper than a strided view
        return cls._wrap(_strided(flat, width, height, stride), mapping)

    @classmethod
    def _empty(cls, width: int, height: int) -> Image:
        """A contiguous image whose pixels are not initialised (for results).

        ``width`` and ``height`` must already be valid dimensions.
        """
        # The lean version of _attach: a fresh array is contiguous and writable.
        # As few Python objects as possible: this runs for every new result.
        nbytes = 3 * width * height
        if nbytes < _SMALL_RESULT_BYTES:
            array = (
                np.empty((height, width, 3), np.uint8)
                if nbytes < _ALIGNED_RESULT_BYTES
                else new_flat(nbytes).reshape(height, width, 3)
            )
            pixels = ffi.from_buffer("pixel_t[]", array)
        else:
            block = _block(nbytes, zeroed=False)
            array = np.ndarray((height, width, 3), np.uint8, ffi.buffer(block, nbytes))
            pixels = ffi.cast("pixel_t *", block)
        image = cls.__new__(cls)
        image._array = array
        image._mmap = None
        image._width = width
        image._height = height
        image._writable = True
        desc = ffi.new(_IMAGE_P)
        desc.pixels = pixels
        desc.width = width
        desc.height = height
        desc.stride = 3 * width
        desc.writable = 1
        image._desc = desc
        return image

    @classmethod
    def from_array(cls, arr: NDArray[Any]) -> Image:
        """Wrap an ``(H, W, 3) uint8`` or ``(H, W)`` ``PIXEL_DTYPE`` array without copying.

        Pixels must be 3 bytes apart and channels 1 byte apart; rows may be
        any number of bytes apart as long as they do not overlap (crops and
        padded rows work).  A read-only array gives a read-only Image.

        Parameters
        ----------
        arr : numpy.ndarray
            ``(H, W, 3)`` uint8, or ``(H, W)`` of :data:`PIXEL_DTYPE` records.

        Returns
        -------
        Image
            An Image over the array's memory; the Image keeps the array alive.

        Raises
        ------
        TypeError
            ``arr`` is not a numpy array.
        ValueError
            Another shape or dtype, or strides that are not pixels 3 bytes and channels 1 byte apart.

        Examples
        --------
        >>> frame = np.zeros((4, 6, 3), np.uint8)
        >>> img = pixelkit.Image.from_array(frame[1:3, 2:5])  # a crop: rows 18 bytes apart
        >>> img
        <pixelkit.Image 3x2 stride=18>
        >>> img[0, 0] = (1, 2, 3)
        >>> frame[1, 2].tolist()
        [1, 2, 3]
        """
        if type(arr) is np.ndarray and arr.dtype is _UINT8:
            # The usual case, checked with as few Python calls as possible: an (H, W, 3)
            # array whose pixels are 3 bytes apart and whose rows do not overlap.
            shape, strides = arr.shape, arr.strides
            if len(shape) == 3 and shape[2] == 3 and strides[1] == 3 and strides[2] == 1:
                height, width, _ = shape
                if (
                    0 < height <= MAX_DIMENSION
                    and 0 < width <= MAX_DIMENSION
                    and (strides[0] == 3 * width or (height > 1 and strides[0] > 3 * width))
                ):
                    image = cls.__new__(cls)
                    image._attach(arr.view())
                    return image
        if not isinstance(arr, np.ndarray):
            raise TypeError(
                f"Image.from_array needs a numpy array, got {type(arr).__name__}; "
                "use Image.from_buffer for other buffer objects"
            )
        if arr.dtype == PIXEL_DTYPE and arr.ndim == 2:
            # A size-1 trailing axis lets numpy reinterpret each pixel as 3 bytes.
            arr = arr[..., np.newaxis].view(np.uint8)
        elif arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError(
                "Image.from_array needs an (H, W, 3) uint8 array or an (H, W) array of "
                f"pixelkit.PIXEL_DTYPE, got shape {arr.shape} and dtype {arr.dtype}; "
                "convert with arr.astype(np.uint8) or reshape it"
            )
        height, width = dimension(arr.shape[0], "height"), dimension(arr.shape[1], "width")
        row, step, channel = arr.strides
        if channel != 1:
            _byte_stride(arr.strides, pixels="channels 1 byte apart (channel stride 1)")
        if width > 1 and step != 3:
            _byte_stride(arr.strides, pixels="pixels 3 bytes apart (pixel stride 3)")
        if height > 1 and row < 3 * width:
            _byte_stride(arr.strides, pixels=f"rows at least {3 * width} bytes apart, with a positive stride")
        stride = row if height > 1 else 3 * width
        if (row, step) == (stride, 3):
            return cls._wrap(arr.view())
        # Size-1 axes may carry any stride; give them the canonical one.
        return cls._wrap(as_strided(arr, strides=(stride, 3, 1)))

    @classmethod
    def from_buffer(
        cls, buf: Any, width: SupportsIndex, height: SupportsIndex, stride: SupportsIndex | None = None
    ) -> Image:
        """Wrap a buffer object (bytearray, mmap, memoryview, cffi memory) without copying.

        A read-only buffer (``bytes``, say) gives a read-only Image.

        Parameters
        ----------
        buf : buffer
            Any object with the buffer protocol, or cffi memory (a ``CData`` pointer or array).
        width, height : int
            The size in pixels.
        stride : int, optional
            Bytes from one row to the next (default ``width * 3``); the buffer
            must hold at least ``(height - 1) * stride + width * 3`` bytes.

        Returns
        -------
        Image
            An Image over the buffer's memory; the Image keeps the buffer alive.

        Raises
        ------
        TypeError
            ``buf`` has no buffer protocol, or a size is not an integer.
        ValueError
            A size out of range, a stride below ``width * 3``, a buffer too small or not contiguous.

        Examples
        --------
        >>> buf = bytearray(2 * 16)  # 2 rows of 5 pixels, padded to 16 bytes
        >>> img = pixelkit.Image.from_buffer(buf, 5, 2, stride=16)
        >>> img[1, 0] = (9, 8, 7)
        >>> bytes(buf[16:19])
        b'\\t\\x08\\x07'
        """
        w, h = dimension(width, "width"), dimension(height, "height")
        stride_bytes, _ = image_nbytes(w, h, stride)
        if isinstance(buf, ffi.CData):
            buf = ffi.buffer(buf)
        try:
            view = memoryview(buf)
        except TypeError:
            raise TypeError(
                f"Image.from_buffer needs an object with the buffer protocol, got {type(buf).__name__}"
            ) from None
        if not view.c_contiguous:
            raise ValueError("Image.from_buffer needs a contiguous buffer")
        flat = np.frombuffer(view.cast("B") if view.format != "B" else view, np.uint8)
        needed = (h - 1) * stride_bytes + 3 * w
        if flat.size < needed:
            raise ValueError(
                f"the buffer holds {flat.size} bytes but a {w}x{h} image with stride {stride_bytes} needs {needed}"
            )
        return cls._from_flat(flat, w, h, stride_bytes, buf if isinstance(buf, mmap.mmap) else None)

    # ---- Pillow (optional) -------------------------------------------------

    @classmethod
    def from_pil(cls, pil_image: PILImage.Image, convert: bool = False) -> Image:
        """A new Image with the pixels of an RGB-mode ``PIL.Image.Image``: always a copy.

        Pillow stores an RGB image 4 bytes per pixel (r, g, b, pad) in its
        own memory, so its pixels cannot be viewed as 3-byte ``pixel_t``;
        this copies them once into a fresh, writable, contiguous Image.  No
        Pillow RGB image shares memory with a buffer, not even one made by
        ``PIL.Image.frombuffer("RGB", ...)``: Pillow copies those too.

        Other modes (L, RGBA, P, I;16, CMYK, ...) raise ValueError unless
        ``convert=True``, which converts with ``pil_image.convert("RGB")``
        first (another copy; RGBA drops alpha without compositing, as Pillow
        does).  Not a PIL image: TypeError.  Needs Pillow (ImportError
        otherwise); ``import pixelkit`` alone never imports it.

        Parameters
        ----------
        pil_image : PIL.Image.Image
            The Pillow image.
        convert : bool, optional
            Convert other modes to RGB first instead of refusing them.

        Returns
        -------
        Image
            A new contiguous Image.

        Raises
        ------
        TypeError
            ``pil_image`` is not a Pillow image.
        ValueError
            A mode other than RGB and ``convert`` is false.
        ImportError
            Pillow is not installed.

        Examples
        --------
        >>> from PIL import Image as PILImage
        >>> pil = PILImage.new("RGB", (3, 2), (10, 20, 30))
        >>> pixelkit.Image.from_pil(pil)[1, 2]
        (10, 20, 30)
        >>> pixelkit.Image.from_pil(pil.convert("L"), convert=True)[0, 0]
        (18, 18, 18)
        """
        from pixelkit import _pil

        return _pil.from_pil(pil_image, convert)

    def to_pil(self) -> PILImage.Image:
        """A new RGB-mode ``PIL.Image.Image`` with this Image's pixels: always a copy.

        Pillow's RGB storage is 4 bytes per pixel, so it cannot share a
        ``pixel_t`` buffer: ``PIL.Image.frombuffer("RGB", ...)`` silently
        falls back to ``frombytes``.  This calls ``frombytes`` directly over
        this Image's memory (one pass, row stride honoured, no intermediate
        copy), so later changes to either image do not show in the other and
        the PIL image does not keep this Image's memory alive.

        Returns
        -------
        PIL.Image.Image
            A new RGB-mode Pillow image.

        Raises
        ------
        ImportError
            Pillow is not installed.

        Examples
        --------
        >>> pil = pixelkit.Image(3, 2, fill=(1, 2, 3)).to_pil()
        >>> pil.mode, pil.size, pil.getpixel((2, 1))
        ('RGB', (3, 2), (1, 2, 3))
        """
        from pixelkit import _pil

        return _pil.to_pil(self)

    # ---- attributes and views ------------------------------------------

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self._width

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self._height

    @property
    def stride(self) -> int:
        """Bytes from the start of one row to the start of the next."""
        return int(self._desc.stride)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(height, width, 3)``, as numpy would say."""
        return self._height, self._width, 3

    @property
    def nbytes(self) -> int:
        """Bytes of pixel data, ``width * height * 3`` (row padding excluded)."""
        return self._width * self._height * 3

    @property
    def readonly(self) -> bool:
        """True for an Image over read-only memory (``bytes``, a read-only array or map): kernels refuse to write it."""
        return not self._writable

    @property
    def cdata(self) -> CData:
        """A ``pixel_t *`` to the first pixel; valid while this Image lives."""
        return self._desc.pixels

    @property
    def array(self) -> NDArray[np.uint8]:
        """An ``(H, W, 3) uint8`` view of the pixels (no copy)."""
        view: NDArray[np.uint8] = self._array.view()
        return view

    @property
    def pixels(self) -> NDArray[np.void]:
        """An ``(H, W)`` view of the pixels as ``PIXEL_DTYPE`` records (no copy)."""
        return self._array.view(PIXEL_DTYPE)[..., 0]

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        if copy:
            return self._array.astype(dtype if dtype is not None else np.uint8, copy=True)
        if dtype is not None and np.dtype(dtype) != np.uint8:
            if copy is False:
                raise ValueError(f"an Image cannot be viewed as {np.dtype(dtype)} without a copy")
            return self._array.astype(dtype)
        view: NDArray[np.uint8] = self._array.view()
        return view

    def __repr__(self) -> str:
        flags = " readonly" if self.readonly else ""
        return f"<pixelkit.Image {self.width}x{self.height} stride={self.stride}{flags}>"

    # ---- pixels ----------------------------------------------------------

    def _index(self, key: Any) -> tuple[int, int]:
        if not isinstance(key, tuple) or len(key) != 2:
            raise TypeError("index an Image as img[y, x]; use img.array for slices")
        try:
            y, x = operator.index(key[0]), operator.index(key[1])
        except TypeError:
            raise TypeError("img[y, x] takes two integers; use img.array for slices") from None
        height, width = self._array.shape[:2]
        if not (-height <= y < height and -width <= x < width):
            raise IndexError(f"pixel ({y}, {x}) is outside the {width}x{height} image")
        return y % height, x % width

    def __getitem__(self, key: tuple[SupportsIndex, SupportsIndex]) -> tuple[int, int, int]:
        y, x = self._index(key)
        r, g, b = self._array[y, x].tolist()
        return r, g, b

    def __setitem__(self, key: tuple[SupportsIndex, SupportsIndex], value: Color) -> None:
        y, x = self._index(key)
        color = pixel_color(value, "pixel value")
        if self.readonly:
            raise ValueError("this Image is read-only")
        self._array[y, x] = color

    # ---- derived images ---------------------------------------------------

    def crop(self, x: SupportsIndex, y: SupportsIndex, width: SupportsIndex, height: SupportsIndex) -> Image:
        """The region ``width`` x ``height`` at (x, y), sharing this Image's memory.

        Parameters
        ----------
        x, y : int
            The region's top-left pixel.
        width, height : int
            The region's size; it must lie inside the image.

        Returns
        -------
        Image
            A view: writes to it change this Image (and the other way round).

        Raises
        ------
        TypeError
            A coordinate or size is not an integer.
        ValueError
            The region does not fit in the image.

        Examples
        --------
        >>> img = pixelkit.Image(8, 6)
        >>> pixelkit.fill(img.crop(2, 1, 3, 2), (255, 255, 255))
        <pixelkit.Image 3x2 stride=24>
        >>> img[1, 2], img[0, 2]
        ((255, 255, 255), (0, 0, 0))
        """
        left, top = operator.index(x), operator.index(y)
        w, h = dimension(width, "width"), dimension(height, "height")
        if left < 0 or top < 0 or left + w > self.width or top + h > self.height:
            raise ValueError(f"crop ({left}, {top}, {w}, {h}) does not fit in the {self.width}x{self.height} image")
        return Image._wrap(self._array[top : top + h, left : left + w], self._mmap)

    def copy(self) -> Image:
        """A new image in fresh contiguous C memory with the same pixels.

        Returns
        -------
        Image
            A contiguous copy (``stride == width * 3``), writable even if this Image is not.

        Examples
        --------
        >>> padded = pixelkit.Image.from_buffer(bytearray(32), 5, 2, stride=16)
        >>> padded.copy().stride
        15
        """
        result = Image._empty(self._width, self._height)
        # rotate90 by 0 turns: the pool's copy, in bands over the threads from MIN_COPY_WORK.
        check(lib.pk_rotate90(self._desc, 0, result._desc), "copy")
        return result

    # ---- memory-mapped images --------------------------------------------

    def flush(self) -> None:
        """Write changes of a memory-mapped image to its file (no-op otherwise).

        Leaving a ``with`` block over the Image calls it too.

        Examples
        --------
        >>> with pixelkit.open_raw(tmp / "zeros.rgb", 4, 2, mode="w+") as mapped:
        ...     mapped[0, 0] = (7, 7, 7)
        ...     mapped.flush()
        >>> (tmp / "zeros.rgb").read_bytes()[:4]
        b'\\x07\\x07\\x07\\x00'
        """
        if self._mmap is not None and not self._mmap.closed and not self.readonly:
            self._mmap.flush()

    def __enter__(self) -> Image:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.flush()


def _strided(flat: NDArray[np.uint8], width: int, height: int, stride: int) -> NDArray[np.uint8]:
    """The (H, W, 3) view of a flat byte array with rows ``stride`` apart."""
    view: NDArray[np.uint8] = np.ndarray((height, width, 3), np.uint8, buffer=flat, strides=(stride, 3, 1))
    return view
