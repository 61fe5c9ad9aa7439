"""Bad data is refused, and risky data warned about with counts, before any training starts."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from edgekit.data import load_dataset
from edgekit.errors import DataError


def npz(tmp_path: Path, y_train: list[int], y_val: list[int], **extra: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "mine.npz"
    np.savez(
        path,
        X_train=rng.standard_normal((len(y_train), 20, 2)).astype(np.float32),
        y_train=np.array(y_train),
        X_val=rng.standard_normal((len(y_val), 20, 2)).astype(np.float32),
        y_val=np.array(y_val, dtype=np.int64),
        **extra,
    )
    return path


def test_empty_validation_split_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"mine\.npz: the val split is empty"):
        load_dataset("arrays", npz(tmp_path, [0, 1] * 10, []))


def test_a_single_training_class_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"the train split has 1 class\(es\)"):
        load_dataset("arrays", npz(tmp_path, [0] * 10, [0, 1]))


def test_labels_with_gaps_warn_with_the_classes_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        data = load_dataset("arrays", npz(tmp_path, [0, 3] * 10, [0, 1, 2, 3]))
    assert data.num_classes == 4
    want = "train split: 2 of 4 classes have no sample (class1, class2); the model can never predict them"
    assert want in data.notes
    assert want in caplog.text


def test_few_samples_per_class_and_missing_validation_classes(tmp_path: Path) -> None:
    data = load_dataset("arrays", npz(tmp_path, [0, 1, 2] + [0] * 10 + [1] * 10, [0, 1]))
    assert (
        "train split: 1 classes have fewer than 5 samples (class2 (1)); expect poor accuracy on them"
        in data.notes
    )
    assert (
        "val split: 1 of 3 classes have no sample (class2); their accuracy is not measured"
        in data.notes
    )


def test_healthy_data_has_no_warnings(tmp_path: Path) -> None:
    data = load_dataset("arrays", npz(tmp_path, [0, 1] * 10, [0, 1] * 3))
    assert not [n for n in data.notes if "split:" in n]


def test_complex_features_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    x = np.zeros((4, 20, 2), np.complex64)
    np.savez(path, X_train=x, y_train=np.array([0, 1, 0, 1]), X_val=x, y_val=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"X_train has dtype complex64, expected numbers"):
        load_dataset("arrays", path)
