"""Held-out scoring of a candidate: step size, edge, and the round's diagnostics.

All work on cached logits [N, L] (CPU tensors). The held-out loss is the mean KD loss of the
running sum against the teacher, whatever objective trained the member, so candidates with
different objectives compete on one scale.

``calibrated`` (the default score) takes that loss at the best global scale c of the running
sum, min_c KD(c F, G). The runtime decides by argmax (and margins, which scale with F), so a
sum that is right up to its overall scale should not be scored as wrong. Without it, a member
distilled on its own (independent objective) doubles the sum's scale when added, the raw KD loss
rises, and the step size collapses (measured on DSA-19: alpha 0.14 and 0.05 for members 2-3, so
the ensemble ignored members that RESCHED's plain sum gains 4 points from). Members trained on
the running sum already sit at c ~ 1, so for them nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from edgekit.train.losses import kd_loss


def heldout_loss(
    ensemble: Tensor, teacher: Tensor, temperature: float, calibrated: bool = False
) -> float:
    """Mean KD loss of ``ensemble`` against ``teacher``; ``calibrated``: at its best scale."""
    if calibrated:
        return calibrated_loss(ensemble, teacher, temperature)[1]
    return float(kd_loss(ensemble, teacher, temperature).mean())


def minimize_1d(
    loss: Callable[[float], float], lo: float, hi: float, grid_points: int, iterations: int
) -> tuple[float, float]:
    """(x, loss(x)) minimising a smooth 1-D loss on [lo, hi]: a grid, then golden-section
    search in the best grid cell (keeps the grid point if that is lower)."""
    grid = np.linspace(lo, hi, grid_points)
    values = [loss(float(g)) for g in grid]
    i = int(np.argmin(values))
    lo, hi = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, len(grid) - 1)])
    ratio = float((np.sqrt(5) - 1) / 2)
    for _ in range(iterations):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if loss(a) < loss(b):
            hi = b
        else:
            lo = a
    x = (lo + hi) / 2
    best = loss(x)
    if values[i] < best:
        x, best = float(grid[i]), values[i]
    return x, best


def calibrated_loss(
    ensemble: Tensor, teacher: Tensor, temperature: float, c_max: float = 4.0
) -> tuple[float, float]:
    """(c, loss): the scale c in [1/c_max, c_max] minimising KD(c F, G) (golden section on log c)."""
    if not torch.any(ensemble != 0):
        return 1.0, heldout_loss(ensemble, teacher, temperature)

    def loss(log_c: float) -> float:
        return float(kd_loss(ensemble * float(np.exp(log_c)), teacher, temperature).mean())

    best_log, best = minimize_1d(loss, -float(np.log(c_max)), float(np.log(c_max)), 17, 20)
    return float(np.exp(best_log)), best


def best_step(
    previous: Tensor,
    member: Tensor,
    teacher: Tensor,
    temperature: float,
    alpha_max: float = 2.0,
    calibrated: bool = False,
) -> tuple[float, float]:
    """(alpha, loss): alpha in [0, alpha_max] minimising the held-out loss of F + alpha f.

    A grid of 41 points, then golden-section search in the best grid cell (the loss is smooth
    and, in practice, unimodal in alpha).
    """

    # with nothing before the member, a scale-free loss cannot pick its scale: use the raw one
    calibrated = calibrated and bool(torch.any(previous != 0))

    def loss(a: float) -> float:
        return heldout_loss(previous + a * member, teacher, temperature, calibrated)

    alpha, best = minimize_1d(loss, 0.0, alpha_max, 41, 25)
    return float(alpha), float(best)


def unit_step(
    previous: Tensor,
    member: Tensor,
    teacher: Tensor,
    temperature: float,
    alpha: float,
    calibrated: bool = False,
) -> tuple[float, float]:
    """(alpha, loss): the held-out loss of F + alpha f at the given step (``distill.step=unit``).

    Why a fixed step: where members are fitted and scored on the same data (``selection=
    train``), a searched step weights the member that fits that data most closely, not the one
    that generalises (KWS-8: a 145 k-parameter member 1.05, the 4.8 k-parameter member 2 0.70-0.82;
    RESCHED's plain sum of the same two members was 0.3 points better on every seed).
    """
    calibrated = calibrated and bool(torch.any(previous != 0))
    return alpha, heldout_loss(previous + alpha * member, teacher, temperature, calibrated)


def relative_edge(before: float, after: float) -> float:
    """Relative drop of the held-out loss; > 0 means the member helps."""
    return (before - after) / before if before > 0 else 0.0


@dataclass(frozen=True)
class EnsembleStats:
    """How the running sum F stands against the teacher G and the labels on one split."""

    kd_loss: float
    calibrated_kd_loss: float  # at the best scale c (the score FIND-WL uses)
    scale: float  # that c
    accuracy: float
    agreement: float
    potential: float  # mean cosh(eta R) over samples and classes, R = G - c F
    max_residual: float  # max |G - c F|

    def to_dict(self, prefix: str) -> dict[str, float]:
        return {f"{prefix}_{k}": v for k, v in self.__dict__.items()}


def ensemble_stats(
    ensemble: Tensor, teacher: Tensor, labels: Tensor, temperature: float, eta: float
) -> EnsembleStats:
    scale, calibrated = calibrated_loss(ensemble, teacher, temperature)
    residual = (teacher - scale * ensemble).double()
    pred = ensemble.argmax(dim=1)
    return EnsembleStats(
        kd_loss=heldout_loss(ensemble, teacher, temperature),
        calibrated_kd_loss=calibrated,
        scale=scale,
        accuracy=float((pred == labels).double().mean()),
        agreement=float((pred == teacher.argmax(dim=1)).double().mean()),
        potential=float(torch.cosh(max(eta, 1e-3) * residual).mean()),
        max_residual=float(residual.abs().max()),
    )
