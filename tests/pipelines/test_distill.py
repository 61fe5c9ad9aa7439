"""`edgekit distill` end to end on the synthetic task: rounds improve, files are complete, kills
resume, settings are checked, teachers are reused."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.data import load_dataset
from edgekit.distill.context import split_selection
from edgekit.errors import EdgekitError
from edgekit.pipelines.distill import DistillOptions, distill, prepare, resolve_recipe
from edgekit.train.faults import FAULT_ENV, FAULT_EXIT
from tests.conftest import TINY_RUN as QUICK


@pytest.fixture(scope="module")
def run(tiny_run: Path) -> Path:
    return tiny_run


def rows(run: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_rounds_lower_the_training_potential_and_raise_accuracy(run: Path) -> None:
    r = rows(run)
    assert len(r) == 3
    losses = [float(x["train_calibrated_kd_loss"]) for x in r]  # type: ignore[arg-type]
    assert all(b < a for a, b in itertools.pairwise(losses)), losses
    assert float(r[-1]["val_accuracy"]) > float(r[0]["val_accuracy"])  # type: ignore[arg-type]
    cumulative = [int(x["cumulative_macs"]) for x in r]  # type: ignore[call-overload]
    assert cumulative == sorted(cumulative) and cumulative[-1] < int(r[0]["teacher_macs"])  # type: ignore[call-overload]


def test_round_records_are_complete(run: Path) -> None:
    keys = {
        "tried", "chosen", "edge", "alpha", "train_potential", "val_potential", "train_max_residual",
        "val_max_residual", "val_accuracy", "val_agreement", "member_macs", "cumulative_macs",
        "teacher_fraction", "selection_kd_loss", "val_kd_loss",
    }  # fmt: skip
    for row in rows(run):
        assert keys <= set(row)
        assert row["tried"] and all("edge" in t for t in row["tried"])  # type: ignore[union-attr]
    assert rows(run)[1]["connected"] is True  # cnn1d members plug into cnn1d feature maps
    for k in (1, 2, 3):
        member = run / "members" / f"{k:02d}"
        assert (member / "model.pt").is_file()
        assert json.loads((member / "member.json").read_text())["index"] == k
    assert (run / "summary.md").read_text().startswith("# B-DISTIL run: synthetic")
    assert (run / "accuracy_cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_is_a_no_op_and_other_settings_are_refused(run: Path) -> None:
    before = (run / "members" / "01" / "model.pt").read_bytes()
    again = distill("synthetic", run, overrides=QUICK, device="cpu")
    assert len(again.members) == 3
    assert (run / "members" / "01" / "model.pt").read_bytes() == before
    with pytest.raises(
        EdgekitError, match=r"other settings or data \(recipe\.student_train\.epochs\)"
    ):
        prepare(
            resolve_recipe("synthetic", None, [*QUICK, "student_train.epochs=9"]),
            run,
            DistillOptions(),
        )


def test_selection_is_carved_from_training_by_group() -> None:
    data = load_dataset("synthetic")
    fit, sel = split_selection(data.train, 0.15, 0)
    assert len(set(fit) & set(sel)) == 0 and len(fit) + len(sel) == len(data.train)
    assert abs(len(sel) / len(data.train) - 0.15) < 0.01
    import numpy as np

    from edgekit.data.dataset import Split

    grouped = Split(data.train.x, data.train.y, groups=np.arange(len(data.train)) % 4 + 1)
    fit, sel = split_selection(grouped, 0.15, 0)
    assert len(np.unique(grouped.groups[sel])) == 1  # one whole user of four  # type: ignore[index]
    assert not set(grouped.groups[sel]) & set(grouped.groups[fit])  # type: ignore[index]


def test_killed_run_resumes_with_finished_members_intact(tmp_path: Path) -> None:
    """Killed (exit without cleanup) right after epoch 3 of round 2's first candidate: the rerun
    keeps member 1's bytes, and the candidate continues from its checkpoint, not from scratch."""
    out = tmp_path / "run"
    sets = [
        a
        for s in [*QUICK[:-1], "distill.max_members=3", "student_train.epochs=6"]
        for a in ("--set", s)
    ]
    args = [sys.executable, "-m", "edgekit", "distill", "synthetic", "--out", str(out),
            "--device", "cpu", *sets]  # fmt: skip
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "OMP_NUM_THREADS": "1", "COLUMNS": "250"}
    killed = subprocess.run(
        args, env={**env, FAULT_ENV: "round 2 cand 1/@3"}, capture_output=True, text=True
    )
    assert killed.returncode == FAULT_EXIT, killed.stderr[-2000:]
    assert (out / "members" / "01" / "member.json").exists()
    assert not (out / "members" / "02").exists()
    cand = next((out / "rounds" / "02").iterdir())
    before = (cand / "metrics.jsonl").read_text().splitlines()
    assert len(before) == 3  # exactly the epochs that finished before the kill
    kept = (out / "members" / "01" / "model.pt").read_bytes()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resuming after epoch 3" in done.stderr
    after = (cand / "metrics.jsonl").read_text().splitlines()
    assert after[:3] == before and len(after) == 6  # epochs 1-3 kept as they were, 4-6 trained
    assert (out / "members" / "01" / "model.pt").read_bytes() == kept
    assert len(rows(out)) == 3


def test_existing_teacher_is_used(run: Path, tmp_path: Path) -> None:
    recipe = resolve_recipe("synthetic", None, [*QUICK[1:], "distill.max_members=1"])
    prepare(recipe, tmp_path / "reuse", DistillOptions(device="cpu", teacher=run))
    summary = json.loads((tmp_path / "reuse" / "teacher" / "summary.json").read_text())
    assert summary["imported_from"].endswith("best.pt")
    assert not (tmp_path / "reuse" / "teacher" / "checkpoint.pt").exists()  # not retrained
    with pytest.raises(EdgekitError, match="add --set teacher=cnn1d-64"):
        prepare(
            resolve_recipe("synthetic", None, ["teacher=cnn1d-32"]),
            tmp_path / "wrong",
            DistillOptions(device="cpu", teacher=run),
        )


def test_baselines_command_adds_both_curves(run: Path) -> None:
    from typer.testing import CliRunner

    from edgekit.cli import app

    result = CliRunner().invoke(app, ["baselines", str(run), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    baselines = json.loads((run / "baselines.json").read_text())
    assert [b["k"] for b in baselines["resched"]] == [1, 2, 3]
    macs = [b["macs"] for b in baselines["resched"]]
    assert macs == sorted(macs) and all(0 <= b["val_accuracy"] <= 1 for b in baselines["resched"])
    assert baselines["no_resched"] and all(
        b["macs"] <= r["cumulative_macs"]
        for b, r in zip(baselines["no_resched"], rows(run), strict=False)
    )
    assert "RESCHED" in result.output
    table = (run / "summary.md").read_text()
    assert f"{100 * baselines['resched'][0]['val_accuracy']:.2f}" in table
