"""pixelkit kernels on Dask arrays: images larger than memory, and many frames.

A raw file becomes a lazy ``dask.array`` with :func:`from_raw` (one image,
``(H, W, 3)``, cut into row bands or tiles) or :func:`from_raw_frames`
(``(N, H, W, 3)``, one frame per chunk).  Each block is memory-mapped in
the process that computes it, so nothing but a path and a few numbers
travels through the task graph.  The functions here mirror
:mod:`pixelkit.ops` and return lazy arrays; every block is processed by the
same C kernels, without the GIL:

- point kernels and geometry per block (flips, transposes and quarter
  turns also rearrange the blocks);
- ``box_blur`` and ``gaussian_blur`` with a halo of the kernel's radius
  taken from the neighbouring blocks (reflect-101 at the image's own
  edges), so the result equals the whole-image result exactly;
- ``resize`` tile by tile, each tile reading exactly the source pixels the
  whole-image resize would (:func:`pixelkit.ops.resize_part`): exact too;
- ``histogram`` as a tree reduction.

:func:`to_raw`, :func:`to_ppm` and :func:`to_pgm` write a result block by
block into a temporary file next to the target, renamed over it when every
block is written, so memory stays at a few chunks whatever the image size.

Everything runs on Dask's threaded scheduler and on ``dask.distributed``
(worker processes on this or other machines: the files must be visible to
every worker under the same path).

Install with ``pip install 'pixelkit[dask]'``.
"""

from __future__ import annotations

# Checked here, before the modules below import it, to say how to install it.
try:
    import dask.array  # noqa: F401
except ImportError as error:  # pragma: no cover - tested in a subprocess without Dask
    raise ImportError(
        "pixelkit.dask needs Dask: install it with pip install 'pixelkit[dask]' "
        "(or pip install 'dask[array]', plus 'distributed' for clusters)"
    ) from error

# One module per job (sources, blocks, the operations by family as in pixelkit.ops, pipelines,
# writers); the ``Name as Name`` imports are the argument types and the classes behind the blocks.
from pixelkit.dask.blocks import Images as Images
from pixelkit.dask.convert import to_gray, to_tensor
from pixelkit.dask.filter import box_blur, gaussian_blur
from pixelkit.dask.geometry import flip_horizontal, flip_vertical, paste, rotate90, transpose
from pixelkit.dask.pipelines import pipeline
from pixelkit.dask.point import adjust, apply_lut, blend, fill, invert, swap_rb
from pixelkit.dask.resample import resize
from pixelkit.dask.sources import Chunks as Chunks
from pixelkit.dask.sources import RawFrameFiles as RawFrameFiles
from pixelkit.dask.sources import RawImageFile as RawImageFile
from pixelkit.dask.sources import from_raw, from_raw_frames
from pixelkit.dask.stats import histogram
from pixelkit.dask.writers import RawFileTarget as RawFileTarget
from pixelkit.dask.writers import to_pgm, to_ppm, to_raw

__all__ = [
    "adjust",
    "apply_lut",
    "blend",
    "box_blur",
    "fill",
    "flip_horizontal",
    "flip_vertical",
    "from_raw",
    "from_raw_frames",
    "gaussian_blur",
    "histogram",
    "invert",
    "paste",
    "pipeline",
    "resize",
    "rotate90",
    "swap_rb",
    "to_gray",
    "to_pgm",
    "to_ppm",
    "to_raw",
    "to_tensor",
    "transpose",
]
