"""Translate one member's .tflite file into the operator list firmware_stubs/ executes.

The C runtime runs exactly the graph TFLite Micro would run (same tensors, same order), so the
int8 fixed-point parameters are computed here the way TFLM's Prepare computes them: effective
scales in double precision, ``QuantizeMultiplier`` (frexp, round half away from zero), fused
activation ranges from the output quantisation. Working memory is planned like TFLM's greedy
planner: each intermediate tensor gets an arena offset not shared with any tensor alive at the
same time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgekit.errors import EdgekitError

# TFLite enums (schema.fbs)
_FLOAT32, _INT32, _INT8 = 0, 2, 9
_DTYPES = {_FLOAT32: "f32", _INT32: "i32", _INT8: "i8"}
_NUMPY = {"f32": np.float32, "i32": np.int32, "i8": np.int8}
_SAME = 0
_ACT_NONE, _ACT_RELU, _ACT_RELU6 = 0, 1, 3
KINDS = {
    "CONV_2D": 1,
    "DEPTHWISE_CONV_2D": 2,
    "FULLY_CONNECTED": 3,
    "MAX_POOL_2D": 4,
    "MEAN": 5,
    "CONCATENATION": 6,
    "PAD": 7,
    "TRANSPOSE": 8,
    "RESHAPE": 9,
    "QUANTIZE": 10,
    "SLICE": 11,
    "ADD": 12,
    "SUB": 13,
    "MUL": 14,
    "LOGISTIC": 15,
    "TANH": 16,
    "DEQUANTIZE": 17,
}
MAX_DIMS = 5


@dataclass
class CTensor:
    dtype: str  # f32, i8, i32
    shape: tuple[int, ...]
    data: np.ndarray | None = None  # constants
    scale: float = 0.0
    zero_point: int = 0
    offset: int = -1  # working-memory byte offset (intermediates)
    scales: list[float] = field(default_factory=list)  # per channel (weights) or one

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * (1 if self.dtype == "i8" else 4)


@dataclass
class COp:
    kind: str
    inputs: list[int]
    output: int
    params: dict[str, int] = field(default_factory=dict)
    axes: list[int] = field(default_factory=list)
    act: tuple[int, int] = (-128, 127)
    fact: tuple[float, float] = (-math.inf, math.inf)
    mult: list[int] = field(default_factory=list)
    shift: list[int] = field(default_factory=list)


@dataclass
class CGraph:
    tensors: list[CTensor]
    ops: list[COp]
    work_bytes: int
    roles: dict[str, int]  # features / connection / logits / activation -> tensor index
    params: int  # weights and biases (elements)
    flash_bytes: int  # constant data


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


def _round_away(x: float) -> int:
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def _act_range(act: int, t: CTensor) -> tuple[tuple[int, int], tuple[float, float]]:
    if act == _ACT_NONE:
        return (-128, 127), (-math.inf, math.inf)
    if act not in (_ACT_RELU, _ACT_RELU6):
        raise EdgekitError(f"fused activation {act} is not supported by the C runtime")
    hi_f = 6.0 if act == _ACT_RELU6 else math.inf
    if t.dtype != "i8":
        return (-128, 127), (0.0, hi_f)
    lo = max(-128, t.zero_point + _round_away(float(np.float32(0.0) / np.float32(t.scale))))
    hi = 127
    if act == _ACT_RELU6:
        hi = min(127, t.zero_point + _round_away(float(np.float32(6.0) / np.float32(t.scale))))
    return (lo, hi), (0.0, hi_f)


def _pad(in_size: int, filt: int, stride: int, dil: int, out_size: int, padding: int) -> int:
    if padding != _SAME:
        return 0
    effective = (filt - 1) * dil + 1
    return max(0, (out_size - 1) * stride + effective - in_size) // 2


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


def _hw(shape: tuple[int, ...]) -> tuple[int, int]:
    """(H, W) of an NHWC-style shape (lower ranks right-aligned)."""
    padded = (1,) * (4 - len(shape)) + tuple(shape)
    return padded[1], padded[2]


def _builtin_names() -> dict[int, str]:
    from ai_edge_litert import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def translate(data: bytes, member: str, roles: dict[str, str]) -> CGraph:
    """The C operator list of one .tflite member; ``roles`` maps role -> tensor name."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(data, 0)
    if len(model.subgraphs) != 1:
        raise EdgekitError(f"{member}: {len(model.subgraphs)} subgraphs; the C runtime runs one")
    graph = model.subgraphs[0]
    names = _builtin_names()
    op_names = [
        names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "?")
        for code in (model.operatorCodes[op.opcodeIndex] for op in graph.operators)
    ]
    depthwise_filters = {
        int(op.inputs[1])
        for op, name in zip(graph.operators, op_names, strict=True)
        if name == "DEPTHWISE_CONV_2D"
    }
    tensors: dict[int, CTensor] = {}

    def tensor(i: int) -> CTensor:
        if i in tensors:
            return tensors[i]
        t = graph.tensors[i]
        if t.type not in _DTYPES:
            raise EdgekitError(
                f"{member}: tensor {i} has TFLite type {t.type}; the C runtime "
                "handles float32, int8 and int32"
            )
        dtype = _DTYPES[t.type]
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
        if len(shape) > MAX_DIMS or any(d < 1 for d in shape):
            raise EdgekitError(
                f"{member}: tensor {i} has shape {list(shape)}; the C runtime needs static shapes "
                f"of at most {MAX_DIMS} dims"
            )
        buf = model.buffers[t.buffer].data if t.buffer < len(model.buffers) else None
        const = None
        if buf is not None and len(buf):
            const = np.frombuffer(bytes(buf), dtype=_NUMPY[dtype]).reshape(shape).copy()
        q = t.quantization
        scales = list(q.scale) if q is not None and q.scale is not None else []
        zps = list(q.zeroPoint) if q is not None and q.zeroPoint is not None else []
        ct = CTensor(
            dtype,
            shape,
            const,
            float(scales[0]) if scales else 0.0,
            int(zps[0]) if zps else 0,
            scales=[float(s) for s in scales],
        )
        if len(scales) > 1 and q.quantizedDimension != (3 if i in depthwise_filters else 0):
            raise EdgekitError(
                f"{member}: tensor {i} is quantised per channel along dim "
                f"{q.quantizedDimension}; the C runtime expects the output-channel dim"
            )
        tensors[i] = ct
        return ct

    by_name = {}
    for i, t in enumerate(graph.tensors):
        name = t.name.decode() if isinstance(t.name, bytes) else str(t.name)
        by_name[name] = i
    ops: list[COp] = []
    for op, name in zip(graph.operators, op_names, strict=True):
        if name not in KINDS:
            raise EdgekitError(
                f"{member}: operator {name} is not implemented by the C runtime "
                f"(it runs {', '.join(sorted(KINDS))}); use the TFLM adapter for this member"
            )
        ins = [int(i) for i in op.inputs]
        out = int(op.outputs[0])
        for i in ins:
            if i >= 0:
                tensor(i)
        o = tensor(out)
        ops.append(_op(name, ins, out, op.builtinOptions, tensors, o, member))
    role_index = {}
    for role, tname in roles.items():
        if tname not in by_name:
            raise EdgekitError(f"{member}: no tensor named {tname!r} for {role}")
        role_index[role] = by_name[tname]
        tensor(by_name[tname])
    return _finish(tensors, ops, role_index, member)


def _op(
    name: str, ins: list[int], out: int, opts: Any, ts: dict[int, CTensor], o: CTensor, member: str
) -> COp:
    x = ts[ins[0]]
    op = COp(name, [i for i in ins if i >= 0], out)
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        f = ts[ins[1]]
        bias = ins[2] if len(ins) > 2 else -1
        op.inputs = [ins[0], ins[1], bias]
        _check_operands(name, x, f, ts[bias] if bias >= 0 else None, member)
        op.act, op.fact = _act_range(opts.fusedActivationFunction, o)
        fc = name == "FULLY_CONNECTED"
        if x.dtype == "i8":
            op.mult, op.shift = _per_channel(x, f, o, per_tensor_float_product=fc)
        if not fc:
            dil = (opts.dilationHFactor, opts.dilationWFactor)
            op.params = _window(x, o, (f.shape[1], f.shape[2]), dil, opts)
            op.params["dil_h"], op.params["dil_w"] = dil
            op.params["depth_mult"] = (
                o.shape[-1] // x.shape[-1] if name == "DEPTHWISE_CONV_2D" else 1
            )
    elif name == "MAX_POOL_2D":
        op.params = _window(x, o, (opts.filterHeight, opts.filterWidth), (1, 1), opts)
        op.params["filter_h"], op.params["filter_w"] = opts.filterHeight, opts.filterWidth
        op.act, op.fact = _act_range(opts.fusedActivationFunction, o)
    elif name == "MEAN":
        axes = ts[ins[1]].data
        assert axes is not None
        op.inputs = [ins[0]]
        op.axes = sorted({int(a) % len(x.shape) for a in axes.ravel()})
        if x.dtype == "i8":  # TFLM (and LiteRT's reference) rescale even when in == out
            count = int(np.prod([x.shape[a] for a in op.axes]))
            m, shift = _mean_multiplier(x.scale, o.scale, count)
            op.mult, op.shift = [m], [shift]
    elif name == "CONCATENATION":
        if len(ins) > 3:
            raise EdgekitError(f"{member}: concatenation of {len(ins)} inputs (max 3)")
        op.axes = [opts.axis % len(o.shape)]
        if opts.fusedActivationFunction != _ACT_NONE:
            raise EdgekitError(f"{member}: fused activation on a concatenation")
        for i in ins:
            t = ts[i]
            if t.dtype == "i8" and (t.scale != o.scale or t.zero_point != o.zero_point):
                raise EdgekitError(f"{member}: concatenation inputs differ in quantisation")
    elif name == "PAD":
        op.inputs = [ins[0], ins[1]]
        if len(ins) > 2:
            raise EdgekitError(f"{member}: PAD with constant values is not supported")
    elif name == "TRANSPOSE":
        perm = ts[ins[1]].data
        assert perm is not None
        op.inputs = [ins[0]]
        op.axes = [int(p) for p in perm.ravel()]
    elif name == "RESHAPE":
        op.inputs = [ins[0]]
    elif name == "QUANTIZE":
        if o.dtype != "i8" or x.dtype not in ("i8", "f32"):
            raise EdgekitError(f"{member}: QUANTIZE from {x.dtype} to {o.dtype}")
        if x.dtype == "i8":
            m, s = quantize_multiplier(float(np.float64(x.scale) / np.float64(o.scale)))
            op.mult, op.shift = [m], [s]
    elif name == "DEQUANTIZE":
        if x.dtype != "i8" or o.dtype != "f32":
            raise EdgekitError(f"{member}: DEQUANTIZE from {x.dtype} to {o.dtype}")
    elif name == "SLICE":
        begin = ts[ins[1]].data
        assert begin is not None
        op.inputs = [ins[0]]
        op.axes = [int(b) for b in begin.ravel()]
    elif name in ("ADD", "SUB", "MUL"):
        y = ts[ins[1]]
        op.act, op.fact = _act_range(opts.fusedActivationFunction if opts else 0, o)
        if o.dtype == "i8":
            if name == "SUB":
                raise EdgekitError(f"{member}: int8 SUB is not implemented by the C runtime")
            op.mult, op.shift = _binary_multipliers(name, x.scale, y.scale, o.scale)
    elif name in ("LOGISTIC", "TANH") and x.dtype != "f32":
        raise EdgekitError(f"{member}: int8 {name} is not implemented by the C runtime")
    return op


def _check_operands(name: str, x: CTensor, f: CTensor, bias: CTensor | None, member: str) -> None:
    """Float layers take float weights and bias; int8 layers int8 weights and an int32 bias
    (hybrid float-input / int8-weight layers are not run by the C runtime)."""
    want = ("f32", "f32") if x.dtype == "f32" else ("i8", "i32")
    if x.dtype not in ("f32", "i8") or f.dtype != want[0] or (bias and bias.dtype != want[1]):
        got = f"{x.dtype} input, {f.dtype} weights" + (f", {bias.dtype} bias" if bias else "")
        raise EdgekitError(f"{member}: {name} with {got} is not supported by the C runtime")


def _binary_multipliers(name: str, s1: float, s2: float, so: float) -> tuple[list[int], list[int]]:
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


def _per_channel(
    x: CTensor, f: CTensor, o: CTensor, per_tensor_float_product: bool
) -> tuple[list[int], list[int]]:
    scales = f.scales
    if len(scales) == 1 and per_tensor_float_product:
        # TFLM's GetQuantizedConvolutionMultipler: the float product, then double division
        real = float(np.float64(np.float32(x.scale) * np.float32(scales[0])) / np.float64(o.scale))
        m, s = quantize_multiplier(real)
        return [m], [s]
    pairs = [
        quantize_multiplier(
            float(np.float64(x.scale) * np.float64(np.float32(fs)) / np.float64(o.scale))
        )
        for fs in scales
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _mean_multiplier(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
    """TFLM QuantizedMeanOrSum: 1/count folded into the in/out rescaling multiplier."""
    m, shift = quantize_multiplier(float(np.float64(in_scale) / np.float64(out_scale)))
    s = min(count.bit_length() - 1, 32)  # 63 - clz64(count)
    s = min(s, 31 + shift)
    return int((m << s) // count), shift - s


def plan_memory(buffers: dict[int, tuple[int, int, int]]) -> tuple[dict[int, int], int]:
    """Offsets for buffers ``key -> (bytes, first use, last use)``: largest first, each at the
    lowest offset that overlaps no buffer alive at the same time (TFLM's greedy planner).
    Returns the offsets and the bytes needed in all."""
    offsets: dict[int, int] = {}
    placed: list[tuple[int, int, int, int]] = []  # (offset, end, first, last)
    for key in sorted(buffers, key=lambda k: -buffers[k][0]):
        size, first, last = buffers[key]
        offset = 0
        for off, end, f, lst in sorted(placed):
            if lst < first or f > last:
                continue  # never alive together
            if offset + size <= off:
                break
            offset = max(offset, end)
        offsets[key] = offset
        placed.append((offset, offset + size, first, last))
    return offsets, max((end for _, end, _, _ in placed), default=0)


def _finish(ts: dict[int, CTensor], ops: list[COp], roles: dict[str, int], member: str) -> CGraph:
    order = sorted(ts)
    remap = {old: new for new, old in enumerate(order)}
    tensors = [ts[i] for i in order]
    for op in ops:
        op.inputs = [remap[i] if i >= 0 else -1 for i in op.inputs]
        op.output = remap[op.output]
    roles = {r: remap[i] for r, i in roles.items()}
    # lifetimes of intermediates: [first op touching, last op touching]; graph inputs from -1,
    # graph outputs to the end
    life: dict[int, list[int]] = {}
    for k, op in enumerate(ops):
        for i in (*op.inputs, op.output):
            if i >= 0 and tensors[i].data is None:
                life.setdefault(i, [k, k])[1] = k
    for role in ("features", "connection"):
        if role in roles:
            life.setdefault(roles[role], [0, 0])[0] = -1
    for role in ("logits", "activation"):
        if role in roles:
            life.setdefault(roles[role], [len(ops), len(ops)])[1] = len(ops)
    offsets, work = plan_memory(
        {i: ((tensors[i].nbytes + 7) // 8 * 8, first, last) for i, (first, last) in life.items()}
    )
    for i, offset in offsets.items():
        tensors[i].offset = offset
    consts = [t for t in tensors if t.data is not None]
    weights = {
        i
        for op in ops
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
        for i in op.inputs[1:]
        if i >= 0
    }
    params = sum(int(np.size(d)) for i in weights if (d := tensors[i].data) is not None)
    flash = sum(t.data.nbytes for t in consts if t.data is not None)
    produced = {op.output for op in ops}
    inputs = {roles[r] for r in ("features", "connection") if r in roles}
    for role, i in roles.items():
        if tensors[i].data is not None:
            raise EdgekitError(f"{member}: the {role} tensor is a constant in the file")
    for i, t in enumerate(tensors):
        if t.data is None and i not in life:
            raise EdgekitError(f"{member}: tensor {i} is neither constant nor used")
        if t.data is None and i not in produced and i not in inputs:
            raise EdgekitError(f"{member}: tensor {i} is read but no operator writes it")
    return CGraph(tensors, ops, work, roles, params, flash)
