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

The builder is in :mod:`pixelkit.pipeline.builder`, the stages' model and C descriptors in
:mod:`pixelkit.pipeline.stage`, and the call that runs them in :mod:`pixelkit.pipeline.run`.
"""

from pixelkit.pipeline.builder import Pipeline
from pixelkit.pipeline.stage import MAX_STAGES

__all__ = ["MAX_STAGES", "Pipeline"]
