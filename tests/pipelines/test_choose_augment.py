"""The teacher's window slicing chosen by CV inside the training split: the margin decides, the
inner folds hold training series only, the choice is kept in the run and repeated in its report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edgekit.config import Recipe, TrainConfig, load_recipe
from edgekit.data.dataset import Dataset, Split
from edgekit.errors import ConfigError
from edgekit.pipelines.choose_augment import Scorer, choose_slicing, inner_folds
from edgekit.pipelines.distill import distill
from edgekit.rundir.augment_choice import FOLDS, choice_lines, choice_path, read_choice


def _recipe(below: int = 100) -> Recipe:
    return replace(load_recipe("arrays"), choose_slice_below=below, choose_slice=0.1)


def _data(n_train: int = 30, n_val: int = 6) -> Dataset:
    """Every series' values are its id (train 0..n-1, val 1000..), so a fold shows its origin."""
    ids = np.concatenate([np.arange(n_train), 1000 + np.arange(n_val)]).astype(np.float32)
    x = np.repeat(ids[:, None, None], 8, axis=1)
    y = np.arange(n_train + n_val) % 3
    train = Split(x[:n_train], y[:n_train])
    val = Split(x[n_train:], y[n_train:])
    return Dataset("arrays", ("a", "b", "c"), train, val, None, "memory")


def _stub(off: float, on: float, seen: list[tuple[Split, Split]] | None = None) -> Scorer:
    """Each fold scores ``off`` or ``on`` as the candidate's slicing is 0 or not."""

    def score(cfg: TrainConfig, spec: str, fit: Split, held: Split, folder: Path) -> float:
        if seen is not None:
            seen.append((fit, held))
        return on if cfg.series_slice else off

    return score


@pytest.mark.parametrize(
    ("off", "on", "chosen"),
    [(0.70, 0.75, 0.1), (0.70, 0.72, 0.1), (0.70, 0.715, 0.0), (0.80, 0.70, 0.0)],
)
def test_slicing_is_adopted_only_when_its_cv_mean_beats_off_by_the_margin(
    tmp_path: Path, off: float, on: float, chosen: float
) -> None:
    recipe, choice = choose_slicing(_recipe(), _data(), tmp_path, scorer=_stub(off, on))
    assert choice is not None and choice.series_slice == chosen
    assert recipe.teacher_train.series_slice == chosen
    assert choice.scores == {"0.0": [off] * FOLDS, "0.1": [on] * FOLDS}


def test_the_inner_folds_hold_training_series_only_each_held_out_once(tmp_path: Path) -> None:
    seen: list[tuple[Split, Split]] = []
    data = _data(30, 6)
    choose_slicing(_recipe(), data, tmp_path, scorer=_stub(0.5, 0.5, seen))
    assert len(seen) == 2 * FOLDS
    for fit, held in seen[:FOLDS]:
        fit_ids, held_ids = set(fit.x[:, 0, 0].tolist()), set(held.x[:, 0, 0].tolist())
        assert max(fit_ids | held_ids) < 30  # no validation series (ids >= 1000)
        assert not fit_ids & held_ids and len(fit_ids | held_ids) == 30
    held_out = sorted(i for _, held in seen[:FOLDS] for i in held.x[:, 0, 0].tolist())
    assert held_out == list(range(30))  # every training series held out exactly once
    assert set(np.bincount(inner_folds(data.train.y))) == {10}  # stratified, equal folds


def test_the_choice_is_kept_in_the_run_and_read_back_on_resume(tmp_path: Path) -> None:
    _, choice = choose_slicing(_recipe(), _data(), tmp_path, scorer=_stub(0.6, 0.9))
    assert read_choice(tmp_path) == choice
    assert json.loads(choice_path(tmp_path).read_text())["series_slice"] == 0.1

    def never(cfg: TrainConfig, spec: str, fit: Split, held: Split, folder: Path) -> float:
        raise AssertionError("a saved choice is not made again")

    recipe, again = choose_slicing(_recipe(), _data(), tmp_path, scorer=never)
    assert again == choice and recipe.teacher_train.series_slice == 0.1
    (line,) = [x for x in choice_lines(tmp_path) if x.startswith("- ")]
    assert "slicing 0.1 adopted" in line and "90.0 % against 60.0 % off" in line


def test_no_choice_at_or_above_the_size_or_when_off(tmp_path: Path) -> None:
    def never(cfg: TrainConfig, spec: str, fit: Split, held: Split, folder: Path) -> float:
        raise AssertionError("no CV asked for")

    for recipe in (_recipe(below=30), _recipe(below=0)):
        assert choose_slicing(recipe, _data(30), tmp_path, scorer=never) == (recipe, None)
    assert choice_lines(tmp_path) == []
    assert load_recipe("arrays").choose_slice_below == 0  # the shipped default: off
    with pytest.raises(ConfigError, match="choose_slice in"):
        replace(_recipe(), choose_slice=1.0)


def test_a_tiny_arrays_run_chooses_and_reports_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = np.arange(36) % 3
    x = rng.standard_normal((36, 32, 2)).astype(np.float32) + y[:, None, None]
    np.savez(tmp_path / "d.npz", X_train=x[:24], y_train=y[:24], X_val=x[24:], y_val=y[24:])
    sets = [
        "teacher=cnn1d-8", "students=cnn1d-4", "teacher_train.min_steps=10",
        "student_train.min_steps=10", "distill.max_members=1", "distill.gamma_min=0",
        "distill.budget=1.0", "choose_slice_below=100",
    ]  # fmt: skip
    out = tmp_path / "run"
    distill("arrays", out, overrides=sets, data_dir=tmp_path / "d.npz", device="cpu")
    choice = read_choice(out)
    assert choice is not None and choice.n_series == 24  # the training split, before the join
    saved = json.loads((out / "config.json").read_text())["recipe"]
    assert saved["teacher_train"]["series_slice"] == choice.series_slice
    assert "chosen by cross-validation" in (out / "summary.md").read_text()


def test_a_run_killed_while_choosing_is_still_a_run(tmp_path: Path) -> None:
    from edgekit.outputs import identify

    (tmp_path / "augment_cv" / "slice0-fold0").mkdir(parents=True)
    assert identify(tmp_path) == "run"
