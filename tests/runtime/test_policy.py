"""Policy: keyword construction, validation, and the stop rules it owns (checked in order)."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.errors import EdgekitError
from edgekit.runtime import Policy
from edgekit.runtime.policy import as_policy, top2_margin

SURE = np.array([[0.0, 9.0, 1.0]], np.float32)  # margin 8
UNSURE = np.array([[0.0, 2.0, 1.5]], np.float32)  # margin 0.5


def test_keyword_construction_only() -> None:
    with pytest.raises(TypeError):
        Policy(3)  # type: ignore[call-arg]
    assert Policy(max_members=3).max_members == 3
    assert Policy().runs_all and not Policy(margin=1.0).runs_all
    assert Policy(margin=1.0) == as_policy({"margin": 1.0})


def test_member_one_always_starts() -> None:
    policy = Policy(max_members=1, deadline_ms=0.001, margin=0.1)
    assert policy.stop_reason(0, 10, np.zeros((1, 3), np.float32), 1.0, 1.0) is None


@pytest.mark.parametrize(
    ("policy", "args", "reason"),
    [
        (Policy(margin=4.0), (1, 10, SURE, 0.0, 0.0), "margin"),
        (Policy(margin=4.0), (1, 10, UNSURE, 0.0, 0.0), None),
        (Policy(max_members=2), (2, 10, UNSURE, 0.0, 0.0), "max_members"),
        (Policy(max_members=2), (1, 10, UNSURE, 0.0, 0.0), None),
        (Policy(budget_macs=100), (1, 101, UNSURE, 0.0, 0.0), "budget_macs"),
        (Policy(budget_macs=100), (1, 100, UNSURE, 0.0, 0.0), None),
        # deadline: never start a member expected to end after it
        (Policy(deadline_ms=5.0), (1, 10, UNSURE, 0.003, 0.0021), "deadline_ms"),
        (Policy(deadline_ms=5.0), (1, 10, UNSURE, 0.003, 0.0019), None),
        # the first that triggers wins, in the order margin, max_members, budget, deadline
        (Policy(margin=4.0, max_members=1), (1, 10, SURE, 0.0, 0.0), "margin"),
        (Policy(max_members=1, budget_macs=5), (1, 10, UNSURE, 0.0, 0.0), "max_members"),
        (Policy(budget_macs=5, deadline_ms=1.0), (1, 10, UNSURE, 1.0, 1.0), "budget_macs"),
    ],
)
def test_stop_rules(
    policy: Policy, args: tuple[int, int, np.ndarray, float, float], reason: str | None
) -> None:
    assert policy.stop_reason(*args) == reason


def test_batch_margin_waits_for_every_input() -> None:
    both = np.concatenate([SURE, UNSURE])
    assert top2_margin(both).tolist() == [8.0, 0.5]
    assert Policy(margin=4.0).stop_reason(1, 10, both, 0.0, 0.0) is None


def test_budget_below_member_one_is_an_error() -> None:
    with pytest.raises(EdgekitError, match="below member 1's cost"):
        Policy(budget_macs=5).stop_reason(0, 10, UNSURE, 0.0, 0.0)


def test_one_row_margin_equals_the_numpy_margin() -> None:
    """The single-row fast path decides exactly as the batch (numpy float32) path."""
    rng = np.random.default_rng(0)
    for _ in range(2000):
        logits = (rng.standard_normal((1, 8)) * rng.choice([0.01, 1.0, 30.0])).astype(np.float32)
        margin = float(top2_margin(logits)[0]) * rng.choice([0.999999, 1.0, 1.000001])
        if margin <= 0:
            continue
        want = bool(top2_margin(np.repeat(logits, 2, axis=0)).min() >= margin)
        got = Policy(margin=margin).stop_reason(1, 0, logits, 0.0, 0.0) == "margin"
        assert got == want, (logits, margin)
