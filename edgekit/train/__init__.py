"""Training: one loop for teachers and students on CPU, GPU or torchrun (DDP)."""

from edgekit.train.config import TrainConfig

__all__ = ["TrainConfig"]
