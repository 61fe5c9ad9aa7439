"""Recipes: every shipped one loads, each non-default value has its reason; --set is strict."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from edgekit.config import (
    Recipe,
    TrainConfig,
    apply_overrides,
    load_recipe,
    recipe_dirs,
    valid_keys,
)
from edgekit.errors import ConfigError, DataError
from tests.conftest import REPO

TASKS = ("google13", "kws8", "dsa19", "synthetic")


@pytest.mark.parametrize("task", TASKS)
def test_shipped_recipes_load(task: str) -> None:
    recipe = load_recipe(task)
    assert recipe.task == task and recipe.students


@pytest.mark.parametrize("task", TASKS)
def test_every_set_value_says_why(task: str) -> None:
    """Each keyword argument in a recipe file sits on a line with a # comment (its reason)."""
    path = REPO / "recipes" / f"{task}.py"
    source = path.read_text()
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg not in (
            "task",
            "teacher_train",
            "student_train",
        ):
            assert "#" in lines[node.value.end_lineno - 1], (
                f"{path.name}:{node.lineno} {node.arg} has no reason"
            )


def test_overrides_set_nested_values() -> None:
    recipe = apply_overrides(
        load_recipe("synthetic"),
        [
            "teacher=cnn1d-32",
            "teacher_train.epochs=3",
            "teacher_train.augment=yes",
            "students=cnn1d-4, gru-8",
        ],
    )
    assert recipe.teacher == "cnn1d-32"
    assert recipe.teacher_train.epochs == 3 and recipe.teacher_train.augment is True
    assert recipe.students == ("cnn1d-4", "gru-8")
    assert recipe.student_train == load_recipe("synthetic").student_train


def test_unknown_keys_list_the_valid_ones() -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown key 'epochs'; valid keys: task, teacher, .*teacher_train\.epochs",
    ):
        apply_overrides(load_recipe("synthetic"), ["epochs=3"])
    with pytest.raises(ConfigError, match=r"unknown key 'epoch'"):
        apply_overrides(load_recipe("synthetic"), ["teacher_train.epoch=3"])
    assert "student_train.lr" in valid_keys(Recipe)


def test_wrong_types_and_values_are_refused() -> None:
    base = load_recipe("synthetic")
    with pytest.raises(ConfigError, match=r"teacher_train\.epochs=three: expected int"):
        apply_overrides(base, ["teacher_train.epochs=three"])
    with pytest.raises(ConfigError, match="expected true or false"):
        apply_overrides(base, ["teacher_train.augment=maybe"])
    with pytest.raises(ConfigError, match="optimizer=lbfgs: expected one of sgd, adamw"):
        apply_overrides(base, ["teacher_train.optimizer=lbfgs"])
    with pytest.raises(ConfigError, match="connections=sometimes: expected one of off, on, both"):
        apply_overrides(base, ["distill.connections=sometimes"])
    with pytest.raises(ConfigError, match="optimizer must be sgd or adamw"):
        TrainConfig(optimizer="lbfgs")  # type: ignore[arg-type]  # checked at run time too
    with pytest.raises(ConfigError, match="expected key=value"):
        apply_overrides(base, ["teacher_train.epochs"])
    with pytest.raises(ConfigError, match=r"teacher=cnn2d-8: .*expected one of lstm, gru"):
        apply_overrides(base, ["teacher=cnn2d-8"])
    with pytest.raises(ConfigError, match="is a group"):
        apply_overrides(base, ["teacher_train=3"])


def test_unknown_task() -> None:
    with pytest.raises(DataError, match="unknown task"):
        load_recipe("imagenet")


def test_train_config_defaults_are_the_papers() -> None:
    cfg = TrainConfig()
    assert (cfg.optimizer, cfg.lr, cfg.momentum, cfg.weight_decay, cfg.schedule) == (
        "sgd",
        0.05,
        0.9,
        0.0,
        "constant",
    )


def test_recipe_files_exist_for_every_task() -> None:
    assert {p.stem for p in Path(REPO / "recipes").glob("*.py")} >= set(TASKS)


def test_arrays_recipe_distills_a_users_npz(tmp_path: Path) -> None:
    """The path docs/recipes.md gives users: an .npz, `edgekit distill arrays`, a finished run."""
    import numpy as np

    from edgekit.pipelines.distill import distill

    rng = np.random.default_rng(0)

    def windows(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 3, n)
        x = rng.standard_normal((n, 32, 4)).astype(np.float32)
        x[np.arange(n), :, y] += 1.5  # the class lifts one channel
        return x, y

    xt, yt = windows(300)
    xv, yv = windows(90)
    np.savez(tmp_path / "mine.npz", X_train=xt, y_train=yt, X_val=xv, y_val=yv)
    quick = [
        "teacher_train.epochs=3",
        "student_train.epochs=2",
        "distill.max_members=2",
        "students=cnn1d-8",
    ]
    d = distill(
        "arrays", tmp_path / "run", data_dir=tmp_path / "mine.npz", overrides=quick, device="cpu"
    )
    assert len(d.records) >= 1 and (tmp_path / "run" / "accuracy_cost.png").exists()


def test_from_dict_rebuilds_a_saved_recipe_exactly() -> None:

    recipe = apply_overrides(
        load_recipe("synthetic"),
        ["data_dir=none", "students=cnn1d-8", "distill.objectives=hybrid,kd", "distill.patience=2"],
    )
    saved = json.loads(json.dumps(recipe.to_dict()))  # what config.json holds: lists, nulls
    assert Recipe.from_dict(saved) == recipe
    with pytest.raises(ConfigError, match=r"recipe\.distill\.: unknown keys bogus"):
        Recipe.from_dict({**saved, "distill": {**saved["distill"], "bogus": 1}})
    with pytest.raises(ConfigError, match=r"recipe\.teacher_train\.optimizer: expected one of"):
        Recipe.from_dict({**saved, "teacher_train": {**saved["teacher_train"], "optimizer": "x"}})


MY_RECIPE = """
from edgekit.config import DistillConfig, Recipe, TrainConfig

RECIPE = Recipe(
    task="synthetic",
    teacher="cnn1d-16",
    students=("cnn1d-8",),
    teacher_train=TrainConfig(epochs=2, optimizer="adamw", lr=3e-3),
    student_train=TrainConfig(epochs=1, optimizer="adamw", lr=3e-3),
    distill=DistillConfig(max_members=1, objectives=("hybrid",)),
)
"""


def test_a_recipe_file_outside_the_package_distills(tmp_path: Path) -> None:
    """`edgekit distill --recipe my_recipe.py` as docs/recipes.md shows it."""
    from typer.testing import CliRunner

    from edgekit.cli import app

    path = tmp_path / "elsewhere" / "my_recipe.py"
    path.parent.mkdir()
    path.write_text(MY_RECIPE)
    assert load_recipe(path).teacher == "cnn1d-16"
    out = tmp_path / "run"
    args = ["distill", "--recipe", str(path), "--out", str(out), "--device", "cpu"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "config.json").read_text())["recipe"]
    assert saved["teacher"] == "cnn1d-16" and saved["distill"]["objectives"] == ["hybrid"]
    assert (out / "members" / "01" / "member.json").exists()
    wrong = CliRunner().invoke(app, ["distill", "dsa19", "--recipe", str(path)])
    assert wrong.exit_code != 0 and "is a recipe for 'synthetic'" in str(wrong.exception)


def test_bad_recipe_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such recipe file"):
        load_recipe(tmp_path / "missing.py")
    (tmp_path / "empty.py").write_text("X = 1\n")
    with pytest.raises(ConfigError, match=r"empty\.py: must define RECIPE = Recipe"):
        load_recipe(tmp_path / "empty.py")


def test_shipped_recipes_are_found_by_path_not_imported() -> None:
    import sys

    load_recipe("dsa19")
    assert "recipes" not in sys.modules and "recipes.dsa19" not in sys.modules
    assert any((d / "dsa19.py").is_file() for d in recipe_dirs())
