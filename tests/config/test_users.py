"""A DSA-19 user rotation is one command: users.* settings reach the loader and the run record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgekit.config import Recipe
from edgekit.config.data import UserSplit
from edgekit.data import load_dataset
from edgekit.errors import DataError
from edgekit.pipelines.distill import resolve_recipe
from edgekit.rundir import data_record
from tests.conftest import make_dsa


def test_set_users_builds_the_rotated_split() -> None:
    recipe = resolve_recipe("dsa19", None, ["users.train=3,4,5,6", "users.val=1,2"])
    assert recipe.users == UserSplit(train=(3, 4, 5, 6), val=(1, 2))
    assert recipe.users.as_dict() == {"train": (3, 4, 5, 6), "val": (1, 2), "test": (7, 8)}
    assert Recipe.from_dict(recipe.to_dict()).users == recipe.users  # saved and rebuilt
    assert resolve_recipe("dsa19").users.as_dict() is None  # default: the task's own split


def test_rotated_users_are_loaded_and_recorded(tmp_path: Path) -> None:
    source = make_dsa(tmp_path / "dsa", "dir")
    users = UserSplit(train=(3, 4, 5, 6), val=(1, 2)).as_dict()
    data = load_dataset("dsa19", source, users=users)
    assert set(np.unique(data.val.groups)) == {1, 2}  # type: ignore[arg-type]
    assert data_record(data)["users"] == {"train": [3, 4, 5, 6], "val": [1, 2], "test": [7, 8]}
    assert "users" not in data_record(load_dataset("dsa19", source))


def test_users_on_a_task_not_split_by_user_is_refused() -> None:
    with pytest.raises(DataError, match="synthetic is not split by user"):
        load_dataset("synthetic", users={"train": (1,), "val": (2,), "test": ()})
