"""The paper's baselines (Fig. 2), trained on the same member-train / selection data.

- RESCHED: for each chosen member, an independently distilled student of the same spec (no
  connection), trained with KD(f, G) alone; the k-th point sums the first k students' logits.
- NO-RESCHED: for each prefix cost c_k, one student of at most that cost (the largest recipe
  candidate or chosen spec that fits), distilled alone: an oracle that knows the budget.

Both draw from one pool of independent students, ``baselines/students/<spec>-<j>`` (the j-th
student of that spec, its own seed): NO-RESCHED's student of a spec is RESCHED's first one, so
the two curves are trained once between them. With ``distill.paired_baselines`` RESCHED's
student standing for member k is ``<spec>-member<k>-<init>``, built and trained from member k's
seeds (common random numbers, distill/seeds.py); NO-RESCHED's student of a spec is then the
paired student of the first member of that spec, where there is one.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from edgekit.atomic import atomic_write_json
from edgekit.checkpoint import load_checkpoint
from edgekit.cost import model_cost
from edgekit.distill.context import DistillContext
from edgekit.distill.ensemble import Stage
from edgekit.distill.objectives import StageOutput, objective
from edgekit.distill.scoring import heldout_loss
from edgekit.distill.seeds import init_seed, train_seed
from edgekit.distill.targets import Targets
from edgekit.models import build_model
from edgekit.rundir import MemberRecord, RunDir, TrainerFiles
from edgekit.train.losses import cross_entropy
from edgekit.train.predict import predict_logits
from edgekit.train.trainer import Trainer


def _student(
    ctx: DistillContext, spec: str, occurrence: int, inits: int = 1, pair: Pair | None = None
) -> dict[str, Tensor]:
    """Train (or reload) one independent student; its logits on val (and test).

    Its loss is the ``independent`` objective (KD(f, G)) plus the recipe's optional label term.
    With ``inits`` > 1 it is trained from that many inits and the best held-out loss is kept,
    as B-DISTIL's member 1 is (``distill.inits``): the same training budget per member. With
    ``pair`` (member k's round and candidate position) it draws member k's random numbers.
    """
    stages = [
        _train_init(ctx, spec, _files(ctx, spec, occurrence, i, pair), occurrence, i, pair)
        for i in range(inits)
    ]
    sel_x = torch.as_tensor(ctx.parts.selection.x)
    calibrated, temperature = ctx.recipe.distill.calibrated, ctx.recipe.student_train.kd_temperature
    losses = [
        heldout_loss(
            predict_logits(st, sel_x, ctx.device, output="member"),
            ctx.logits["selection"],
            temperature,
            calibrated,
        )
        for st in stages
    ]
    stage = stages[min(range(inits), key=lambda i: losses[i])]
    return {
        p: predict_logits(stage, ctx.parts.get(p).x, ctx.device, output="member")
        for p in ctx.parts.names()
        if p in ("val", "test")
    }


Pair = tuple[int, int]  # (round, candidate position) of the member a paired student stands for


def _files(
    ctx: DistillContext, spec: str, occurrence: int, init: int, pair: Pair | None
) -> TrainerFiles:
    """A student's folder: ``<spec>-<n>``, or ``<spec>-member<k>-<init>`` where paired."""
    if pair is None:
        return ctx.run.baseline_student(spec, occurrence + 1000 * init)
    return ctx.run.baseline_student(f"{spec}-member{pair[0]}", init)


def _train_init(
    ctx: DistillContext,
    spec: str,
    files: TrainerFiles,
    seed_offset: int,
    init: int,
    pair: Pair | None = None,
) -> Stage:
    """One init of a baseline student, trained (or reloaded from its finished files)."""
    cfg = ctx.recipe.student_train
    if pair is None:
        torch.manual_seed(cfg.seed * 1000 + 7777 + seed_offset + 7919 * init)
    else:  # the member's own init (distill/seeds.py)
        torch.manual_seed(init_seed(cfg.seed, *pair, init))
    stage = Stage(None, build_model(spec, ctx.feature_shape, ctx.num_classes), False)
    sel_x = torch.as_tensor(ctx.parts.selection.x)
    independent = objective("independent")
    targets = Targets(ctx)  # the same augmentation (and online targets) as the members

    def loss(out: StageOutput, idx: Tensor, labels: Tensor) -> Tensor:
        target = targets.target(idx, out.logits.device)
        value = independent.loss(out, target, cfg.kd_temperature, 0.0, 0.0)
        if cfg.kd_label_weight:
            value = value + cfg.kd_label_weight * cross_entropy(out.logits, labels)
        return value

    def validate(model: torch.nn.Module) -> dict[str, float]:
        f = predict_logits(model, sel_x, ctx.device, output="member")
        value = heldout_loss(
            f, ctx.logits["selection"], cfg.kd_temperature, ctx.recipe.distill.calibrated
        )
        return {"val_loss": value, "score": -value}

    done = RunDir.done_path(files)
    if not done.exists():
        if pair is not None:  # ... and the member's training draws
            torch.manual_seed(train_seed(cfg.seed, *pair, init))
        trainer = Trainer(
            stage, ctx.parts.fit, ctx.parts.selection, cfg, files.root,
            device=ctx.device_name, loss=loss, label=f"baseline {spec}", validate=validate,
            score_key="score",
        )  # fmt: skip
        trainer.features = targets.features
        trainer.fit(resume=files.checkpoint.exists())
        atomic_write_json(done, {"spec": spec})
    stage.load_state_dict(load_checkpoint(files.best)["model"])
    return stage.to(ctx.device)


def _inits(ctx: DistillContext, k: int) -> int:
    """How many inits the baseline student standing for member ``k`` gets (as the member)."""
    cfg = ctx.recipe.distill
    return cfg.inits if (k == 1 or cfg.inits_rounds == "all") else 1


def _accuracies(ctx: DistillContext, logits: dict[str, Tensor]) -> dict[str, float]:
    """``val_accuracy`` (and ``test_accuracy`` where the data has a test split)."""
    return {
        f"{p}_accuracy": float(
            (logits[p].argmax(1) == torch.as_tensor(ctx.parts.get(p).y)).double().mean()
        )
        for p in ("val", "test")
        if p in logits
    }


def train_baselines(
    ctx: DistillContext, records: list[MemberRecord], rounds: list[dict[str, Any]]
) -> dict[str, Any]:
    """Train both baselines for the run's chosen members; writes them to the run."""
    resched: list[dict[str, Any]] = []
    total: dict[str, Tensor] = {}
    cumulative = 0
    seen: dict[str, int] = {}
    pairs = _pairs(ctx, records, rounds)
    for record in records:
        occurrence = seen.get(record.spec, 0)
        seen[record.spec] = occurrence + 1
        pair = pairs.get(record.index)
        logits = _student(ctx, record.spec, occurrence, _inits(ctx, record.index), pair)
        total = {p: logits[p] + total[p] if p in total else logits[p] for p in logits}
        cumulative += model_cost(record.spec, ctx.feature_shape, ctx.num_classes).macs
        resched.append(
            {"k": record.index, "spec": record.spec, "macs": cumulative, **_accuracies(ctx, total)}
        )
    pool = sorted(
        {
            s: model_cost(s, ctx.feature_shape, ctx.num_classes).macs
            for s in (*ctx.recipe.students, *(r.spec for r in records))
        }.items(),
        key=lambda kv: kv[1],
    )
    no_resched: list[dict[str, Any]] = []
    for row in rounds:
        fits = [(s, m) for s, m in pool if m <= row["cumulative_macs"]]
        if not fits:
            continue
        spec, macs = fits[-1]
        first = next((r.index for r in records if r.spec == spec), None)  # RESCHED's first
        pair = None if first is None else pairs.get(first)
        inits = _inits(ctx, int(row["round"]) if pair is None else pair[0])
        logits = _student(ctx, spec, 0, inits, pair)
        no_resched.append(
            {"k": row["round"], "spec": spec, "macs": macs, **_accuracies(ctx, logits)}
        )
    # whether RESCHED's students drew their members' random numbers (distill.paired_baselines)
    result = {"resched": resched, "no_resched": no_resched, "paired": bool(pairs)}
    ctx.run.write_baselines(result)
    return result


def _pairs(
    ctx: DistillContext, records: list[MemberRecord], rounds: list[dict[str, Any]]
) -> dict[int, Pair]:
    """Member k -> (k, its candidate position) where ``distill.paired_baselines`` asks: a
    round's scored candidates are a prefix of its candidate list (FIND-WL scores in order)."""
    if not ctx.recipe.distill.paired_baselines:
        return {}
    by_round = {int(r["round"]): r for r in rounds}
    out: dict[int, Pair] = {}
    for record in records:
        row = by_round[record.index]
        names = [str(t["candidate"]) for t in row["tried"]]
        out[record.index] = (record.index, names.index(str(row["chosen"])) + 1)
    return out
