"""Inference helpers shared by training, distillation and export checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from edgekit.checkpoint import load_checkpoint
from edgekit.data.dataset import Split
from edgekit.rundir import TrainerFiles
from edgekit.train.losses import accuracy, cross_entropy


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    x: np.ndarray | Tensor,
    device: torch.device,
    batch_size: int = 512,
    output: str = "logits",
) -> Tensor:
    """Logits [N, L] of ``model`` on ``x`` (eval mode), on the CPU.

    ``output`` names the field of the model's output to collect (a distillation stage's
    ``member`` gives the member's own logits instead of the running sum's).
    """
    was_training = model.training
    model.eval()
    xs = torch.as_tensor(x)
    outs = [
        getattr(model(xs[i : i + batch_size].to(device)), output).float().cpu()
        for i in range(0, len(xs), batch_size)
    ]
    model.train(was_training)
    return torch.cat(outs) if outs else torch.zeros(0)


def load_best(model: nn.Module, out_dir: Path) -> nn.Module:
    """Load the best epoch's weights (weights only) into ``model``."""
    payload = load_checkpoint(TrainerFiles(Path(out_dir)).best)
    model.load_state_dict(payload["model"])
    return model


def evaluate(
    model: nn.Module, split: Split, device: torch.device, batch_size: int
) -> dict[str, float]:
    """Cross-entropy and accuracy on ``split`` (a trainer's default validation)."""
    logits = predict_logits(model, split.x, device, batch_size)
    labels = torch.as_tensor(split.y)
    return {
        "val_loss": float(cross_entropy(logits, labels).mean().item())
        if len(labels)
        else float("nan"),
        "val_accuracy": accuracy(logits, labels),
    }
