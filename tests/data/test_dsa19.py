"""DSA-19 from a folder, a zip and a tar; bad segments named; the real archive's protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgekit.data import load_dataset
from edgekit.data.cache import ArrayCache
from edgekit.data.dsa19 import check_users, load_dsa19
from edgekit.errors import DataError
from tests.conftest import DSA_TAR, dsa_files, make_dsa, need_shared


@pytest.mark.parametrize("kind", ["dir", "zip", "tar"])
def test_every_source_kind_splits_by_user(tmp_path: Path, kind: str) -> None:
    source = make_dsa(tmp_path / "dsa", kind)
    data = load_dataset("dsa19", source)
    # 3 activities x 2 segments per user: 4 train users, 2 val users, no test users.
    assert len(data.train) == 4 * 6 and len(data.val) == 2 * 6
    assert data.test is None
    assert any("test split absent" in n and "p7-p8" in n for n in data.notes)
    assert data.feature_shape == (125, 45)
    assert data.num_classes == 19
    assert any("activities with no segments" in n for n in data.notes)
    flat = data.train.x.reshape(-1, 45)
    assert np.allclose(flat.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(flat.std(axis=0), 1, atol=1e-3)


def test_sources_agree(tmp_path: Path) -> None:
    a = load_dataset("dsa19", make_dsa(tmp_path / "a", "dir"))
    b = load_dataset("dsa19", make_dsa(tmp_path / "b", "zip"))
    np.testing.assert_array_equal(a.train.x, b.train.x)
    np.testing.assert_array_equal(a.val.y, b.val.y)


def test_archive_is_cached(tmp_path: Path) -> None:
    source = make_dsa(tmp_path / "dsa", "tar")
    cache = ArrayCache(tmp_path / "cache")
    first = load_dsa19(source, cache)
    second = load_dsa19(source, cache)
    assert "segments loaded from cache" in second.notes
    np.testing.assert_array_equal(first.train.x, second.train.x)


def test_wrong_shape_is_named(tmp_path: Path) -> None:
    files = list(dsa_files())
    name, text = files[5]
    files[5] = (name, "\n".join(text.splitlines()[:100]) + "\n")
    with pytest.raises(DataError, match=rf"{name}: 100 lines, expected 125"):
        load_dataset("dsa19", make_dsa(tmp_path / "dsa", "zip", files))


def test_wrong_columns_are_named(tmp_path: Path) -> None:
    files = list(dsa_files())
    name, text = files[0]
    lines = text.splitlines()
    lines[9] = lines[9] + ",1.0"
    files[0] = (name, "\n".join(lines))
    with pytest.raises(DataError, match=rf"{name}: line 10 has 46 values, expected 45"):
        load_dataset("dsa19", make_dsa(tmp_path / "dsa", "dir", files))


def test_non_number_is_named(tmp_path: Path) -> None:
    files = list(dsa_files())
    name, text = files[3]
    lines = text.splitlines()
    cells = lines[41].split(",")
    cells[1] = "abc"
    lines[41] = ",".join(cells[:45])
    files[3] = (name, "\n".join(lines))
    with pytest.raises(DataError, match=rf"{name}: line 42: 'abc' is not a number"):
        load_dataset("dsa19", make_dsa(tmp_path / "dsa", "tar", files))


def test_missing_training_users_is_an_error(tmp_path: Path) -> None:
    source = make_dsa(tmp_path / "dsa", "zip", list(dsa_files(users=(5, 6))))
    with pytest.raises(DataError, match="no segments of users p1, p2, p3, p4 for the train split"):
        load_dataset("dsa19", source)


def test_partial_users_are_reported(tmp_path: Path) -> None:
    source = make_dsa(tmp_path / "dsa", "zip", list(dsa_files(users=(1, 2, 5, 6, 7))))
    data = load_dataset("dsa19", source)
    assert data.test is not None and len(data.test) == 6
    assert any("train split: users p3, p4 absent" in n for n in data.notes)
    assert any("test split: users p8 absent" in n for n in data.notes)


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="not a zip, a tar or a folder"):
        load_dataset("dsa19", junk)
    with pytest.raises(DataError, match="no such file"):
        load_dataset("dsa19", tmp_path / "absent.zip")
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(DataError, match="no segment files found"):
        load_dataset("dsa19", tmp_path / "emptydir")


def test_real_dsa19(shared_cache: Path) -> None:
    data = load_dataset("dsa19", need_shared(DSA_TAR), cache_dir=shared_cache)
    assert data.num_classes == 19
    assert (len(data.train), len(data.val)) == (4560, 2280)
    assert data.feature_shape == (125, 45)
    assert data.test is None
    assert all(c == 240 for c in data.train.class_counts(19))
    assert all(c == 120 for c in data.val.class_counts(19))


def test_users_rotate_between_splits(tmp_path: Path) -> None:
    source = make_dsa(tmp_path / "dsa", "dir")
    data = load_dsa19(source, ArrayCache(None), users={"train": (3, 4, 5, 6), "val": (1, 2)})
    assert set(np.unique(data.train.groups)) == {3, 4, 5, 6}
    assert set(np.unique(data.val.groups)) == {1, 2}
    assert "users: train p3-p6; val p1-p2; test (none)" in data.notes


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ({"train": (1, 2), "val": (2, 3)}, "user p2 is in both train and val"),
        ({"train": (1, 9), "val": (2,)}, r"train has users \[9\]; DSA-19 has users 1..8"),
        ({"train": (1,), "val": ()}, "the val split needs at least one user"),
        ({"train": (1,), "val": (2,), "dev": (3,)}, r"unknown split\(s\) \['dev'\]"),
    ],
)
def test_bad_user_splits_are_refused(
    tmp_path: Path, users: dict[str, tuple[int, ...]], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        check_users(users)
