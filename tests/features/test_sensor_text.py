"""The DSA-19 segment parser the loaders and the runtime share."""

from __future__ import annotations

import pytest

from edgekit.errors import DataError
from edgekit.features.sensor_text import parse_segment


def test_trailing_blank_lines_are_fine_and_shifted_columns_are_not() -> None:
    row = ",".join(["1.0"] * 45)
    good = "\n".join([row] * 125) + "\n\n\n"
    assert parse_segment(good, "seg").shape == (125, 45)
    lines = [row] * 125
    lines[3] = ",".join(["1.0"] * 46)
    lines[4] = ",".join(["1.0"] * 44)
    with pytest.raises(DataError, match="seg: line 4 has 46 values, expected 45"):
        parse_segment("\n".join(lines), "seg")


def test_nan_is_named() -> None:
    text = "\n".join(",".join(["1.0"] * 45) for _ in range(125))
    text = text.replace("1.0", "nan", 1)
    with pytest.raises(DataError, match="seg: line 1: NaN"):
        parse_segment(text, "seg")
