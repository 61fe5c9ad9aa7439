"""benchmarks/margin_rules.py: the fold pairs it finds and the two rules it compares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.distill import run_name
from benchmarks.margin_rules import measure, pairs, summary


def write_run(runs: Path, fold: str, sure_right: list[bool]) -> None:
    """A two-member run on 2 classes (label 0): member 1 is sure (margin 5) on the first
    inputs, right or wrong as given, and unsure (0.1, wrong) on two more; member 2 makes every
    input right."""
    n = len(sure_right) + 2
    first = np.zeros((n, 2))
    for i, right in enumerate(sure_right):
        first[i, 0 if right else 1] = 5.0
    first[len(sure_right) :, 1] = 0.1
    second = np.zeros((n, 2))
    second[:, 0] = 100.0
    name = run_name("dsa19", fold, 0, "default")
    np.savez(
        runs / f"{name}.val-logits.npz",
        member_logits=np.stack([first, second]),
        labels=np.zeros(n, dtype=np.int64),
    )


def test_pairs_need_both_folds(tmp_path: Path) -> None:
    write_run(tmp_path, "p5p6", [True, True])
    assert pairs(tmp_path, "dsa19", range(3)) == []
    write_run(tmp_path, "p1p2", [True, False])
    found = pairs(tmp_path, "dsa19", range(3))
    assert [(v, s, a, b) for v, s, a, b, _, _ in found] == [
        ("default", 0, "p5p6", "p1p2"),
        ("default", 0, "p1p2", "p5p6"),
    ]


def test_agreement_refuses_the_margin_that_swapped_errors(tmp_path: Path) -> None:
    # p5p6: member 1 right where sure -> every rule exits there; p1p2: sure but half wrong
    write_run(tmp_path, "p5p6", [True, True])
    write_run(tmp_path, "p1p2", [True, False])
    rows = measure(tmp_path, "dsa19", range(1))
    got = {(r["from"], r["rule"]): r for r in rows}
    # chosen on p5p6, both rules exit the sure inputs at member 1; on p1p2 one of 4 is lost
    assert got[("p5p6", "accuracy")]["realised_loss"] == pytest.approx(25.0)
    assert got[("p5p6", "agreement")]["realised_loss"] == pytest.approx(25.0)
    # chosen on p1p2: exiting changes a decision there, so agreement runs both members
    assert got[("p1p2", "agreement")]["members_own"] == pytest.approx(2.0)
    assert summary(rows, "agreement")["pairs"] == 2


def test_copies_rule_runs_more_members_where_a_perturbed_copy_changes_a_decision(
    tmp_path: Path,
) -> None:
    # p5p6's windows: member 1 sure and right; on a perturbed copy it is sure and wrong on one
    write_run(tmp_path, "p5p6", [True, True])
    write_run(tmp_path, "p1p2", [True, False])
    path = tmp_path / f"{run_name('dsa19', 'p5p6', 0, 'default')}.val-logits.npz"
    saved = dict(np.load(path))
    copy = saved["member_logits"].copy()
    copy[0, 1] = [0.0, 5.0]  # member 1 sure of the wrong class on the copy of input 1
    np.savez(path, **saved, perturbed_member_logits=copy[None])
    rows = measure(tmp_path, "dsa19", range(1))
    got = {(r["from"], r["rule"]): r for r in rows}
    # the windows alone let input 1 exit early; the copy shows it can flip, so no margin below
    # member 1's 5 exits: the rule waits for both members and loses nothing on p1p2
    assert got[("p5p6", "agreement")]["realised_loss"] == pytest.approx(25.0)
    assert got[("p5p6", "copies")]["realised_loss"] == pytest.approx(0.0)
    assert got[("p5p6", "copies")]["members_own"] == pytest.approx(2.0)
    # p1p2 saved no copies: the copies rule is not measured there
    assert ("p1p2", "copies") not in got
    assert summary(rows, "copies")["pairs"] == 1
