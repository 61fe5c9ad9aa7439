"""B-DISTIL's rounds: each adds the member FIND-WL picks, saved atomically to the run.

A :class:`Distiller` is built from a prepared :class:`~edgekit.distill.context.DistillContext`
and starts from the members an earlier (possibly killed) run finished; ``run()`` adds rounds
until the stop rule (distill/stopping.py: member cap, MAC cap, plateau, teacher reached) says
stop, or no candidate helps. One round, top to bottom, is :meth:`Distiller.round`.

Under ``torchrun`` every rank runs the same rounds (distill/ranks.py): a tier's candidates are
trained by their owning ranks, the scores gathered, every rank applies FIND-WL to the same
scores (no decision is broadcast: the rule is a pure function of them), the chosen member's
weights come from the rank that trained it, and rank 0 alone writes the round.
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
from edgekit.distill.findwl import Candidate, Score, Skipped, candidates, find_weak_learner
from edgekit.distill.ranks import Ranks
from edgekit.distill.rows import round_row
from edgekit.distill.scoring import calibrated_loss, heldout_loss
from edgekit.distill.seeds import init_seed
from edgekit.distill.stopping import RoundOutcome, StopReason, StopRule, stop_reason
from edgekit.models import EdgeModel, build_model
from edgekit.rundir import MemberRecord, Stopped

log = logging.getLogger(__name__)


class Distiller:
    """The rounds of one run; rerunning the same command resumes where the last one stopped."""

    def __init__(self, ctx: DistillContext, ranks: Ranks | None = None) -> None:
        self.ctx = ctx
        self.ranks = ranks or Ranks.current()
        records, members = ctx.run.load_members()
        self.records: list[MemberRecord] = records
        self.members: list[EdgeModel] = [m.to(ctx.device).eval() for m in members]
        self.rounds: list[dict[str, Any]] = ctx.run.read_rounds()[: len(records)]

    def run(self) -> None:
        """Rounds until the stop rule or FIND-WL stops them (a rerun re-derives the reason)."""
        while True:
            index = len(self.members) + 1
            reason, skipped = self.stop_reason(index)
            if reason is not None:
                if self.ranks.is_main:
                    log.info("stopping before round %d: %s", index, reason)
                self._stop(index, reason, skipped)
                return
            if not self.round(index):
                return

    def stop_reason(self, index: int) -> tuple[StopReason | None, list[Skipped]]:
        """Whether round ``index`` should run, by the stop rule on the accepted rounds' held-out
        (selection) accuracy and cost; and what round ``index`` would skip for the MAC cap."""
        cfg = self.ctx.recipe.distill
        rule = StopRule(cfg.max_members, cfg.budget, cfg.plateau_gain, cfg.plateau_rounds)
        history = [
            RoundOutcome(int(r["round"]), float(r["teacher_fraction"]), float(r["selection_accuracy"]))
            for r in self.rounds
        ]  # fmt: skip
        cands, skipped = self._candidates(index)
        costs = [c.macs for c in cands] + [s.macs for s in skipped]
        cheapest = min(costs) / self.ctx.teacher_macs if costs else None
        teacher = self._teacher_selection_accuracy() if cfg.stop_at_teacher else None
        return stop_reason(rule, history, teacher, cheapest), skipped

    def round(self, index: int) -> bool:
        """Round ``index``: offer candidates, score them, accept one. False when it stops."""
        cands, skipped = self._candidates(index)
        if not cands:
            if self.ranks.is_main:
                log.warning("round %d: no candidate fits the remaining budget; stopping", index)
            self._stop(index, "mac cap", skipped)
            return False
        if self.ranks.is_main:
            self.ctx.run.clear_stopped()  # a grown run: the old reason no longer holds
        previous = self._previous()

        def score_tier(tier: list[Candidate]) -> list[Score]:
            """Each rank trains the tier's candidates it owns; every rank gets all scores."""
            where = [cands.index(c) + 1 for c in tier]
            mine = {
                j: self._score(index, j, len(cands), c, previous)
                for j, c in zip(where, tier, strict=True)
                if self.ranks.owns(j)
            }
            everyone = self.ranks.gather(mine)
            return [everyone[j] for j in where]

        cfg = self.ctx.recipe.distill
        chosen, tried = find_weak_learner(cands, score_tier, cfg.gamma_min, cfg.lookahead)
        if chosen is None:
            if self.ranks.is_main:
                log.warning("round %d: no candidate lowers the held-out loss; stopping", index)
            self._stop(index, "no candidate helps", skipped, tried)
            return False
        self._accept(index, cands.index(chosen[0]) + 1, chosen, tried, skipped)
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
        self, index: int, position: int, total: int, cand: Candidate, previous: Previous
    ) -> Score:
        """A candidate's score: read back if an earlier run finished it, else trained now.

        Its initial weights, like its training, are drawn from (seed, round, position): the
        same whichever rank, or which earlier candidates, ran in this process before it.
        """
        saved = self.ctx.run.read_score(index, cand.name)
        if saved is not None:
            return saved
        torch.manual_seed(init_seed(self.ctx.recipe.student_train.seed, index, position, 0))
        stage = self._stage(cand, previous.scale)
        train_candidate(self.ctx, stage, cand, (index, position, total), previous)
        saved = self.ctx.run.read_score(index, cand.name)  # as stored: a resumed run reads the
        assert saved is not None  # same keys in the same order, so its rows match byte for byte
        return saved

    def _accept(
        self,
        index: int,
        position: int,
        chosen: tuple[Candidate, Score],
        tried: list[Score],
        skipped: list[Skipped],
    ) -> None:
        """Fold the step into the chosen candidate's head and save it as member ``index``.

        The weights come from the rank that trained the candidate; rank 0 computes the round's
        row (shared, so that every rank's stop rule reads the same numbers) and writes it.
        """
        cand, score = chosen
        owner = self.ranks.owner(position)
        weights = None
        if self.ranks.rank == owner:
            where = str(score.get("init_dir", cand.name))  # the best init's directory
            weights = load_checkpoint(self.ctx.run.candidate(index, where).best)["model"]
        stage = self._stage(cand)
        stage.load_state_dict(self.ranks.share(weights, owner))
        member = stage.member.to(self.ctx.device).eval()
        fold = float(score["fold"] if "fold" in score else score["alpha"])
        fold_step(member, fold)
        record = MemberRecord(
            index, cand.spec, cand.connected, cand.objective, fold, score["edge"], cand.macs,
            cand.params,
        )  # fmt: skip
        self.members.append(member)
        self.records.append(record)
        row = None
        if self.ranks.is_main:
            row = round_row(self.ctx, self.records, self.ensemble_logits, tried, skipped)
        row = self.ranks.share(row, 0)
        self.rounds.append(row)
        if self.ranks.is_main:
            self.ctx.run.write_member(record, member.state_dict(), self.rounds)
        self.ranks.barrier()
        if not self.ranks.is_main:
            return
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
        if self.ranks.is_main:
            stopped = Stopped(index, reason, tried or [], [s.__dict__ for s in skipped])
            self.ctx.run.write_stopped(stopped)

    def _teacher_selection_accuracy(self) -> float:
        teacher, labels = self.ctx.logits["selection"], self.ctx.parts.selection.y
        return float((teacher.argmax(1) == torch.as_tensor(labels)).double().mean())

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
