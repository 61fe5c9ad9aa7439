"""The Distiller's stop rule and FIND-WL lookahead, through real tiny synthetic runs.

One-member-per-round settings (one student, one objective, 2 epochs) keep each run to seconds;
every run imports a teacher made once for the module instead of training its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from edgekit.checkpoint import save_checkpoint
from edgekit.data import load_dataset
from edgekit.models import build_model
from edgekit.pipelines.distill import distill
from edgekit.pipelines.teacher import train_teacher

CHEAP = [
    "student_train.epochs=2",
    "students=cnn1d-8",
    "distill.objectives=hybrid",
]


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (briefly trained) cnn1d-64 teacher run to import."""
    out = tmp_path_factory.mktemp("teacher") / "run"
    train_teacher("synthetic", out, overrides=["teacher_train.epochs=3"], device="cpu")
    return out


@pytest.fixture(scope="module")
def constant_teacher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A weak teacher: it says class 0 whatever the input (its head's weights are zero), so a
    member that learns its logits matches its held-out accuracy from round 1."""
    data = load_dataset("synthetic")
    model = build_model("cnn1d-64", data.feature_shape, data.num_classes)
    state = model.state_dict()
    state["head.weight"] = torch.zeros_like(state["head.weight"])
    state["head.bias"] = torch.tensor([5.0] + [0.0] * (data.num_classes - 1))
    path = tmp_path_factory.mktemp("weak") / "best.pt"
    save_checkpoint(path, {"model": state, "epoch": 0, "meta": {"spec": "cnn1d-64"}})
    return path


def run(out: Path, teacher: Path, *sets: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(metrics.jsonl rows, stopped.json) of a tiny run with ``sets`` added to CHEAP."""
    distill("synthetic", out, overrides=[*CHEAP, *sets], device="cpu", teacher=teacher)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return rows, json.loads((out / "stopped.json").read_text())


def test_member_cap_is_the_default_stop_and_is_reported(teacher: Path, tmp_path: Path) -> None:
    rows, stopped = run(tmp_path / "run", teacher, "distill.max_members=2")
    assert len(rows) == 2 and (stopped["round"], stopped["reason"]) == (3, "member cap")
    assert "Stopped before round 3: member cap." in (tmp_path / "run" / "summary.md").read_text()


def test_a_grown_run_forgets_the_old_stop(teacher: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run(out, teacher, "distill.max_members=1")
    rows, stopped = run(out, teacher, "distill.max_members=2")
    assert len(rows) == 2 and stopped["round"] == 3


def test_mac_cap_stops_when_even_the_cheapest_next_member_would_pass_it(
    teacher: Path, tmp_path: Path
) -> None:
    # cnn1d-8 is 3.1 % of the teacher's MACs, connected 4.0 %: one fits in 5 %, two do not
    rows, stopped = run(tmp_path / "run", teacher, "distill.budget=0.05")
    assert len(rows) == 1 and (stopped["round"], stopped["reason"]) == (2, "mac cap")
    assert [s["name"] for s in stopped["skipped"]] == ["cnn1d-8+conn-hybrid"]


def test_plateau_stops_when_the_held_out_gain_is_small(teacher: Path, tmp_path: Path) -> None:
    sets = ("distill.plateau_gain=0.9", "distill.plateau_rounds=1")
    rows, stopped = run(tmp_path / "run", teacher, *sets)
    assert len(rows) == 2 and (stopped["round"], stopped["reason"]) == (3, "plateau")
    assert rows[1]["selection_accuracy"] - rows[0]["selection_accuracy"] < 0.9


def test_teacher_reached_stops_after_the_member_that_matches_a_weak_teacher(
    constant_teacher: Path, tmp_path: Path
) -> None:
    rows, stopped = run(tmp_path / "on", constant_teacher, "distill.stop_at_teacher=true")
    assert len(rows) == 1 and (stopped["round"], stopped["reason"]) == (2, "teacher reached")
    rows, stopped = run(tmp_path / "off", constant_teacher, "distill.max_members=2")
    assert len(rows) == 2 and stopped["reason"] == "member cap"  # the test is off by default


def test_lookahead_reaches_find_weak_learner(teacher: Path, tmp_path: Path) -> None:
    """Round 1's cheapest tier passes gamma_min; with lookahead 1 the next tier is scored too."""
    sets = ("students=cnn1d-8,cnn1d-16", "distill.max_members=1")
    plain, _ = run(tmp_path / "plain", teacher, *sets)
    assert [t["spec"] for t in plain[0]["tried"]] == ["cnn1d-8"]
    assert plain[0]["tried"][0]["edge"] >= 0.05
    ahead, _ = run(tmp_path / "ahead", teacher, *sets, "distill.lookahead=1")
    assert [t["spec"] for t in ahead[0]["tried"]] == ["cnn1d-8", "cnn1d-16"]
    best = max(ahead[0]["tried"], key=lambda t: t["edge"] / t["macs"])
    assert ahead[0]["spec"] == best["spec"]


def member_folds(out: Path) -> list[float]:
    return [
        json.loads((d / "member.json").read_text())["alpha"]
        for d in sorted((out / "members").iterdir())
    ]


def test_unit_step_sums_independent_members_as_resched_does(teacher: Path, tmp_path: Path) -> None:
    """distill.step=unit: independent members are folded by 1 (the runtime's plain sum is
    RESCHED's); residual members by 1 / c, step 1 on the calibrated sum they were fitted to."""
    two = ("distill.max_members=2", "distill.connections=off")
    indep = (*two, "distill.objectives=independent", "distill.step=unit")
    rows, _ = run(tmp_path / "indep", teacher, *indep)
    assert [r["objective"] for r in rows] == ["independent", "independent"]
    assert member_folds(tmp_path / "indep") == [1.0, 1.0]
    run(tmp_path / "searched", teacher, *indep[:-1])
    assert member_folds(tmp_path / "searched") != [1.0, 1.0]  # the default searches the step
    rows, _ = run(tmp_path / "hybrid", teacher, *two, "distill.step=unit")
    scale = rows[1]["tried"][0]["previous_scale"]
    assert scale != 1.0 and member_folds(tmp_path / "hybrid") == [1.0, pytest.approx(1 / scale)]


def test_gated_step_keeps_the_plain_sum_unless_the_search_pays(
    teacher: Path, tmp_path: Path
) -> None:
    """distill.step=gated: member 1 as trained (its step is only the ensemble's scale); a later
    member at the searched step only where that lowers the held-out loss by step_gain over the
    unit step: a gain no step reaches gives the plain sum, gain 0 the searched step's ensemble
    (the same argmax as step=search: member 2's fold over member 1's, where alpha_max binds
    neither: these 2-epoch members' logits sit at ~0.4 of the teacher's scale)."""
    two = (
        "distill.max_members=2",
        "distill.connections=off",
        "distill.objectives=independent",
        "distill.alpha_max=8",
    )
    run(tmp_path / "searched", teacher, *two)
    searched = member_folds(tmp_path / "searched")
    rows, _ = run(tmp_path / "never", teacher, *two, "distill.step=gated", "distill.step_gain=0.9")
    assert member_folds(tmp_path / "never") == [1.0, 1.0]
    tried = rows[1]["tried"][0]
    assert tried["selection_loss_after"] == tried["selection_loss_unit_step"]
    run(tmp_path / "always", teacher, *two, "distill.step=gated", "distill.step_gain=0")
    always = member_folds(tmp_path / "always")
    assert searched[0] != 1.0 and always[0] == 1.0
    assert always[1] == pytest.approx(searched[1] / searched[0], rel=1e-3)  # 1-D search tol.

    # alpha_max caps the fold, member 2's weight against member 1's (at 1), not alpha on c F
    assert always[1] > 1.5
    capped = (*two[:-1], "distill.alpha_max=1.5", "distill.step=gated", "distill.step_gain=0")
    run(tmp_path / "capped", teacher, *capped)
    assert member_folds(tmp_path / "capped") == [1.0, pytest.approx(1.5, rel=1e-5)]
