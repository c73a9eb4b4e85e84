"""YUV4MPEG2 (``.y4m``) streams: ffmpeg's container for raw video, read and written.

A stream is one text header line, ``YUV4MPEG2 W320 H240 F30000:1001 Ip A1:1 C420jpeg ...``, then
frames, each a ``FRAME`` line and the planes Y, U, V (or Y alone for ``mono``) back to back.
``ffmpeg -i clip.mp4 -f yuv4mpegpipe -`` writes one; ``ffmpeg -i - out.mp4`` reads one.  Frames
come out as RGB Images through :func:`pixelkit.from_yuv` (or as the raw planes), and RGB images go
in through :func:`pixelkit.to_yuv`.

Y4M has no tag for the colour matrix: like ffmpeg, pixelkit assumes BT.601 unless told otherwise.
The range comes from ffmpeg's ``XCOLORRANGE=FULL`` / ``LIMITED`` extension when the header has it,
else limited.  Chroma siting tags (``420jpeg``, ``420mpeg2``, ``420paldv``) are kept in the header
but all read the same way: each chroma sample covers its 2x2 block, as in
:func:`pixelkit.from_yuv`.
"""

from __future__ import annotations

from pixelkit.y4m.header import COLORSPACES, Y4MHeader
from pixelkit.y4m.reader import Y4MReader, count_y4m_frames, iter_y4m, read_y4m
from pixelkit.y4m.writer import write_y4m

__all__ = ["COLORSPACES", "Y4MHeader", "Y4MReader", "count_y4m_frames", "iter_y4m", "read_y4m", "write_y4m"]
