"""One TFLite operator as a C operator: its inputs, integer parameters (strides, padding,
axes), fused-activation clamps and int8 multipliers. One handler per operator family; an
operator the C runtime does not run is refused with its name."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from edgekit.errors import EdgekitError
from edgekit.export.c.fixedpoint import (
    binary_multipliers,
    mean_multiplier,
    per_channel,
    quantize_multiplier,
    round_away,
)
from edgekit.export.c.tables import COp, CTensor

_SAME = 0
_ACT_NONE, _ACT_RELU, _ACT_RELU6 = 0, 1, 3

Tensors = dict[int, CTensor]


def act_range(act: int, t: CTensor) -> tuple[tuple[int, int], tuple[float, float]]:
    """The int8 and float output clamps of a fused activation (TFLite's CalculateActivationRange)."""
    if act == _ACT_NONE:
        return (-128, 127), (-math.inf, math.inf)
    if act not in (_ACT_RELU, _ACT_RELU6):
        raise EdgekitError(f"fused activation {act} is not supported by the C runtime")
    hi_f = 6.0 if act == _ACT_RELU6 else math.inf
    if t.dtype != "i8":
        return (-128, 127), (0.0, hi_f)
    lo = max(-128, t.zero_point + round_away(float(np.float32(0.0) / np.float32(t.scale))))
    hi = 127
    if act == _ACT_RELU6:
        hi = min(127, t.zero_point + round_away(float(np.float32(6.0) / np.float32(t.scale))))
    return (lo, hi), (0.0, hi_f)


def _pad(in_size: int, filt: int, stride: int, dil: int, out_size: int, padding: int) -> int:
    if padding != _SAME:
        return 0
    effective = (filt - 1) * dil + 1
    return max(0, (out_size - 1) * stride + effective - in_size) // 2


def _hw(shape: tuple[int, ...]) -> tuple[int, int]:
    """(H, W) of an NHWC-style shape (lower ranks right-aligned)."""
    padded = (1,) * (4 - len(shape)) + tuple(shape)
    return padded[1], padded[2]


def _window(
    x: CTensor, o: CTensor, kernel: tuple[int, int], dil: tuple[int, int], opts: Any
) -> dict[str, int]:
    """Strides and top/left padding of a 2-D window (conv or pool) from its TFLite options."""
    (ih, iw), (oh, ow) = _hw(x.shape), _hw(o.shape)
    return {
        "stride_h": opts.strideH,
        "stride_w": opts.strideW,
        "pad_h": _pad(ih, kernel[0], opts.strideH, dil[0], oh, opts.padding),
        "pad_w": _pad(iw, kernel[1], opts.strideW, dil[1], ow, opts.padding),
    }


def _check_operands(name: str, x: CTensor, f: CTensor, bias: CTensor | None, member: str) -> None:
    """Float layers take float weights and bias; int8 layers int8 weights and an int32 bias
    (hybrid float-input / int8-weight layers are not run by the C runtime)."""
    want = ("f32", "f32") if x.dtype == "f32" else ("i8", "i32")
    if x.dtype not in ("f32", "i8") or f.dtype != want[0] or (bias and bias.dtype != want[1]):
        got = f"{x.dtype} input, {f.dtype} weights" + (f", {bias.dtype} bias" if bias else "")
        raise EdgekitError(f"{member}: {name} with {got} is not supported by the C runtime")


def _weighted(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    """CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED."""
    x, f, o = ts[ins[0]], ts[ins[1]], ts[op.output]
    bias = ins[2] if len(ins) > 2 else -1
    op.inputs = [ins[0], ins[1], bias]
    _check_operands(op.kind, x, f, ts[bias] if bias >= 0 else None, member)
    op.act, op.fact = act_range(opts.fusedActivationFunction, o)
    fc = op.kind == "FULLY_CONNECTED"
    if x.dtype == "i8":
        op.mult, op.shift = per_channel(x.scale, f.scales, o.scale, per_tensor_float_product=fc)
    if not fc:
        dil = (opts.dilationHFactor, opts.dilationWFactor)
        op.params = _window(x, o, (f.shape[1], f.shape[2]), dil, opts)
        op.params["dil_h"], op.params["dil_w"] = dil
        op.params["depth_mult"] = (
            o.shape[-1] // x.shape[-1] if op.kind == "DEPTHWISE_CONV_2D" else 1
        )


def _max_pool(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    x, o = ts[ins[0]], ts[op.output]
    op.params = _window(x, o, (opts.filterHeight, opts.filterWidth), (1, 1), opts)
    op.params["filter_h"], op.params["filter_w"] = opts.filterHeight, opts.filterWidth
    op.act, op.fact = act_range(opts.fusedActivationFunction, o)


def _constant(ts: Tensors, i: int) -> np.ndarray:
    data = ts[i].data
    assert data is not None  # the graph reader keeps every constant's data
    return data


def _mean(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    x, o = ts[ins[0]], ts[op.output]
    op.inputs = [ins[0]]
    op.axes = sorted({int(a) % len(x.shape) for a in _constant(ts, ins[1]).ravel()})
    if x.dtype == "i8":  # TFLM (and LiteRT's reference) rescale even when in == out
        count = int(np.prod([x.shape[a] for a in op.axes]))
        m, shift = mean_multiplier(x.scale, o.scale, count)
        op.mult, op.shift = [m], [shift]


def _concatenation(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    o = ts[op.output]
    if len(ins) > 3:
        raise EdgekitError(f"{member}: concatenation of {len(ins)} inputs (max 3)")
    op.axes = [opts.axis % len(o.shape)]
    if opts.fusedActivationFunction != _ACT_NONE:
        raise EdgekitError(f"{member}: fused activation on a concatenation")
    for i in ins:
        t = ts[i]
        if t.dtype == "i8" and (t.scale != o.scale or t.zero_point != o.zero_point):
            raise EdgekitError(f"{member}: concatenation inputs differ in quantisation")


def _pad_op(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    op.inputs = [ins[0], ins[1]]
    if len(ins) > 2:
        raise EdgekitError(f"{member}: PAD with constant values is not supported")


def _axes_from(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    """TRANSPOSE (the permutation) and SLICE (the begin): a constant second input as axes."""
    op.inputs = [ins[0]]
    op.axes = [int(p) for p in _constant(ts, ins[1]).ravel()]


def _reshape(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    op.inputs = [ins[0]]


def _quantize(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    x, o = ts[ins[0]], ts[op.output]
    if op.kind == "DEQUANTIZE":
        if x.dtype != "i8" or o.dtype != "f32":
            raise EdgekitError(f"{member}: DEQUANTIZE from {x.dtype} to {o.dtype}")
        return
    if o.dtype != "i8" or x.dtype not in ("i8", "f32"):
        raise EdgekitError(f"{member}: QUANTIZE from {x.dtype} to {o.dtype}")
    if x.dtype == "i8":
        m, s = quantize_multiplier(float(np.float64(x.scale) / np.float64(o.scale)))
        op.mult, op.shift = [m], [s]


def _binary(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    x, y, o = ts[ins[0]], ts[ins[1]], ts[op.output]
    op.act, op.fact = act_range(opts.fusedActivationFunction if opts else 0, o)
    if o.dtype == "i8":
        if op.kind == "SUB":
            raise EdgekitError(f"{member}: int8 SUB is not implemented by the C runtime")
        op.mult, op.shift = binary_multipliers(op.kind, x.scale, y.scale, o.scale)


def _unary(op: COp, ins: list[int], ts: Tensors, opts: Any, member: str) -> None:
    if ts[ins[0]].dtype != "f32":
        raise EdgekitError(f"{member}: int8 {op.kind} is not implemented by the C runtime")


Handler = Callable[[COp, list[int], Tensors, Any, str], None]
HANDLERS: dict[str, Handler] = {
    "CONV_2D": _weighted,
    "DEPTHWISE_CONV_2D": _weighted,
    "FULLY_CONNECTED": _weighted,
    "MAX_POOL_2D": _max_pool,
    "MEAN": _mean,
    "CONCATENATION": _concatenation,
    "PAD": _pad_op,
    "TRANSPOSE": _axes_from,
    "RESHAPE": _reshape,
    "QUANTIZE": _quantize,
    "SLICE": _axes_from,
    "ADD": _binary,
    "SUB": _binary,
    "MUL": _binary,
    "LOGISTIC": _unary,
    "TANH": _unary,
    "DEQUANTIZE": _quantize,
}


def translate_op(name: str, ins: list[int], out: int, opts: Any, ts: Tensors, member: str) -> COp:
    """The C operator for TFLite operator ``name`` (its tensors already read into ``ts``)."""
    op = COp(name, [i for i in ins if i >= 0], out)
    HANDLERS[name](op, ins, ts, opts, member)
    return op
