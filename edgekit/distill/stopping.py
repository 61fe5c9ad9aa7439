"""When B-DISTIL stops adding members: a member cap, a MAC cap, or a plateau of held-out gains.

A fixed member count left KWS-8 7 points under its teacher at 18 % of its MACs while DSA-19's
ensemble had nothing left to learn after 3 members: rounds should continue while they pay. The
rule reads only held-out (selection) accuracy carved from the training split, never the
validation split reports use. Every prefix of a stopped run is still a usable ensemble.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

StopReason = Literal["member cap", "mac cap", "plateau", "teacher reached"]


@dataclass(frozen=True)
class StopRule:
    """The caps and the plateau test; ``plateau_gain`` 0 switches the plateau test off."""

    max_members: int = 8
    mac_cap: float = 0.5  # cumulative member MACs as a fraction of the teacher's
    plateau_gain: float = 0.0  # held-out accuracy gain per round (fraction) that still pays
    plateau_rounds: int = 2  # consecutive rounds under plateau_gain before stopping


@dataclass(frozen=True)
class RoundOutcome:
    """What the rule looks at after each accepted round."""

    members: int
    cumulative_fraction: float  # of the teacher's MACs
    selection_accuracy: float  # of the running sum F_t on the held-out selection data


def stop_reason(
    rule: StopRule,
    history: list[RoundOutcome],
    teacher_selection_accuracy: float | None,
    cheapest_next_fraction: float | None = None,
) -> StopReason | None:
    """Why no further round should run after ``history`` (None: run another).

    ``cheapest_next_fraction`` is the cheapest candidate's MACs as a fraction of the teacher's:
    when even it would pass the MAC cap, the run stops now rather than after a futile search.
    """
    if not history:
        return None
    last = history[-1]
    if last.members >= rule.max_members:
        return "member cap"
    if last.cumulative_fraction >= rule.mac_cap or (
        cheapest_next_fraction is not None
        and last.cumulative_fraction + cheapest_next_fraction > rule.mac_cap
    ):
        return "mac cap"
    if (
        teacher_selection_accuracy is not None
        and last.selection_accuracy >= teacher_selection_accuracy
    ):
        return "teacher reached"
    if rule.plateau_gain > 0 and len(history) > rule.plateau_rounds:
        recent = history[-rule.plateau_rounds - 1 :]
        gains = [b.selection_accuracy - a.selection_accuracy for a, b in pairwise(recent)]
        if all(g < rule.plateau_gain for g in gains):
            return "plateau"
    return None
