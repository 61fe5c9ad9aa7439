"""Train one FIND-WL candidate on top of the frozen running sum and score it on held-out data.

A candidate's directory (``RunDir.candidate``) holds its trainer files and, once scored,
``score.json``: a rerun reads the score instead of training again, and a half-trained candidate
resumes from its last epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from edgekit.checkpoint import load_checkpoint
from edgekit.distill.context import DistillContext
from edgekit.distill.ensemble import Stage
from edgekit.distill.findwl import Candidate
from edgekit.distill.objectives import StageOutput, logit_edge, objective
from edgekit.distill.scoring import best_step, heldout_loss, relative_edge
from edgekit.train.predict import predict_logits
from edgekit.train.trainer import Trainer


@dataclass(frozen=True)
class Previous:
    """The running sum F_{t-1} on the selection data, as this round's candidates see it."""

    selection: Tensor  # c F_{t-1}: at its calibrated scale c (Stage says why)
    scale: float  # c
    loss: float  # held-out loss before any candidate is added


def train_candidate(
    ctx: DistillContext,
    stage: Stage,
    cand: Candidate,
    where: tuple[int, int, int],
    previous: Previous,
) -> dict[str, Any]:
    """Train ``stage`` (the candidate on top of F_{t-1}) and score it; ``where`` is (round,
    candidate number, candidates this round). Returns the score, also written to score.json."""
    index, j, total = where
    files = ctx.run.candidate(index, cand.name)
    cfg, train_cfg = ctx.recipe.distill, ctx.recipe.student_train
    temperature = ctx.temperature
    sel_x = torch.as_tensor(ctx.parts.selection.x)
    sel_teacher = ctx.logits["selection"]
    obj = objective(cand.objective)
    eta = obj.eta(cfg)

    def loss(out: StageOutput, idx: Tensor, labels: Tensor) -> Tensor:
        target = ctx.logits["fit"][idx].to(out.logits.device)
        return obj.loss(out, target, temperature, eta, cfg.beta)

    def validate(model: torch.nn.Module) -> dict[str, float]:
        f = predict_logits(model, sel_x, ctx.device, output="member")
        value = heldout_loss(previous.selection + f, sel_teacher, temperature, cfg.calibrated)
        acc = float(
            ((previous.selection + f).argmax(1) == torch.as_tensor(ctx.parts.selection.y))
            .double()
            .mean()
        )
        return {"val_loss": value, "score": -value, "val_accuracy": acc}

    torch.manual_seed(train_cfg.seed * 1000 + index * 31 + j)
    trainer = Trainer(
        stage,
        ctx.parts.fit,
        ctx.parts.selection,
        train_cfg,
        files.root,
        device=ctx.device_name,
        loss=loss,
        label=f"round {index} cand {j}/{total} {cand.name}",
        validate=validate,
        score_key="score",
        patience=cfg.patience or None,
        alone=True,  # under torchrun each rank trains whole candidates (distill/ranks.py)
    )
    trainer.fit(resume=files.checkpoint.exists())
    stage.load_state_dict(load_checkpoint(files.best)["model"])
    f = predict_logits(stage, sel_x, ctx.device, output="member")
    alpha, loss_after = best_step(
        previous.selection, f, sel_teacher, temperature, cfg.alpha_max, cfg.calibrated
    )
    score = _score(cand, previous, alpha, loss_after)
    score["logit_edge"] = logit_edge(previous.selection, alpha * f, sel_teacher, cfg.logit_eta)
    ctx.run.write_score(index, cand.name, score)
    return score


def _score(cand: Candidate, previous: Previous, alpha: float, loss_after: float) -> dict[str, Any]:
    """score.json without the logit edge (the caller adds it, last, as it always was)."""
    return {
        "candidate": cand.name,
        "spec": cand.spec,
        "connected": cand.connected,
        "objective": cand.objective,
        "macs": cand.macs,
        "params": cand.params,
        "alpha": alpha,
        "previous_scale": previous.scale,
        "fold": alpha / previous.scale,  # what the member's head is multiplied by
        "selection_loss_before": previous.loss,
        "selection_loss_after": loss_after,
        "edge": relative_edge(previous.loss, loss_after),
    }
