"""Losses for teachers (cross-entropy) and students (distillation from cached teacher logits)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


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


__all__ = ["accuracy", "cross_entropy", "kd_loss"]
