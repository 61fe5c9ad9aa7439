"""Mixup's draw (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization").

A tiny training split (a few dozen series) lets a teacher memorise every series; training on
blends of pairs of series, with the loss blended alike, is a standard regulariser for it. The
trainer blends each batch with itself in another order; this module draws the weight and the
order from the epoch's generator, so a run stays reproducible.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def mixup_draw(batch: int, alpha: float, gen: torch.Generator | None) -> tuple[float, Tensor]:
    """(lambda ~ Beta(alpha, alpha), a random order of the batch)."""
    gen = gen if gen is not None else torch.Generator().manual_seed(0)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen).item())
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    return lam, torch.randperm(batch, generator=gen)
