"""benchmarks/arrays_cv.py's folds: stratified, disjoint, and never the archive's test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.arrays_cv import JOINED_LAST, MINIROCKET, chosen, fold_of, paired, write_fold


def test_folds_spread_every_class_and_cover_each_series_once() -> None:
    y = np.array([0] * 10 + [1] * 7 + [2] * 3)
    fold = fold_of(y, 3)
    assert sorted(np.bincount(fold)) == [6, 7, 7]
    for c in (0, 1, 2):
        counts = np.bincount(fold[y == c], minlength=3)
        assert counts.max() - counts.min() <= 1  # each class split evenly over the folds


def test_a_fold_file_holds_train_and_the_held_out_fold_only(tmp_path: Path) -> None:
    y = np.arange(12) % 2
    data: dict[str, np.ndarray] = {
        "X_train": np.arange(12, dtype=np.float32).reshape(12, 1, 1),
        "y_train": y,
        "X_test": np.zeros((5, 1, 1), np.float32),
        "y_test": np.zeros(5, np.int64),
        "class_names": np.array(["a", "b"]),
    }
    fold = fold_of(y, 3)
    write_fold(data, fold, 1, tmp_path / "f.npz")
    saved = np.load(tmp_path / "f.npz")
    assert "X_test" not in saved.files
    held = set(saved["X_val"].ravel().tolist())
    assert held == set(np.flatnonzero(fold == 1).tolist())
    assert held.isdisjoint(saved["X_train"].ravel().tolist())


def test_the_chosen_line_names_the_highest_last_epoch_mean() -> None:
    rows = [
        {"set": "S", "choice": "a", "last": 0.7},
        {"set": "S", "choice": "a", "last": 0.8},
        {"set": "S", "choice": "b", "last": 0.9},
        {"set": "S", "choice": "b", "last": 0.5},
    ]
    assert chosen(rows) == ["\nS: highest last-epoch mean: a (75.0 %)."]


def test_a_carved_fold_file_tests_on_the_held_out_fold_and_picks_epochs_on_the_rest(
    tmp_path: Path,
) -> None:
    y = np.arange(30) % 2
    data: dict[str, np.ndarray] = {
        "X_train": np.arange(30, dtype=np.float32).reshape(30, 1, 1),
        "y_train": y,
        "class_names": np.array(["a", "b"]),
    }
    fold = fold_of(y, 3)
    write_fold(data, fold, 0, tmp_path / "f.npz", carve=True)
    saved = np.load(tmp_path / "f.npz")
    held = set(np.flatnonzero(fold == 0).tolist())
    assert set(saved["X_test"].ravel().tolist()) == held
    train, val = set(saved["X_train"].ravel().tolist()), set(saved["X_val"].ravel().tolist())
    assert len(val) == 4 and train.isdisjoint(val)  # 20 % of each class of the 20 left
    assert (train | val) == set(range(30)) - held


def test_paired_gains_compare_the_same_folds_only() -> None:
    base, other = JOINED_LAST, "joined, label smoothing 0.2"
    rows = [
        {"set": "S", "choice": base, "fold": 0, "repeat": 0, "last": 0.5},
        {"set": "S", "choice": base, "fold": 1, "repeat": 0, "last": 0.5},
        {"set": "S", "choice": base, "fold": 0, "repeat": 1, "last": 0.9},  # no partner: left out
        {"set": "S", "choice": other, "fold": 0, "repeat": 0, "last": 0.75},
        {"set": "S", "choice": other, "fold": 1, "repeat": 0, "last": 0.5},
    ]
    (line,) = paired(rows)
    assert "S +12.5 (2 runs: 1 up, 0 down)" in line and "mean over 1 sets +12.5" in line


def test_the_reference_is_never_the_chosen_line() -> None:
    rows = [
        {"set": "S", "choice": MINIROCKET, "last": 1.0},
        {"set": "S", "choice": "a", "last": 0.7},
    ]
    assert chosen(rows) == ["\nS: highest last-epoch mean: a (70.0 %)."]


def test_every_choice_is_a_valid_set_of_recipe_overrides() -> None:
    from benchmarks.arrays_cv import CHOICES
    from edgekit.config import apply_overrides, load_recipe

    recipe = load_recipe("arrays")
    for overrides in CHOICES.values():
        apply_overrides(recipe, overrides)  # a misspelt key or value raises here
    sliced = apply_overrides(recipe, CHOICES["joined, window slicing 10 %, nearest step"])
    assert sliced.teacher_train.series_slice == 0.1
    assert sliced.teacher_train.series_interp == "nearest"
