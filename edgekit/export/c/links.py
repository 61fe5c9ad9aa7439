"""Cross-member layout: an activation a later member reads is kept in the layout it was computed
in. The exporter hands activations between members as NCHW (PyTorch's layout): the source
member transposes NHWC -> NCHW at its end and every reader transposes back first. When every
reader of a member's activation does exactly that, the C tables drop both transposes: the slot
holds the untransposed tensor and each reader's connection tensor takes its shape.

Exact: the member-boundary conversion of the connection (int8 rescale or float copy) is
elementwise, so converting the untransposed bytes gives, value for value, what the reader's
transpose back would have produced; the same bytes reach the same operators.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from edgekit.export.c.graph import RawMember
from edgekit.export.c.tables import COp, CTensor


def link_layouts(members: list[RawMember], sources: list[int | None]) -> int:
    """Drop activation / connection transpose pairs in place; ``sources[j]``: the 0-based
    member whose activation member j reads (None: none). Returns the pairs dropped."""
    dropped = 0
    for k, src in enumerate(members):
        readers = [j for j, s in enumerate(sources) if s == k]
        act = src.roles.get("activation", -1)
        made = [op for op in src.ops if op.output == act]
        if not readers or len(made) != 1 or made[0].kind != "TRANSPOSE":
            continue
        if any(act in op.inputs for op in src.ops):
            continue  # the member itself reads its activation
        x = made[0].inputs[0]
        plans = [_plan(members[j], src.tensors[x], made[0].axes) for j in readers]
        if not _same_quant(src.tensors[x], src.tensors[act]) or any(p is None for p in plans):
            continue
        src.roles["activation"] = x
        src.ops.remove(made[0])
        for j, back in zip(readers, plans, strict=True):
            assert back is not None
            _read_untransposed(members[j], back, src.tensors[x].shape)
        dropped += len(readers)
    return dropped


def _same_quant(a: CTensor, b: CTensor) -> bool:
    return a.dtype == b.dtype and a.scale == b.scale and a.zero_point == b.zero_point


def _plan(dst: RawMember, x: CTensor, axes: list[int]) -> COp | None:
    """The reader's transpose that undoes ``axes`` on its connection, or None."""
    conn = dst.roles.get("connection", -1)
    reads = [op for op in dst.ops if conn in op.inputs]
    if len(reads) != 1 or reads[0].kind != "TRANSPOSE" or reads[0].inputs != [conn]:
        return None
    back = reads[0]
    if back.output in dst.roles.values():
        return None
    index = np.arange(int(np.prod(x.shape, dtype=np.int64))).reshape(x.shape)
    index = index.transpose(axes).transpose(back.axes)
    in_place = index.shape == x.shape and bool((index.ravel() == np.arange(index.size)).all())
    if not in_place or not _same_quant(dst.tensors[conn], dst.tensors[back.output]):
        return None
    return back


def _read_untransposed(dst: RawMember, back: COp, shape: tuple[int, ...]) -> None:
    """The connection takes the untransposed shape; its transpose's readers read it."""
    conn = dst.roles["connection"]
    dst.tensors[conn] = dataclasses.replace(dst.tensors[conn], shape=shape)
    dst.ops.remove(back)
    for op in dst.ops:
        op.inputs = [conn if i == back.output else i for i in op.inputs]
