"""Generation-time rewrites of the C operator list: each pattern gives the same output bits with
and without the rewrite (a numpy interpreter of the moves and TFLite's requantisation), and the
look-alike patterns that are not identities stay."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.export.c.fixedpoint import mean_multiplier, quantize_multiplier, requantize_int8
from edgekit.export.c.rewrite import simplify
from edgekit.export.c.tables import COp, CTensor

NHWC_NCHW, NCHW_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def _quantize(x: int, o: int, ts: dict[int, CTensor]) -> COp:
    m, s = quantize_multiplier(float(np.float64(ts[x].scale) / np.float64(ts[o].scale)))
    return COp("QUANTIZE", [x], o, mult=[m], shift=[s])


def _run(ops: list[COp], ts: dict[int, CTensor], x: np.ndarray) -> dict[int, np.ndarray]:
    values = {0: x}
    for op in ops:
        v = values[op.inputs[0]]
        if op.kind == "TRANSPOSE":
            out = v.transpose(op.axes)
        elif op.kind == "RESHAPE":
            out = v.reshape(ts[op.output].shape)
        elif op.kind == "PAD":  # int8: the output zero point
            pads = ts[op.inputs[1]].data
            assert pads is not None
            out = np.pad(v, pads, constant_values=ts[op.output].zero_point)
        elif op.kind == "MEAN":  # TFLM: the sum less zero point x count, rescaled
            i, o = ts[op.inputs[0]], ts[op.output]
            count = int(np.prod([i.shape[a] for a in op.axes]))
            total = v.astype(np.int64).sum(axis=tuple(op.axes)).reshape(o.shape)
            out = requantize_int8(total, i.zero_point * count, op.mult[0], op.shift[0],
                                  o.zero_point)  # fmt: skip
        else:
            i, o = ts[op.inputs[0]], ts[op.output]
            out = requantize_int8(v, i.zero_point, op.mult[0], op.shift[0], o.zero_point)
        assert out.shape == ts[op.output].shape
        values[op.output] = out
    return values


def _same(ops: list[COp], ts: dict[int, CTensor], keep: set[int]) -> list[COp]:
    """The rewritten list, after checking every kept tensor keeps its bits."""
    x = np.random.default_rng(0).integers(-128, 128, ts[0].shape)
    want = _run([COp(o.kind, list(o.inputs), o.output, axes=o.axes, mult=o.mult,
                     shift=o.shift) for o in ops], ts, x)  # fmt: skip
    new = simplify(ops, ts, keep)
    got = _run(new, ts, x)
    for t in keep:
        assert np.array_equal(got[t], want[t]), t
    return new


def _t(shape: tuple[int, ...], scale: float = 0.05, zp: int = -128) -> CTensor:
    return CTensor("i8", shape, scale=scale, zero_point=zp)


def test_an_identity_transpose_pair_is_dropped_while_its_middle_stays_a_role() -> None:
    """DS-CNN's first block: the NCHW middle is the exported activation; the way back to NHWC
    is the tensor the transpose started from."""
    ts = {0: _t((1, 5, 4, 3)), 1: _t((1, 3, 5, 4)), 2: _t((1, 5, 4, 3)), 3: _t((1, 5, 4, 3), 0.1)}
    ops = [
        COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW),
        COp("TRANSPOSE", [1], 2, axes=NCHW_NHWC),
        _quantize(2, 3, ts),
    ]
    new = _same(ops, ts, keep={1, 3})
    assert [(op.kind, op.inputs, op.output) for op in new] == [
        ("TRANSPOSE", [0], 1),
        ("QUANTIZE", [0], 3),
    ]


def test_a_requantisation_between_inverse_transposes_runs_in_place() -> None:
    ts = {0: _t((1, 1, 7, 8)), 1: _t((1, 8, 1, 7)), 2: _t((1, 8, 1, 7), 0.07),
          3: _t((1, 1, 7, 8), 0.07)}  # fmt: skip
    ops = [
        COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW),
        _quantize(1, 2, ts),
        COp("TRANSPOSE", [2], 3, axes=NCHW_NHWC),
    ]
    new = _same(ops, ts, keep={3})
    assert [(op.kind, op.inputs, op.output) for op in new] == [("QUANTIZE", [0], 3)]


def test_a_requantisation_to_the_same_scale_is_dropped() -> None:
    ts = {0: _t((1, 8, 31), 0.0602), 1: _t((1, 8, 31), 0.0602), 2: _t((1, 8, 31), 0.0602)}
    ops = [_quantize(0, 1, ts), COp("RESHAPE", [1], 2)]
    new = _same(ops, ts, keep={2})
    assert [(op.kind, op.inputs, op.output) for op in new] == [("RESHAPE", [0], 2)]


@pytest.mark.parametrize(
    ("scale", "zp"),
    [
        (0.057386111468076706, -128),  # another scale: values move
        (0.06020312383770943, -127),  # another zero point
        (0.06020310893654823, -128),  # a few float bits apart: no value moves, but readers
    ],  # check the scale they are given (DSA-19's pinned connection into a concatenation)
)
def test_a_requantisation_to_another_scale_stays(scale: float, zp: int) -> None:
    ts = {0: _t((1, 8, 31), 0.06020312383770943), 1: _t((1, 8, 31), scale, zp)}
    ops = [_quantize(0, 1, ts)]
    assert len(_same(ops, ts, keep={1})) == 1


def test_look_alike_patterns_stay() -> None:
    """Two transposes that do not undo each other; a middle another operator reads; a role
    produced by an identity (it must still be written)."""
    ts = {0: _t((1, 2, 3, 4)), 1: _t((1, 4, 2, 3)), 2: _t((1, 3, 4, 2)), 3: _t((1, 2, 3, 4)),
          4: _t((1, 4, 2, 3), 0.09), 5: _t((1, 2, 3, 4), 0.09), 6: _t((1, 4, 2, 3))}  # fmt: skip
    moving = [COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW), COp("TRANSPOSE", [1], 2, axes=NHWC_NCHW)]
    assert len(_same(moving, ts, keep={2})) == 2
    role = [COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW), COp("TRANSPOSE", [1], 3, axes=NCHW_NHWC)]
    new = _same(role, ts, keep={3})  # written, as one copy: the middle nothing else reads
    assert [(op.kind, op.inputs, op.output) for op in new] == [("RESHAPE", [0], 3)]
    read_twice = [
        COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW),
        _quantize(1, 4, ts),
        COp("TRANSPOSE", [4], 5, axes=NCHW_NHWC),
        COp("RESHAPE", [1], 6),  # the transposed middle is read again
    ]
    assert [op.kind for op in _same(read_twice, ts, keep={5, 6})] == [
        "TRANSPOSE", "QUANTIZE", "TRANSPOSE", "RESHAPE",
    ]  # fmt: skip


def _mean(x: int, o: int, axes: list[int], ts: dict[int, CTensor]) -> COp:
    count = int(np.prod([ts[x].shape[a] for a in axes]))
    m, s = mean_multiplier(ts[x].scale, ts[o].scale, count)
    return COp("MEAN", [x], o, axes=axes, mult=[m], shift=[s])


def test_a_mean_of_moved_data_reads_the_data_where_it_was() -> None:
    """KWS-8 (NHWC -> NCHW, mean over H, W) and DSA-19 (NWC -> NCW, reshape, mean over W)."""
    ts = {0: _t((1, 5, 4, 3)), 1: _t((1, 3, 5, 4)), 2: _t((1, 3), 0.04, 3)}
    ops = [COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW), _mean(1, 2, [2, 3], ts)]
    new = _same(ops, ts, keep={2})
    assert [(op.kind, op.inputs, op.axes) for op in new] == [("MEAN", [0], [1, 2])]
    ts = {0: _t((1, 1, 7, 8)), 1: _t((1, 8, 1, 7)), 2: _t((1, 8, 7)), 3: _t((1, 8), 0.03, 1)}
    ops = [
        COp("TRANSPOSE", [0], 1, axes=NHWC_NCHW),
        COp("RESHAPE", [1], 2),
        _mean(2, 3, [2], ts),
    ]
    new = _same(ops, ts, keep={3})
    assert [(op.kind, op.inputs, op.axes) for op in new] == [("MEAN", [0], [2])]


def test_means_that_must_keep_their_moves() -> None:
    """Outputs that would come out in another order; a float mean (its sum's order counts);
    a transposed tensor another operator reads."""
    ts = {0: _t((1, 5, 4, 3)), 1: _t((1, 4, 5, 3)), 2: _t((1, 4, 5), 0.04), 3: _t((1, 3, 5, 4)),
          4: _t((1, 3), 0.04), 5: _t((1, 3, 20))}  # fmt: skip
    swapped = [COp("TRANSPOSE", [0], 1, axes=[0, 2, 1, 3]), _mean(1, 2, [3], ts)]
    assert len(_same(swapped, ts, keep={2})) == 2
    read_twice = [
        COp("TRANSPOSE", [0], 3, axes=NHWC_NCHW),
        _mean(3, 4, [2, 3], ts),
        COp("RESHAPE", [3], 5),
    ]
    assert len(_same(read_twice, ts, keep={4, 5})) == 3
    fts = {i: CTensor("f32", t.shape) for i, t in ts.items()}
    floats = [COp("TRANSPOSE", [0], 3, axes=NHWC_NCHW), COp("MEAN", [3], 4, axes=[2, 3])]
    assert len(simplify(floats, fts, keep={4})) == 2


def _pads(rows: list[list[int]]) -> CTensor:
    return CTensor("i32", (len(rows), 2), np.array(rows, dtype=np.int32))


def test_a_pad_between_unit_dim_reshapes_pads_in_the_readers_shape() -> None:
    """DS-CNN's first layer: (1, H, W) -> (1, 1, H, W) -> padded -> (1, H', W', 1)."""
    ts = {0: _t((1, 9, 6)), 1: _t((1, 1, 9, 6)), 2: _pads([[0, 0], [0, 0], [2, 3], [1, 1]]),
          3: _t((1, 1, 14, 8)), 4: _t((1, 14, 8, 1))}  # fmt: skip
    ops = [COp("RESHAPE", [0], 1), COp("PAD", [1, 2], 3), COp("RESHAPE", [3], 4)]
    new = _same(ops, ts, keep={4})
    assert [op.kind for op in new] == ["RESHAPE", "PAD"]
    assert ts[new[0].output].shape == (1, 9, 6, 1) and new[1].output == 4
    ts = {0: _t((1, 9, 6)), 1: _t((1, 1, 9, 6)), 2: _pads([[0, 0], [0, 0], [2, 3], [1, 1]]),
          3: _t((1, 1, 14, 8)), 4: _t((1, 8, 14, 1))}  # fmt: skip
    moved = [COp("RESHAPE", [0], 1), COp("PAD", [1, 2], 3), COp("RESHAPE", [3], 4)]
    assert len(_same(moved, ts, keep={4})) == 3  # the second reshape moves dims: it stays


def test_unread_operators_are_dropped() -> None:
    ts = {0: _t((1, 6)), 1: _t((6, 1)), 2: _t((1, 6), 0.2)}
    ops = [COp("RESHAPE", [0], 1), _quantize(0, 2, ts)]
    assert [op.output for op in _same(ops, ts, keep={2})] == [2]


def test_requantize_int8_is_tflites_double_rounding() -> None:
    """Against the scalar SaturatingRoundingDoublingHighMul + RoundingDivideByPOT."""

    def scalar(v: int, zi: int, m: int, s: int, zo: int) -> int:
        ab = (v - zi) * (1 << max(s, 0)) * m
        t = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
        high = t // (1 << 31) if t >= 0 else -((-t) // (1 << 31))
        e = max(-s, 0)
        mask = (1 << e) - 1
        r = (high >> e) + (1 if (high & mask) > (mask >> 1) + (high < 0) else 0)
        return max(-128, min(127, r + zo))

    rng = np.random.default_rng(1)
    values = np.arange(-128, 128)
    for _ in range(200):
        m, s = int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(-9, 4))
        zi, zo = (int(z) for z in rng.integers(-128, 128, 2))
        want = [scalar(int(v), zi, m, s, zo) for v in values]
        assert requantize_int8(values, zi, m, s, zo).tolist() == want


def test_a_leading_unit_dim_reshape_before_nhwc_kernels_is_dropped() -> None:
    """(1, W, C) and (1, 1, W, C) are the same NHWC view to a conv (right-aligned); a reshape
    that changes the view, or that another kind of operator reads, stays."""
    ts = {0: _t((1, 9, 6)), 1: _t((1, 1, 9, 6)), 2: _t((1, 9, 6, 1)), 3: _t((8, 1, 3, 6)),
          4: _t((1, 1, 7, 8)), 5: _t((1, 6, 9, 1))}  # fmt: skip
    conv = [COp("RESHAPE", [0], 1), COp("CONV_2D", [1, 3, -1], 4)]
    new = simplify(conv, ts, keep={4})
    assert [(op.kind, op.inputs[0]) for op in new] == [("CONV_2D", 0)]
    view = [COp("RESHAPE", [0], 2), COp("CONV_2D", [2, 3, -1], 4)]
    assert len(simplify(view, ts, keep={4})) == 2
    moved = [COp("RESHAPE", [0], 1), COp("TRANSPOSE", [1], 5, axes=[0, 3, 2, 1])]
    assert len(simplify(moved, ts, keep={5})) == 2
