"""Warnings when the data cannot support the recipe's models: counts, logged, and in the report."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from edgekit.config import load_recipe
from edgekit.data import load_dataset
from edgekit.data.fit_checks import (
    joined_val_warning,
    receptive_field_warnings,
    report_lines,
    run_warnings,
    small_val_warning,
    whole_train_selection_warning,
)
from edgekit.pipelines.sizing import sized_recipe
from edgekit.rundir import RunDir


def npz(tmp_path: Path, length: int, n_val: int) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "mine.npz"
    np.savez(
        path,
        X_train=rng.standard_normal((40, length, 3)).astype(np.float32),
        y_train=np.arange(40) % 4,
        X_val=rng.standard_normal((n_val, length, 3)).astype(np.float32),
        y_val=np.arange(n_val) % 4,
    )
    return path


def test_series_shorter_than_the_receptive_field_are_named_with_counts() -> None:
    (message,) = receptive_field_warnings(24, ["cnn1d-64", "cnn1d-8", "cnn1d-8-s1-p1", "gru-8"])
    assert message.startswith("series have 24 steps but 2 of 4 models see more per output")
    assert "cnn1d-64 (67)" in message and "cnn1d-8 (67)" in message
    assert "cnn1d-8-s1-p1" not in message  # 13 steps: fits


def test_long_enough_series_give_no_warning() -> None:
    assert receptive_field_warnings(500, ["cnn1d-64", "gru-8"]) == []


def test_a_tiny_validation_split_is_called_noisy_with_its_step() -> None:
    (message,) = small_val_warning(8)
    assert "8 series" in message and "12.5 points" in message
    assert small_val_warning(200) == []


def test_run_warnings_are_logged_and_repeated_in_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = load_dataset("arrays", npz(tmp_path, 24, 8))
    recipe = sized_recipe(load_recipe("arrays"), 40, 24)  # as the pipelines pass it
    with caplog.at_level(logging.WARNING):
        found = run_warnings(data, recipe)
    assert any("receptive field" in w for w in found)
    assert any("val split: 8 series" in w for w in found)
    assert any("train split: 40 series; members are fit and scored on all" in w for w in found)
    assert "receptive field" in caplog.text
    run = RunDir(tmp_path / "run")
    run.root.mkdir()
    run.write_warnings(found)
    assert run.read_warnings() == found
    lines = report_lines(run.read_warnings())
    assert lines[1] == "## Data warnings" and len(lines) == 3 + len(found)


def test_a_run_without_warnings_adds_nothing_to_the_report(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    assert report_lines(run.read_warnings()) == []
    run.write_warnings([])
    assert report_lines(run.read_warnings()) == []


def test_a_field_just_past_the_series_edge_is_not_warned_about() -> None:
    """The synthetic demo task: 64 steps, cnn1d fields of 67 steps."""
    assert receptive_field_warnings(64, ["cnn1d-64", "cnn1d-8"]) == []
    assert receptive_field_warnings(40, ["cnn1d-64"]) != []  # 67 > 1.5 x 40


def test_members_scored_on_their_own_series_are_named_with_the_counts() -> None:
    recipe = sized_recipe(load_recipe("arrays"), 30, 251)
    (message,) = whole_train_selection_warning(recipe, 30)
    assert "would hold 4 series" in message and "min_selection is 30" in message
    assert whole_train_selection_warning(sized_recipe(load_recipe("arrays"), 500, 251), 500) == []


def test_a_joined_val_split_is_named_instead_of_called_noisy() -> None:
    recipe = load_recipe("arrays")
    (message,) = joined_val_warning(recipe, 20)
    assert (
        "val split: 20 series" in message and f"join_val_below={recipe.join_val_below}" in message
    )
    assert joined_val_warning(recipe, recipe.join_val_below) == []
