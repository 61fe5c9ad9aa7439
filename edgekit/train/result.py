"""What :meth:`edgekit.train.trainer.Trainer.fit` returns: the kept epoch and the run's timing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class TrainResult:
    best_epoch: int
    best_val_accuracy: float
    best_val_loss: float
    epochs_run: int
    seconds: float  # this call
    total_seconds: float  # every epoch of the run, across resumes
    samples_per_second: float
    history: list[dict[str, Any]]
    best: dict[str, Any]
