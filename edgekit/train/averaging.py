"""Weight averaging over the last epochs (SWA, Izmailov et al. 2018) for runs that cannot pick one.

When the validation split was trained on (a tiny one joined to the training split, issue 18),
no epoch can be picked: the run keeps its end. One epoch's weights carry the noise of its last
batches; the mean of the weights over the last share of the epochs is a flatter, steadier point.
BatchNorm's running statistics of averaged weights are not those of any epoch: they are
recomputed with one pass over the training series (``torch.optim.swa_utils.update_bn``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from edgekit.config import TrainConfig


def first_averaged_epoch(epochs: int, share: float) -> int:
    """The 0-based epoch from which the last ``share`` of ``epochs`` is averaged (at least one)."""
    return epochs - max(1, math.ceil(share * epochs))


class WeightAverage:
    """The running mean of a model's floating-point weights, one snapshot per epoch."""

    @classmethod
    def kept_by(cls, config: TrainConfig) -> WeightAverage | None:
        """The average ``config.average_last`` asks for (None: off)."""
        if config.average_last <= 0:
            return None
        return cls(first_averaged_epoch(config.epochs, config.average_last))

    def __init__(self, start: int) -> None:
        self.start = start  # first epoch (0-based) in the mean
        self.count = 0
        self.mean: dict[str, Tensor] = {}

    def update(self, model: nn.Module, epoch: int) -> None:
        """Add ``model``'s weights after ``epoch`` (ignored before :attr:`start`)."""
        if epoch < self.start:
            return
        self.count += 1
        for key, value in model.state_dict().items():
            value = value.detach()
            if key not in self.mean or not value.is_floating_point():
                self.mean[key] = value.clone()  # integer buffers (BatchNorm's counter): the last
            else:
                self.mean[key] += (value - self.mean[key]) / self.count

    def state(self) -> dict[str, Any]:
        return {"start": self.start, "count": self.count, "mean": self.mean}

    def load(self, state: dict[str, Any] | None) -> None:
        """Continue a saved mean; one over another window (epochs changed) is dropped."""
        if state and int(state.get("start", -1)) == self.start:
            self.count = int(state["count"])
            self.mean = dict(state["mean"])

    @torch.no_grad()
    def apply(self, model: nn.Module, train_x: Tensor, batch_size: int) -> None:
        """Load the mean into ``model`` and refresh its BatchNorm statistics on ``train_x``."""
        model.load_state_dict(self.mean)
        device = next(model.parameters()).device
        batches = (train_x[i : i + batch_size] for i in range(0, len(train_x), batch_size))
        torch.optim.swa_utils.update_bn(batches, model, device)
