"""Warnings when the data cannot support the models a recipe names (issue 18).

``edgekit.data.checks`` looks at the splits alone (empty, missing or rare classes); these need
the recipe too: series shorter than a member's receptive field, a validation split so small
that its accuracy moves in big steps, and members scored on the series they train on. They are logged before training, written beside the run
(``RunDir.write_warnings``) and repeated in its ``summary.md`` (:func:`report_lines`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from edgekit.data.checks import dataset_warnings
from edgekit.data.dataset import Dataset
from edgekit.models.receptive import receptive_field

if TYPE_CHECKING:
    from edgekit.config import Recipe

log = logging.getLogger(__name__)

SMALL_VAL = 30  # fewer validation series: one series moves accuracy by > 3 points


FIELD_SLACK = 1.5  # a field a few steps past the series edge reads little padding: no warning


def receptive_field_warnings(length: int, specs: Sequence[str]) -> list[str]:
    """One warning naming every model whose receptive field is well past the series length
    (more than FIELD_SLACK times it: the synthetic task's 67-step field on 64 steps is fine)."""
    fields = {spec: receptive_field(spec) for spec in dict.fromkeys(specs)}
    longer = [f"{s} ({f})" for s, f in fields.items() if f is not None and f > FIELD_SLACK * length]
    if not longer:
        return []
    return [
        f"series have {length} steps but {len(longer)} of {len(fields)} models see more per "
        f"output (receptive field in steps: {', '.join(longer)}); their outer convolutions read "
        "zero padding; if accuracy is low, try less downsampling "
        "(e.g. --set teacher=cnn1d-64-s1-p1, docs/recipes.md)"
    ]


def small_val_warning(n_val: int) -> list[str]:
    if n_val >= SMALL_VAL:
        return []
    return [
        f"val split: {n_val} series; one series moves validation accuracy by "
        f"{100 / max(n_val, 1):.1f} points, so early stopping and member selection are noisy "
        f"(more than {SMALL_VAL} validation series help; the best epoch is chosen by accuracy, "
        "ties by loss)"
    ]


def joined_val_warning(recipe: Recipe, n_val: int) -> list[str]:
    """A validation split joined to the training split (``recipe.join_val_below``): say so."""
    if not recipe.joins_val(n_val):
        return []
    return [
        f"val split: {n_val} series (fewer than join_val_below={recipe.join_val_below}) joined "
        "to the training split: the teacher keeps its last epoch, and validation accuracies "
        "are on series the models trained on (only a test split is unseen)"
    ]


def whole_train_selection_warning(recipe: Recipe, n_train: int) -> list[str]:
    """Members scored on the series they train on (``distill.selection="train"``): say so."""
    cfg = recipe.distill
    if cfg.selection != "train":
        return []
    carved = max(1, round(cfg.selection_fraction * n_train))
    return [
        f"train split: {n_train} series; members are fit and scored on all of them "
        f"(distill.selection=train: a carved selection part would hold {carved} series, "
        f"distill.min_selection is {cfg.min_selection}): their scores are on series they trained on"
    ]


def run_warnings(data: Dataset, recipe: Recipe) -> list[str]:
    """Every warning a run on ``data`` with ``recipe`` should carry, logged once here."""
    n_val = len(data.val)
    extra = joined_val_warning(recipe, n_val) or small_val_warning(n_val)
    extra += whole_train_selection_warning(recipe, len(data.train))
    extra += receptive_field_warnings(data.feature_shape[0], (recipe.teacher, *recipe.students))
    for message in extra:  # the split warnings were logged when the data was loaded
        log.warning("%s: %s", data.task, message)
    return dataset_warnings(data) + extra


def report_lines(warnings: Sequence[str]) -> list[str]:
    """Markdown lines repeating the run's data warnings (none: no lines)."""
    if not warnings:
        return []
    return ["", "## Data warnings", "", *(f"- {w}" for w in warnings)]
