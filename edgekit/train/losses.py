"""Losses for teachers (cross-entropy) and students (distillation from cached teacher logits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch.nn.functional as F
from torch import Tensor

from edgekit.config import TrainConfig


def kd_loss(student: Tensor, teacher: Tensor, temperature: float) -> Tensor:
    """Per-sample KL(softmax(teacher/T) || softmax(student/T)) * T^2 (Hinton et al.), shape [B]."""
    t = temperature
    log_p_student = F.log_softmax(student.float() / t, dim=-1)
    log_p_teacher = F.log_softmax(teacher.float() / t, dim=-1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=-1)
    return kl * (t * t)


def cross_entropy(logits: Tensor, labels: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """Per-sample cross-entropy, shape [B]."""
    return F.cross_entropy(
        logits.float(), labels, reduction="none", label_smoothing=label_smoothing
    )


def accuracy(logits: Tensor, labels: Tensor) -> float:
    return float((logits.argmax(dim=-1) == labels).float().mean().item()) if len(labels) else 0.0


# loss(model output (has .logits [B, L]), batch indices [B], labels [B]) -> per-sample loss [B]
LossFn = Callable[[Any, Tensor, Tensor], Tensor]


def cross_entropy_loss(config: TrainConfig) -> LossFn:
    def loss(out: Any, idx: Tensor, labels: Tensor) -> Tensor:
        return cross_entropy(out.logits, labels, config.label_smoothing)

    return loss


def distillation_loss(teacher_logits: Tensor, config: TrainConfig) -> LossFn:
    """KD from cached teacher logits [N_train, L], plus an optional label term."""

    def loss(out: Any, idx: Tensor, labels: Tensor) -> Tensor:
        logits: Tensor = out.logits
        target = teacher_logits[idx.to(teacher_logits.device)].to(logits.device)
        value = kd_loss(logits, target, config.kd_temperature)
        if config.kd_label_weight:
            value = value + config.kd_label_weight * cross_entropy(logits, labels)
        return value

    return loss
