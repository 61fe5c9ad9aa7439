"""A recipe sized to the data it meets: training steps with a floor, cnn1d layouts that fit, and
where members are scored.

The pure sizing rules live in :mod:`edgekit.train.sizing` (a TrainConfig, a spec); this applies
them to a whole recipe, which only the pipelines know (train knows no recipe).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from edgekit.config import DistillConfig, Recipe
from edgekit.data.dataset import Dataset, Split
from edgekit.train.sizing import sized_spec, sized_train


def _joined(train: Split, val: Split) -> Split:
    def both(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        return None if a is None or b is None else np.concatenate([a, b])

    return Split(
        np.concatenate([train.x, val.x]),
        np.concatenate([train.y, val.y]),
        audio=both(train.audio, val.audio),
        groups=both(train.groups, val.groups),
    )


def joined_data(recipe: Recipe, data: Dataset) -> Dataset:
    """``data`` with its validation split appended to the training split when it holds fewer
    than ``recipe.join_val_below`` series (it stays the validation split too, now seen).

    Why: such a split picks the teacher's epoch by one or two series per class (ACSF1: 20
    series, 10 classes) while those series, trained on, are a quarter more data; the teacher then
    keeps its last epoch (cosine-annealed). Chosen by cross-validation inside the training split
    (benchmarks/arrays_cv.md); the normalisation stays the one fitted on the training split.
    """
    if not recipe.joins_val(len(data.val)):
        return data
    note = f"val split ({len(data.val)} series) joined to the training split (join_val_below)"
    return replace(data, train=_joined(data.train, data.val), notes=(*data.notes, note))


def selection_size(cfg: DistillConfig, n_train: int) -> int:
    """Series the carved selection part holds (as ``distill.context.split_selection`` cuts it)."""
    return max(1, round(cfg.selection_fraction * n_train))


def sized_distill(cfg: DistillConfig, n_train: int) -> DistillConfig:
    """``cfg`` with ``selection="train"`` when a carved part would hold fewer than
    ``min_selection`` series: there one series moves a candidate's edge, its step and its best
    epoch (ArrowHead: 4 of 30 series; its ensemble ended 8 points under the teacher)."""
    if cfg.selection == "split" and selection_size(cfg, n_train) < cfg.min_selection:
        return replace(cfg, selection="train")
    return cfg


def sized_recipe(recipe: Recipe, n_train: int, length: int) -> Recipe:
    """``recipe`` with its training sized to ``n_train`` series and (if ``recipe.size_models``)
    its cnn1d members fitted to ``length`` steps (deepened only if ``recipe.deepen_models``).
    Students train on the fit part of the split (all of it with ``selection="train"``, else the
    rest once the selection part is carved), so their floor is sized on that count."""
    distill = sized_distill(recipe.distill, n_train)
    n_fit = n_train
    if distill.selection == "split":
        n_fit = max(1, n_train - selection_size(distill, n_train))
    sized = replace(
        recipe,
        teacher_train=sized_train(recipe.teacher_train, n_train),
        student_train=sized_train(recipe.student_train, n_fit),
        distill=distill,
    )
    if recipe.size_models:
        sized = replace(
            sized,
            teacher=sized_spec(recipe.teacher, length, recipe.deepen_models),
            students=tuple(sized_spec(s, length, recipe.deepen_models) for s in recipe.students),
        )
    return sized
