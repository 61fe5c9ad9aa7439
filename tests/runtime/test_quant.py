"""int8 conversions at member boundaries: the one-look-up requantisation is exact."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.runtime.manifest import Quantization, TensorSpec
from edgekit.runtime.quant import (
    apply_table,
    requantize_table,
    same_encoding,
    to_file_dtype,
    to_float,
)


def spec(dtype: str, scale: float = 0.0, zero_point: int = 0) -> TensorSpec:
    q = Quantization(scale, zero_point) if dtype != "float32" else None
    return TensorSpec("t", "activation", (4,), dtype, q)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (spec("int8", 0.0466, -128), spec("int8", 0.0451, -128)),  # a DSA-19 member pair
        (spec("int8", 0.1, 5), spec("int8", 0.37, -20)),  # coarser: codes merge and clip
        (spec("int8", 0.02, 0), spec("uint8", 0.05, 128)),
        (spec("uint8", 0.5, 3), spec("int8", 0.01, 0)),  # finer: most codes clip
    ],
)
def test_table_equals_dequantise_then_quantise(source: TensorSpec, target: TensorSpec) -> None:
    info = np.iinfo(np.dtype(source.dtype))
    codes = np.arange(info.min, info.max + 1).astype(source.dtype).reshape(4, 64)
    table = requantize_table(source, target)
    assert table is not None and table.dtype == np.dtype(target.dtype)
    want = to_file_dtype(to_float(codes, source), target)
    np.testing.assert_array_equal(apply_table(table, codes), want)


def test_float_tensors_get_no_table_and_equal_encodings_pass() -> None:
    assert requantize_table(spec("float32"), spec("int8", 0.1, 0)) is None
    assert same_encoding(spec("int8", 0.1, 2), spec("int8", 0.1, 2))
    assert not same_encoding(spec("int8", 0.1, 2), spec("int8", 0.1, 3))
    assert not same_encoding(spec("float32"), spec("int8", 0.1, 0))


def test_to_float_is_scale_times_offset_code() -> None:
    q = np.array([[-128, -7, 0, 127]], np.int8)
    got = to_float(q, spec("int8", 0.125, -7))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, 0.125 * (q.astype(np.float32) + 7))
