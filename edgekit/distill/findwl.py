"""FIND-WL's candidate list: student spec x connection x objective, cheapest first, in budget."""

from __future__ import annotations

from dataclasses import dataclass

from edgekit.cost import model_cost
from edgekit.distill.config import DistillConfig
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
    objectives = [o for o in config.objectives if not (first_round and o == "independent")] or list(
        config.objectives
    )
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
        for connected in dict.fromkeys(modes):
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
    order = {o: i for i, o in enumerate(config.objectives)}
    out.sort(key=lambda c: (c.macs, c.connected, order[c.objective], c.spec))
    return out, skipped
