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
from edgekit.distill.scoring import best_step, heldout_loss, relative_edge, unit_step
from edgekit.distill.seeds import init_seed, train_seed
from edgekit.distill.targets import Targets
from edgekit.models import build_model
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
    candidate number, candidates this round). Returns the score, also written to score.json.

    With ``distill.inits`` > 1 (round 1, or every round), the candidate is trained from that
    many inits and the one with the best held-out loss is kept: member 1's seed alone moved
    DSA-19 by 2-3 points. Init 1 is the single-init run exactly; others live beside it.
    """
    index = where[0]
    cfg = ctx.recipe.distill
    n = cfg.inits if (index == 1 or cfg.inits_rounds == "all") else 1
    scores = [_train_one(ctx, stage, cand, where, previous, 0)]
    for i in range(1, n):
        torch.manual_seed(init_seed(ctx.recipe.student_train.seed, index, where[1], i))
        member = build_model(
            cand.spec, ctx.feature_shape, ctx.num_classes, stage.member.connection_shape
        )
        other = Stage(stage.previous, member, stage.connected, stage.previous_scale)
        scores.append(_train_one(ctx, other, cand, where, previous, i))
    best = min(scores, key=lambda s: float(s["selection_loss_after"]))
    if n > 1:
        best = {**best, "inits": [s["selection_loss_after"] for s in scores]}
    ctx.run.write_score(index, cand.name, best)
    return best


def init_dir_name(cand: Candidate, init: int) -> str:
    """The candidate's directory name for init ``init`` (0: the candidate's own name)."""
    return cand.name if init == 0 else f"{cand.name}-init{init + 1}"


def _train_one(
    ctx: DistillContext,
    stage: Stage,
    cand: Candidate,
    where: tuple[int, int, int],
    previous: Previous,
    init: int,
) -> dict[str, Any]:
    """Train one init of the candidate (or read its finished score) and score it."""
    index, j, total = where
    name = init_dir_name(cand, init)
    files = ctx.run.candidate(index, name)
    if init > 0 and (done := ctx.run.read_score(index, name)) is not None:
        return done
    cfg, train_cfg = ctx.recipe.distill, ctx.recipe.student_train
    temperature = ctx.temperature
    sel_x = torch.as_tensor(ctx.parts.selection.x)
    sel_teacher = ctx.logits["selection"]
    obj = objective(cand.objective)
    eta = obj.eta(cfg)
    targets = Targets(ctx)  # cached teacher logits, or the teacher on each augmented batch

    def loss(out: StageOutput, idx: Tensor, labels: Tensor) -> Tensor:
        target = targets.target(idx, out.logits.device)
        return obj.loss(out, target, temperature, eta, cfg.beta)

    validate = _held_out(ctx, previous, cand)

    torch.manual_seed(train_seed(train_cfg.seed, index, j, init))
    trainer = Trainer(
        stage,
        ctx.parts.fit,
        ctx.parts.selection,
        train_cfg,
        files.root,
        device=ctx.device_name,
        loss=loss,
        label=f"round {index} cand {j}/{total} {name}",
        validate=validate,
        score_key="score",
        patience=cfg.patience or None,
        alone=True,  # under torchrun each rank trains whole candidates (distill/ranks.py)
    )
    trainer.features = targets.features
    trainer.fit(resume=files.checkpoint.exists())
    stage.load_state_dict(load_checkpoint(files.best)["model"])
    f = predict_logits(stage, sel_x, ctx.device, output="member")
    alpha, loss_after, loss_unit = _step(ctx, cand, previous, f)
    score = {**_score(cand, previous, alpha, loss_after), "selection_loss_unit_step": loss_unit}
    score["logit_edge"] = logit_edge(previous.selection, alpha * f, sel_teacher, cfg.logit_eta)
    if init > 0 or cfg.inits > 1:
        score["init_dir"] = name  # where the chosen init's weights are (_accept reads it)
    if init > 0:
        ctx.run.write_score(index, name, score)
    return score


def _step(
    ctx: DistillContext, cand: Candidate, previous: Previous, f: Tensor
) -> tuple[float, float, float]:
    """(alpha, held-out loss after, loss at the unit step) of the member's logits ``f`` on the
    selection data, by ``distill.step``: searched, the member as trained (alone: fold 1; on
    c F_{t-1}: step 1), or ``gated``: as trained unless the searched step lowers the loss by at
    least ``step_gain`` (relative)."""
    cfg, teacher, temperature = ctx.recipe.distill, ctx.logits["selection"], ctx.temperature
    unit = previous.scale if cand.objective == "independent" else 1.0
    at_unit = unit_step(previous.selection, f, teacher, temperature, unit, cfg.calibrated)
    first = not bool(torch.any(previous.selection != 0))
    if cfg.step == "unit" or (cfg.step == "gated" and first):
        return (*at_unit, at_unit[1])  # member 1's step is only the ensemble's overall scale
    # gated: alpha_max in units of the unit step, so an independent member's fold (its weight
    # against the earlier members, each at 1) stays <= alpha_max whatever member 1's scale
    cap = cfg.alpha_max * (unit if cfg.step == "gated" else 1.0)
    searched = best_step(previous.selection, f, teacher, temperature, cap, cfg.calibrated)
    if cfg.step == "gated" and relative_edge(at_unit[1], searched[1]) < cfg.step_gain:
        return (*at_unit, at_unit[1])
    return (*searched, at_unit[1])


def _held_out(ctx: DistillContext, previous: Previous, cand: Candidate) -> Any:
    """The trainer's validation, which keeps the candidate's best epoch: the running sum's
    held-out loss with the candidate added, or (``distill.keep_epoch`` "own", independent
    candidates) the candidate's own, as RESCHED's students are validated (baselines.py)."""
    sel_x = torch.as_tensor(ctx.parts.selection.x)
    labels = torch.as_tensor(ctx.parts.selection.y)
    cfg = ctx.recipe.distill
    own = cfg.keep_epoch == "own" and cand.objective == "independent"

    def validate(model: torch.nn.Module) -> dict[str, float]:
        f = predict_logits(model, sel_x, ctx.device, output="member")
        total = f if own else previous.selection + f
        value = heldout_loss(total, ctx.logits["selection"], ctx.temperature, cfg.calibrated)
        acc = float((total.argmax(1) == labels).double().mean())
        return {"val_loss": value, "score": -value, "val_accuracy": acc}

    return validate


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
