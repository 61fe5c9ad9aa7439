"""int8 conversions at member boundaries: the one-look-up requantisation is exact."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.runtime.manifest import Quantization, TensorSpec
from edgekit.runtime.quant import (
    apply_table,
    dequantize_table,
    requantize_table,
    same_encoding,
    to_file_dtype,
    to_float,
    translation,
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
    for got in (apply_table(table, codes), apply_table(table, codes, translation(table))):
        assert got.dtype == want.dtype and got.shape == want.shape == (4, 64)
        np.testing.assert_array_equal(got, want)
    # the old look-up (np.take by bit pattern) gives the same codes
    np.testing.assert_array_equal(table.take(codes.view(np.uint8)), want)


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


@pytest.mark.parametrize("target", [spec("int8", 0.05, 3), spec("uint8", 0.2, 128)])
def test_quantise_rounds_offsets_and_saturates(target: TensorSpec) -> None:
    x = np.array([[-1e9, -3.0, -0.024, 0.026, 0.074, 2.0, 1e9, 6.35]], np.float32)  # no ties
    assert target.quantization is not None
    scale, zp = target.quantization.scale, target.quantization.zero_point
    info = np.iinfo(np.dtype(target.dtype))
    want = np.clip(np.rint(x.astype(np.float64) / scale) + zp, info.min, info.max)
    got = to_file_dtype(x, target)
    assert got.dtype == np.dtype(target.dtype)
    np.testing.assert_array_equal(got.astype(np.int64), want.astype(np.int64))


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_dequantise_table_is_to_float_for_every_code(dtype: str) -> None:
    info = np.iinfo(np.dtype(dtype))
    codes = np.arange(info.min, info.max + 1).astype(dtype)
    source = spec(dtype, 0.0371, 5)
    table = dequantize_table(source)
    assert table is not None and dequantize_table(spec("float32")) is None
    np.testing.assert_array_equal(table[codes.view(np.uint8)], to_float(codes, source))
