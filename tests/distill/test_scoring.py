"""Step size and edge on hand-made cases."""

from __future__ import annotations

import pytest
import torch

from edgekit.distill.scoring import (
    best_step,
    ensemble_stats,
    heldout_loss,
    relative_edge,
    unit_step,
)

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


def test_calibrated_loss_ignores_the_overall_scale() -> None:
    g = torch.randn(200, 6, generator=torch.Generator().manual_seed(1)) * 3
    f = g + torch.randn(200, 6, generator=torch.Generator().manual_seed(2))
    one = heldout_loss(f, g, 4.0, calibrated=True)
    assert heldout_loss(2.5 * f, g, 4.0, calibrated=True) == pytest.approx(one, rel=1e-3)
    assert heldout_loss(2.5 * f, g, 4.0) > heldout_loss(f, g, 4.0)  # the raw loss is not
    assert one <= heldout_loss(f, g, 4.0) + 1e-9


def test_calibrated_step_keeps_an_independent_member() -> None:
    """Two independent noisy copies of the teacher: averaging them helps, so the calibrated
    step is ~1 (a plain sum); the raw KD step shrinks it because the sum doubles the scale."""
    gen = torch.Generator().manual_seed(3)
    g = torch.randn(500, 8, generator=gen) * 4
    prev = g + 2 * torch.randn(500, 8, generator=gen)
    member = g + 2 * torch.randn(500, 8, generator=gen)
    raw_alpha, _ = best_step(prev, member, g, 4.0)
    cal_alpha, cal_loss = best_step(prev, member, g, 4.0, calibrated=True)
    assert raw_alpha < 0.5 < 0.8 < cal_alpha < 1.25
    assert cal_loss < heldout_loss(prev, g, 4.0, calibrated=True)


def test_unit_step_adds_the_member_as_given_where_the_search_would_shrink_it() -> None:
    """The searched step follows the selection data; the unit step keeps the member's weight
    whatever that data says (distill.step=unit), and scores the sum at that weight."""
    gen = torch.Generator().manual_seed(4)
    g = torch.randn(300, 5, generator=gen) * 4
    prev = g + torch.randn(300, 5, generator=gen)
    member = g + 3 * torch.randn(300, 5, generator=gen)  # noisier than the running sum
    searched, _ = best_step(prev, member, g, 4.0, calibrated=True)
    alpha, loss = unit_step(prev, member, g, 4.0, 1.0, calibrated=True)
    assert searched < 0.9 and alpha == 1.0
    assert loss == pytest.approx(heldout_loss(prev + member, g, 4.0, calibrated=True))
    # with nothing before it, the member's loss is the raw one (no scale to calibrate)
    assert unit_step(ZERO, G / 2, G, 2.0, 1.0, calibrated=True)[1] == pytest.approx(
        heldout_loss(G / 2, G, 2.0)
    )
