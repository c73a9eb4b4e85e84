"""``Pipeline``: a chain of pixelkit operations run in one fused pass.

``Pipeline()`` is an immutable builder: each method has the name and the
parameters of the pixelkit operation it stands for and returns a new
pipeline with that stage added.  Calling the pipeline runs the whole chain
in C, band by band: each thread carries a band of rows through every stage
in scratch buffers of about 2 MiB, so no full-size intermediate image is
made and each source pixel is read from memory once.  The result is
byte for byte that of calling the operations one after another.

Stages are checked when they are added (a bad parameter, or a stage that
cannot follow the previous one, raises there); what depends on the input's
size (a crop that must fit, a blend image of the right shape) is checked
when the pipeline is called, before any C code runs.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, SupportsFloat, SupportsIndex

import numpy as np
from numpy.typing import NDArray

from pixelkit import ops
from pixelkit._native import CData, ffi, lib
from pixelkit.errors import check
from pixelkit.image import Image, dimension, new_bytes
from pixelkit.ops import ImageLike, ResizeMethod, TensorLayout
from pixelkit.rawio import as_image

__all__ = ["Pipeline"]

_KINDS = {
    "invert": lib.PK_STAGE_INVERT,
    "apply_lut": lib.PK_STAGE_APPLY_LUT,
    "adjust": lib.PK_STAGE_APPLY_LUT,
    "swap_rb": lib.PK_STAGE_SWAP_RB,
    "blend": lib.PK_STAGE_BLEND,
    "flip_horizontal": lib.PK_STAGE_FLIP_HORIZONTAL,
    "flip_vertical": lib.PK_STAGE_FLIP_VERTICAL,
    "crop": lib.PK_STAGE_CROP,
    "resize": lib.PK_STAGE_RESIZE,
    "box_blur": lib.PK_STAGE_BOX_BLUR,
    "gaussian_blur": lib.PK_STAGE_GAUSSIAN_BLUR,
    "convolve": lib.PK_STAGE_CONVOLVE,
    "to_gray": lib.PK_STAGE_TO_GRAY,
    "to_tensor": lib.PK_STAGE_TO_TENSOR,
    "histogram": lib.PK_STAGE_HISTOGRAM,
}
# Stages after which nothing may follow: their results are not RGB images.
_TERMINAL = frozenset({"to_gray", "to_tensor", "histogram"})
MAX_STAGES: int = lib.PK_MAX_STAGES


@dataclass(frozen=True)
class _Stage:
    """One stage: the operation's name, its parameters as given (for repr) and what C needs."""

    name: str
    shown: tuple[tuple[str, Any], ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    # Objects the C descriptor points into (tables, kernels, the blend image).
    keep: tuple[Any, ...] = ()
    reach: tuple[int, int] = (0, 0)  # rows, columns a neighbourhood stage reads beyond its pixel

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.shown)
        return f"{self.name}({args})"


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array {value.dtype} {value.shape}>"
    if isinstance(value, Image):
        return f"<Image {value.width}x{value.height}>"
    return repr(value)


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

    _stages: tuple[_Stage, ...]
    _c_stages: CData | None

    def __init__(self) -> None:
        self._stages = ()
        self._c_stages = None

    # ---- building ------------------------------------------------------------

    def _then(self, stage: _Stage) -> Pipeline:
        if self._stages and self._stages[-1].name in _TERMINAL:
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

    def invert(self) -> Pipeline:
        """Add :func:`pixelkit.invert` (``255 - v``)."""
        return self._then(_Stage("invert"))

    def apply_lut(self, lut: NDArray[np.uint8]) -> Pipeline:
        """Add :func:`pixelkit.apply_lut`; the table is copied now, so later changes to it do not count."""
        table = ops._lut_array(lut).copy()
        return self._then(
            _Stage(
                "apply_lut",
                (("lut", table),),
                {"lut": ffi.from_buffer("uint8_t[]", table), "lut_size": table.size},
                (table,),
            )
        )

    def adjust(self, brightness: float = 0.0, contrast: float = 1.0, gamma: float = 1.0) -> Pipeline:
        """Add :func:`pixelkit.adjust` (brightness, contrast and gamma through one lookup table)."""
        table = ops.adjust_lut(brightness, contrast, gamma)
        shown = (("brightness", float(brightness)), ("contrast", float(contrast)), ("gamma", float(gamma)))
        return self._then(
            _Stage("adjust", shown, {"lut": ffi.from_buffer("uint8_t[]", table), "lut_size": table.size}, (table,))
        )

    def swap_rb(self) -> Pipeline:
        """Add :func:`pixelkit.swap_rb` (RGB to BGR)."""
        return self._then(_Stage("swap_rb"))

    def blend(self, b: ImageLike, alpha: float) -> Pipeline:
        """Add :func:`pixelkit.blend` with the fixed second image ``b`` (of the stage input's size).

        ``b`` is used as it is when the pipeline runs (it is not copied).
        """
        other = as_image(b, "b")
        weight = ops._finite(alpha, "alpha")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"alpha must be between 0 and 1, got {weight}")
        return self._then(
            _Stage("blend", (("b", other), ("alpha", weight)), {"other": other._desc, "alpha": weight}, (other,))
        )

    def to_gray(self) -> Pipeline:
        """Add :func:`pixelkit.to_gray` (BT.601 luma); it ends the pipeline."""
        return self._then(_Stage("to_gray"))

    def flip_horizontal(self) -> Pipeline:
        """Add :func:`pixelkit.flip_horizontal`."""
        return self._then(_Stage("flip_horizontal"))

    def flip_vertical(self) -> Pipeline:
        """Add :func:`pixelkit.flip_vertical`."""
        return self._then(_Stage("flip_vertical"))

    def crop(self, x: SupportsIndex, y: SupportsIndex, width: SupportsIndex, height: SupportsIndex) -> Pipeline:
        """Add a crop (:meth:`pixelkit.Image.crop`): the ``width`` x ``height`` region at (x, y)."""
        for value, name in ((x, "x"), (y, "y")):
            if isinstance(value, bool) or not hasattr(value, "__index__"):
                raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        left, top = operator.index(x), operator.index(y)
        if left < 0 or top < 0:
            raise ValueError(f"crop ({left}, {top}, ...) must start inside the image")
        w, h = dimension(width, "width"), dimension(height, "height")
        shown = (("x", left), ("y", top), ("width", w), ("height", h))
        return self._then(_Stage("crop", shown, {"x": left, "y": top, "width": w, "height": h}))

    def resize(self, width: SupportsIndex, height: SupportsIndex, method: ResizeMethod = "bilinear") -> Pipeline:
        """Add :func:`pixelkit.resize` to ``width`` x ``height``."""
        w, h = dimension(width, "width"), dimension(height, "height")
        code = ops._method_code(method)
        shown = (("width", w), ("height", h), ("method", method))
        return self._then(_Stage("resize", shown, {"width": w, "height": h, "method": code}))

    def box_blur(self, radius: SupportsIndex) -> Pipeline:
        """Add :func:`pixelkit.box_blur` of ``radius``."""
        if isinstance(radius, bool) or not hasattr(radius, "__index__"):
            raise TypeError(f"radius must be an integer, got {type(radius).__name__}")
        r = operator.index(radius)
        if not 0 <= r <= ops.MAX_BLUR_RADIUS:
            raise ValueError(f"radius must be between 0 and {ops.MAX_BLUR_RADIUS}, got {r}")
        return self._then(_Stage("box_blur", (("radius", r),), {"radius": r}, reach=(r, r)))

    def gaussian_blur(self, sigma: float) -> Pipeline:
        """Add :func:`pixelkit.gaussian_blur` of ``sigma``."""
        r = ops.gaussian_radius(sigma)
        s = ops._finite(sigma, "sigma")
        return self._then(_Stage("gaussian_blur", (("sigma", s),), {"sigma": s}, reach=(r, r)))

    def convolve(
        self,
        kernel: Any,
        scale: SupportsFloat | SupportsIndex | None = None,
        offset: SupportsFloat | SupportsIndex = 0,
    ) -> Pipeline:
        """Add :func:`pixelkit.convolve` with a small integer ``kernel``."""
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
        return self._then(_Stage("convolve", shown, c_fields, (weights,), reach=(rows // 2, cols // 2)))

    def to_tensor(
        self,
        mean: Sequence[SupportsFloat] = (0.0, 0.0, 0.0),
        std: Sequence[SupportsFloat] = (1.0, 1.0, 1.0),
        layout: TensorLayout = "CHW",
    ) -> Pipeline:
        """Add :func:`pixelkit.to_tensor` (float32, ``(x / 255 - mean) / std``); it ends the pipeline."""
        scale, bias = ops._tensor_coefficients(mean, std)
        if layout not in ("CHW", "HWC"):
            raise ValueError(f"layout must be 'CHW' or 'HWC', got {layout!r}")
        shown = (("mean", tuple(float(m) for m in mean)), ("std", tuple(float(s) for s in std)), ("layout", layout))
        stage = _Stage(
            "to_tensor", shown, {"tensor_scale": scale, "tensor_bias": bias, "layout": layout}, (scale, bias)
        )
        return self._then(stage)

    def histogram(self) -> Pipeline:
        """Add :func:`pixelkit.histogram` (``(3, 256)`` uint64 counts); it ends the pipeline."""
        return self._then(_Stage("histogram"))

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

        A blend's image is given as a numpy array (the same memory).  ``Pipeline.from_steps``
        turns the list back into a pipeline; pickling a pipeline goes through it.
        """
        return [(s.name, {k: np.asarray(v) if isinstance(v, Image) else v for k, v in s.shown}) for s in self._stages]

    @staticmethod
    def from_steps(steps: Sequence[tuple[str, dict[str, Any]]]) -> Pipeline:
        """The pipeline of :meth:`steps`' pairs: each method called with its keyword arguments, in order."""
        pipe = Pipeline()
        for name, kwargs in steps:
            if name not in _KINDS:
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
            array = ffi.new("pk_stage[]", max(1, len(self._stages)))
            for i, stage in enumerate(self._stages):
                array[i].kind = _KINDS[stage.name]
                for key, value in stage.fields.items():
                    if key != "layout":
                        setattr(array[i], key, value)
            object.__setattr__(self, "_c_stages", array)
        return self._c_stages

    def output_shape(self, width: int, height: int) -> tuple[int, ...]:
        """The shape of the result for a ``width`` x ``height`` input; raises ValueError where a stage does not fit.

        Examples
        --------
        >>> import pixelkit as pk
        >>> pk.Pipeline().crop(10, 10, 100, 50).resize(50, 25).to_tensor().output_shape(200, 100)
        (3, 25, 50)
        """
        w, h = width, height
        for stage in self._stages:
            f = stage.fields
            if stage.name == "crop":
                if f["x"] + f["width"] > w or f["y"] + f["height"] > h:
                    raise ValueError(
                        f"crop ({f['x']}, {f['y']}, {f['width']}, {f['height']}) does not fit in the {w}x{h} image"
                    )
                w, h = f["width"], f["height"]
            elif stage.name == "resize":
                w, h = f["width"], f["height"]
            elif stage.name == "blend":
                other = stage.keep[0]
                if (other.height, other.width) != (h, w):
                    raise ValueError(f"blend needs images of the same size, got {(h, w, 3)} and {other.shape}")
        last = self._stages[-1].name if self._stages else None
        if last == "to_gray":
            return (h, w)
        if last == "histogram":
            return (3, 256)
        if last == "to_tensor":
            return (3, h, w) if self._stages[-1].fields["layout"] == "CHW" else (h, w, 3)
        return (h, w, 3)

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
        src = img if isinstance(img, Image) else as_image(img)
        shape = self.output_shape(src._width, src._height)
        last = self._stages[-1].name if self._stages else None
        stages = self._c()
        count = len(self._stages)
        null: Any = ffi.NULL
        if last == "to_gray":
            result = new_bytes(*shape) if out is None else out
            plane = ops._plane(result, shape[1], shape[0], "Pipeline")
            check(lib.pk_pipeline(src._desc, stages, count, null, plane, null, null), "Pipeline")
            return result
        if last == "to_tensor":
            layout = self._stages[-1].fields["layout"]
            width, height = (shape[2], shape[1]) if layout == "CHW" else (shape[1], shape[0])
            tensor, descriptor = ops._tensor_output(out, width, height, layout, "Pipeline")
            check(lib.pk_pipeline(src._desc, stages, count, null, null, descriptor, null), "Pipeline")
            return tensor
        if last == "histogram":
            counts = np.empty((3, 256), np.uint64) if out is None else out
            if not isinstance(counts, np.ndarray) or counts.dtype != np.uint64 or counts.shape != (3, 256):
                raise TypeError("Pipeline: out must be a (3, 256) uint64 numpy array for a histogram")
            if not counts.flags.writeable or not counts.flags.c_contiguous:
                raise ValueError("Pipeline: out must be writable and contiguous")
            check(
                lib.pk_pipeline(src._desc, stages, count, null, null, null, ffi.from_buffer("uint64_t[]", counts)),
                "Pipeline",
            )
            return counts
        height, width = shape[0], shape[1]
        dst = ops._output(out, width, height, "Pipeline")
        if out is not None and self._shares_memory(dst, src):
            # The chain reads its input while writing: work in a fresh image, then copy.
            temporary = Image._empty(width, height)
            check(lib.pk_pipeline(src._desc, stages, count, temporary._desc, null, null, null), "Pipeline")
            np.copyto(dst._array, temporary._array)
        else:
            check(lib.pk_pipeline(src._desc, stages, count, dst._desc, null, null, null), "Pipeline")
        return dst if out is None else out

    def _shares_memory(self, dst: Image, src: Image) -> bool:
        images = [src] + [s.keep[0] for s in self._stages if s.name == "blend"]
        return any(np.may_share_memory(dst._array, i._array) for i in images)
