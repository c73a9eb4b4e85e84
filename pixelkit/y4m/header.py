"""The YUV4MPEG2 header: its fields, parsed from and written to its text line."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pixelkit.errors import FormatError
from pixelkit.yuv import YuvFormat

SIGNATURE = b"YUV4MPEG2"
FRAME_TAG = b"FRAME"
# A header or frame line longer than this is not a y4m stream (real ones are under 200 bytes).
MAX_LINE_BYTES = 4096
# The largest frame a header may announce (width and height each at most 2**16 as elsewhere).
MAX_DIMENSION = 1 << 16

_SUBSAMPLING = {"420": "i420", "422": "i422", "444": "i444", "mono": "mono"}
_DEPTHS = (9, 10, 12, 14, 16)
_INTERLACING = {"p": "progressive", "t": "top_first", "b": "bottom_first", "m": "mixed"}
_WRITABLE = ("420jpeg", "420mpeg2", "420paldv", "420", "422", "444", "mono")


def _colorspaces() -> dict[str, tuple[str, int]]:
    """Every colour space tag read here: (subsampling, bits per sample)."""
    found = {"420jpeg": ("420", 8), "420mpeg2": ("420", 8), "420paldv": ("420", 8)}
    for tag in ("420", "422", "444", "mono"):
        found[tag] = (tag, 8)
        for bits in _DEPTHS:
            found[f"{tag}p{bits}" if tag != "mono" else f"mono{bits}"] = (tag, bits)
    return found


COLORSPACES = _colorspaces()


@dataclass(frozen=True)
class Y4MHeader:
    """The header of a YUV4MPEG2 stream.

    Parameters
    ----------
    width, height : int
        The frame size in pixels (``W`` and ``H``).
    fps : fractions.Fraction
        Frames per second (``F``, for example ``Fraction(30000, 1001)``).
    aspect : fractions.Fraction or None
        The pixel aspect ratio (``A``); None when the stream says ``A0:0`` (unknown) or nothing.
    interlacing : str
        ``"progressive"``, ``"top_first"``, ``"bottom_first"`` or ``"mixed"`` (``Ip``, ``It``,
        ``Ib``, ``Im``; progressive when absent).
    colorspace : str
        The ``C`` tag: ``"420jpeg"`` (the default when absent), ``"420mpeg2"``, ``"420paldv"``,
        ``"420"``, ``"422"``, ``"444"``, ``"mono"``, or a high bit depth one such as ``"420p10"``
        or ``"mono12"``.
    color_range : str or None
        ``"full"`` or ``"limited"`` from ffmpeg's ``XCOLORRANGE`` extension, None without it.
    extensions : tuple of str
        Every ``X`` parameter as written, without the ``X``.
    header_bytes : int
        The header line's length with its newline: the byte offset of the first frame.

    Examples
    --------
    >>> header = pixelkit.Y4MHeader.parse(b"YUV4MPEG2 W320 H240 F30000:1001 Ip A1:1 C420jpeg\\n")
    >>> header.width, header.height, header.fps, header.frame_bytes
    (320, 240, Fraction(30000, 1001), 115200)
    """

    width: int
    height: int
    fps: Fraction
    aspect: Fraction | None = None
    interlacing: str = "progressive"
    colorspace: str = "420jpeg"
    color_range: str | None = None
    extensions: tuple[str, ...] = ()
    header_bytes: int = 0

    @property
    def subsampling(self) -> str:
        """``"420"``, ``"422"``, ``"444"`` or ``"mono"``."""
        return COLORSPACES[self.colorspace][0]

    @property
    def bit_depth(self) -> int:
        """Bits per sample: 8, or 9 to 16 for tags such as ``420p10`` (stored in 2 bytes, little-endian)."""
        return COLORSPACES[self.colorspace][1]

    @property
    def yuv_format(self) -> YuvFormat | str:
        """The format name of :func:`pixelkit.from_yuv` for the planes (``"mono"`` for Y alone)."""
        return _SUBSAMPLING[self.subsampling]

    @property
    def plane_shapes(self) -> tuple[tuple[int, int], ...]:
        """(rows, columns) of each plane: Y, U, V (Y alone for mono), with ffmpeg's rounding up."""
        w, h = self.width, self.height
        if self.subsampling == "mono":
            return ((h, w),)
        cw = (w + 1) // 2 if self.subsampling in ("420", "422") else w
        ch = (h + 1) // 2 if self.subsampling == "420" else h
        return ((h, w), (ch, cw), (ch, cw))

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame's planes (without its ``FRAME`` line)."""
        sample = 1 if self.bit_depth == 8 else 2
        return sample * sum(rows * cols for rows, cols in self.plane_shapes)

    @classmethod
    def parse(cls, line: bytes, offset: int = 0) -> Y4MHeader:
        """The header of a stream from its first line (with or without the newline).

        Parameters
        ----------
        line : bytes
            The header line, starting with ``YUV4MPEG2``.
        offset : int, optional
            The line's byte offset in its stream, for messages.

        Returns
        -------
        Y4MHeader
            The parsed header.

        Raises
        ------
        FormatError
            The line is not a y4m header, a parameter is malformed, the colour space tag is not
            one pixelkit reads, or ``W`` or ``H`` is missing; the message gives the byte offset.

        Examples
        --------
        >>> pixelkit.Y4MHeader.parse(b"YUV4MPEG2 W4 H2 F25:1 C444").colorspace
        '444'
        """
        text = line[:-1] if line.endswith(b"\n") else line
        if not text.startswith(SIGNATURE) or (len(text) > len(SIGNATURE) and text[len(SIGNATURE)] != 0x20):
            raise FormatError(
                f"not a YUV4MPEG2 stream: expected {SIGNATURE.decode()!r} at byte offset {offset}, got {text[:16]!r}"
            )
        fields: dict[str, Any] = {"header_bytes": len(text) + 1}
        extensions: list[str] = []
        at = offset + len(SIGNATURE)
        for token in text[len(SIGNATURE) :].split(b" "):
            where = at
            at += len(token) + 1
            if not token:
                continue
            try:
                word = token.decode("ascii")
            except UnicodeDecodeError:
                raise FormatError(f"y4m header: non-ASCII parameter {token[:20]!r} at byte offset {where}") from None
            key, value = word[0], word[1:]
            if key in "WH":
                if not value.isdigit() or not 0 < int(value) <= MAX_DIMENSION:
                    raise FormatError(
                        f"y4m header: {key} must be a size from 1 to {MAX_DIMENSION}, got {word!r} at byte offset "
                        f"{where}"
                    )
                fields["width" if key == "W" else "height"] = int(value)
            elif key == "F":
                rate = _ratio(value, word, where)
                if rate is None or rate <= 0:
                    raise FormatError(
                        f"y4m header: the frame rate must be positive, got {word!r} at byte offset {where}"
                    )
                fields["fps"] = rate
            elif key == "A":
                fields["aspect"] = _ratio(value, word, where)
            elif key == "I":
                if value not in _INTERLACING:
                    raise FormatError(
                        f"y4m header: interlacing must be one of Ip, It, Ib, Im, got {word!r} at byte offset {where}"
                    )
                fields["interlacing"] = _INTERLACING[value]
            elif key == "C":
                if value not in COLORSPACES:
                    raise FormatError(
                        f"y4m header: unknown colour space {word!r} at byte offset {where}; pixelkit reads "
                        f"{', '.join('C' + c for c in COLORSPACES)}"
                    )
                fields["colorspace"] = value
            elif key == "X":
                extensions.append(value)
                if value.upper().startswith("COLORRANGE="):
                    chosen = value.split("=", 1)[1].lower()
                    if chosen in ("full", "limited"):
                        fields["color_range"] = chosen
            else:
                raise FormatError(f"y4m header: unknown parameter {word!r} at byte offset {where}")
        for key, name in (("width", "W"), ("height", "H")):
            if key not in fields:
                raise FormatError(f"y4m header at byte offset {offset} has no {name} (the frame {key}): {text[:80]!r}")
        fields.setdefault("fps", Fraction(25, 1))
        return cls(extensions=tuple(extensions), **fields)

    def to_bytes(self) -> bytes:
        """The header line, newline included, as :func:`write_y4m` writes it.

        Returns
        -------
        bytes
            ``YUV4MPEG2 W.. H.. F..:.. I. A..:.. C.. [X...]\\n``.

        Examples
        --------
        >>> from fractions import Fraction
        >>> pixelkit.Y4MHeader(4, 2, Fraction(25)).to_bytes()
        b'YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg\\n'
        """
        interlacing = {v: k for k, v in _INTERLACING.items()}[self.interlacing]
        aspect = self.aspect if self.aspect is not None else Fraction(1)
        words = [
            SIGNATURE.decode(),
            f"W{self.width}",
            f"H{self.height}",
            f"F{self.fps.numerator}:{self.fps.denominator}",
            f"I{interlacing}",
            f"A{aspect.numerator}:{aspect.denominator}",
            f"C{self.colorspace}",
        ]
        words += [f"X{x}" for x in self.extensions]
        return (" ".join(words) + "\n").encode("ascii")


def _ratio(value: str, word: str, where: int) -> Fraction | None:
    """``N:D`` as a Fraction (None for ``0:0``, unknown)."""
    parts = value.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise FormatError(f"y4m header: expected a ratio N:D, got {word!r} at byte offset {where}")
    num, den = int(parts[0]), int(parts[1])
    if den == 0:
        if num == 0:
            return None
        raise FormatError(f"y4m header: a ratio with a zero denominator, {word!r} at byte offset {where}")
    return Fraction(num, den)
