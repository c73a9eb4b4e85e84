"""Write the seed corpus of tools/fuzz_readers.py into tests/fuzz_corpus/.

    python tools/make_fuzz_corpus.py

Small valid and invalid netpbm files (P2, P3, P5, P6; 8- and 16-bit; with
comments) and raw RGB bytes.  The fuzzer feeds each seed to every reader, so
a seed is just a file's bytes.  Deterministic: rerunning rewrites the same files.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fuzz_corpus"


def plain(values: list[int], per_line: int = 6) -> bytes:
    lines = [" ".join(str(v) for v in values[i : i + per_line]) for i in range(0, len(values), per_line)]
    return ("\n".join(lines) + "\n").encode()


def seeds() -> dict[str, bytes]:
    rgb = bytes(range(0, 36))  # 3x4 pixels of 3 bytes
    gray = bytes(range(0, 256, 16))  # 4x4
    wide = b"".join(v.to_bytes(2, "big") for v in (0, 1, 255, 256, 1000, 65535))
    return {
        # valid PPM
        "p6_3x4_255.ppm": b"P6\n3 4\n255\n" + rgb,
        "p6_1x1_comment.ppm": b"P6 # a comment\n# another\n1 1\n255\n\x01\x02\x03",
        "p6_2x1_maxval15.ppm": b"P6\n2 1\n15\n\x00\x07\x0f\x01\x02\x03",
        "p6_2x1_16bit.ppm": b"P6\n2 1\n65535\n" + wide,
        "p6_1x1_maxval1000.ppm": b"P6\t1\t1\t1000 " + b"".join(v.to_bytes(2, "big") for v in (0, 999, 1000)),
        "p6_glued_comment.ppm": b"P6\n1#c\n1\n255\n\xff\x00\x7f",
        "p6_two_images.ppm": b"P6\n1 1\n255\n\x01\x02\x03P6\n1 1\n255\n\x04\x05\x06",
        "p3_2x2.ppm": b"P3\n# plain\n2 2\n255\n" + plain(list(range(0, 240, 20))),
        "p3_16bit.ppm": b"P3\n1 2\n65535\n0 1 2\n65535 40000 # c\n7\n",
        "p3_maxval7_crlf.ppm": b"P3\r\n2 1\r\n7\r\n0 1 2\r\n3 4 7\r\n",
        # valid PGM
        "p5_4x4_255.pgm": b"P5\n4 4\n255\n" + gray,
        "p5_4x4_15.pgm": b"P5\n4 4\n15\n" + bytes(range(16)),
        "p5_3x1_16bit.pgm": b"P5\n3 1\n300\n" + b"".join(v.to_bytes(2, "big") for v in (0, 150, 300)),
        "p2_3x2.pgm": b"P2\n3 2\n9\n0 1 2\n# comment between rows\n7 8 9\n",
        "p2_16bit.pgm": b"P2 2 1 65535 65535 0",
        # invalid: each should raise FormatError
        "bad_magic.ppm": b"P7\n1 1\n255\n\x00\x00\x00",
        "p4_bitmap.pbm": b"P4\n8 1\n\xaa",
        "truncated_header.ppm": b"P6\n3 ",
        "truncated_data.ppm": b"P6\n3 4\n255\n" + rgb[:20],
        "zero_width.ppm": b"P6\n0 1\n255\n",
        "huge_dims.ppm": b"P6\n1048576 1048576\n255\n\x00",
        "too_many_digits.pgm": b"P5\n12345678901 1\n255\n",
        "maxval_0.pgm": b"P5\n1 1\n0\n\x00",
        "maxval_65536.pgm": b"P5\n1 1\n65536\n\x00\x00",
        "sample_above_maxval.pgm": b"P5\n2 1\n10\n\x05\x0b",
        "sample_above_maxval_16.pgm": b"P5\n1 1\n1000\n\x03\xe9",
        "plain_bad_char.ppm": b"P3\n1 1\n255\n1 2 x\n",
        "plain_too_short.pgm": b"P2\n4 4\n255\n1 2 3\n",
        "plain_above_maxval.pgm": b"P2\n2 1\n5\n1 6\n",
        "no_space_after_maxval.ppm": b"P6\n1 1\n255x\x00\x00\x00",
        "negative.pgm": b"P2\n1 1\n255\n-1\n",
        # raw RGB (also valid input for read_raw / iter_raw_frames)
        "raw_2x2_rgb.raw": bytes(range(12)),
        "raw_frames_partial.raw": bytes(range(30)),
        "empty": b"",
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(seeds())} seeds to {OUT}")


if __name__ == "__main__":
    main()
