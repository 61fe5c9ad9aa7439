"""Generation-time rewrites of a member's operator list that change no output bit: operators
whose output holds exactly the bytes of a tensor the graph already has are dropped (their
readers read that tensor), and a requantisation between a transpose and its inverse runs on the
untransposed tensor. The exporter's NHWC <-> NCHW round trips and pinned (identity) rescales
cost instructions on a microcontroller and compute nothing.

Why each rewrite is exact:

- a TRANSPOSE / RESHAPE chain whose composed index map is the identity on the same shape, dtype
  and quantisation produces the same bytes as its start: reading the start instead is the same
  input to every reader;
- an int8 -> int8 QUANTIZE to the same scale and zero point is the identity (TFLite's
  multiplier for a ratio of 1 is 2^30 with shift 1: (x - zp) x 1 + zp = x; TFLM copies; the
  256 values are checked with TFLite's arithmetic all the same). Scales a few float bits apart
  also map every int8 value to itself, but the output's scale is part of the model its readers
  check (a CONCATENATION's inputs must carry its scale), so those stay;
- QUANTIZE is elementwise, so transpose(p) -> QUANTIZE -> transpose(p^-1) equals QUANTIZE on
  the untransposed tensor (every value meets the same arithmetic, at its original place);
- an int8 MEAN of moved data (transpose(x, p) over axes A, say) is a MEAN of x over the axes
  that send every element to the same output, in the same output order: each output sums the
  same integers (an integer sum is the same in any order; float sums are not, so float means
  keep their moves);
- RESHAPE -> PAD -> RESHAPE where both reshapes only insert or remove unit dims (DS-CNN's
  first layer: the spectrogram padded as (1, 1, H, W), read as (1, H, W, 1)) pads the same
  bytes when the PAD works in the second reshape's shape: the first reshape writes that shape;
- a RESHAPE that only adds or drops leading unit dims, read only by kernels that view their
  input as NHWC right-aligned (CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D: (1, W, C) is
  (1, 1, W, C) to them), gives those kernels the same bytes under the same view: they read its
  input;
- an operator nothing reads and no role names has no effect.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from edgekit.export.c.fixedpoint import requantize_int8
from edgekit.export.c.tables import COp, CTensor

_MOVES = ("TRANSPOSE", "RESHAPE")


def simplify(ops: list[COp], ts: dict[int, CTensor], keep: set[int]) -> list[COp]:
    """``ops`` without the identity work above; ``keep``: tensors that must stay (roles)."""
    ops = _sink_quantize(ops, ts, keep)
    ops = _pad_in_reader_shape(ops, ts, keep)
    ops = _fold_transposed_mean(ops, ts, keep)
    ops = _alias_identities(ops, ts, keep)
    return _drop_dead(ops, keep)


def _readers(ops: list[COp]) -> dict[int, list[int]]:
    readers: dict[int, list[int]] = {}
    for k, op in enumerate(ops):
        for i in op.inputs:
            readers.setdefault(i, []).append(k)
    return readers


def _index(t: CTensor) -> np.ndarray:
    """Each element's place in memory, in ``t``'s shape."""
    return np.arange(int(np.prod(t.shape, dtype=np.int64))).reshape(t.shape)


def _same_quant(a: CTensor, b: CTensor) -> bool:
    return a.dtype == b.dtype and a.scale == b.scale and a.zero_point == b.zero_point


def _sink_quantize(ops: list[COp], ts: dict[int, CTensor], keep: set[int]) -> list[COp]:
    """transpose(p) -> QUANTIZE -> transpose(p^-1), intermediates read once and not kept:
    one QUANTIZE from the first transpose's input to the second's output."""
    producer = {op.output: k for k, op in enumerate(ops)}
    readers = _readers(ops)
    dropped: set[int] = set()
    for k, q in enumerate(ops):
        if q.kind != "QUANTIZE" or q.inputs[0] not in producer:
            continue
        a, b = q.inputs[0], q.output
        t1 = producer[a]
        if ops[t1].kind != "TRANSPOSE" or readers.get(a) != [k] or a in keep or b in keep:
            continue
        if len(readers.get(b, [])) != 1 or ops[readers[b][0]].kind != "TRANSPOSE":
            continue
        t2 = readers[b][0]
        x, c = ops[t1].inputs[0], ops[t2].output
        index = _index(ts[x])
        index = index.transpose(ops[t1].axes).transpose(ops[t2].axes)
        if index.shape != ts[x].shape or not (index.ravel() == np.arange(index.size)).all():
            continue
        if not (_same_quant(ts[x], ts[a]) and _same_quant(ts[b], ts[c])):
            continue
        q.inputs = [x, *q.inputs[1:]]
        q.output = c
        dropped |= {t1, t2}
    return [op for k, op in enumerate(ops) if k not in dropped]


def _pad_in_reader_shape(ops: list[COp], ts: dict[int, CTensor], keep: set[int]) -> list[COp]:
    """RESHAPE a -> PAD -> RESHAPE b (unit dims only, intermediates read once and not kept):
    a writes b's layout, the PAD pads in it, b goes."""
    producer = {op.output: k for k, op in enumerate(ops)}
    readers = _readers(ops)
    dropped: set[int] = set()
    for k, p in enumerate(ops):
        i = p.inputs[0] if p.kind == "PAD" else -1
        if i not in producer or ops[producer[i]].kind != "RESHAPE" or readers.get(i) != [k]:
            continue
        after = readers.get(p.output, [])
        if i in keep or p.output in keep or len(after) != 1 or ops[after[0]].kind != "RESHAPE":
            continue
        pads = ts[p.inputs[1]].data
        r = ops[after[0]].output
        new = _unit_dim_pads(ts[i].shape, ts[p.output].shape, ts[r].shape, pads)
        if new is None:
            continue
        shape, new_pads = new
        ts[i] = dataclasses.replace(ts[i], shape=shape)
        ts[max(ts) + 1] = CTensor("i32", (len(shape), 2), new_pads)
        p.inputs = [i, max(ts)]
        p.output = r
        dropped.add(after[0])
    return [op for k, op in enumerate(ops) if k not in dropped]


def _unit_dim_pads(
    si: tuple[int, ...], sp: tuple[int, ...], sr: tuple[int, ...], pads: np.ndarray | None
) -> tuple[tuple[int, ...], np.ndarray] | None:
    """The PAD's input shape and paddings in ``sr``'s dims (``sp`` padded from ``si``, read
    as ``sr``), or None when ``sr`` is more than ``sp`` with unit dims inserted or removed."""
    if pads is None or pads.shape != (len(si), 2) or len(si) != len(sp):
        return None
    src = [j for j, n in enumerate(sp) if n > 1]
    dst = [d for d, n in enumerate(sr) if n > 1]
    if [sp[j] for j in src] != [sr[d] for d in dst]:
        return None
    shape = [1] * len(sr)
    new_pads = np.zeros((len(sr), 2), dtype=np.int32)
    for j, d in zip(src, dst, strict=True):
        shape[d] = si[j]
        new_pads[d] = pads[j]
    return tuple(shape), new_pads


def _fold_transposed_mean(ops: list[COp], ts: dict[int, CTensor], keep: set[int]) -> list[COp]:
    """An int8 MEAN fed by TRANSPOSE / RESHAPE moves (read once, not kept) reads the tensor
    the moves start from, over the axes that give every output the same elements in the same
    output order (checked on the index maps, not assumed)."""
    producer = {op.output: k for k, op in enumerate(ops)}
    readers = _readers(ops)
    dropped: set[int] = set()
    for m in ops:
        if m.kind != "MEAN" or ts[m.inputs[0]].dtype != "i8":
            continue
        chain: list[int] = []
        a = m.inputs[0]
        while (
            a in producer
            and ops[producer[a]].kind in _MOVES
            and len(readers.get(a, [])) == 1
            and a not in keep
            and _same_quant(ts[ops[producer[a]].inputs[0]], ts[a])
        ):
            chain.insert(0, producer[a])
            a = ops[producer[a]].inputs[0]
        axes = _mean_axes(m, [ops[c] for c in chain], a, ts) if chain else None
        if axes is not None:
            m.inputs = [a]
            m.axes = axes
            dropped |= set(chain)
    return [op for k, op in enumerate(ops) if k not in dropped]


def _mean_axes(m: COp, chain: list[COp], x: int, ts: dict[int, CTensor]) -> list[int] | None:
    """Axes of ``x`` whose MEAN equals ``m`` on the end of ``chain``, or None."""
    index = _index(ts[x])
    for op in chain:
        index = index.transpose(op.axes) if op.kind == "TRANSPOSE" else index
        index = index.reshape(ts[op.output].shape)
    shape = index.shape
    kept_shape = [d for i, d in enumerate(shape) if i not in m.axes]
    outputs = np.arange(int(np.prod(kept_shape, dtype=np.int64))).reshape(kept_shape)
    expand = tuple(None if i in m.axes else slice(None) for i in range(len(shape)))
    flat = np.empty(index.size, dtype=np.int64)
    flat[index.ravel()] = np.broadcast_to(outputs[expand], shape).ravel()
    label = flat.reshape(ts[x].shape)  # which output each element of x goes to
    dims: list[int] = list(ts[x].shape)
    axes = [d for d, n in enumerate(dims) if n > 1 and (np.diff(label, axis=d) == 0).all()]
    if not axes:
        return None
    keep_shape = [n for d, n in enumerate(dims) if d not in axes]
    want = np.arange(int(np.prod(keep_shape, dtype=np.int64))).reshape(keep_shape)
    expand = tuple(None if d in axes else slice(None) for d in range(label.ndim))
    return axes if bool((np.broadcast_to(want[expand], label.shape) == label).all()) else None


def _alias_identities(ops: list[COp], ts: dict[int, CTensor], keep: set[int]) -> list[COp]:
    """Drop moves that end where they began (the same bytes as an earlier tensor) and identity
    requantisations; a move chain that keeps every byte's place but changes the shape becomes
    one RESHAPE (a copy) from its start."""
    readers = _readers(ops)
    alias: dict[int, int] = {}
    roots: dict[int, tuple[int, np.ndarray]] = {}  # tensor -> (start, start's index map)
    out: list[COp] = []
    for op in ops:
        op.inputs = [alias.get(i, i) for i in op.inputs]
        x, t = (op.inputs[0] if op.inputs else -1), op.output
        if op.kind in _MOVES and _same_quant(ts[x], ts[t]):
            start, index = roots.get(x, (x, _index(ts[x])))
            index = index.transpose(op.axes) if op.kind == "TRANSPOSE" else index
            index = index.reshape(ts[t].shape)
            roots[t] = (start, index)
            in_place = bool((index.ravel() == np.arange(index.size)).all())
            if in_place and ts[t].shape == ts[start].shape and t not in keep:
                alias[t] = start
                continue
            nhwc_readers = [ops[r] for r in readers.get(t, [])]
            if op.kind == "RESHAPE" and t not in keep and _same_nhwc(ts[x], ts[t], t, nhwc_readers):
                alias[t] = x  # roots[t] stays: t's bytes, in t's shape
                continue
            if in_place and start != x:
                op = COp("RESHAPE", [start], t)
        elif op.kind == "QUANTIZE" and t not in keep and _identity_requant(op, ts[x], ts[t]):
            alias[t] = x
            if x in roots:
                roots[t] = roots[x]
            continue
        out.append(op)
    return out


_NHWC_READERS = ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D")


def _same_nhwc(x: CTensor, t: CTensor, ti: int, readers: list[COp]) -> bool:
    """Whether every reader of ``t`` (index ``ti``) views it as NHWC data, and ``x`` has the
    same view."""
    if not readers or len(x.shape) > 4 or len(t.shape) > 4:
        return False
    if any(op.kind not in _NHWC_READERS or ti in op.inputs[1:] for op in readers):
        return False
    return (1,) * (4 - len(x.shape)) + x.shape == (1,) * (4 - len(t.shape)) + t.shape


def _identity_requant(op: COp, x: CTensor, t: CTensor) -> bool:
    """Whether an int8 -> int8 QUANTIZE leaves every int8 value as it is."""
    if x.dtype != "i8" or not _same_quant(x, t) or len(op.mult) != 1:
        return False
    values = np.arange(-128, 128)
    out = requantize_int8(values, x.zero_point, op.mult[0], op.shift[0], t.zero_point)
    return bool((out == values).all())


def _drop_dead(ops: list[COp], keep: set[int]) -> list[COp]:
    """Operators whose output nothing reads and no role names, until none is left."""
    while True:
        read = {i for op in ops for i in op.inputs} | keep
        live = [op for op in ops if op.output in read]
        if len(live) == len(ops):
            return ops
        ops = live
