"""Each member's float logits and activation in PyTorch: the reference exports are held to."""

from __future__ import annotations

import numpy as np
import torch

from edgekit.export.run_loader import ExportRun


@torch.no_grad()
def torch_outputs(
    run: ExportRun, x: np.ndarray, batch_size: int = 512
) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(logits [N, L], activation [N, ...]) per member] on normalised features ``x``."""
    logits: list[list[np.ndarray]] = [[] for _ in run.members]
    acts: list[list[np.ndarray]] = [[] for _ in run.members]
    xs = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))
    for i in range(0, len(xs), batch_size):
        batch = xs[i : i + batch_size]
        prev: torch.Tensor | None = None
        for k, (member, record) in enumerate(zip(run.members, run.records, strict=True)):
            out = member.eval()(batch, prev if record.connected else None)
            logits[k].append(out.logits.float().numpy())
            acts[k].append(out.activation.float().numpy())
            prev = out.activation
    return [(np.concatenate(lg), np.concatenate(ac)) for lg, ac in zip(logits, acts, strict=True)]
