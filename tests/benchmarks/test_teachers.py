"""benchmarks/teachers.py: a teacher folder is reused only where it was trained as asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.teachers import check_reused
from edgekit.config.overrides import apply_overrides
from edgekit.config.recipe import load_recipe
from edgekit.errors import EdgekitError
from edgekit.rundir import RunDir
from edgekit.rundir.records import RunConfig


def saved_teacher(root: Path, overrides: list[str]) -> Path:
    recipe = apply_overrides(load_recipe("kws8"), overrides).to_dict()
    RunDir(root).write_config(RunConfig(recipe=recipe, data={}))
    return root


def test_a_teacher_trained_as_asked_is_reused(tmp_path: Path) -> None:
    asked = ["teacher_train.seed=1", "teacher=lstm-64", "teacher_train.epochs=80"]
    check_reused(saved_teacher(tmp_path / "t", asked), "kws8", asked)


def test_a_teacher_trained_otherwise_is_refused_with_what_differs(tmp_path: Path) -> None:
    # session 18: a folder named for the 80-epoch LSTM held one trained 25 epochs
    root = saved_teacher(tmp_path / "t", ["teacher=lstm-64"])
    with pytest.raises(EdgekitError, match=r"teacher_train: saved .*'epochs': 25.*'epochs': 80"):
        check_reused(root, "kws8", ["teacher=lstm-64", "teacher_train.epochs=80"])
    with pytest.raises(EdgekitError, match=r"teacher: saved 'lstm-64', asked 'dscnn"):
        check_reused(root, "kws8", [])
    # what a student trains with does not decide the teacher
    check_reused(root, "kws8", ["teacher=lstm-64", "student_train.epochs=3"])
