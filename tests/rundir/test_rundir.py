"""The run directory: one schema per record, one resumability rule, one member loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgekit.errors import EdgekitError
from edgekit.rundir import RunConfig, RunDir, TeacherSummary, differing_keys


def test_differing_keys_flattens_and_respects_what_may_change() -> None:
    saved = {"distill": {"max_members": 2, "eta": 1.0}, "students": ["a", "b"]}
    current = {"distill": {"max_members": 4, "eta": 0.5}, "students": ("a", "b")}
    assert differing_keys(saved, current) == ["distill.max_members", "distill.eta"]
    assert differing_keys(saved, current, ["distill.max_members"]) == ["distill.eta"]
    # a setting removed since, or added since the run was started: not a difference (the run
    # was made with the behaviour of its time; a run made now saves the setting and is held to it)
    assert differing_keys({"a": 1, "removed_setting": 2}, {"a": 1, "new": 3}) == []
    assert differing_keys({"a": 1, "new": 2}, {"a": 1, "new": 3}) == ["new"]


def test_check_resumable_names_the_settings_that_differ(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    free = ["distill.max_members"]
    run.check_resumable({"task": "t"}, free)  # nothing saved yet: fine
    run.write_config(RunConfig({"task": "t", "distill": {"max_members": 2}}, {"source": "x"}))
    run.check_resumable({"task": "t", "distill": {"max_members": 5}}, free)
    run.check_resumable({"task": "t", "distill": {"max_members": 2}}, free, {"source": "y"})
    other = {"task": "u", "distill": {"max_members": 2}}
    with pytest.raises(EdgekitError, match=r"\(recipe\.task, data\.source\); .*only distill"):
        run.check_resumable(other, free, {"source": "y"}, ["source"])


def test_teacher_summary_has_one_schema_for_trained_and_imported(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    trained = TeacherSummary("t", "cnn1d-8", 0.9, 10, 100, test_accuracy=None, best_epoch=3)
    run.write_teacher(trained)
    assert "imported_from" not in json.loads(run.teacher_summary_path.read_text())
    assert run.read_teacher() == trained
    imported = TeacherSummary("t", "cnn1d-8", 0.9, 10, 100, imported_from="a/best.pt")
    assert set(imported.to_dict()) == {
        "task",
        "spec",
        "val_accuracy",
        "params",
        "macs",
        "imported_from",
    }


def test_reading_what_is_not_a_run_says_so(tmp_path: Path) -> None:
    with pytest.raises(EdgekitError, match="not a run directory"):
        RunDir(tmp_path).read_config()
    (tmp_path / RunDir(tmp_path).config_path.name).write_text("{")
    with pytest.raises(EdgekitError, match="malformed JSON"):
        RunDir(tmp_path).read_config()
    with pytest.raises(EdgekitError, match="is this an `edgekit distill` run directory"):
        RunDir(tmp_path / "empty").results()


def test_member_loader_rebuilds_the_wiring(tiny_run: Path) -> None:
    run = RunDir(tiny_run)
    records, members = run.load_members()
    assert [r.index for r in records] == [1, 2, 3] and len(members) == 3
    assert records[1].connected and members[1].connection_shape == members[0].activation_shape
    assert run.read_rounds()[0]["round"] == 1
