"""When to stop running members: a member count, a MAC budget, a wall-clock deadline, an
early-exit margin, or any combination (the first that triggers wins)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from edgekit.errors import EdgekitError


@dataclass(frozen=True)
class Policy:
    """``Policy()`` runs every member. All limits are optional and combine.

    - ``max_members``: run at most this many members;
    - ``budget_macs``: never start a member that would take the cumulative MACs past this;
    - ``deadline_ms``: never start a member that is expected (from its running mean time) to
      end after this much time since the call began (anytime: the answer so far is returned;
      a member already running is not interrupted; member 1 always runs);
    - ``margin``: stop once the top-1 minus top-2 summed logit reaches this (early exit).
    """

    max_members: int | None = None
    budget_macs: int | None = None
    deadline_ms: float | None = None
    margin: float | None = None

    def __post_init__(self) -> None:
        if self.max_members is not None and self.max_members < 1:
            raise EdgekitError(f"policy: max_members must be >= 1 (got {self.max_members})")
        if self.budget_macs is not None and self.budget_macs <= 0:
            raise EdgekitError(f"policy: budget_macs must be > 0 (got {self.budget_macs})")
        for name in ("deadline_ms", "margin"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise EdgekitError(f"policy: {name} must be a positive number (got {value})")


def as_policy(policy: Policy | dict[str, float] | None) -> Policy:
    """A :class:`Policy` from a Policy, a dict of its fields, or None (run everything)."""
    if policy is None:
        return _RUN_ALL
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, dict):
        unknown = set(policy) - {"max_members", "budget_macs", "deadline_ms", "margin"}
        if unknown:
            raise EdgekitError(
                f"unknown policy field(s) {', '.join(sorted(unknown))}: use max_members, "
                "budget_macs, deadline_ms or margin"
            )
        return Policy(**policy)  # type: ignore[arg-type]
    raise EdgekitError(f"unknown policy {policy!r}: pass a Policy, a dict or None")


_RUN_ALL = Policy()
