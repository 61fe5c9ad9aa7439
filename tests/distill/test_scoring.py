"""Step size and edge on hand-made cases."""

from __future__ import annotations

import pytest
import torch

from edgekit.distill.scoring import best_step, ensemble_stats, heldout_loss, relative_edge

G = torch.tensor([[4.0, 0.0, -2.0], [0.0, 3.0, 1.0], [-1.0, -1.0, 5.0]])
ZERO = torch.zeros_like(G)


def test_exact_member_gets_alpha_one_and_full_edge() -> None:
    alpha, after = best_step(ZERO, G, G, 2.0)
    assert alpha == pytest.approx(1.0, abs=1e-3)
    assert after == pytest.approx(0.0, abs=1e-6)
    assert relative_edge(heldout_loss(ZERO, G, 2.0), after) == pytest.approx(1.0, abs=1e-6)


def test_half_member_is_doubled_and_opposite_member_is_dropped() -> None:
    alpha, _ = best_step(ZERO, G / 2, G, 2.0)
    assert alpha == pytest.approx(2.0, abs=1e-3)
    alpha, after = best_step(ZERO, G / 4, G, 2.0, alpha_max=2.0)
    assert alpha == pytest.approx(2.0, abs=1e-6)  # clipped to [0, alpha_max]
    assert 0 < after < heldout_loss(ZERO, G, 2.0)
    alpha, after = best_step(ZERO, -G, G, 2.0)
    assert alpha == pytest.approx(0.0, abs=1e-6)
    assert relative_edge(heldout_loss(ZERO, G, 2.0), after) == pytest.approx(0.0, abs=1e-9)


def test_step_corrects_an_overshooting_running_sum() -> None:
    previous = 1.5 * G
    alpha, after = best_step(previous, -G, G, 2.0)
    assert alpha == pytest.approx(0.5, abs=2e-3)
    assert after == pytest.approx(0.0, abs=1e-5)


def test_ensemble_stats() -> None:
    labels = torch.tensor([0, 1, 2])
    stats = ensemble_stats(G, G, labels, 2.0, 1.0)
    assert stats.accuracy == 1.0 and stats.agreement == 1.0
    assert stats.potential == pytest.approx(1.0) and stats.max_residual == 0.0
    assert ensemble_stats(ZERO, G, labels, 2.0, 1.0).max_residual == 5.0
