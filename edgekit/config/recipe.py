"""Recipes: what to train for a task, as a small typed dataclass, overridable by ``--set``.

A recipe names the teacher, the student candidates and the training settings. Shipped recipes
are files, ``recipes/<task>.py`` defining ``RECIPE``, found by path (see :func:`recipe_dirs`);
a recipe of your own is any such file, passed by path (``edgekit distill --recipe my.py``).
Nothing imports a ``recipes`` package by name (docs/recipes.md says why).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgekit.config.data import UserSplit
from edgekit.config.distill import DistillConfig
from edgekit.config.overrides import from_dict
from edgekit.config.train import TrainConfig
from edgekit.errors import ConfigError


@dataclass(frozen=True)
class Recipe:
    """Everything ``edgekit train-teacher`` and ``distill`` need for one task."""

    task: str
    teacher: str = "cnn1d-128"
    students: tuple[str, ...] = ("cnn1d-8", "cnn1d-16", "cnn1d-32")
    teacher_train: TrainConfig = field(default_factory=TrainConfig)
    student_train: TrainConfig = field(default_factory=TrainConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    data_dir: str | None = None
    users: UserSplit = field(default_factory=UserSplit)  # DSA-19: users per split (rotation)
    # cnn1d members at their default layout lose the downsampling a short series cannot afford
    # (issue 18; edgekit.train.sizing.sized_spec)
    size_models: bool = False
    deepen_models: bool = False  # with size_models: blocks until the receptive field spans T
    # a validation split of fewer series joins the training split: the teacher keeps its last
    # epoch instead of one picked on a handful of series (0: never; edgekit.pipelines.sizing)
    join_val_below: int = 0
    # a training split of fewer series chooses teacher_train.series_slice from {0, choose_slice}
    # by 3-fold CV inside itself (0: never; edgekit.pipelines.choose_augment)
    choose_slice_below: int = 0
    choose_slice: float = 0.1
    # the teacher retrains with teacher_train.series_warp = affinity_warp where the plain teacher
    # keeps >= affinity_min of its accuracy on its training series warped (0: never;
    # edgekit.pipelines.choose_affinity)
    affinity_warp: float = 0.0
    affinity_min: float = 0.9

    def __post_init__(self) -> None:
        from edgekit.models.spec import parse_spec

        for spec in (self.teacher, *self.students):
            parse_spec(spec)  # a typo in a model name fails here, with the grammar in the message
        if not self.students:
            raise ConfigError("recipe: students must list at least one candidate")
        if isinstance(self.join_val_below, bool) or not isinstance(self.join_val_below, int):
            raise ConfigError(
                f"recipe: join_val_below: expected an integer >= 0, got {self.join_val_below!r}"
            )
        if self.join_val_below < 0:
            raise ConfigError(
                f"recipe: join_val_below: expected an integer >= 0 (0: never), "
                f"got {self.join_val_below}"
            )

        if isinstance(self.choose_slice_below, bool) or not isinstance(
            self.choose_slice_below, int
        ):
            raise ConfigError(
                f"recipe: choose_slice_below: expected an integer >= 0, "
                f"got {self.choose_slice_below!r}"
            )
        if self.choose_slice_below < 0 or not 0 < self.choose_slice < 1:
            raise ConfigError(
                f"recipe: choose_slice_below must be >= 0 (0: never) and choose_slice in (0, 1); "
                f"got {self.choose_slice_below} and {self.choose_slice}"
            )

        if not 0 <= self.affinity_warp <= 1 or not 0 < self.affinity_min <= 1:
            raise ConfigError(
                f"recipe: affinity_warp must be in [0, 1] (0: never) and affinity_min in (0, 1]; "
                f"got {self.affinity_warp} and {self.affinity_min}"
            )

    def joins_val(self, n_val: int) -> bool:
        """Whether a validation split of ``n_val`` series joins the training split."""
        return 0 < n_val < self.join_val_below

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Recipe:
        """The recipe a run saved (``config.json``'s ``recipe``), exactly as it was."""
        return from_dict(cls, raw, "recipe.")


def recipe_dirs() -> list[Path]:
    """Where shipped recipes are looked for, in order.

    A wheel installs ``recipes/*.py`` as data inside the package (``edgekit/recipes/``, see
    setup.py); a source checkout has them beside the package (``<repo>/recipes/``).
    """
    package = Path(__file__).resolve().parents[1]
    return [package / "recipes", package.parent / "recipes"]


def _shipped(task: str) -> Path | None:
    return next((d / f"{task}.py" for d in recipe_dirs() if (d / f"{task}.py").is_file()), None)


def is_recipe_path(name: str | Path) -> bool:
    text = str(name)
    return text.endswith(".py") or "/" in text or "\\" in text


def load_recipe(name: str | Path) -> Recipe:
    """A recipe by task name (the shipped ``recipes/<task>.py``) or by the path of a file."""
    if is_recipe_path(name):
        return _load_file(Path(name))
    from edgekit.tasks import task_info

    task_info(str(name))  # unknown task -> clear error listing the known ones
    path = _shipped(str(name))
    if path is None:
        raise ConfigError(
            f"no recipe for task {name!r}: expected recipes/{name}.py in "
            f"{' or '.join(str(d) for d in recipe_dirs())}"
        )
    return _load_file(path)


def _load_file(path: Path) -> Recipe:
    """Execute a recipe file as a module of its own (never cached under a shared name)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such recipe file")
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(f"_edgekit_recipe_{path.stem}_{digest}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    recipe = getattr(module, "RECIPE", None)
    if not isinstance(recipe, Recipe):
        raise ConfigError(
            f"{path}: must define RECIPE = Recipe(...) (from edgekit.config import Recipe); "
            f"got {type(recipe).__name__}"
        )
    from edgekit.tasks import task_info

    task_info(recipe.task)
    return recipe
