"""Affine int8 conversions at member boundaries, with the manifest's scales and zero points."""

from __future__ import annotations

import numpy as np

from edgekit.runtime.manifest import TensorSpec

_RANGES = {"int8": (-128, 127), "uint8": (0, 255)}


def to_file_dtype(x: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """Float activations/features -> the dtype the member file expects for this input."""
    if spec.dtype == "float32":
        return np.ascontiguousarray(x, dtype=np.float32)
    assert spec.quantization is not None  # the manifest parser guarantees it
    lo, hi = _RANGES[spec.dtype]
    q = np.multiply(x, np.float32(1.0 / spec.quantization.scale), dtype=np.float32)
    np.rint(q, out=q)  # nearest (ties to even; TFLite breaks ties away from zero: rare)
    q += np.float32(spec.quantization.zero_point)
    np.clip(q, lo, hi, out=q)
    out: np.ndarray = q.astype(spec.dtype)
    return out


def to_float(x: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """A member output in the file's dtype -> float32 values."""
    if spec.dtype == "float32":
        return np.asarray(x, dtype=np.float32)
    assert spec.quantization is not None
    q = spec.quantization
    return ((x.astype(np.float32) - q.zero_point) * q.scale).astype(np.float32)
