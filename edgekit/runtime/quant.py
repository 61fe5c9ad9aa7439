"""Affine int8 conversions at member boundaries, with the manifest's scales and zero points."""

from __future__ import annotations

from typing import Any

import numpy as np

from edgekit.runtime.manifest import TensorSpec

# the ufunc behind np.clip, without np.clip's Python-level argument handling (~3 us a call);
# numpy >= 2 keeps it in numpy._core, numpy 1.x (the tflite-runtime venv) in numpy.core
_UMATH: Any = getattr(getattr(np, "_core", None), "umath", None) or getattr(np.core, "umath")  # noqa: B009
_clip: np.ufunc = _UMATH.clip

_RANGES = {"int8": (-128, 127), "uint8": (0, 255)}
_BOUNDS = {k: (np.float32(lo), np.float32(hi)) for k, (lo, hi) in _RANGES.items()}


def to_file_dtype(x: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """Float activations/features -> the dtype the member file expects for this input."""
    if spec.dtype == "float32":
        return np.ascontiguousarray(x, dtype=np.float32)
    assert spec.quantization is not None  # the manifest parser guarantees it
    lo, hi = _BOUNDS[spec.dtype]
    q = np.multiply(x, np.float32(1.0 / spec.quantization.scale), dtype=np.float32)
    np.rint(q, out=q)  # nearest (ties to even; TFLite breaks ties away from zero: rare)
    np.add(q, np.float32(spec.quantization.zero_point), out=q)
    _clip(q, lo, hi, out=q)
    out: np.ndarray = q.astype(spec.dtype)
    return out


def to_float(x: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """A member output in the file's dtype -> float32 values."""
    if spec.dtype == "float32":
        return np.asarray(x, dtype=np.float32)
    assert spec.quantization is not None
    q = spec.quantization
    out: np.ndarray = np.multiply(
        np.subtract(x, np.float32(q.zero_point), dtype=np.float32), np.float32(q.scale)
    )
    return out


def dequantize_table(spec: TensorSpec) -> np.ndarray | None:
    """For an 8-bit tensor, float32 [256]: ``to_float`` of each code, indexed by the code's bit
    pattern (``table[codes.view(np.uint8)] == to_float(codes, spec)`` exactly); else None."""
    if spec.dtype not in _RANGES:
        return None
    codes = _codes(spec.dtype)
    return to_float(codes, spec)[np.argsort(codes.view(np.uint8), kind="stable")]


def _codes(dtype: str) -> np.ndarray:
    lo = _RANGES[dtype][0]
    return np.arange(lo, lo + 256).astype(dtype)


def same_encoding(a: TensorSpec, b: TensorSpec) -> bool:
    """True when a tensor in ``a``'s encoding can be fed unchanged where ``b`` is expected."""
    return a.dtype == b.dtype and a.quantization == b.quantization


def requantize_table(source: TensorSpec, target: TensorSpec) -> np.ndarray | None:
    """A 256-entry table mapping ``source``'s 8-bit codes to ``target``'s, or None.

    It is exactly ``to_file_dtype(to_float(code, source), target)`` for every code, so an 8-bit
    activation passed between members takes one table look-up instead of two float passes.
    """
    if source.dtype not in _RANGES or target.dtype not in _RANGES:
        return None
    codes = _codes(source.dtype)
    table = to_file_dtype(to_float(codes, source), target)
    # index by the code's bit pattern (as uint8), so the look-up needs no offset
    return table[np.argsort(codes.view(np.uint8), kind="stable")]


def translation(table: np.ndarray) -> bytes:
    """An 8-bit code table as ``bytes.translate`` takes it (entries by the code's bit pattern)."""
    return table.view(np.uint8).tobytes()


def apply_table(
    table: np.ndarray, codes: np.ndarray, translated: bytes | None = None
) -> np.ndarray:
    """``table``'s entry for each 8-bit code, by ``bytes.translate`` over the codes' bytes: one C
    loop over bytes, where np.take first widens every index to intp (measured in
    benchmarks/runtime.md). ``translated``: ``translation(table)``, computed once by callers on
    the hot path. The result is read-only (a view of the translated bytes)."""
    data = codes.tobytes().translate(translation(table) if translated is None else translated)
    return np.frombuffer(data, table.dtype).reshape(codes.shape)
