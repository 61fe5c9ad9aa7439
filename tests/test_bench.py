"""edgekit/bench.py: the early-exit table's agreement and the margin `bench` recommends."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.bench import (
    add_perturbed_agreement,
    early_exit_table,
    recommend_margin,
    recommendation_line,
)


def swapping_members() -> tuple[list[np.ndarray], np.ndarray]:
    """Two members, 2 classes, label 0. Inputs 0-1: member 1 is sure (margin 5) and member 2
    flips its decision (0 right -> wrong, 1 wrong -> right), so F_1 is exactly as accurate as
    F_2 while disagreeing with it. Inputs 2-3: member 1 is right with margin 6 and member 2
    agrees."""
    first = np.array([[5.0, 0.0], [0.0, 5.0], [6.0, 0.0], [6.0, 0.0]])
    second = np.array([[0.0, 20.0], [20.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    return [first, second], np.zeros(4, dtype=np.int64)


def test_agreement_counts_early_decisions_equal_to_the_full_ensembles() -> None:
    logits, labels = swapping_members()
    rows = early_exit_table(logits, labels, [10, 20], (0.25, 6.0, 8.0))
    # T=0.25: all exit at member 1, inputs 0-1 disagree; T=6: only 2-3 exit; T=8: none
    assert [r["agreement"] for r in rows] == pytest.approx([0.5, 1.0, 1.0])
    assert [r["mean_members"] for r in rows] == pytest.approx([1.0, 1.5, 2.0])
    # accuracy cannot tell T=0.25 from running both members: both are 75 %
    assert [r["accuracy"] for r in rows] == pytest.approx([0.75, 0.75, 0.75])


def test_recommendation_rests_on_agreement_not_on_equal_accuracy() -> None:
    logits, labels = swapping_members()
    rows = early_exit_table(logits, labels, [10, 20], (0.25, 6.0, 8.0))
    best = recommend_margin(rows)
    assert best is not None and best["margin"] == 6.0
    # allowing half the decisions to change brings back the swapping margin
    loose = recommend_margin(rows, max_changed=0.5)
    assert loose is not None and loose["margin"] == 0.25


def test_no_recommendation_when_every_margin_changes_a_decision() -> None:
    logits, labels = swapping_members()
    rows = early_exit_table(logits, labels, [10, 20], (0.25, 1.0))
    assert recommend_margin(rows) is None
    result = {"early_exit": rows, "early_exit_recommended": None, "samples_accuracy": 4}
    assert "No margin up to 1 leaves all 4 decisions" in recommendation_line(result)


def test_perturbed_copies_hold_the_margin_back_where_a_copy_changes_a_decision() -> None:
    """At T = 6 no clean decision changes, but on a copy where member 2 is sure of class 1 for
    inputs 2-3 (a new user's windows), exiting after member 1 there changes two decisions: the
    recommendation moves up to T = 8, where nothing exits early on that copy."""
    logits, labels = swapping_members()
    rows = early_exit_table(logits, labels, [10, 20], (0.25, 6.0, 8.0))
    copy = [logits[0], np.array([[0.0, 20.0], [20.0, 0.0], [0.0, 9.0], [0.0, 9.0]])]
    add_perturbed_agreement(rows, [logits, copy], [10, 20])
    assert [r["perturbed_agreement"] for r in rows] == pytest.approx([0.0, 0.5, 1.0])
    best = recommend_margin(rows)
    assert best is not None and best["margin"] == 8.0
    result = {"early_exit": rows, "early_exit_recommended": best, "samples_accuracy": 4}
    result |= {"members": [{}, {}], "perturbed_copies": 2}
    assert "nor any on 2 perturbed copies" in recommendation_line(result)


def test_no_copies_leave_the_table_as_it_was() -> None:
    logits, labels = swapping_members()
    rows = early_exit_table(logits, labels, [10, 20], (0.25, 6.0, 8.0))
    add_perturbed_agreement(rows, [], [10, 20])
    assert all("perturbed_agreement" not in r for r in rows)
    assert recommend_margin(rows)["margin"] == 6.0  # type: ignore[index]
