"""benchmarks/distill_time.py: a fresh `edgekit distill` timed end to end, rows kept per task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.distill_time import main

TINY = [
    "teacher_train.epochs=1",
    "student_train.epochs=1",
    "distill.max_members=1",
    "distill.gamma_min=0",
]


@pytest.mark.slow
def test_a_tiny_synthetic_run_is_timed_and_a_rerun_replaces_its_row(tmp_path: Path) -> None:
    out = tmp_path / "time"
    args = ["--task", "synthetic", "--out", str(out), *(f"--set={s}" for s in TINY)]
    (row,) = main(args)
    assert row["task"] == "synthetic" and row["members"] == 1 and row["seconds"] > 0
    assert row["teacher_seconds"] is not None and 0 < row["teacher_seconds"] < row["seconds"]
    rows = main(args)
    assert len(rows) == 1  # the same task again: its row replaced, not appended
    md = (tmp_path / "time.md").read_text()
    assert "| synthetic | teacher_train.epochs=1 student_train.epochs=1" in md
    assert json.loads((tmp_path / "time.json").read_text())["results"][0]["task"] == "synthetic"
