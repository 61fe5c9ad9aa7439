"""A recipe sized to the data it meets: training steps with a floor, cnn1d layouts that fit.

The pure sizing rules live in :mod:`edgekit.train.sizing` (a TrainConfig, a spec); this applies
them to a whole recipe, which only the pipelines know (train knows no recipe).
"""

from __future__ import annotations

from dataclasses import replace

from edgekit.config import Recipe
from edgekit.train.sizing import sized_spec, sized_train


def sized_recipe(recipe: Recipe, n_train: int, length: int) -> Recipe:
    """``recipe`` with its training sized to ``n_train`` series and (if ``recipe.size_models``)
    its cnn1d members fitted to ``length`` steps (deepened only if ``recipe.deepen_models``). Students train on the fit part of the split (the
    rest selects members), so their floor is sized on that count."""
    n_fit = max(1, round(n_train * (1 - recipe.distill.selection_fraction)))
    sized = replace(
        recipe,
        teacher_train=sized_train(recipe.teacher_train, n_train),
        student_train=sized_train(recipe.student_train, n_fit),
    )
    if recipe.size_models:
        sized = replace(
            sized,
            teacher=sized_spec(recipe.teacher, length, recipe.deepen_models),
            students=tuple(sized_spec(s, length, recipe.deepen_models) for s in recipe.students),
        )
    return sized
