"""The paper's baselines (Fig. 2), trained on the same member-train / selection data.

- RESCHED: for each chosen member, an independently distilled student of the same spec (no
  connection), trained with KD(f, G) alone; the k-th point sums the first k students' logits.
- NO-RESCHED: for each prefix cost c_k, one student of at most that cost (the largest recipe
  candidate or chosen spec that fits), distilled alone: an oracle that knows the budget.

Both draw from one pool of independent students, ``baselines/students/<spec>-<j>`` (the j-th
student of that spec, its own seed): NO-RESCHED's student of a spec is RESCHED's first one, so
the two curves are trained once between them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from edgekit.atomic import atomic_write_json
from edgekit.cost import model_cost
from edgekit.distill.ensemble import Stage
from edgekit.distill.scoring import heldout_loss
from edgekit.models import build_model
from edgekit.train.checkpoint import load_checkpoint
from edgekit.train.loop import BEST, Trainer, distillation_loss, predict_logits

if TYPE_CHECKING:
    from edgekit.distill.pipeline import Distiller

BASELINES = "baselines.json"


def _student(distiller: Distiller, spec: str, out_dir: Path, seed_offset: int) -> dict[str, Tensor]:
    """Train (or reload) one KD student; its logits on selection and val (and test)."""
    d = distiller
    cfg = d.recipe.student_train
    torch.manual_seed(cfg.seed * 1000 + 7777 + seed_offset)
    stage = Stage(None, build_model(spec, d.data.feature_shape, d.data.num_classes), False)
    sel_x = torch.as_tensor(d.parts.selection.x)

    def validate(model: torch.nn.Module) -> dict[str, float]:
        f = predict_logits(model, sel_x, d.device, output="member")
        value = heldout_loss(
            f, d.logits["selection"], cfg.kd_temperature, d.recipe.distill.calibrated
        )
        return {"val_loss": value, "score": -value}

    if not (out_dir / "done.json").exists():
        trainer = Trainer(
            stage,
            d.parts.fit,
            d.parts.selection,
            cfg,
            out_dir,
            device=d.device_name,
            loss=distillation_loss(d.logits["fit"], cfg),
            label=f"baseline {spec}",
            validate=validate,
            score_key="score",
        )
        trainer.fit(resume=(out_dir / "checkpoint.pt").exists())
        atomic_write_json(out_dir / "done.json", {"spec": spec})
    stage.load_state_dict(load_checkpoint(out_dir / BEST)["model"])
    stage.to(d.device)
    parts = ["val"] + (["test"] if d.parts.test is not None else [])
    return {
        p: predict_logits(stage, getattr(d.parts, p).x, d.device, output="member") for p in parts
    }


def _pool_dir(base: Path, spec: str, occurrence: int) -> Path:
    return base / "students" / f"{spec}-{occurrence}"


def _accuracy(logits: Tensor, labels: Any) -> float:
    return float((logits.argmax(1) == torch.as_tensor(labels)).double().mean())


def train_baselines(distiller: Distiller) -> dict[str, Any]:
    """Train both baselines for the run's chosen members; writes RUN_DIR/baselines.json."""
    d = distiller
    base = d.out_dir / "baselines"
    resched: list[dict[str, Any]] = []
    total: Tensor | None = None
    total_test: Tensor | None = None  # issue 14.9 / 18: test accuracy beside validation
    cumulative = 0
    seen: dict[str, int] = {}
    for record in d.records:
        occurrence = seen.get(record.spec, 0)
        seen[record.spec] = occurrence + 1
        logits = _student(d, record.spec, _pool_dir(base, record.spec, occurrence), occurrence)
        total = logits["val"] if total is None else total + logits["val"]
        cumulative += model_cost(record.spec, d.data.feature_shape, d.data.num_classes).macs
        resched.append(
            {
                "k": record.index,
                "spec": record.spec,
                "macs": cumulative,
                "val_accuracy": _accuracy(total, d.parts.val.y),
            }
        )
        if "test" in logits and d.parts.test is not None:
            total_test = logits["test"] if total_test is None else total_test + logits["test"]
            resched[-1]["test_accuracy"] = _accuracy(total_test, d.parts.test.y)
    pool = sorted(
        {
            s: model_cost(s, d.data.feature_shape, d.data.num_classes).macs
            for s in (*d.recipe.students, *(r.spec for r in d.records))
        }.items(),
        key=lambda kv: kv[1],
    )
    no_resched: list[dict[str, Any]] = []
    for row in d.rounds:
        fits = [(s, m) for s, m in pool if m <= row["cumulative_macs"]]
        if not fits:
            continue
        spec, macs = fits[-1]
        logits = _student(d, spec, _pool_dir(base, spec, 0), 0)
        no_resched.append(
            {
                "k": row["round"],
                "spec": spec,
                "macs": macs,
                "val_accuracy": _accuracy(logits["val"], d.parts.val.y),
            }
        )
        if "test" in logits and d.parts.test is not None:
            no_resched[-1]["test_accuracy"] = _accuracy(logits["test"], d.parts.test.y)
    result = {"resched": resched, "no_resched": no_resched}
    atomic_write_json(d.out_dir / BASELINES, result)
    return result
