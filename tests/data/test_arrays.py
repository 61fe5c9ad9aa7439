"""A user's own .npz: accepted when well formed, refused with the key named otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgekit.data import load_dataset
from edgekit.errors import DataError


def arrays(n: int = 20, t: int = 10, c: int = 3) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "X_train": rng.standard_normal((n, t, c)).astype(np.float32),
        "y_train": rng.integers(0, 3, n),
        "X_val": rng.standard_normal((n // 2, t, c)),
        "y_val": rng.integers(0, 3, n // 2),
    }


def save(tmp_path: Path, **data: Any) -> Path:
    path = tmp_path / "mine.npz"
    np.savez(path, **data)
    return path


def test_good_file(tmp_path: Path) -> None:
    data = arrays()
    path = save(
        tmp_path,
        **data,
        X_test=data["X_val"],
        y_test=data["y_val"],
        class_names=np.array(["a", "b", "c"]),
    )
    ds = load_dataset("arrays", path)
    assert ds.class_names == ("a", "b", "c")
    assert ds.train.x.dtype == np.float32 and ds.train.y.dtype == np.int64
    assert ds.test is not None and len(ds.test) == 10
    assert ds.normalization is not None


def test_missing_key_lists_what_was_found(tmp_path: Path) -> None:
    data = arrays()
    del data["y_val"]
    with pytest.raises(
        DataError, match=r"missing y_val; found keys \['X_train', 'X_val', 'y_train'\]"
    ):
        load_dataset("arrays", save(tmp_path, **data))


def test_mismatched_lengths(tmp_path: Path) -> None:
    data = arrays()
    data["y_train"] = data["y_train"][:-3]
    with pytest.raises(DataError, match="X_train has 20 samples but y_train has 17 labels"):
        load_dataset("arrays", save(tmp_path, **data))


def test_nan_names_the_sample(tmp_path: Path) -> None:
    data = arrays()
    data["X_val"][4, 2, 1] = np.nan
    with pytest.raises(
        DataError, match=r"X_val has 1 NaN/infinite values \(first at sample 4, step 2, channel 1\)"
    ):
        load_dataset("arrays", save(tmp_path, **data))


def test_two_dimensional_is_one_channel(tmp_path: Path) -> None:
    data = arrays()
    data["X_train"] = data["X_train"][:, :, 0]
    data["X_val"] = data["X_val"][:, :, 0]
    ds = load_dataset("arrays", save(tmp_path, **data))
    assert ds.feature_shape == (10, 1)
    assert any("taken as one channel" in n for n in ds.notes)


def test_bad_labels(tmp_path: Path) -> None:
    data = arrays()
    data["y_train"] = data["y_train"] - 1
    with pytest.raises(DataError, match="negative labels"):
        load_dataset("arrays", save(tmp_path, **data))
    data = arrays()
    data["y_val"] = data["y_val"] + 0.5
    with pytest.raises(DataError, match="non-integer labels"):
        load_dataset("arrays", save(tmp_path, **data))
    with pytest.raises(DataError, match="labels go up to 2 but class_names has 2"):
        load_dataset("arrays", save(tmp_path, **arrays(), class_names=np.array(["a", "b"])))


def test_shape_disagreement_and_object_arrays(tmp_path: Path) -> None:
    data = arrays()
    data["X_val"] = data["X_val"][:, :5]
    with pytest.raises(DataError, match="splits disagree"):
        load_dataset("arrays", save(tmp_path, **data))
    data = arrays()
    data["class_names"] = np.array([{"a": 1}], dtype=object)
    with pytest.raises(DataError, match="object arrays"):
        load_dataset("arrays", save(tmp_path, **data))


def test_not_an_npz(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    with pytest.raises(DataError, match=r"not a readable \.npz"):
        load_dataset("arrays", bad)
    with pytest.raises(DataError, match="no such file"):
        load_dataset("arrays", tmp_path / "none.npz")
