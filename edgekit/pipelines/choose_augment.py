"""Choose the teacher's window slicing for this data set by cross-validation inside its own
training split (issue 18, fifth pass).

Why: window slicing (edgekit.train.series_augment) is worth +6.5 points on a shape-like set
(ArrowHead) and -59.7 on a set of sharp periodic spikes (ACSF1), so no fixed setting serves both
(benchmarks/arrays_cv.md). Which kind of data a user brings is what k-fold CV inside the training
split can tell: each candidate (off, ``recipe.choose_slice``) trains one teacher per fold on the
other folds and is scored on that fold at its last epoch (as a joined teacher is kept); slicing is
adopted only if its mean beats off by ``MARGIN``, fixed in advance so that one series of noise
does not flip a set where both are alike. Only the training split is cut: the validation and test
splits are never in an inner fold (a tiny validation split joins training only afterwards).

The choice, with every fold's score, is written to the run (``augment_choice.json``, read back on
resume so the teacher and the distill step see the same recipe) and repeated in summary.md.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from edgekit.atomic import atomic_write_json
from edgekit.config import Recipe, TrainConfig
from edgekit.data.dataset import Dataset, Split
from edgekit.models import build_model
from edgekit.pipelines.sizing import sized_recipe
from edgekit.rundir.augment_choice import (
    FOLD_SCORE,
    FOLDS,
    MARGIN,
    AugmentChoice,
    choice_path,
    fold_dir,
    read_choice,
)
from edgekit.train.augment import feature_augmenter
from edgekit.train.losses import accuracy
from edgekit.train.predict import load_best, predict_logits
from edgekit.train.sizing import sized_train
from edgekit.train.trainer import Trainer

log = logging.getLogger(__name__)

# (teacher's TrainConfig with the candidate's slicing, the teacher's spec sized to the series,
# fit part, held-out fold, folder for its files) -> accuracy on the held-out fold
Scorer = Callable[[TrainConfig, str, Split, Split, Path], float]


def inner_folds(y: np.ndarray, folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """Each series' fold (0..folds-1), stratified: every class spread over the folds."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(y), dtype=np.int64)
    offset = 0
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        out[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)
    return out


def adopts(off: list[float], on: list[float], margin: float = MARGIN) -> bool:
    """Whether slicing's mean fold accuracy beats off's by at least ``margin``."""
    return statistics.mean(on) - statistics.mean(off) >= margin - 1e-12


def wants_choice(recipe: Recipe, n_train: int) -> bool:
    """Whether the recipe asks for the choice on a training split of ``n_train`` series."""
    return 0 < n_train < recipe.choose_slice_below


def with_choice(recipe: Recipe, choice: AugmentChoice) -> Recipe:
    train = replace(recipe.teacher_train, series_slice=choice.series_slice)
    return replace(recipe, teacher_train=train)


def choose_slicing(
    recipe: Recipe,
    data: Dataset,
    root: Path,
    device: str = "auto",
    scorer: Scorer | None = None,
) -> tuple[Recipe, AugmentChoice | None]:
    """``recipe`` with ``teacher_train.series_slice`` chosen by inner CV on ``data.train`` (the
    training split alone, before any join) where the recipe asks for it; the run's saved choice
    if it has one."""
    root, train = Path(root), data.train
    if not wants_choice(recipe, len(train)):
        return recipe, None
    saved = read_choice(root)
    if saved is not None:
        return with_choice(recipe, saved), saved
    score = scorer or train_and_score(data, device)
    # the teacher's spec as the real teacher gets it (fitted to the series where the recipe says)
    spec = sized_recipe(recipe, len(train), train.x.shape[1]).teacher
    candidates = (0.0, float(recipe.choose_slice))
    fold = inner_folds(train.y)
    log.info(
        "choosing the teacher's window slicing (0 or %g) by %d-fold CV inside the training split "
        "(%d series < choose_slice_below=%d): it helps shape-like series, hurts periodic ones",
        candidates[1], FOLDS, len(train), recipe.choose_slice_below,
    )  # fmt: skip
    scores: dict[str, list[float]] = {}
    for candidate in candidates:
        cfg = replace(recipe.teacher_train, series_slice=candidate)
        accs = []
        for k in range(FOLDS):
            fit, held = _part(train, fold != k), _part(train, fold == k)
            folder = fold_dir(root, candidate, k)
            path = folder / FOLD_SCORE
            acc = _saved(folder, path)
            if acc is None:
                acc = score(cfg, spec, fit, held, folder)
                atomic_write_json(path, {"accuracy": acc})
            accs.append(acc)
            log.info("  slicing %g, fold %d/%d: %.1f %%", candidate, k + 1, FOLDS, 100 * accs[-1])
        scores[str(candidate)] = accs
    on = candidates[1] if adopts(scores[str(candidates[0])], scores[str(candidates[1])]) else 0.0
    choice = AugmentChoice(on, candidates, scores, len(train))
    atomic_write_json(choice_path(root), choice.to_dict())
    log.info("%s", choice.line())
    return with_choice(recipe, choice), choice


def _part(split: Split, keep: np.ndarray) -> Split:
    return Split(split.x[keep], split.y[keep])


def _saved(folder: Path, path: Path) -> float | None:
    """A fold's score from an earlier call; a fold killed mid-training is cleared and retrained."""
    if path.exists():
        return float(json.loads(path.read_text())["accuracy"])
    if folder.exists():
        shutil.rmtree(folder)
    return None


def train_and_score(data: Dataset, device: str) -> Scorer:
    """The scorer of the pipeline: a teacher trained on the fit part (sized to it, as the recipe
    sizes the real one) and its last epoch's accuracy on the held-out fold."""

    def score(cfg: TrainConfig, spec: str, fit: Split, held: Split, folder: Path) -> float:
        sized = sized_train(cfg, len(fit))
        torch.manual_seed(sized.seed)
        model = build_model(spec, (fit.x.shape[1], fit.x.shape[2]), data.num_classes)
        trainer = Trainer(
            model, fit, held, sized, folder, device=device, label=f"CV {folder.name}",
            alone=True, keep_last=True,
        )  # fmt: skip
        trainer.features = feature_augmenter(fit, data, sized, trainer.ctx.device)
        trainer.fit()
        load_best(model, folder)
        logits = predict_logits(model, held.x, trainer.ctx.device)
        return float(accuracy(logits, torch.as_tensor(held.y)))

    return score
