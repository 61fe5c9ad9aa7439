"""One row of metrics.jsonl: what a round chose, what it cost, and how F_t does on each part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from edgekit.distill.context import DistillContext
from edgekit.distill.findwl import Skipped
from edgekit.distill.scoring import ensemble_stats
from edgekit.rundir import MemberRecord

PART_PREFIX = {"fit": "train", "selection": "selection", "val": "val", "test": "test"}


def round_row(
    ctx: DistillContext,
    records: list[MemberRecord],
    ensemble_logits: Callable[[str], Tensor],
    tried: list[dict[str, Any]],
    skipped: list[Skipped],
) -> dict[str, Any]:
    """The row of the round that accepted ``records[-1]``; ``ensemble_logits(part)`` is F_t."""
    record = records[-1]
    cumulative = sum(r.macs for r in records)
    row: dict[str, Any] = {
        "round": record.index,
        "chosen": f"{record.spec}{'+conn' if record.connected else ''}-{record.objective}",
        "spec": record.spec,
        "connected": record.connected,
        "objective": record.objective,
        "edge": record.edge,
        "alpha": record.alpha,
        "member_macs": record.macs,
        "cumulative_macs": cumulative,
        "teacher_macs": ctx.teacher_macs,
        "teacher_fraction": cumulative / ctx.teacher_macs,
        "tried": tried,
        "skipped": [s.__dict__ for s in skipped],
    }
    for part in ctx.parts.names():
        stats = ensemble_stats(
            ensemble_logits(part),
            ctx.logits[part],
            torch.as_tensor(ctx.parts.get(part).y),
            ctx.temperature,
            ctx.recipe.distill.logit_eta,
        )
        row.update(stats.to_dict(PART_PREFIX[part]))
    return row
