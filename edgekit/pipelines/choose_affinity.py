"""Choose the teacher's window warping by its affinity (issue 18, eighth pass).

Why: window warping (edgekit.train.series_augment) is worth points on shape-like series
(ArrowHead +5.6 in CV inside the training split) and ruins series whose time scale is the class
(ACSF1's periodic spikes: -55.8), so no fixed setting serves both. Choosing it by CV inside the
training split was noise on sets of a few dozen series (inner folds of 6: one series is 17
points; benchmarks/arrays_cv.md, fifth pass). The affinity of an augmentation (Gontijo-Lopes et
al. 2020, "Affinity and Diversity") asks a cheaper, steadier question: does a model trained
without it still recognise the training series once augmented? The plain teacher is trained as
always, scored on all of its training series as they are and warped (``DRAWS`` draws); if it
keeps at least ``recipe.affinity_min`` of its accuracy, warping keeps the labels of this data and
the teacher is trained again with it. The threshold, 0.9, was fixed before any affinity was
measured. Measured by nested CV (benchmarks/arrays_cv.md): ACSF1's affinity is 0.10-0.17 on
every fold, the other sets' 0.85-0.99.

The choice is written to the run (``affinity_choice.json``, read back on resume) and repeated in
summary.md; the plain teacher stays beside the warped one (``affinity_plain_teacher/``).
"""

from __future__ import annotations

import logging
import shutil
import statistics
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

from edgekit.atomic import atomic_write_json
from edgekit.config import Recipe
from edgekit.data.dataset import Split
from edgekit.errors import EdgekitError
from edgekit.rundir import RunDir
from edgekit.rundir.affinity_choice import (
    DRAWS,
    PLAIN_DIR,
    AffinityChoice,
    affinity_path,
    read_affinity,
)
from edgekit.train.losses import accuracy
from edgekit.train.predict import predict_logits
from edgekit.train.series_augment import SeriesAugment, series_augment

log = logging.getLogger(__name__)


def wants_affinity(recipe: Recipe) -> bool:
    """Whether the recipe asks for the choice (and has not set the warping itself)."""
    return recipe.affinity_warp > 0 and not recipe.teacher_train.series_warp


def with_affinity(recipe: Recipe, choice: AffinityChoice | None) -> Recipe:
    """``recipe`` with the choice's warping for the teacher and, trained like it, the members
    (and baselines), unless the recipe sets theirs (no choice: as it is). A member distilled on
    unwarped series only from a warped teacher does not learn what made the teacher better."""
    if choice is None or not wants_affinity(recipe):
        return recipe
    teacher = replace(recipe.teacher_train, series_warp=choice.series_warp)
    student = recipe.student_train
    if not student.series_warp:
        student = replace(student, series_warp=choice.series_warp)
    return replace(recipe, teacher_train=teacher, student_train=student)


def saved_affinity(recipe: Recipe, root: Path) -> Recipe:
    """``recipe`` as the run at ``root`` trained its teacher (its saved choice applied)."""
    return with_affinity(recipe, read_affinity(root))


def affinity_of(
    model: nn.Module, split: Split, warp: float, device: torch.device, draws: int = DRAWS
) -> tuple[float, float]:
    """(accuracy on ``split`` as it is, mean accuracy on it warped over ``draws`` draws); the
    draws come from a generator seeded 0, so a run measures the same numbers again."""
    x, y = torch.as_tensor(split.x), torch.as_tensor(split.y)
    clean = float(accuracy(predict_logits(model, x, device), y))
    generator = torch.Generator().manual_seed(0)
    settings = SeriesAugment(warp=warp)
    warped = [
        float(accuracy(predict_logits(model, series_augment(x, settings, generator), device), y))
        for _ in range(draws)
    ]
    return clean, statistics.mean(warped)


def choose_warping(
    recipe: Recipe, model: nn.Module, train: Split, device: torch.device
) -> AffinityChoice:
    """The choice for a trained plain teacher ``model`` and the series it was trained on."""
    clean, warped = affinity_of(model, train, recipe.affinity_warp, device)
    adopted = clean > 0 and warped >= recipe.affinity_min * clean - 1e-12
    choice = AffinityChoice(
        series_warp=recipe.affinity_warp if adopted else 0.0,
        tried=recipe.affinity_warp,
        clean=clean,
        warped=warped,
        threshold=recipe.affinity_min,
        n_series=len(train),
    )
    log.info("%s", choice.line())
    return choice


def record_choice(run: RunDir, choice: AffinityChoice) -> None:
    """Write the choice; where warping is adopted, first set the plain teacher (and the config
    that names it) aside, so a run killed in between retrains the plain teacher and measures
    again instead of resuming a warped recipe over a plain checkpoint."""
    if choice.series_warp:
        aside = run.root / PLAIN_DIR
        if aside.exists():
            shutil.rmtree(aside)
        run.teacher_dir.rename(aside)
        run.config_path.unlink(missing_ok=True)
    atomic_write_json(affinity_path(run.root), choice.to_dict())


def plain_set_aside(run: RunDir) -> bool:
    """Whether a run was killed between setting its plain teacher aside and writing the choice
    (record_choice): the plain teacher is aside, no teacher in its place, no choice."""
    aside = run.root / PLAIN_DIR
    return aside.is_dir() and not run.teacher_dir.exists() and read_affinity(run.root) is None


def restore_plain(run: RunDir) -> None:
    """Put a plain teacher set aside back where it was trained (see ``plain_set_aside``): the
    resumed run measures its affinity again instead of training it again."""
    log.info(
        "%s: the plain teacher was set aside before the choice was written; resuming it", run.root
    )
    (run.root / PLAIN_DIR).rename(run.teacher_dir)


def check_saved_choice(recipe: Recipe, saved: AffinityChoice | None, root: Path) -> None:
    """A resumed run's saved choice was made under the recipe's own settings (its config.json is
    absent while the warped teacher retrains, so the usual resume check cannot say so); a
    recipe that sets the teacher's warping itself must set the one chosen."""
    if saved is None:
        return
    asked = (recipe.affinity_warp, recipe.affinity_min)
    own = recipe.teacher_train.series_warp
    if asked != (saved.tried, saved.threshold) or (own and own != saved.series_warp):
        raise EdgekitError(
            f"{affinity_path(root)}: the choice was made with affinity_warp={saved.tried:g}, "
            f"affinity_min={saved.threshold:g} (teacher warping {saved.series_warp:g}); the "
            f"recipe now asks affinity_warp={recipe.affinity_warp:g}, affinity_min="
            f"{recipe.affinity_min:g}, teacher_train.series_warp={own:g}. Resume with the "
            "saved settings or choose another --out (nothing was changed)"
        )
