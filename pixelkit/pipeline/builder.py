"""The :class:`pixelkit.Pipeline` builder: one method per stage, each returning a new pipeline."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, SupportsFloat, SupportsIndex, TypeVar

import numpy as np
from numpy.typing import NDArray

from pixelkit import ops
from pixelkit._native import CData, ffi
from pixelkit.image import Image, dimension
from pixelkit.ops import ImageLike, ResizeMethod, TensorLayout
from pixelkit.pipeline import run
from pixelkit.pipeline.stage import KINDS, MAX_STAGES, TERMINAL, Stage, c_stages
from pixelkit.rawio import as_image

__all__ = ["Pipeline"]


# Every stage method returns a new pipeline and refuses to follow a stage that ends one: those
# sections of their docstrings are written once, here, and added to each.
_STAGE_RETURNS = """        Returns
        -------
        Pipeline
            A new pipeline with the stage added; this one is unchanged.

"""
_STAGE_RAISES = """        ValueError
            This pipeline already ends (``to_gray``, ``to_tensor`` or ``histogram`` was its last
            stage) or has ``MAX_STAGES`` (64) stages.
"""
_Method = TypeVar("_Method", bound=Callable[..., "Pipeline"])


def _stage_method(method: _Method) -> _Method:
    """``method`` with the shared Returns and Raises sections in its docstring (before its Examples)."""
    doc = method.__doc__
    if doc is not None:  # None under python -OO
        head, examples = doc.split("        Examples\n", 1)
        raises = "" if "        Raises\n" in head else "        Raises\n        ------\n"
        if raises:
            head = head + _STAGE_RETURNS + raises
        else:
            before, after = head.split("        Raises\n", 1)
            head = before + _STAGE_RETURNS + "        Raises\n" + after
        method.__doc__ = head.rstrip("\n") + "\n" + _STAGE_RAISES + "\n        Examples\n" + examples
    return method


class Pipeline:
    """An immutable chain of pixelkit operations, run in one fused pass when called.

    Each method (``invert``, ``apply_lut``, ``adjust``, ``swap_rb``, ``to_gray``,
    ``flip_horizontal``, ``flip_vertical``, ``resize``, ``box_blur``,
    ``gaussian_blur``, ``convolve``, ``crop``, ``blend``, ``to_tensor``,
    ``histogram``) takes the parameters of the pixelkit operation of that
    name, without the image, and returns a new Pipeline; calling the pipeline
    runs it.  The result equals calling the operations one after another,
    byte for byte, for any image, thread count and instruction set.

    ``to_gray``, ``to_tensor`` and ``histogram`` end a pipeline (their results
    are not RGB images): adding a stage after them raises ValueError.

    Examples
    --------
    >>> import numpy as np, pixelkit as pk
    >>> img = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    >>> thumb = pk.Pipeline().resize(40, 30, "area").gaussian_blur(1.0).to_gray()
    >>> thumb
    Pipeline().resize(width=40, height=30, method='area').gaussian_blur(sigma=1.0).to_gray()
    >>> small = thumb(img)
    >>> small.shape, small.dtype
    ((30, 40), dtype('uint8'))
    >>> stepwise = pk.to_gray(pk.gaussian_blur(pk.resize(img, 40, 30, "area"), 1.0))
    >>> bool(np.array_equal(small, stepwise))
    True
    >>> pk.Pipeline().histogram().invert()
    Traceback (most recent call last):
    ...
    ValueError: invert cannot follow histogram: histogram ends a pipeline
    """

    __slots__ = ("_c_stages", "_stages")

    _stages: tuple[Stage, ...]
    _c_stages: CData | None

    def __init__(self) -> None:
        self._stages = ()
        self._c_stages = None

    # ---- building ------------------------------------------------------------

    def _then(self, stage: Stage) -> Pipeline:
        if self._stages and self._stages[-1].name in TERMINAL:
            last = self._stages[-1].name
            raise ValueError(f"{stage.name} cannot follow {last}: {last} ends a pipeline")
        if len(self._stages) >= MAX_STAGES:
            raise ValueError(f"a pipeline has at most {MAX_STAGES} stages")
        result = Pipeline.__new__(Pipeline)
        result._stages = (*self._stages, stage)
        result._c_stages = None
        return result

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "_stages") and name == "_stages":
            raise AttributeError("a Pipeline is immutable: its methods return new pipelines")
        object.__setattr__(self, name, value)

    @_stage_method
    def invert(self) -> Pipeline:
        """Add :func:`pixelkit.invert` (``255 - v``).

        Examples
        --------
        >>> import pixelkit
        >>> pixelkit.Pipeline().invert()(pixelkit.Image(2, 1, fill=(0, 100, 255)))[0, 0]
        (255, 155, 0)
        """
        return self._then(Stage("invert"))

    @_stage_method
    def apply_lut(self, lut: NDArray[np.uint8]) -> Pipeline:
        """Add :func:`pixelkit.apply_lut`; the table is copied now, so later changes to it do not count.

        Parameters
        ----------
        lut : numpy.ndarray
            uint8 of shape ``(256,)`` (one table for all channels) or ``(3, 256)`` (one per channel).

        Raises
        ------
        TypeError
            ``lut`` is not a uint8 array.
        ValueError
            ``lut`` has another shape.

        Examples
        --------
        >>> import numpy as np, pixelkit
        >>> lut = (255 - np.arange(256)).astype(np.uint8)
        >>> pipe = pixelkit.Pipeline().apply_lut(lut)
        >>> lut[:] = 0  # the stage keeps its own copy
        >>> pipe(pixelkit.Image(2, 2, fill=(0, 1, 2)))[0, 0]
        (255, 254, 253)
        """
        table = ops._lut_array(lut).copy()
        return self._then(
            Stage(
                "apply_lut",
                (("lut", table),),
                {"lut": ffi.from_buffer("uint8_t[]", table), "lut_size": table.size},
                (table,),
            )
        )

    @_stage_method
    def adjust(self, brightness: float = 0.0, contrast: float = 1.0, gamma: float = 1.0) -> Pipeline:
        """Add :func:`pixelkit.adjust` (brightness, contrast and gamma through one lookup table).

        The table is :func:`pixelkit.ops.adjust_lut`, computed now.

        Parameters
        ----------
        brightness : float, optional
            Added to ``v = x / 255``: -1..1 spans black to white (default 0).
        contrast : float, optional
            >= 0, scales around mid-grey (default 1).
        gamma : float, optional
            > 0; above 1 brightens mid-tones (default 1).

        Raises
        ------
        TypeError
            A parameter is not a number.
        ValueError
            A parameter is not finite, ``contrast < 0`` or ``gamma <= 0``.

        Examples
        --------
        >>> import pixelkit
        >>> pixelkit.Pipeline().adjust(brightness=0.1)(pixelkit.Image(2, 1, fill=(0, 128, 255)))[0, 0]
        (26, 154, 255)
        """
        table = ops.adjust_lut(brightness, contrast, gamma)
        shown = (("brightness", float(brightness)), ("contrast", float(contrast)), ("gamma", float(gamma)))
        return self._then(
            Stage("adjust", shown, {"lut": ffi.from_buffer("uint8_t[]", table), "lut_size": table.size}, (table,))
        )

    @_stage_method
    def swap_rb(self) -> Pipeline:
        """Add :func:`pixelkit.swap_rb` (RGB to BGR).

        Examples
        --------
        >>> import pixelkit
        >>> pixelkit.Pipeline().swap_rb()(pixelkit.Image(2, 2, fill=(1, 2, 3)))[0, 0]
        (3, 2, 1)
        """
        return self._then(Stage("swap_rb"))

    @_stage_method
    def blend(self, b: ImageLike, alpha: float) -> Pipeline:
        """Add :func:`pixelkit.blend` with the fixed second image ``b`` (of the stage input's size).

        ``b`` is used as it is when the pipeline runs (it is not copied).

        Parameters
        ----------
        b : Image or numpy.ndarray
            The second image: an Image or an ``(H, W, 3) uint8`` array of the size of this
            stage's input (checked when the pipeline is called).
        alpha : float
            The weight of ``b``, from 0 to 1.

        Raises
        ------
        TypeError
            ``b`` is neither an Image nor an ``(H, W, 3) uint8`` array, or ``alpha`` is not a number.
        ValueError
            ``alpha`` is outside [0, 1].

        Examples
        --------
        >>> import pixelkit
        >>> white = pixelkit.Image(2, 2, fill=(255, 255, 255))
        >>> pixelkit.Pipeline().blend(white, 0.25)(pixelkit.Image(2, 2))[0, 0]
        (64, 64, 64)
        """
        other = as_image(b, "b")
        weight = ops._finite(alpha, "alpha")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"alpha must be between 0 and 1, got {weight}")
        return self._then(
            Stage("blend", (("b", other), ("alpha", weight)), {"other": other._desc, "alpha": weight}, (other,))
        )

    @_stage_method
    def to_gray(self) -> Pipeline:
        """Add :func:`pixelkit.to_gray` (BT.601 luma); it ends the pipeline.

        Calling the pipeline then gives an ``(H, W)`` uint8 array.

        Examples
        --------
        >>> import pixelkit
        >>> pixelkit.Pipeline().to_gray()(pixelkit.Image(3, 2, fill=(255, 0, 0))).tolist()
        [[76, 76, 76], [76, 76, 76]]
        """
        return self._then(Stage("to_gray"))

    @_stage_method
    def flip_horizontal(self) -> Pipeline:
        """Add :func:`pixelkit.flip_horizontal` (``np.fliplr``).

        Examples
        --------
        >>> import numpy as np, pixelkit
        >>> a = np.arange(9, dtype=np.uint8).reshape(1, 3, 3)
        >>> pixelkit.Pipeline().flip_horizontal()(a).array[0, :, 0].tolist()
        [6, 3, 0]
        """
        return self._then(Stage("flip_horizontal"))

    @_stage_method
    def flip_vertical(self) -> Pipeline:
        """Add :func:`pixelkit.flip_vertical` (``np.flipud``).

        Examples
        --------
        >>> import numpy as np, pixelkit
        >>> a = np.arange(9, dtype=np.uint8).reshape(3, 1, 3)
        >>> pixelkit.Pipeline().flip_vertical()(a).array[:, 0, 0].tolist()
        [6, 3, 0]
        """
        return self._then(Stage("flip_vertical"))

    @_stage_method
    def crop(self, x: SupportsIndex, y: SupportsIndex, width: SupportsIndex, height: SupportsIndex) -> Pipeline:
        """Add a crop (:meth:`pixelkit.Image.crop`): the ``width`` x ``height`` region at (x, y).

        That the region fits in the stage's input is checked when the pipeline is called.

        Parameters
        ----------
        x, y : int
            The region's top-left pixel, >= 0.
        width, height : int
            The region's size in pixels.

        Raises
        ------
        TypeError
            A parameter is not an integer.
        ValueError
            ``x`` or ``y`` is negative, or a size is out of range.

        Examples
        --------
        >>> import numpy as np, pixelkit
        >>> pipe = pixelkit.Pipeline().crop(1, 0, 2, 1)
        >>> pipe(np.arange(9, dtype=np.uint8).reshape(1, 3, 3)).array[0, :, 0].tolist()
        [3, 6]
        >>> pipe(np.zeros((1, 2, 3), np.uint8))
        Traceback (most recent call last):
        ...
        ValueError: crop (1, 0, 2, 1) does not fit in the 2x1 image
        """
        for value, name in ((x, "x"), (y, "y")):
            if isinstance(value, bool) or not hasattr(value, "__index__"):
                raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        left, top = operator.index(x), operator.index(y)
        if left < 0 or top < 0:
            raise ValueError(f"crop ({left}, {top}, ...) must start inside the image")
        w, h = dimension(width, "width"), dimension(height, "height")
        shown = (("x", left), ("y", top), ("width", w), ("height", h))
        return self._then(Stage("crop", shown, {"x": left, "y": top, "width": w, "height": h}))

    @_stage_method
    def resize(self, width: SupportsIndex, height: SupportsIndex, method: ResizeMethod = "bilinear") -> Pipeline:
        """Add :func:`pixelkit.resize` to ``width`` x ``height``.

        Parameters
        ----------
        width, height : int
            The result's size.
        method : {"bilinear", "nearest", "area"}, optional
            The interpolation (default ``"bilinear"``); ``"area"`` is the one for shrinking.

        Raises
        ------
        TypeError
            A size is not an integer.
        ValueError
            A size out of range or an unknown ``method``.

        Examples
        --------
        >>> import pixelkit
        >>> img = pixelkit.Image(4, 4)
        >>> img.array[:, 2:] = 200
        >>> pixelkit.Pipeline().resize(2, 2, "area")(img).array[:, :, 0].tolist()
        [[0, 200], [0, 200]]
        """
        w, h = dimension(width, "width"), dimension(height, "height")
        code = ops._method_code(method)
        shown = (("width", w), ("height", h), ("method", method))
        return self._then(Stage("resize", shown, {"width": w, "height": h, "method": code}))

    @_stage_method
    def box_blur(self, radius: SupportsIndex) -> Pipeline:
        """Add :func:`pixelkit.box_blur` of ``radius``.

        Parameters
        ----------
        radius : int
            0 to ``pixelkit.ops.MAX_BLUR_RADIUS``; 0 copies.

        Raises
        ------
        TypeError
            ``radius`` is not an integer.
        ValueError
            ``radius`` is out of range.

        Examples
        --------
        >>> import numpy as np, pixelkit
        >>> a = np.zeros((1, 5, 3), np.uint8)
        >>> a[0, 2] = 90
        >>> pixelkit.Pipeline().box_blur(1)(a).array[0, :, 0].tolist()
        [0, 30, 30, 30, 0]
        """
        if isinstance(radius, bool) or not hasattr(radius, "__index__"):
            raise TypeError(f"radius must be an integer, got {type(radius).__name__}")
        r = operator.index(radius)
        if not 0 <= r <= ops.MAX_BLUR_RADIUS:
            raise ValueError(f"radius must be between 0 and {ops.MAX_BLUR_RADIUS}, got {r}")
        return self._then(Stage("box_blur", (("radius", r),), {"radius": r}, reach=(r, r)))

    @_stage_method
    def gaussian_blur(self, sigma: float) -> Pipeline:
        """Add :func:`pixelkit.gaussian_blur` of ``sigma``.

        Parameters
        ----------
        sigma : float
            The standard deviation in pixels, in (0, ``pixelkit.ops.MAX_GAUSSIAN_SIGMA``]; the kernel
            reaches :func:`pixelkit.ops.gaussian_radius` pixels to each side.

        Raises
        ------
        TypeError
            ``sigma`` is not a number.
        ValueError
            ``sigma`` is out of range or not finite.

        Examples
        --------
        >>> import numpy as np, pixelkit
        >>> a = np.zeros((1, 7, 3), np.uint8)
        >>> a[0, 3] = 255
        >>> pixelkit.Pipeline().gaussian_blur(1.0)(a).array[0, :, 0].tolist()
        [2, 14, 62, 102, 62, 14, 2]
        """
        r = ops.gaussian_radius(sigma)
        s = ops._finite(sigma, "sigma")
        return self._then(Stage("gaussian_blur", (("sigma", s),), {"sigma": s}, reach=(r, r)))

    @_stage_method
    def convolve(
        self,
        kernel: Any,
        scale: SupportsFloat | SupportsIndex | None = None,
        offset: SupportsFloat | SupportsIndex = 0,
    ) -> Pipeline:
        """Add :func:`pixelkit.convolve` with a small integer ``kernel``.

        The kernel is copied now, so later changes to it do not count.

        Parameters
        ----------
        kernel : 2-D array-like of integers
            The weights, rows then columns; both sides odd and at most 7 (3x3, 5x3, 7x7...),
            each weight within +-65535.
        scale : int, optional
            The divisor of the weighted sum (non-zero); by default the sum of the weights, or 1
            when they sum to 0.
        offset : int, optional
            Added after the division, before saturating to 0..255.

        Raises
        ------
        TypeError
            ``scale`` or ``offset`` is not a number.
        ValueError
            ``kernel`` is not 2-D, has an even or larger than 7 side or weights that are not
            integers or out of range, ``scale`` is 0, or ``scale`` or ``offset`` is out of range.

        Examples
        --------
        >>> import numpy as np, pixelkit
        >>> img = np.zeros((3, 3, 3), np.uint8)
        >>> img[1, 1] = 80
        >>> sharpen = pixelkit.Pipeline().convolve([[-1, -1, -1], [-1, 16, -1], [-1, -1, -1]], scale=8)
        >>> sharpen(img).array[:, :, 0].tolist()
        [[0, 0, 0], [0, 160, 0], [0, 0, 0]]
        """
        weights, divisor, shift = ops.convolve_kernel(kernel, scale, offset)
        rows, cols = weights.shape
        shown = (("kernel", weights.tolist()), ("scale", scale), ("offset", offset))
        c_fields = {
            "kernel": ffi.from_buffer("int32_t[]", weights),
            "kernel_width": cols,
            "kernel_height": rows,
            "scale": divisor,
            "offset": shift,
        }
        return self._then(Stage("convolve", shown, c_fields, (weights,), reach=(rows // 2, cols // 2)))

    @_stage_method
    def to_tensor(
        self,
        mean: Sequence[SupportsFloat] = (0.0, 0.0, 0.0),
        std: Sequence[SupportsFloat] = (1.0, 1.0, 1.0),
        layout: TensorLayout = "CHW",
    ) -> Pipeline:
        """Add :func:`pixelkit.to_tensor` (float32, ``(x / 255 - mean) / std``); it ends the pipeline.

        Calling the pipeline then gives a float32 array of shape ``(3, H, W)`` or ``(H, W, 3)``.

        Parameters
        ----------
        mean, std : sequence of three floats, optional
            Per channel (r, g, b); ``std`` must not contain zeros.
        layout : {"CHW", "HWC"}, optional
            Channels first (default, as PyTorch wants) or last.

        Raises
        ------
        TypeError
            A mean or std is not a number.
        ValueError
            Not three means or stds, a zero or non-finite ``std``, or an unknown ``layout``.

        Examples
        --------
        >>> import pixelkit
        >>> pipe = pixelkit.Pipeline().to_tensor(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
        >>> t = pipe(pixelkit.Image(4, 2, fill=(255, 0, 51)))
        >>> t.shape, t.dtype, [round(float(v), 3) for v in t[:, 0, 0]]
        ((3, 2, 4), dtype('float32'), [1.0, -1.0, -0.6])
        """
        scale, bias = ops._tensor_coefficients(mean, std)
        if layout not in ("CHW", "HWC"):
            raise ValueError(f"layout must be 'CHW' or 'HWC', got {layout!r}")
        shown = (("mean", tuple(float(m) for m in mean)), ("std", tuple(float(s) for s in std)), ("layout", layout))
        stage = Stage("to_tensor", shown, {"tensor_scale": scale, "tensor_bias": bias, "layout": layout}, (scale, bias))
        return self._then(stage)

    @_stage_method
    def histogram(self) -> Pipeline:
        """Add :func:`pixelkit.histogram` (``(3, 256)`` uint64 counts); it ends the pipeline.

        Examples
        --------
        >>> import pixelkit
        >>> counts = pixelkit.Pipeline().invert().histogram()(pixelkit.Image(4, 2, fill=(0, 7, 255)))
        >>> counts.shape, int(counts[0, 255]), int(counts[1, 248]), int(counts[2, 0])
        ((3, 256), 8, 8, 8)
        """
        return self._then(Stage("histogram"))

    # ---- looking at it -------------------------------------------------------------

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages, each as ``name(parameters)``."""
        return tuple(repr(s) for s in self._stages)

    @property
    def reach(self) -> tuple[int, int]:
        """How many rows and columns beyond a pixel the neighbourhood stages read, all together.

        The sum over the stages of each filter's radius: the halo a piece of an image needs for
        its result to equal that of the whole image (for pipelines without geometry stages).
        """
        return (sum(s.reach[0] for s in self._stages), sum(s.reach[1] for s in self._stages))

    def __repr__(self) -> str:
        return "Pipeline()" + "".join(f".{s!r}" for s in self._stages)

    def steps(self) -> list[tuple[str, dict[str, Any]]]:
        """The stages as (method name, keyword arguments) pairs that rebuild this pipeline.

        A blend's image is given as a numpy array (the same memory).  :meth:`from_steps`
        turns the list back into a pipeline; pickling a pipeline goes through it.

        Returns
        -------
        list of (str, dict) tuples
            One pair per stage, in order: the method's name and its keyword arguments.

        Examples
        --------
        >>> import pixelkit
        >>> pipe = pixelkit.Pipeline().resize(40, 30, "area").box_blur(2)
        >>> pipe.steps()
        [('resize', {'width': 40, 'height': 30, 'method': 'area'}), ('box_blur', {'radius': 2})]
        """
        return [(s.name, {k: np.asarray(v) if isinstance(v, Image) else v for k, v in s.shown}) for s in self._stages]

    @staticmethod
    def from_steps(steps: Sequence[tuple[str, dict[str, Any]]]) -> Pipeline:
        """The pipeline of :meth:`steps`' pairs: each method called with its keyword arguments, in order.

        Parameters
        ----------
        steps : sequence of (str, dict) pairs
            Method names (``"invert"``, ``"resize"``...) and their keyword arguments, as
            :meth:`steps` gives them.

        Returns
        -------
        Pipeline
            The pipeline those calls build.

        Raises
        ------
        ValueError
            A name is not a stage's, or a stage's method refuses its arguments' values.
        TypeError
            A stage is given arguments of the wrong type or that its method does not take.

        Examples
        --------
        >>> import pixelkit
        >>> pipe = pixelkit.Pipeline().resize(40, 30, "area").gaussian_blur(1.0).to_gray()
        >>> pixelkit.Pipeline.from_steps(pipe.steps()) == pipe
        True
        >>> pixelkit.Pipeline.from_steps([("sharpen", {})])
        Traceback (most recent call last):
        ...
        ValueError: no pipeline stage is called 'sharpen'
        """
        pipe = Pipeline()
        for name, kwargs in steps:
            if name not in KINDS:
                raise ValueError(f"no pipeline stage is called {name!r}")
            pipe = getattr(pipe, name)(**kwargs)
        return pipe

    def __reduce__(self) -> tuple[Any, ...]:
        return (Pipeline.from_steps, (self.steps(),))

    def __len__(self) -> int:
        return len(self._stages)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pipeline) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    # ---- running -------------------------------------------------------------------

    def _c(self) -> CData:
        if self._c_stages is None:
            object.__setattr__(self, "_c_stages", c_stages(self._stages))
        return self._c_stages

    def output_shape(self, width: int, height: int) -> tuple[int, ...]:
        """The shape of the result for a ``width`` x ``height`` input, without running anything.

        Parameters
        ----------
        width, height : int
            The size of the input image in pixels.

        Returns
        -------
        tuple of int
            ``(H, W, 3)`` for an RGB result, ``(H, W)`` after ``to_gray``, ``(3, H, W)`` or
            ``(H, W, 3)`` after ``to_tensor``, ``(3, 256)`` after ``histogram``.

        Raises
        ------
        ValueError
            A stage does not fit the image: a crop outside it, or a blend image of another size.

        Examples
        --------
        >>> import pixelkit
        >>> pixelkit.Pipeline().crop(10, 10, 100, 50).resize(50, 25).to_tensor().output_shape(200, 100)
        (3, 25, 50)
        >>> pixelkit.Pipeline().to_gray().output_shape(640, 480)
        (480, 640)
        >>> pixelkit.Pipeline().crop(0, 0, 100, 50).output_shape(80, 60)
        Traceback (most recent call last):
        ...
        ValueError: crop (0, 0, 100, 50) does not fit in the 80x60 image
        """
        return run.output_shape(self._stages, width, height)

    def __call__(self, img: ImageLike, out: Any = None) -> Any:
        """Run the pipeline on ``img`` (an Image or ``(H, W, 3) uint8`` array) in one fused pass.

        Parameters
        ----------
        img : Image or (H, W, 3) uint8 array
            The source image.  A Dask array is processed block by block
            (:func:`pixelkit.dask.pipeline`) and gives a lazy result.
        out : array or Image, optional
            Where to write the result, as the last stage's ``out=`` takes it: an Image or
            ``(H, W, 3)`` uint8 array for RGB results, ``(H, W)`` uint8 for ``to_gray``, a float32
            array whose rows are contiguous for ``to_tensor`` (``batch[i]``), ``(3, 256)`` uint64
            for ``histogram``.

        Returns
        -------
        Image or numpy array
            ``out`` if given, else a new result: an Image for RGB results, arrays otherwise.

        Raises
        ------
        ValueError
            When a stage does not fit the image (a crop outside it, a blend image of another
            size) or ``out`` has the wrong shape or is read-only.
        TypeError
            For an ``img`` or ``out`` of the wrong type.

        Examples
        --------
        >>> import numpy as np, pixelkit as pk
        >>> img = np.full((4, 6, 3), 200, np.uint8)
        >>> pk.Pipeline().invert().crop(1, 1, 2, 2)(img).array[..., 0].tolist()
        [[55, 55], [55, 55]]
        >>> gray = np.zeros((4, 6), np.uint8)
        >>> pk.Pipeline().to_gray()(img, out=gray) is gray
        True
        """
        if not isinstance(img, (Image, np.ndarray)) and type(img).__module__.startswith("dask"):
            from pixelkit import dask as pkdask

            if out is not None:
                raise TypeError("out= is not supported for Dask arrays (the result is lazy)")
            return pkdask.pipeline(img, self)
        return run.run(self._stages, self._c(), img, out)
