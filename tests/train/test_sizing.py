"""Training sized to the data: the step floor, and cnn1d layouts sized to the series."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edgekit.config import TrainConfig, load_recipe
from edgekit.models.receptive import receptive_field
from edgekit.models.shapes import cnn1d_lengths
from edgekit.models.spec import ModelSpecError, parse_spec
from edgekit.pipelines.sizing import sized_recipe
from edgekit.pipelines.teacher import train_teacher
from edgekit.train.sizing import sized_spec, sized_train, steps_per_epoch


def steps(cfg: TrainConfig, n: int) -> int:
    return cfg.epochs * steps_per_epoch(n, cfg.batch_size)


def test_a_40_series_set_gets_at_least_the_floor_of_steps() -> None:
    cfg = TrainConfig(epochs=30, batch_size=64, min_steps=1000)
    assert steps(cfg, 40) == 30  # the old recipe: one batch per epoch
    sized = sized_train(cfg, 40)
    assert steps(sized, 40) >= 1000
    assert sized.batch_size == 10  # 4 steps per epoch
    assert sized.epochs == 250


def test_a_large_set_keeps_its_epochs_and_batch() -> None:
    cfg = TrainConfig(epochs=30, batch_size=64, min_steps=1000)
    assert sized_train(cfg, 10_000) == cfg


def test_floor_off_leaves_the_config_alone() -> None:
    cfg = TrainConfig(epochs=3, batch_size=64)
    assert sized_train(cfg, 40) == cfg


def test_patience_grows_with_the_epochs_and_epochs_are_capped() -> None:
    cfg = TrainConfig(epochs=10, batch_size=64, min_steps=100_000, patience=2)
    sized = sized_train(cfg, 40)
    assert sized.epochs == 2000
    assert sized.patience == math.ceil(2 * 2000 / 10)


def test_sizing_is_idempotent_so_a_resumed_run_compares_equal() -> None:
    recipe = load_recipe("arrays")
    once = sized_recipe(recipe, 57, 24)
    assert sized_recipe(once, 57, 24) == once
    assert once.teacher_train != recipe.teacher_train


@pytest.mark.parametrize("length", [8, 24, 29, 150, 427, 1460])
def test_deepened_cnn1d_fits_the_series_and_grows_with_it(length: int) -> None:
    spec = parse_spec(sized_spec("cnn1d-64", length, deepen=True))
    cnn1d_lengths(spec, length)  # raises if it does not fit
    field = receptive_field(spec)
    assert field is not None
    assert field >= min(length, receptive_field("cnn1d-64") or 0) or spec.layers == 8


def test_short_series_lose_downsampling_and_long_ones_keep_the_layout() -> None:
    short = parse_spec(sized_spec("cnn1d-64", 8))
    assert (short.stride, short.layers) == (1, 3)
    with pytest.raises(ModelSpecError):
        cnn1d_lengths(parse_spec("cnn1d-64"), 8)  # the default could not be built at all
    assert sized_spec("cnn1d-64", 1460) == "cnn1d-64"  # deepening is opt-in (measured harmful)
    assert parse_spec(sized_spec("cnn1d-64", 1460, deepen=True)).layers > 3


def test_a_layout_the_user_chose_is_kept() -> None:
    for text in ("cnn1d-64x4", "cnn1d-64-s1", "gru-32", "dscnn-16x2"):
        assert sized_spec(text, 1460, deepen=True) == text


def test_students_are_sized_on_the_fit_part() -> None:
    recipe = load_recipe("arrays")
    recipe = replace(recipe, student_train=replace(recipe.student_train, min_steps=1000))
    sized = sized_recipe(recipe, 40, 29)
    n_fit = round(40 * (1 - recipe.distill.selection_fraction))
    assert steps(sized.student_train, n_fit) >= 1000


@pytest.mark.parametrize(
    ("join", "series", "batch_size"),
    [(0, 40, 10), (30, 52, 13)],  # the 12 validation series joined by the arrays default
)
def test_train_teacher_on_40_series_makes_the_floor_of_steps(
    tmp_path: Path, join: int, series: int, batch_size: int
) -> None:
    rng = np.random.default_rng(0)
    data = tmp_path / "mine.npz"
    np.savez(
        data,
        X_train=rng.standard_normal((40, 32, 2)).astype(np.float32),
        y_train=np.arange(40) % 4,
        X_val=rng.standard_normal((12, 32, 2)).astype(np.float32),
        y_val=np.arange(12) % 4,
    )
    floor = 60
    sets = [
        f"teacher_train.min_steps={floor}",
        "teacher=cnn1d-4",
        "teacher_train.patience=0",
        f"join_val_below={join}",
    ]
    train_teacher("arrays", tmp_path / "run", data, sets, device="cpu")
    trained = json.loads((tmp_path / "run" / "config.json").read_text())["recipe"]
    batch = trained["teacher_train"]["batch_size"]
    epochs = len((tmp_path / "run" / "teacher" / "metrics.jsonl").read_text().splitlines())
    assert batch == batch_size  # the series it trains on / 4 steps per epoch
    assert epochs * steps_per_epoch(series, batch) >= floor
    assert trained["teacher"] == "cnn1d-4"  # 32 steps: the default layout already spans them
