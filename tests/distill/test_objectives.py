"""The adversary's weights are the gradient of its potential; objectives behave as specified."""

from __future__ import annotations

import pytest
import torch

from edgekit.distill.objectives import (
    StageOutput,
    adversary_weights,
    logit_edge,
    logit_weights,
    member_loss,
)
from edgekit.train.losses import kd_loss

torch.manual_seed(0)
G = torch.randn(6, 4, dtype=torch.float64) * 3
F = torch.randn(6, 4, dtype=torch.float64)


def test_logit_weights_are_the_potentials_gradient() -> None:
    """Phi(F) = sum exp(eta R) + exp(-eta R), R = G - F; dPhi/dF = -eta Z (K+ - K-)."""
    eta = 0.7

    def phi(f: torch.Tensor) -> torch.Tensor:
        r = eta * (G - f)
        return (torch.exp(r) + torch.exp(-r)).sum()

    k_plus, k_minus = logit_weights(F, G, eta)
    s = eta * (G - F)
    z = (torch.exp(s - s.abs().max()) + torch.exp(-s - s.abs().max())).sum() * torch.exp(
        s.abs().max()
    )
    h = 1e-6
    for i, c in [(0, 0), (2, 3), (5, 1)]:
        bump = torch.zeros_like(F)
        bump[i, c] = h
        numeric = (phi(F + bump) - phi(F - bump)) / (2 * h)
        analytic = -eta * z * (k_plus[i, c] - k_minus[i, c]).double()
        assert torch.isclose(numeric, analytic, rtol=1e-5), (i, c)
    assert float((k_plus + k_minus).sum()) == pytest.approx(1.0, abs=1e-6)


def test_kd_adversary_weights_are_the_soft_max_potentials_gradient() -> None:
    """w = B * d/dl [ log sum exp(eta l / mean(l)) ] at fixed normaliser: a softmax of the losses."""
    eta, t = 2.0, 3.0
    w = adversary_weights(F.float(), G.float(), t, eta).double()
    loss = kd_loss(F, G, t)
    m = loss.mean()
    lv = loss.clone().requires_grad_(True)
    torch.logsumexp(eta * lv / m, dim=0).backward()
    assert lv.grad is not None
    assert torch.allclose(w, (lv.grad * len(lv) * m / eta).double(), atol=1e-5)
    assert torch.isclose(w.mean(), torch.tensor(1.0, dtype=torch.float64))
    assert int(w.argmax()) == int(loss.argmax())  # most weight where F is furthest from G
    assert torch.all(adversary_weights(F.float(), G.float(), t, 0.0) == 1)
    assert torch.all(adversary_weights(torch.zeros(6, 4), G.float(), t, eta) == 1)  # round 1


def test_objectives() -> None:
    f = torch.randn(6, 4)
    out = StageOutput(F.float() + f, f, F.float(), torch.zeros(6, 1))
    g = G.float()
    indep = member_loss("independent", out, g, 2.0, 1.0, 1.0)
    assert torch.allclose(indep, kd_loss(f, g, 2.0))
    kd0 = member_loss("kd", out, g, 2.0, 0.0, 1.0)
    assert torch.allclose(kd0, kd_loss(F.float() + f, g, 2.0))
    hybrid0 = member_loss("hybrid", out, g, 2.0, 0.0, 0.5)
    assert torch.allclose(hybrid0, kd0 + 0.5 * indep)
    # The logit objective is minimised by the Newton step tanh(eta R)/eta on the residual.
    target = torch.tanh(0.5 * (g - F.float())) / 0.5
    perfect = StageOutput(F.float() + target, target, F.float(), torch.zeros(6, 1))
    assert float(member_loss("logit", perfect, g, 2.0, 0.5, 1.0).max()) < 1e-10
    assert float(member_loss("logit", out, g, 2.0, 0.5, 1.0).mean()) > 0


def test_logit_edge_sign() -> None:
    residual = G.float() - F.float()
    assert logit_edge(F.float(), residual, G.float(), 1.0) > 0
    assert logit_edge(F.float(), -residual, G.float(), 1.0) < 0
    assert abs(logit_edge(F.float(), residual, G.float(), 1.0)) <= 1.0


def test_registry_holds_every_configurable_objective() -> None:
    from typing import get_args

    from edgekit.config import DistillConfig
    from edgekit.config.distill import ObjectiveName
    from edgekit.distill.objectives import OBJECTIVES, objective

    assert set(OBJECTIVES) == set(get_args(ObjectiveName))
    cfg = DistillConfig(eta=0.3, logit_eta=0.05)
    assert objective("logit").eta(cfg) == 0.05 and objective("hybrid").eta(cfg) == 0.3
    assert [o for o in OBJECTIVES if not OBJECTIVES[o].first_round] == ["independent"]
