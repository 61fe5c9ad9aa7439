"""When to stop running members: a member count, a MAC budget, a wall-clock deadline, an
early-exit margin, or any combination (the first that triggers wins).

:class:`Policy` owns the stop rules (:meth:`Policy.stop_reason`); the ensemble only asks it,
before each member, whether that member may start. The C runtime (firmware_stubs) applies the
same rules under the same field names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edgekit.errors import EdgekitError

FIELDS = ("max_members", "budget_macs", "deadline_ms", "margin")
STOP_REASONS = ("all", *FIELDS)  # what Prediction.stopped_by may say


@dataclass(frozen=True, kw_only=True)
class Policy:
    """``Policy()`` runs every member. All limits are optional, keyword-only, and combine.

    - ``max_members``: run at most this many members;
    - ``budget_macs``: never start a member that would take the cumulative MACs past this (an
      error if member 1 alone is over it: nothing could run);
    - ``deadline_ms``: never start a member that is expected (from its running mean time) to
      end after this much time since the call began (anytime: the answer so far is returned;
      a member already running is not interrupted; member 1 always runs);
    - ``margin``: stop once the top-1 minus top-2 summed logit reaches this (early exit; on a
      batch, once every input's margin has).
    """

    max_members: int | None = None
    budget_macs: int | None = None
    deadline_ms: float | None = None
    margin: float | None = None
    runs_all: bool = field(init=False, repr=False, compare=False)  # no limit set: nothing to ask

    def __post_init__(self) -> None:
        if self.max_members is not None and self.max_members < 1:
            raise EdgekitError(f"policy: max_members must be >= 1 (got {self.max_members})")
        if self.budget_macs is not None and self.budget_macs <= 0:
            raise EdgekitError(f"policy: budget_macs must be > 0 (got {self.budget_macs})")
        for name in ("deadline_ms", "margin"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise EdgekitError(f"policy: {name} must be a positive number (got {value})")
        object.__setattr__(self, "runs_all", all(getattr(self, f) is None for f in FIELDS))

    def stop_reason(
        self,
        members_run: int,
        next_cumulative_macs: int,
        logits: np.ndarray,
        elapsed_s: float,
        next_member_s: float,
    ) -> str | None:
        """Why member ``members_run + 1`` must not start (a field name), or None to start it.

        ``next_cumulative_macs``: the MACs of members 1..members_run+1; ``logits``: the running
        sum [B, L]; ``elapsed_s``: seconds since the call began; ``next_member_s``: the next
        member's expected time. Checked in the order margin, max_members, budget_macs,
        deadline_ms; member 1 is never stopped (but a budget below it is an error).
        """
        k = members_run
        if self.margin is not None and k > 0 and _reached(logits, self.margin):
            return "margin"
        if self.max_members is not None and k >= self.max_members:
            return "max_members"
        if self.budget_macs is not None and next_cumulative_macs > self.budget_macs:
            if k == 0:
                raise EdgekitError(
                    f"budget_macs {self.budget_macs:,} is below member 1's cost "
                    f"({next_cumulative_macs:,} MACs): nothing can run"
                )
            return "budget_macs"
        if (
            self.deadline_ms is not None
            and k > 0
            and elapsed_s + next_member_s > self.deadline_ms / 1000
        ):
            return "deadline_ms"
        return None


def _reached(logits: np.ndarray, margin: float) -> bool:
    """Every row's top-2 margin >= ``margin``, compared in float32 as numpy compares the
    float32 margins with a Python float (one row, the streaming case, without numpy calls)."""
    if len(logits) != 1:
        return bool(top2_margin(logits).min() >= margin)
    row: list[float] = sorted(logits[0].tolist())  # float32 values, exact as Python floats
    gap = row[-1] - row[-2]  # exact in double
    if abs(gap - margin) > 1e-6 * max(abs(gap), abs(margin)):
        return gap >= margin  # float32 rounding (2**-24 relative) cannot change the answer
    return bool(np.float32(gap) >= np.float32(margin))  # a near tie: numpy's float32 compare


def top2_margin(logits: np.ndarray) -> np.ndarray:
    """Top-1 minus top-2 per row of [B, L] logits: the early-exit criterion."""
    top2 = np.sort(logits, axis=1)[:, -2:]
    return np.asarray(top2[:, 1] - top2[:, 0])


def as_policy(policy: Policy | dict[str, float] | None) -> Policy:
    """A :class:`Policy` from a Policy, a dict of its fields, or None (run everything)."""
    if policy is None:
        return _RUN_ALL
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, dict):
        unknown = set(policy) - set(FIELDS)
        if unknown:
            raise EdgekitError(
                f"unknown policy field(s) {', '.join(sorted(unknown))}: use max_members, "
                "budget_macs, deadline_ms or margin"
            )
        return Policy(**policy)  # type: ignore[arg-type]
    raise EdgekitError(f"unknown policy {policy!r}: pass a Policy, a dict or None")


_RUN_ALL = Policy()
