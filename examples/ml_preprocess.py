"""Turn raw frames into normalised 224x224 float32 batches for a neural network.

Each rgb24 file is memory-mapped (no copy), resized into ONE reused 224x224
Image and normalised with the ImageNet mean/std straight into ``batch[i]``
of ONE preallocated ``(N, 3, 224, 224)`` float32 array: ``out=`` everywhere,
so the loop allocates no image or tensor buffers.  Each full (or final
partial) batch goes to the model; here it is saved as ``batch-NNN.npy``.

    python examples/ml_preprocess.py frames/*.rgb --size 640x480 --batch-size 8
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

import pixelkit

SIDE = 224
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def batches(paths: Sequence[str], width: int, height: int, batch_size: int) -> Iterator[NDArray[np.float32]]:
    """Yield views of one reused batch array; consume each before asking for the next."""
    batch = np.empty((batch_size, 3, SIDE, SIDE), np.float32)
    resized = pixelkit.Image(SIDE, SIDE)
    filled = 0
    for path in paths:
        with pixelkit.open_raw(path, width, height) as frame:  # read-only mapping
            pixelkit.resize(frame, SIDE, SIDE, method="bilinear", out=resized)
        pixelkit.to_tensor(resized, mean=MEAN, std=STD, out=batch[filled])
        filled += 1
        if filled == batch_size:
            yield batch
            filled = 0
    if filled:
        yield batch[:filled]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("frames", nargs="+", help="raw rgb24 files, one frame each")
    parser.add_argument("--size", required=True, help="frame size WIDTHxHEIGHT")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out", default="batches", help="directory for batch-NNN.npy (default: %(default)s)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    os.makedirs(args.out, exist_ok=True)
    for number, batch in enumerate(batches(args.frames, width, height, args.batch_size)):
        np.save(os.path.join(args.out, f"batch-{number:03d}.npy"), batch)  # stand-in for model(batch)
        print(f"batch {number}: {batch.shape}, mean {batch.mean():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
