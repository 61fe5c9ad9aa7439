"""Activations handed between members stay in the layout they were computed in when every
reader transposes them back: same bytes into the same operators, two transposes fewer."""

from __future__ import annotations

import numpy as np

from edgekit.export.c.graph import RawMember
from edgekit.export.c.links import link_layouts
from edgekit.export.c.tables import COp, CTensor

NHWC_NCHW, NCHW_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def _t(shape: tuple[int, ...]) -> CTensor:
    return CTensor("i8", shape, scale=0.04, zero_point=-128)


def _source() -> RawMember:
    ts = {0: _t((1, 5, 4, 3)), 1: _t((1, 3, 5, 4)), 2: _t((1, 3))}
    ops = [COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW), COp("MEAN", [0], 2, axes=[1, 2])]
    return RawMember(ts, ops, {"features": 0, "activation": 1, "logits": 2}, "m1")


def _reader(back: list[int]) -> RawMember:
    ts = {0: _t((1, 7)), 1: _t((1, 3, 5, 4)), 2: _t((1, 5, 4, 3)), 3: _t((1, 3))}
    ops = [COp("TRANSPOSE", [1], 2, axes=back), COp("MEAN", [2], 3, axes=[1, 2])]
    return RawMember(ts, ops, {"features": 0, "connection": 1, "logits": 3}, "m2")


def test_the_slot_keeps_the_untransposed_activation() -> None:
    src, dst = _source(), _reader(NCHW_NHWC)
    assert link_layouts([src, dst], [None, 0]) == 1
    assert src.roles["activation"] == 0 and [op.kind for op in src.ops] == ["MEAN"]
    assert dst.tensors[1].shape == (1, 5, 4, 3)
    assert [(op.kind, op.inputs) for op in dst.ops] == [("MEAN", [1])]
    # the bytes the reader's mean sees: before, transpose back of transpose; now, the source's
    x = np.arange(60).reshape(1, 5, 4, 3)
    assert np.array_equal(x.transpose(NHWC_NCHW).transpose(NCHW_NHWC), x)


def test_readers_that_do_not_undo_the_transpose_keep_both() -> None:
    src, dst = _source(), _reader([0, 3, 2, 1])
    dst.tensors[2] = _t((1, 4, 5, 3))
    assert link_layouts([src, dst], [None, 0]) == 0
    assert src.roles["activation"] == 1 and len(src.ops) == 2 and len(dst.ops) == 2


def test_every_reader_must_undo_it() -> None:
    """Two members read the activation; one uses the NCHW bytes as they are."""
    src, good, other = _source(), _reader(NCHW_NHWC), _reader(NCHW_NHWC)
    other.ops[0] = COp("MEAN", [1], 3, axes=[2, 3])
    assert link_layouts([src, good, other], [None, 0, 0]) == 0
    assert good.tensors[1].shape == (1, 3, 5, 4)
