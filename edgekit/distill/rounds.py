"""B-DISTIL's rounds: each adds the member FIND-WL picks, saved atomically to the run.

A :class:`Distiller` is built from a prepared :class:`~edgekit.distill.context.DistillContext`
and starts from the members an earlier (possibly killed) run finished; ``run()`` adds rounds
until ``max_members``, the MAC budget, or no candidate helps. One round, top to bottom, is
:meth:`Distiller.round`.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import Tensor

from edgekit.checkpoint import load_checkpoint
from edgekit.distill.candidate import Previous, train_candidate
from edgekit.distill.context import DistillContext
from edgekit.distill.ensemble import Ensemble, Stage, fold_step
from edgekit.distill.findwl import Candidate, Skipped, candidates, find_weak_learner
from edgekit.distill.rows import round_row
from edgekit.distill.scoring import calibrated_loss, heldout_loss
from edgekit.models import EdgeModel, build_model
from edgekit.rundir import MemberRecord, Stopped

log = logging.getLogger(__name__)


class Distiller:
    """The rounds of one run; rerunning the same command resumes where the last one stopped."""

    def __init__(self, ctx: DistillContext) -> None:
        self.ctx = ctx
        records, members = ctx.run.load_members()
        self.records: list[MemberRecord] = records
        self.members: list[EdgeModel] = [m.to(ctx.device).eval() for m in members]
        self.rounds: list[dict[str, Any]] = ctx.run.read_rounds()[: len(records)]

    def run(self) -> None:
        while len(self.members) < self.ctx.recipe.distill.max_members:
            if not self.round(len(self.members) + 1):
                break

    def round(self, index: int) -> bool:
        """Round ``index``: offer candidates, score them, accept one. False when it stops."""
        cands, skipped = self._candidates(index)
        if not cands:
            log.warning("round %d: no candidate fits the remaining budget; stopping", index)
            self._stop(index, "budget", skipped)
            return False
        previous = self._previous()

        def score(cand: Candidate) -> dict[str, Any]:
            return self._score(index, cands, cand, previous)

        chosen, tried = find_weak_learner(cands, score, self.ctx.recipe.distill.gamma_min)
        if chosen is None:
            log.warning("round %d: no candidate lowers the held-out loss; stopping", index)
            self._stop(index, "no candidate helps", skipped, tried)
            return False
        self._accept(index, chosen[0], chosen[1], tried, skipped)
        return True

    # ------------------------------------------------------------------ the round's steps
    def _candidates(self, index: int) -> tuple[list[Candidate], list[Skipped]]:
        cfg = self.ctx.recipe.distill
        used = sum(r.macs for r in self.records)
        return candidates(
            self.ctx.recipe.students,
            cfg,
            self.ctx.feature_shape,
            self.ctx.num_classes,
            self.members[-1].activation_shape if self.members else None,
            cfg.budget * self.ctx.teacher_macs - used,
            index == 1,
        )

    def _previous(self) -> Previous:
        """F_{t-1} on the selection data at its calibrated scale, and its held-out loss."""
        cfg, teacher = self.ctx.recipe.distill, self.ctx.logits["selection"]
        selection = self.ensemble_logits("selection")
        scale = 1.0
        if cfg.calibrated and self.members:
            scale = calibrated_loss(selection, teacher, self.ctx.temperature)[0]
        selection = scale * selection
        loss = heldout_loss(selection, teacher, self.ctx.temperature, cfg.calibrated)
        return Previous(selection, scale, loss)

    def _score(
        self, index: int, cands: list[Candidate], cand: Candidate, previous: Previous
    ) -> dict[str, Any]:
        """A candidate's score: read back if an earlier run finished it, else trained now."""
        saved = self.ctx.run.read_score(index, cand.name)
        if saved is not None:
            return saved
        stage = self._stage(cand, previous.scale)
        where = (index, cands.index(cand) + 1, len(cands))
        return train_candidate(self.ctx, stage, cand, where, previous)

    def _accept(
        self,
        index: int,
        cand: Candidate,
        score: dict[str, Any],
        tried: list[dict[str, Any]],
        skipped: list[Skipped],
    ) -> None:
        """Fold the step into the chosen candidate's head and save it as member ``index``."""
        stage = self._stage(cand)
        stage.load_state_dict(
            load_checkpoint(self.ctx.run.candidate(index, score.get("init_dir", cand.name)).best)[
                "model"
            ]
        )
        member = stage.member.to(self.ctx.device).eval()
        fold = float(score.get("fold", score["alpha"]))
        fold_step(member, fold)
        record = MemberRecord(
            index, cand.spec, cand.connected, cand.objective, fold, score["edge"], cand.macs,
            cand.params,
        )  # fmt: skip
        self.members.append(member)
        self.records.append(record)
        row = round_row(self.ctx, self.records, self.ensemble_logits, tried, skipped)
        self.rounds.append(row)
        self.ctx.run.write_member(record, member.state_dict(), self.rounds)
        # alpha is the step on the running sum at its calibrated scale; the member's head is
        # multiplied by alpha / scale (the table's alpha), so F_t = sum of members stays plain
        log.info(
            "round %d: chose %s (edge %.3f, step %.2f on the calibrated sum = %.2f folded into the member); val accuracy of F_%d %.2f%% at %.1f%% of the teacher's MACs",
            index, cand.name, score["edge"], score["alpha"], fold, index, 100 * row["val_accuracy"], 100 * row["teacher_fraction"],
        )  # fmt: skip

    def _stop(
        self,
        index: int,
        reason: str,
        skipped: list[Skipped],
        tried: list[dict[str, Any]] | None = None,
    ) -> None:
        stopped = Stopped(index, reason, tried or [], [s.__dict__ for s in skipped])
        self.ctx.run.write_stopped(stopped)

    # ------------------------------------------------------------------ the running sum
    def ensemble(self) -> Ensemble | None:
        if not self.members:
            return None
        connected = [r.connected for r in self.records]
        return Ensemble(self.members, connected).to(self.ctx.device).eval()

    def ensemble_logits(self, part: str) -> Tensor:
        """F_t on a part (zeros before the first member)."""
        split = self.ctx.parts.get(part)
        ens = self.ensemble()
        if ens is None:
            return torch.zeros(len(split), self.ctx.num_classes)
        outs = []
        with torch.no_grad():
            xs = torch.as_tensor(split.x)
            for i in range(0, len(xs), 512):
                outs.append(ens(xs[i : i + 512].to(self.ctx.device))[0].float().cpu())
        return torch.cat(outs)

    def _stage(self, cand: Candidate, scale: float = 1.0) -> Stage:
        conn = self.members[-1].activation_shape if cand.connected and self.members else None
        member = build_model(cand.spec, self.ctx.feature_shape, self.ctx.num_classes, conn)
        return Stage(self.ensemble(), member, cand.connected, scale)
