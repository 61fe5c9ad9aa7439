"""Mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization") for the training loop.

A tiny training split (a few dozen series) lets a teacher memorise every series; training on
blends of pairs of series, with the loss blended alike, is a standard regulariser for it. Each
batch is blended with itself in another order; the weight and the order come from the epoch's
generator, so a run stays reproducible. Labels are blended through the loss, so only a loss of
the labels (cross-entropy: teachers) may use it; a student's loss on its teacher's logits of each
sample is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from edgekit.errors import ConfigError
from edgekit.train.losses import LossFn


def check_mixup(alpha: float, custom_loss: bool, label: str) -> None:
    """Refuse mixup where the loss is not cross-entropy on the labels."""
    if alpha and custom_loss:
        raise ConfigError(
            f"{label}: mixup={alpha} blends labels for cross-entropy training "
            "(teacher_train); this model trains on another loss: set its mixup to 0"
        )


def mixup_draw(batch: int, alpha: float, gen: torch.Generator | None) -> tuple[float, Tensor]:
    """(lambda ~ Beta(alpha, alpha), a random order of the batch)."""
    gen = gen if gen is not None else torch.Generator().manual_seed(0)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen).item())
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    return lam, torch.randperm(batch, generator=gen)


class Blend:
    """One batch's blend: the inputs mixed, then the loss mixed with the same weight and order."""

    def __init__(self, alpha: float, batch: int, gen: torch.Generator | None) -> None:
        self.lam: float = 1.0  # off: the batch and its loss as they are
        self.order: Tensor | None = None
        if alpha and batch > 1:
            self.lam, self.order = mixup_draw(batch, alpha, gen)

    def inputs(self, x: Tensor) -> Tensor:
        if self.order is None:
            return x
        return self.lam * x + (1 - self.lam) * x[self.order.to(x.device)]

    def loss(self, loss: LossFn, out: Any, idx: Tensor, y: Tensor) -> Tensor:
        value = loss(out, idx, y)
        if self.order is None:
            return value
        other = loss(out, idx[self.order], y[self.order.to(y.device)])
        return self.lam * value + (1 - self.lam) * other
