"""Translate one member's .tflite file into the operator list firmware_stubs/ executes.

The C runtime runs exactly the graph TFLite Micro would run (same tensors, same order), so the
int8 fixed-point parameters are computed the way TFLM's Prepare computes them
(:mod:`edgekit.export.c.fixedpoint`), fused activation ranges from the output quantisation
(:mod:`edgekit.export.c.operators`), and working memory is planned like TFLM's greedy planner
(:mod:`edgekit.export.c.memory`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edgekit.errors import EdgekitError
from edgekit.export.c.boundary import fold_connection_rescale
from edgekit.export.c.memory import lifetimes, place_tensors
from edgekit.export.c.operators import HANDLERS, translate_op
from edgekit.export.c.rewrite import simplify
from edgekit.export.c.tables import MAX_DIMS, CGraph, COp, CTensor

# TFLite enums (schema.fbs)
_FLOAT32, _INT32, _INT8 = 0, 2, 9
_DTYPES = {_FLOAT32: "f32", _INT32: "i32", _INT8: "i8"}
_NUMPY = {"f32": np.float32, "i32": np.int32, "i8": np.int8}


def _builtin_names() -> dict[int, str]:
    from ai_edge_litert import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


class _Reader:
    """The tensors of one subgraph, read on first use (constants with their data)."""

    def __init__(self, model: Any, graph: Any, depthwise_filters: set[int], member: str) -> None:
        self.model, self.graph, self.member = model, graph, member
        self.depthwise_filters = depthwise_filters
        self.tensors: dict[int, CTensor] = {}

    def tensor(self, i: int) -> CTensor:
        if i in self.tensors:
            return self.tensors[i]
        t = self.graph.tensors[i]
        if t.type not in _DTYPES:
            raise EdgekitError(
                f"{self.member}: tensor {i} has TFLite type {t.type}; the C runtime "
                "handles float32, int8 and int32"
            )
        dtype = _DTYPES[t.type]
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
        if len(shape) > MAX_DIMS or any(d < 1 for d in shape):
            raise EdgekitError(
                f"{self.member}: tensor {i} has shape {list(shape)}; the C runtime needs static "
                f"shapes of at most {MAX_DIMS} dims"
            )
        buffers = self.model.buffers
        buf = buffers[t.buffer].data if t.buffer < len(buffers) else None
        const = None
        if buf is not None and len(buf):
            const = np.frombuffer(bytes(buf), dtype=_NUMPY[dtype]).reshape(shape).copy()
        q = t.quantization
        scales = [float(s) for s in q.scale] if q is not None and q.scale is not None else []
        zps = list(q.zeroPoint) if q is not None and q.zeroPoint is not None else []
        ct = CTensor(
            dtype, shape, const, scales[0] if scales else 0.0, int(zps[0]) if zps else 0,
            scales=scales,
        )  # fmt: skip
        if len(scales) > 1 and q.quantizedDimension != (3 if i in self.depthwise_filters else 0):
            raise EdgekitError(
                f"{self.member}: tensor {i} is quantised per channel along dim "
                f"{q.quantizedDimension}; the C runtime expects the output-channel dim"
            )
        self.tensors[i] = ct
        return ct


@dataclass
class RawMember:
    """One member's operators and tensors as read from its file, before the rewrites and the
    memory plan (cross-member rewrites work on these)."""

    tensors: dict[int, CTensor]
    ops: list[COp]
    roles: dict[str, int]
    name: str


def translate(data: bytes, member: str, roles: dict[str, str]) -> CGraph:
    """The C operator list of one .tflite member; ``roles`` maps role -> tensor name."""
    return finish_member(read_member(data, member, roles))


def finish_member(raw: RawMember, int8_source: bool = False) -> CGraph:
    """The exact rewrites (:mod:`edgekit.export.c.rewrite`; again after cross-member ones),
    then the memory plan. ``int8_source``: the connection comes from an int8 activation (its
    boundary conversion is then a table that can absorb a rescale)."""
    keep = set(raw.roles.values())
    ops = simplify(raw.ops, raw.tensors, keep)
    ops = fold_moves(ops, raw.tensors, keep)
    roles, rescale = dict(raw.roles), None
    if int8_source:
        ops, roles, rescale = fold_connection_rescale(ops, raw.tensors, roles)
    keep = set(roles.values())
    used = {i for op in ops for i in op.inputs if i >= 0} | {op.output for op in ops}
    tensors = {i: t for i, t in raw.tensors.items() if i in used or i in keep}
    graph = _finish(tensors, ops, roles, raw.name)
    if rescale is not None:
        graph.connection_rescale = (rescale.mult, rescale.shift, rescale.scale, rescale.zero_point)
    return graph


def read_member(data: bytes, member: str, roles: dict[str, str]) -> RawMember:
    """One .tflite member's operators (identities already dropped) and tensors; ``roles`` maps
    role -> tensor name."""
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
    depthwise = {
        int(op.inputs[1])
        for op, name in zip(graph.operators, op_names, strict=True)
        if name == "DEPTHWISE_CONV_2D"
    }
    reader = _Reader(model, graph, depthwise, member)
    ops: list[COp] = []
    for op, name in zip(graph.operators, op_names, strict=True):
        if name not in HANDLERS:
            raise EdgekitError(
                f"{member}: operator {name} is not implemented by the C runtime "
                f"(it runs {', '.join(sorted(HANDLERS))}); use the TFLM adapter for this member"
            )
        ins = [int(i) for i in op.inputs]
        out = int(op.outputs[0])
        for i in (*ins, out):
            if i >= 0:
                reader.tensor(i)
        ops.append(translate_op(name, ins, out, op.builtinOptions, reader.tensors, member))
    by_name = {
        (t.name.decode() if isinstance(t.name, bytes) else str(t.name)): i
        for i, t in enumerate(graph.tensors)
    }
    role_index = {}
    for role, tname in roles.items():
        if tname not in by_name:
            raise EdgekitError(f"{member}: no tensor named {tname!r} for {role}")
        role_index[role] = by_name[tname]
        reader.tensor(by_name[tname])
    ops = simplify(ops, reader.tensors, set(role_index.values()))
    return RawMember(reader.tensors, ops, role_index, member)


_MOVES = ("TRANSPOSE", "RESHAPE")


def fold_moves(ops: list[COp], ts: dict[int, CTensor], keep: set[int]) -> list[COp]:
    """Runs of consecutive TRANSPOSE / RESHAPE operators whose intermediate tensors nothing else
    reads, and that leave every element at its place in memory (the export's NWC -> NCW -> NWC
    round trips), become one RESHAPE: a copy instead of element-by-element moves. The values
    are the same bits; only data movement is saved. ``keep``: tensors that must stay (roles)."""
    readers: dict[int, int] = {}
    for op in ops:
        for i in op.inputs:
            readers[i] = readers.get(i, 0) + 1
    folded: list[COp] = []
    i = 0
    while i < len(ops):
        j = i
        while (
            ops[i].kind in _MOVES
            and j + 1 < len(ops)
            and ops[j + 1].kind in _MOVES
            and ops[j + 1].inputs[0] == ops[j].output
            and readers.get(ops[j].output, 0) == 1
            and ops[j].output not in keep
        ):
            j += 1
        if j > i and _keeps_order(ops[i : j + 1], ts):
            folded.append(COp("RESHAPE", [ops[i].inputs[0]], ops[j].output))
        else:
            folded.extend(ops[i : j + 1])
        i = j + 1
    return folded


def _keeps_order(chain: list[COp], ts: dict[int, CTensor]) -> bool:
    """Whether the chain's output holds its input's elements in the same memory order."""
    shape = ts[chain[0].inputs[0]].shape
    index = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    for op in chain:
        index = index.transpose(op.axes) if op.kind == "TRANSPOSE" else index
        index = index.reshape(ts[op.output].shape)
    return bool((index.ravel() == np.arange(index.size)).all())


def _finish(ts: dict[int, CTensor], ops: list[COp], roles: dict[str, int], member: str) -> CGraph:
    """Renumber the tensors used, plan working memory, check every tensor is written."""
    order = sorted(ts)
    remap = {old: new for new, old in enumerate(order)}
    tensors = [ts[i] for i in order]
    for op in ops:
        op.inputs = [remap[i] if i >= 0 else -1 for i in op.inputs]
        op.output = remap[op.output]
    roles = {r: remap[i] for r, i in roles.items()}
    life = lifetimes(tensors, ops, roles)
    work = place_tensors(tensors, life)
    weights = {
        i
        for op in ops
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
        for i in op.inputs[1:]
        if i >= 0
    }
    params = sum(int(np.size(d)) for i in weights if (d := tensors[i].data) is not None)
    flash = sum(t.data.nbytes for t in tensors if t.data is not None)
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
