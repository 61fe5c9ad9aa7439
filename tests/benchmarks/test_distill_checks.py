"""Issue 13's benchmark checks: equal-MAC comparison, member 1, final gap, margin transfer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from benchmarks import distill_checks as checks


def summary(rounds: list[tuple[int, float]], resched: list[tuple[int, float]]) -> dict[str, Any]:
    teacher_macs = 1000
    return {
        "teacher": {"val_accuracy": 0.9, "macs": teacher_macs},
        "rounds": [
            {"cumulative_macs": m, "val_accuracy": a, "teacher_fraction": m / teacher_macs}
            for m, a in rounds
        ],
        "baselines": {
            "resched": [
                {"k": k + 1, "macs": m, "val_accuracy": a} for k, (m, a) in enumerate(resched)
            ]
        },
    }


def test_baseline_is_interpolated_at_the_prefix_macs_and_flat_past_its_ends() -> None:
    s = summary([(50, 0.70), (150, 0.80), (400, 0.86)], [(100, 0.70), (200, 0.90)])
    # k=1 at 50 MACs: before RESCHED's first point -> its first accuracy (70 %): 0 points
    # k=2 at 150 MACs: halfway between 70 % and 90 % -> 80 %: 0 points
    # k=3 at 400 MACs: past its last point -> 90 %: -4 points
    assert checks.versus_baseline([s], "resched") == pytest.approx([0.0, 0.0, -4.0])


def test_versus_baseline_averages_seeds_and_stops_at_the_shortest_run() -> None:
    a = summary([(100, 0.80), (200, 0.90)], [(100, 0.70), (200, 0.80)])
    b = summary([(100, 0.60)], [(100, 0.70), (200, 0.80)])
    assert checks.versus_baseline([a, b], "resched") == pytest.approx([0.0])  # (+10 - 10) / 2


def test_member_one_and_final_gap() -> None:
    a = summary([(100, 0.80), (300, 0.88)], [(100, 0.70)])
    b = summary([(100, 0.84), (300, 0.92)], [(100, 0.74)])
    assert checks.member_one([a, b]) == pytest.approx((82.0, 72.0))
    gap, frac, members = checks.final_vs_teacher([a, b])
    assert gap == pytest.approx(0.0) and frac == pytest.approx(30.0) and members == 2


def logits_for(margins_after_first: np.ndarray, right_first: np.ndarray) -> dict[str, Any]:
    """Two members on 2 classes; label 0; member 1's top-2 margin and correctness are given,
    member 2 makes every input right with a large margin."""
    n = len(margins_after_first)
    first = np.zeros((n, 2))
    first[:, 0] = np.where(right_first, margins_after_first, 0.0)
    first[:, 1] = np.where(right_first, 0.0, margins_after_first)
    second = np.zeros((n, 2))
    second[:, 0] = 100.0
    return {"member_logits": np.stack([first, second]), "labels": np.zeros(n, dtype=int)}


def test_margin_chosen_on_one_fold_reports_its_promise_and_the_other_folds_loss() -> None:
    # own fold: every input member 1 is sure about (margin 5) is right -> margin 4 keeps all
    own = logits_for(np.array([5.0, 5.0, 0.1, 0.1]), np.array([True, True, False, False]))
    # other fold: half of the sure inputs are wrong -> the same margin loses 25 points
    other = logits_for(np.array([5.0, 5.0, 0.1, 0.1]), np.array([True, False, False, False]))
    t = checks.margin_transfer(own, other)
    assert t is not None
    # margins 0.25-4 all stop the sure inputs at member 1 (1.5 members): bench keeps the first
    assert t["margin"] == 0.25
    assert t["promised_loss"] == pytest.approx(0.0)
    assert t["realised_loss"] == pytest.approx(25.0)
    assert t["members_other"] == pytest.approx(1.5) and t["members_total"] == 2


def test_no_qualifying_margin_runs_every_member_and_loses_nothing() -> None:
    # input 0: member 1 sure of the wrong class (margin 50 > every margin tried), member 2
    # overrules it: every margin changes that decision, so bench runs all members
    own = logits_for(np.array([50.0, 5.0, 0.1, 0.1]), np.array([False, True, False, False]))
    other = logits_for(np.array([5.0, 5.0, 0.1, 0.1]), np.array([True, False, False, False]))
    t = checks.margin_transfer(own, other)
    assert t["margin"] is None and checks.margin_text(t["margin"]) == "none (all members)"
    assert t["promised_loss"] == 0.0 and t["realised_loss"] == 0.0
    assert t["members_other"] == t["members_total"] == 2
