"""What a member is trained to match on each batch: the teacher's logits for those inputs.

Without augmentation the inputs are the fixed training features, so the teacher's logits are
computed once and cached (``DistillContext.logits``). With augmentation (time shift, noise,
SpecAugment, sensor rotations...) every batch is a new input: a cached clean-clip logit would
be the wrong target, so the frozen teacher runs on the same augmented batch.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from edgekit.distill.context import DistillContext

FeatureFn = Callable[[Tensor, torch.Generator], Tensor]


class Targets:
    """``features`` for the trainer (None: the plain features) and ``target(idx, device)``."""

    def __init__(self, ctx: DistillContext) -> None:
        self.ctx = ctx
        self._last: Tensor | None = None
        self.features: FeatureFn | None = self._augmented if ctx.augment is not None else None

    def _augmented(self, idx: Tensor, gen: torch.Generator) -> Tensor:
        assert self.ctx.augment is not None and self.ctx.teacher is not None
        x = self.ctx.augment(idx, gen)
        with torch.no_grad():
            self._last = self.ctx.teacher(x.to(self.ctx.device)).logits.float()
        return x

    def target(self, idx: Tensor, device: torch.device) -> Tensor:
        """The teacher's logits for the batch ``idx`` the trainer is on (augmented or not)."""
        if self.features is None:
            return self.ctx.logits["fit"][idx].to(device)
        assert self._last is not None, "target() before the batch's features were drawn"
        return self._last.to(device)
