"""The optimiser and learning-rate schedule a TrainConfig names."""

from __future__ import annotations

import math

import torch
from torch import nn

from edgekit.config import TrainConfig


def lr_at(config: TrainConfig, epoch: int, hold_from: int | None = None) -> float:
    """The learning rate of ``epoch``; ``hold_from``: from that epoch on, the rate it had there
    (SWA's constant rate over the averaged epochs, edgekit.train.averaging)."""
    if hold_from is not None:
        epoch = min(epoch, hold_from)
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1 + math.cos(math.pi * epoch / config.epochs))
    return config.lr


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )
