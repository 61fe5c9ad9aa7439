"""The .tflite -> C operator-list translation: TFLite's fixed-point parameters, memory planning,
and a clear refusal of operators the C runtime does not implement."""

from __future__ import annotations

import pytest
import torch

from edgekit.errors import EdgekitError
from edgekit.export.c.fixedpoint import quantize_multiplier
from edgekit.export.c.graph import translate
from edgekit.export.tflite import export_tflite


@pytest.mark.parametrize(
    ("real", "want"),
    [
        (0.5, (1 << 30, 0)),
        (0.25, (1 << 30, -1)),
        (1.0, (1 << 30, 1)),
        (0.75, (1610612736, 0)),
        (0.0, (0, 0)),
        (1e-12, (0, 0)),  # below 2^-31 * 2^-31: TFLite flushes it to zero
    ],
)
def test_quantize_multiplier_matches_tflite(real: float, want: tuple[int, int]) -> None:
    assert quantize_multiplier(real) == want


class Softmaxed(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(6, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (torch.softmax(self.fc(x.mean(1)), dim=-1),)


def test_unsupported_operator_is_named() -> None:
    torch.manual_seed(0)
    built = export_tflite(
        Softmaxed().eval(), (torch.zeros(2, 5, 6),), ["features"], ["logits"], None
    )
    with pytest.raises(EdgekitError, match=r"member 1: operator SOFTMAX is not implemented"):
        translate(built.data, "member 1", {"features": built.names["features"]})


def test_intermediates_share_memory_only_when_not_alive_together() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16))

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = model

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
            return (self.body(x).relu() + 1.0,)

    built = export_tflite(Wrapped().eval(), (torch.zeros(2, 3, 6),), ["features"], ["logits"], None)
    graph = translate(
        built.data, "m", {"features": built.names["features"], "logits": built.names["logits"]}
    )
    life: dict[int, list[int]] = {}
    for k, op in enumerate(graph.ops):
        for i in (*op.inputs, op.output):
            if i >= 0 and graph.tensors[i].data is None:
                life.setdefault(i, [k, k])[1] = k
    life[graph.roles["features"]][0] = -1
    life[graph.roles["logits"]][1] = len(graph.ops)
    spans = {
        i: (graph.tensors[i].offset, graph.tensors[i].offset + graph.tensors[i].nbytes)
        for i in life
    }
    for a in life:
        for b in life:
            alive_together = not (life[a][1] < life[b][0] or life[b][1] < life[a][0])
            overlap = spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]
            assert a == b or not (alive_together and overlap), (a, b)
    assert graph.work_bytes < sum(graph.tensors[i].nbytes + 8 for i in life)  # memory is reused


def test_front_end_constants_reach_the_header() -> None:
    from edgekit.export.c.codegen import frontend_defines

    text = frontend_defines({"sample_rate": 16000, "hop_ms": 10.0, "window": "hamming"})
    assert "#define EK_FRONTEND_SAMPLE_RATE 16000" in text
    assert "#define EK_FRONTEND_HOP_MS 10.0f" in text
    assert '#define EK_FRONTEND_WINDOW "hamming"' in text
    assert frontend_defines(None) == ""


def test_transpose_round_trips_fold_into_one_copy() -> None:
    """NWC -> NCW -> (reshape) -> NWC leaves every byte in place: one RESHAPE remains; a chain
    that really moves data, or whose intermediate another operator reads, is kept."""
    from edgekit.export.c.graph import fold_moves
    from edgekit.export.c.tables import COp, CTensor

    ts = {
        0: CTensor("i8", (1, 5, 3)),
        1: CTensor("i8", (1, 3, 5)),
        2: CTensor("i8", (1, 3, 1, 5)),
        3: CTensor("i8", (1, 1, 5, 3)),
    }
    chain = [
        COp("TRANSPOSE", [0], 1, axes=[0, 2, 1]),
        COp("RESHAPE", [1], 2),
        COp("TRANSPOSE", [2], 3, axes=[0, 2, 3, 1]),
    ]
    folded = fold_moves(chain, ts, keep=set())
    assert [(op.kind, op.inputs, op.output) for op in folded] == [("RESHAPE", [0], 3)]
    moving = chain[:2]  # stops in NCW: the data really moved
    assert [op.kind for op in fold_moves(moving, ts, keep=set())] == ["TRANSPOSE", "RESHAPE"]
    assert len(fold_moves(chain, ts, keep={1})) == 3  # an intermediate that must stay (a role)
