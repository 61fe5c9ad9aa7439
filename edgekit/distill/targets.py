"""What a member is trained to match on each batch: the teacher's logits for those inputs.

Without augmentation the inputs are the fixed training features, so the teacher's logits are
computed once and cached (``DistillContext.logits``). With augmentation (time shift, noise,
SpecAugment, sensor rotations...) every batch is a new input: a cached clean-clip logit would
be the wrong target, so the frozen teacher runs on the same augmented batch.

Every candidate and baseline student of a run trains with the same student settings, so they
draw the same batches with the same augmentation (the trainer seeds each epoch's generator from
the settings alone). The teacher's logits on a batch are therefore kept in the run's
:class:`TeacherMemo`, keyed by the batch indices and the generator's state before the draw:
the teacher runs once per batch per run instead of once per model (it is 20-40x a member's
MACs, so it dominated augmented training). Equal keys mean equal inputs, so reuse is exact.
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
        memo = self.ctx.teacher_memo
        key = memo.key(idx, gen)  # before the draw advances the generator
        kept = memo.get_inputs(key)
        if kept is not None:  # the same draw: its inputs, and the generator where it left it
            x, state_after = kept[0].to(self.ctx.device), kept[1]  # kept in host memory
            gen.set_state(state_after)
        else:
            x = self.ctx.augment(idx, gen)
            memo.put_inputs(key, x, gen.get_state())
        logits = memo.get(key)
        if logits is None:
            with torch.no_grad():
                logits = self.ctx.teacher(x.to(self.ctx.device)).logits.float()
            memo.put(key, logits)
        self._last = logits
        return x

    def target(self, idx: Tensor, device: torch.device) -> Tensor:
        """The teacher's logits for the batch ``idx`` the trainer is on (augmented or not)."""
        if self.features is None:
            return self.ctx.logits["fit"][idx].to(device)
        assert self._last is not None, "target() before the batch's features were drawn"
        return self._last.to(device)
