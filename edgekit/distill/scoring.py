"""Held-out scoring of a candidate: step size, edge, and the round's diagnostics.

All work on cached logits [N, L] (CPU tensors). The held-out loss is the mean KD loss of the
running sum against the teacher, whatever objective trained the member, so candidates with
different objectives compete on one scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from edgekit.train.losses import kd_loss


def heldout_loss(ensemble: Tensor, teacher: Tensor, temperature: float) -> float:
    return float(kd_loss(ensemble, teacher, temperature).mean())


def best_step(
    previous: Tensor, member: Tensor, teacher: Tensor, temperature: float, alpha_max: float = 2.0
) -> tuple[float, float]:
    """(alpha, loss): alpha in [0, alpha_max] minimising the held-out loss of F + alpha f.

    A grid of 41 points, then golden-section search in the best grid cell (the loss is smooth
    and, in practice, unimodal in alpha).
    """

    def loss(a: float) -> float:
        return heldout_loss(previous + a * member, teacher, temperature)

    grid = np.linspace(0.0, alpha_max, 41)
    values = [loss(float(a)) for a in grid]
    i = int(np.argmin(values))
    lo, hi = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, len(grid) - 1)])
    ratio = float((np.sqrt(5) - 1) / 2)
    for _ in range(25):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if loss(a) < loss(b):
            hi = b
        else:
            lo = a
    alpha = (lo + hi) / 2
    best = loss(alpha)
    if values[i] < best:
        alpha, best = float(grid[i]), values[i]
    return float(alpha), float(best)


def relative_edge(before: float, after: float) -> float:
    """Relative drop of the held-out loss; > 0 means the member helps."""
    return (before - after) / before if before > 0 else 0.0


@dataclass(frozen=True)
class EnsembleStats:
    """How the running sum F stands against the teacher G and the labels on one split."""

    kd_loss: float
    accuracy: float
    agreement: float
    potential: float  # mean cosh(eta R) over samples and classes, R = G - F
    max_residual: float

    def to_dict(self, prefix: str) -> dict[str, float]:
        return {f"{prefix}_{k}": v for k, v in self.__dict__.items()}


def ensemble_stats(
    ensemble: Tensor, teacher: Tensor, labels: Tensor, temperature: float, eta: float
) -> EnsembleStats:
    residual = (teacher - ensemble).double()
    pred = ensemble.argmax(dim=1)
    return EnsembleStats(
        kd_loss=heldout_loss(ensemble, teacher, temperature),
        accuracy=float((pred == labels).double().mean()),
        agreement=float((pred == teacher.argmax(dim=1)).double().mean()),
        potential=float(torch.cosh(max(eta, 1e-3) * residual).mean()),
        max_residual=float(residual.abs().max()),
    )
