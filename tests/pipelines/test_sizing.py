"""Sized to the data: a tiny training split scores members on all of it, a tiny validation split
joins the training split."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edgekit.config import DistillConfig, load_recipe
from edgekit.config.train import TrainConfig
from edgekit.data.dataset import Dataset, Split
from edgekit.distill.context import make_parts
from edgekit.errors import ConfigError
from edgekit.pipelines.distill import distill
from edgekit.pipelines.sizing import joined_data, selection_size, sized_distill, sized_recipe
from edgekit.pipelines.teacher import train_teacher
from edgekit.train.sizing import steps_per_epoch


def test_a_tiny_set_scores_members_on_the_whole_training_split() -> None:
    cfg = DistillConfig(selection_fraction=0.15, min_selection=20)
    assert selection_size(cfg, 30) == 4  # ArrowHead: 4 series would decide every member
    assert sized_distill(cfg, 30).selection == "train"
    assert selection_size(cfg, 126) == 19 and sized_distill(cfg, 126).selection == "train"
    assert selection_size(cfg, 134) == 20
    assert sized_distill(cfg, 134) == cfg  # 20 series: the carved part is kept


def test_the_switch_is_off_by_default_and_idempotent() -> None:
    assert sized_distill(DistillConfig(), 10) == DistillConfig()
    cfg = DistillConfig(min_selection=20)
    once = sized_distill(cfg, 30)
    assert sized_distill(once, 30) == once
    chosen = DistillConfig(selection="train")  # a user's own choice is kept at any size
    assert sized_distill(chosen, 100_000) == chosen


def test_bad_selection_settings_are_refused_with_the_field() -> None:
    with pytest.raises(ConfigError, match="selection must be one of split, train"):
        DistillConfig(selection="folds")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="min_selection must be >= 0"):
        DistillConfig(min_selection=-1)


def test_the_arrays_recipe_switches_on_a_tiny_set_and_sizes_students_on_all_of_it() -> None:
    recipe = load_recipe("arrays")
    assert recipe.distill.selection == "split" and recipe.distill.min_selection > 0
    recipe = replace(recipe, student_train=replace(recipe.student_train, min_steps=1000))
    tiny = sized_recipe(recipe, 30, 251)
    assert tiny.distill.selection == "train"
    cfg: TrainConfig = tiny.student_train
    assert cfg.epochs * steps_per_epoch(30, cfg.batch_size) >= 1000
    assert sized_recipe(tiny, 30, 251) == tiny  # a resumed run compares equal
    large = sized_recipe(recipe, 2000, 251)
    assert large.distill.selection == "split"


def _tiny_npz(path: Path) -> None:
    """36 separable 3-class series: 24 training, 12 validation (joined: below 30)."""
    rng = np.random.default_rng(0)
    y = np.arange(36) % 3
    x = rng.standard_normal((36, 32, 2)).astype(np.float32) + y[:, None, None]
    np.savez(path, X_train=x[:24], y_train=y[:24], X_val=x[24:], y_val=y[24:])


def _data(n: int) -> Dataset:
    rng = np.random.default_rng(0)

    def split(m: int) -> Split:
        return Split(rng.standard_normal((m, 16, 1)).astype(np.float32), np.arange(m) % 2)

    return Dataset("arrays", ("a", "b"), split(n), split(6), None, "memory")


def test_parts_train_mode_fits_and_scores_on_the_whole_split_and_split_mode_carves() -> None:
    recipe = load_recipe("arrays")
    data = _data(30)
    carved = make_parts(recipe, data)
    assert len(carved.selection) == 4 and len(carved.fit) == 26
    whole = make_parts(replace(recipe, distill=replace(recipe.distill, selection="train")), data)
    assert whole.fit is data.train and whole.selection is data.train
    assert whole.val is data.val  # validation is never scored on


def test_a_tiny_arrays_run_fits_and_scores_members_on_the_whole_training_split(
    tmp_path: Path,
) -> None:
    _tiny_npz(tmp_path / "d.npz")
    sets = [
        "teacher=cnn1d-8", "students=cnn1d-4", "teacher_train.min_steps=20",
        "student_train.min_steps=20", "distill.max_members=1", "distill.gamma_min=0",
        "distill.budget=1.0",
    ]  # fmt: skip
    out = tmp_path / "run"
    distill("arrays", out, overrides=sets, data_dir=tmp_path / "d.npz", device="cpu")
    recipe = json.loads((out / "config.json").read_text())["recipe"]
    assert recipe["distill"]["selection"] == "train"  # 5 carved series < min_selection
    (row,) = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert row["selection_kd_loss"] == row["train_kd_loss"]  # scored on the series it fit
    assert any(
        # the 12 validation series joined the 24 training series (join_val_below=30)
        "train split: 36 series" in w
        for w in json.loads((out / "warnings.json").read_text())
    )


def test_a_tiny_val_joins_the_training_split_and_stays_the_val_split() -> None:
    recipe = replace(load_recipe("arrays"), join_val_below=30)
    data = _data(30)  # 6 validation series
    joined = joined_data(recipe, data)
    assert len(joined.train) == 36 and joined.val is data.val
    np.testing.assert_array_equal(joined.train.x[30:], data.val.x)
    np.testing.assert_array_equal(joined.train.y, np.concatenate([data.train.y, data.val.y]))
    assert any("val split (6 series) joined" in n for n in joined.notes)
    assert joined_data(replace(recipe, join_val_below=6), data) is data  # 6 is not below 6
    assert joined_data(replace(recipe, join_val_below=0), data) is data  # 0: never


def test_join_val_below_is_refused_unless_a_count() -> None:
    recipe = load_recipe("arrays")
    with pytest.raises(ConfigError, match="join_val_below: expected an integer >= 0"):
        replace(recipe, join_val_below=-1)
    with pytest.raises(ConfigError, match="join_val_below: expected an integer >= 0"):
        replace(recipe, join_val_below=2.5)  # type: ignore[arg-type]


def test_a_joined_teacher_trains_on_train_and_val_and_keeps_its_last_epoch(
    tmp_path: Path,
) -> None:
    _tiny_npz(tmp_path / "d.npz")
    sets = ["teacher=cnn1d-8", "teacher_train.min_steps=12", "join_val_below=30"]
    out = tmp_path / "run"
    summary = train_teacher("arrays", out, tmp_path / "d.npz", sets, device="cpu")
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["sizes"] == {"train": 36, "val": 12}  # val trained on, kept as val
    rows = (out / "teacher" / "metrics.jsonl").read_text().splitlines()
    assert summary.best_epoch == len(rows) == config["recipe"]["teacher_train"]["epochs"]
    warnings = json.loads((out / "warnings.json").read_text())
    assert any("val split: 12 series (fewer than join_val_below=30) joined" in w for w in warnings)
