"""Parse one DSA-19 sensor segment (125 lines x 45 comma-separated numbers) into an array.

It lives with the front end, not the data loaders, because the torch-free runtime reads the
same text files a user records: ``edgekit run BUNDLE a01/p7/s01.txt``.
"""

from __future__ import annotations

import warnings

import numpy as np

from edgekit.errors import DataError

STEPS, CHANNELS = 125, 45


def parse_segment(text: str, where: str) -> np.ndarray:
    """One segment file as float32 [125, 45]; a wrong shape or a non-number names the line."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # older numpy warns where it stops early
            values = np.fromstring(",".join(lines), dtype=np.float64, sep=",")
    except ValueError:  # numpy >= 2.3 raises on a non-number; the slow path below names it
        values = np.empty(0)
    shape_ok = len(lines) == STEPS and all(ln.count(",") == CHANNELS - 1 for ln in lines)
    if shape_ok and values.size == STEPS * CHANNELS and np.all(np.isfinite(values)):
        return values.reshape(STEPS, CHANNELS).astype(np.float32)
    for i, line in enumerate(lines, start=1):
        tokens = line.split(",")
        for token in tokens:
            try:
                float(token)
            except ValueError:
                raise DataError(f"{where}: line {i}: {token.strip()!r} is not a number") from None
        if not all(np.isfinite(float(t)) for t in tokens):
            raise DataError(f"{where}: line {i}: NaN or infinite value")
        if len(tokens) != CHANNELS:
            raise DataError(
                f"{where}: line {i} has {len(tokens)} values, expected {CHANNELS} "
                f"(a segment is {STEPS} lines x {CHANNELS} values)"
            )
    raise DataError(
        f"{where}: {len(lines)} lines, expected {STEPS} (a segment is {STEPS} x {CHANNELS})"
    )
