"""The connection's int8 rescale folded into the boundary table: folded where the rescale is
the connection's only reader, left where it is not (another reader, another operator, a role)."""

from __future__ import annotations

from edgekit.export.c.boundary import ConnectionRescale, fold_connection_rescale
from edgekit.export.c.tables import COp, CTensor


def _tensors() -> dict[int, CTensor]:
    return {
        0: CTensor("i8", (1, 4, 8), scale=0.5, zero_point=-3),  # features
        1: CTensor("i8", (1, 4, 8), scale=0.25, zero_point=2),  # connection
        2: CTensor("i8", (1, 4, 8), scale=0.2500001, zero_point=2),  # the concat's scale
        3: CTensor("i8", (1, 4, 16), scale=0.2500001, zero_point=2),
    }


def _ops() -> list[COp]:
    return [
        COp("QUANTIZE", [1], 2, mult=[1073741876], shift=[-1]),
        COp("CONCATENATION", [0, 2], 3, axes=[2]),
    ]


ROLES = {"features": 0, "connection": 1, "logits": 3}


def test_sole_reader_rescale_is_folded() -> None:
    ops, roles, folded = fold_connection_rescale(_ops(), _tensors(), dict(ROLES))
    assert folded == ConnectionRescale(1073741876, -1, 0.25, 2)
    assert roles == {**ROLES, "connection": 2}
    assert [o.kind for o in ops] == ["CONCATENATION"]


def test_not_folded_with_a_second_reader() -> None:
    ops = [*_ops(), COp("ADD", [1, 0], 3)]
    out, roles, folded = fold_connection_rescale(ops, _tensors(), dict(ROLES))
    assert (out, roles, folded) == (ops, ROLES, None)


def test_not_folded_for_another_operator_or_a_role() -> None:
    ts = _tensors()
    reshape = [COp("RESHAPE", [1], 2), _ops()[1]]
    assert fold_connection_rescale(reshape, ts, dict(ROLES))[2] is None
    as_activation = {**ROLES, "activation": 2}  # the rescale's output is handed on
    assert fold_connection_rescale(_ops(), ts, as_activation)[2] is None
    ts[1] = CTensor("f32", (1, 4, 8))  # a float connection converts without a table
    assert fold_connection_rescale(_ops(), ts, dict(ROLES))[2] is None
