"""FIND-WL's candidate list: student spec x connection x objective, cheapest first, in budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgekit.config import DistillConfig
from edgekit.cost import model_cost
from edgekit.distill.objectives import OBJECTIVES
from edgekit.models import ModelSpecError, check_connection_shape, parse_spec


@dataclass(frozen=True)
class Candidate:
    spec: str
    connected: bool
    objective: str
    macs: int
    params: int

    @property
    def name(self) -> str:
        return f"{self.spec}{'+conn' if self.connected else ''}-{self.objective}"


@dataclass(frozen=True)
class Skipped:
    name: str
    macs: int
    reason: str


def candidates(
    students: tuple[str, ...],
    config: DistillConfig,
    input_shape: tuple[int, int],
    num_classes: int,
    previous_activation: tuple[int, ...] | None,
    budget_left: float,
    first_round: bool,
) -> tuple[list[Candidate], list[Skipped]]:
    """Every candidate for this round in the order FIND-WL tries them, and what was skipped.

    Connected variants exist from round 2 for specs whose port accepts the previous member's
    activation shape. The order is by MACs, then unconnected before connected (at equal cost
    the simpler member), then the recipe's objective order. Candidates whose MACs would push the
    ensemble past the budget are skipped, with the reason recorded.
    """
    out: list[Candidate] = []
    skipped: list[Skipped] = []
    objectives = [
        o for o in config.objectives if not first_round or OBJECTIVES[o].first_round
    ] or list(config.objectives)
    for text in students:
        spec = parse_spec(text)
        modes: list[bool] = []
        if first_round or config.connections in ("off", "both"):
            modes.append(False)
        if (
            not first_round
            and config.connections in ("on", "both")
            and previous_activation is not None
        ):
            try:
                check_connection_shape(spec, input_shape, previous_activation)
                modes.append(True)
            except ModelSpecError:
                if config.connections == "on":
                    modes.append(False)  # cannot connect: fall back to an unconnected member
        for connected in dict.fromkeys(modes or [False]):  # nothing to connect to: unconnected
            cost = model_cost(
                spec, input_shape, num_classes, previous_activation if connected else None
            )
            for objective in objectives:
                cand = Candidate(str(spec), connected, objective, cost.macs, cost.params)
                if cost.macs > budget_left:
                    skipped.append(
                        Skipped(
                            cand.name, cost.macs, f"{cost.macs:,} MACs > {budget_left:,.0f} left"
                        )
                    )
                else:
                    out.append(cand)
    order: dict[str, int] = {o: i for i, o in enumerate(config.objectives)}
    out.sort(key=lambda c: (c.macs, c.connected, order[c.objective], c.spec))
    return out, skipped


def tiers(cands: list[Candidate]) -> list[list[Candidate]]:
    """Consecutive candidates sharing spec and connection (they differ only by objective)."""
    out: list[list[Candidate]] = []
    for cand in cands:
        if out and (out[-1][0].spec, out[-1][0].connected) == (cand.spec, cand.connected):
            out[-1].append(cand)
        else:
            out.append([cand])
    return out


Score = dict[str, Any]


def find_weak_learner(
    cands: list[Candidate],
    score_tier: Callable[[list[Candidate]], list[Score]],
    gamma_min: float,
    lookahead: int = 0,
) -> tuple[tuple[Candidate, Score] | None, list[Score]]:
    """FIND-WL's rule over candidates in order: (chosen or None, every score computed).

    Candidates differing only by objective cost the same and form a tier: a tier is scored as
    a whole (``score_tier`` returns its scores in order; under torchrun its candidates train on
    different ranks) and its best edge counts. The first tier whose best edge reaches
    ``gamma_min`` gives the member, unless ``lookahead`` > 0: then that many further (larger)
    tiers are scored too and the passing candidate with the most edge per MAC wins, so that when
    the small students stall (a positive but small edge) a larger one gets its turn - the greedy
    choice for the accuracy-vs-cumulative-MACs curve. No tier passes: the best positive edge per
    MAC; else None. The rule reads only the scores, so every rank that has them decides alike.
    """
    tried: list[Score] = []
    scored: list[tuple[Candidate, Score]] = []
    passing: list[tuple[Candidate, Score]] = []
    extra = -1  # tiers still to score after the first passing one (-1: none passed yet)
    for tier in tiers(cands):
        if extra == 0:
            break
        scores = score_tier(tier)
        if len(scores) != len(tier):
            raise ValueError(f"score_tier returned {len(scores)} scores for {len(tier)} candidates")
        results = list(zip(tier, scores, strict=True))
        tried += scores
        scored += results
        best = max(results, key=lambda cs: float(cs[1]["edge"]))
        if float(best[1]["edge"]) >= gamma_min:
            passing.append(best)
            if extra < 0:
                extra = lookahead
                if extra == 0:
                    break
                continue
        if extra > 0:
            extra -= 1
    pool = passing or [(c, s) for c, s in scored if float(s["edge"]) > 0]
    if pool:
        cand, best_score = max(pool, key=lambda cs: float(cs[1]["edge"]) / max(cs[0].macs, 1))
        return (cand, best_score), tried
    return None, tried
