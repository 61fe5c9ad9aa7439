"""TFLite's fixed-point parameters, computed the way TFLite Micro's Prepare computes them:
effective scales in double precision, ``QuantizeMultiplier`` (frexp, round half away from
zero), the per-operator folding (MEAN's 1/count, ADD's 20 bits of headroom)."""

from __future__ import annotations

import math

import numpy as np


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: ``real`` ~ multiplier * 2^(shift - 31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    fixed = math.floor(abs(q) * (1 << 31) + 0.5) * (1 if q >= 0 else -1)  # half away
    if fixed == 1 << 31:
        fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return fixed, shift


def round_away(x: float) -> int:
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def binary_multipliers(name: str, s1: float, s2: float, so: float) -> tuple[list[int], list[int]]:
    """TFLM's int8 MUL (one rescale) and ADD (inputs to twice the larger scale, 20 bits of
    headroom, then the sum to the output), in double precision as its Prepare computes them."""
    a, b, out = np.float64(s1), np.float64(s2), np.float64(so)
    if name == "MUL":
        m, s = quantize_multiplier(float(a * b / out))
        return [m], [s]
    twice = 2 * max(a, b)
    pairs = [
        quantize_multiplier(float(r)) for r in (a / twice, b / twice, twice / ((1 << 20) * out))
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def per_channel(
    in_scale: float, weight_scales: list[float], out_scale: float, per_tensor_float_product: bool
) -> tuple[list[int], list[int]]:
    """Conv / depthwise / fully-connected output multipliers, one per weight scale."""
    if len(weight_scales) == 1 and per_tensor_float_product:
        # TFLM's GetQuantizedConvolutionMultipler: the float product, then double division
        real = float(
            np.float64(np.float32(in_scale) * np.float32(weight_scales[0])) / np.float64(out_scale)
        )
        m, s = quantize_multiplier(real)
        return [m], [s]
    pairs = [
        quantize_multiplier(
            float(np.float64(in_scale) * np.float64(np.float32(fs)) / np.float64(out_scale))
        )
        for fs in weight_scales
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def mean_multiplier(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
    """TFLM QuantizedMeanOrSum: 1/count folded into the in/out rescaling multiplier."""
    m, shift = quantize_multiplier(float(np.float64(in_scale) / np.float64(out_scale)))
    s = min(count.bit_length() - 1, 32)  # 63 - clz64(count)
    s = min(s, 31 + shift)
    return int((m << s) // count), shift - s


def requantize_int8(
    values: np.ndarray, in_zp: int, mult: int, shift: int, out_zp: int
) -> np.ndarray:
    """TFLite's int8 -> int8 requantisation (reference MultiplyByQuantizedMultiplier: the
    rounding doubling high multiply, then a rounding right shift), exactly, on int64 arrays."""
    x = (values.astype(np.int64) - in_zp) * (1 << max(shift, 0))
    ab = x * mult
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    total = ab + nudge
    high = np.where(total >= 0, total // (1 << 31), -((-total) // (1 << 31)))  # toward zero
    right = max(-shift, 0)
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (high < 0)
    rounded = (high >> right) + ((high & mask) > threshold)
    out: np.ndarray = np.clip(rounded + out_zp, -128, 127)
    return out
