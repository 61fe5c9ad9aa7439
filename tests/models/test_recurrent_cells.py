"""Recurrent members: step-by-step equals whole-sequence, and the cells compute what they claim."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from edgekit.models import build_model
from edgekit.models.cells import FastGRNNCell, GRUCell, LSTMCell
from edgekit.models.recurrent import RecurrentModel

SHAPE = (9, 5)
CLASSES = 4
SPECS = [
    "lstm-8",
    "lstm-8x2",
    "gru-8",
    "gru-8x2",
    "fastgrnn-8",
    "fastgrnn-8x2",
    "fastgrnn-8-r3",
    "fastgrnn-8x2-rw2-ru4",
]


def _recurrent(spec: str, connection: int | None = None) -> RecurrentModel:
    model = build_model(spec, SHAPE, CLASSES, None if connection is None else (connection,))
    assert isinstance(model, RecurrentModel)
    return model.eval()


@pytest.mark.parametrize("connected", [False, True])
@pytest.mark.parametrize("spec", SPECS)
def test_step_by_step_equals_whole_sequence(spec: str, connected: bool) -> None:
    torch.manual_seed(0)
    model = _recurrent(spec, 6 if connected else None)
    x = torch.randn(3, *SHAPE)
    conn = torch.randn(3, 6) if connected else None
    with torch.no_grad():
        whole = model(x, conn)
        state = model.initial_state(3, conn)
        for t in range(SHAPE[0]):
            state = model.step(x[:, t], state)
        stepped = model.readout(state)
    torch.testing.assert_close(stepped.logits, whole.logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(stepped.activation, whole.activation, rtol=1e-5, atol=1e-5)
    cell_states = 2 if spec.startswith("lstm") else 1
    assert len(state) == cell_states * model.spec.layers
    assert all(s.shape == (3, 8) for s in state)


def test_connection_sets_first_layer_initial_hidden_state() -> None:
    torch.manual_seed(0)
    model = _recurrent("lstm-8x2", 6)
    conn = torch.randn(2, 6)
    h0, c0, h1, c1 = model.initial_state(2, conn)
    assert model.connect is not None
    torch.testing.assert_close(h0, model.connect(conn))
    for zeros in (c0, h1, c1):
        assert torch.count_nonzero(zeros) == 0


@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_matches_torch_lstm(layers: int) -> None:
    torch.manual_seed(0)
    model = _recurrent(f"lstm-8x{layers}")
    ref = nn.LSTM(SHAPE[1], 8, num_layers=layers, batch_first=True)
    with torch.no_grad():
        for layer, cell in enumerate(model.cells):
            assert isinstance(cell, LSTMCell)
            getattr(ref, f"weight_ih_l{layer}").copy_(cell.ih.weight)
            getattr(ref, f"weight_hh_l{layer}").copy_(cell.hh.weight)
            getattr(ref, f"bias_ih_l{layer}").copy_(cell.ih.bias)
            getattr(ref, f"bias_hh_l{layer}").zero_()
        x = torch.randn(3, *SHAPE)
        _, (h_n, _) = ref(x)
        torch.testing.assert_close(model(x).activation, h_n[-1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layers", [1, 2])
def test_gru_matches_torch_gru(layers: int) -> None:
    torch.manual_seed(0)
    model = _recurrent(f"gru-8x{layers}")
    ref = nn.GRU(SHAPE[1], 8, num_layers=layers, batch_first=True)
    with torch.no_grad():
        for layer, cell in enumerate(model.cells):
            assert isinstance(cell, GRUCell)
            getattr(ref, f"weight_ih_l{layer}").copy_(cell.ih.weight)
            getattr(ref, f"weight_hh_l{layer}").copy_(cell.hh.weight)
            getattr(ref, f"bias_ih_l{layer}").copy_(cell.ih.bias)
            getattr(ref, f"bias_hh_l{layer}").copy_(cell.hh.bias)
        x = torch.randn(3, *SHAPE)
        _, h_n = ref(x)
        torch.testing.assert_close(model(x).activation, h_n[-1], rtol=1e-5, atol=1e-5)


def _dense(module: nn.Module) -> Tensor:
    """The matrix M (out x in) that a possibly factored bias-free map applies."""
    if isinstance(module, nn.Linear):
        return module.weight
    first, second = list(module.children())
    assert isinstance(first, nn.Linear) and isinstance(second, nn.Linear)
    return second.weight @ first.weight


@pytest.mark.parametrize(("rank_w", "rank_u"), [(None, None), (3, 2), (None, 4)])
def test_fastgrnn_cell_follows_the_paper(rank_w: int | None, rank_u: int | None) -> None:
    torch.manual_seed(0)
    cell = FastGRNNCell(5, 8, rank_w, rank_u)
    assert cell.zeta.item() == 1.0 and cell.nu.item() == -4.0
    with torch.no_grad():
        cell.zeta.fill_(0.3)
        cell.nu.fill_(-1.5)
        cell.bias_gate.normal_()
        cell.bias_update.normal_()
        x, h = torch.randn(3, 5), torch.randn(3, 8)
        w, u = _dense(cell.w), _dense(cell.u)
        z = torch.sigmoid(x @ w.T + h @ u.T + cell.bias_gate)
        c = torch.tanh(x @ w.T + h @ u.T + cell.bias_update)
        zeta, nu = torch.sigmoid(torch.tensor(0.3)), torch.sigmoid(torch.tensor(-1.5))
        expected = (zeta * (1 - z) + nu) * c + z * h
        (got,) = cell(x, (h,))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    expected_linears = (1 if rank_w is None else 2) + (1 if rank_u is None else 2)
    assert sum(isinstance(m, nn.Linear) for m in cell.modules()) == expected_linears
