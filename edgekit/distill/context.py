"""What the rounds read, prepared once: settings, the data parts and the teacher's logits.

:func:`prepare_context` carves the selection data from the training split and computes (or
reads from the run's cache) the teacher's logits on every part. The rounds and the baselines
take the resulting :class:`DistillContext`; nothing they need is created later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from edgekit.config import Recipe
from edgekit.cost import model_cost
from edgekit.data import Dataset, Split
from edgekit.distill.memo import TeacherMemo
from edgekit.distill.ranks import Ranks
from edgekit.models import EdgeModel
from edgekit.rundir import LOGITS, RunDir
from edgekit.train.augment import feature_augmenter
from edgekit.train.distributed import pick_device
from edgekit.train.predict import predict_logits


def split_selection(train: Split, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(member-train indices, selection indices) carved from the training split.

    By group (speaker, user) where the split has groups, so selection data is as new to the
    members as validation data is; else by sample. Never touches the validation split.
    """
    rng = np.random.default_rng(seed + 7919)
    n = len(train)
    if train.groups is not None and len(np.unique(train.groups)) >= 2:
        groups = np.unique(train.groups)
        count = max(1, round(fraction * len(groups)))
        chosen = rng.choice(groups, size=count, replace=False)
        mask = np.isin(train.groups, chosen)
    else:
        mask = np.zeros(n, dtype=bool)
        mask[rng.choice(n, size=max(1, round(fraction * n)), replace=False)] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _subset(split: Split, idx: np.ndarray) -> Split:
    return Split(
        split.x[idx],
        split.y[idx],
        None if split.audio is None else split.audio[idx],  # waveforms, for augmentation
        None if split.groups is None else split.groups[idx],
    )


@dataclass(frozen=True)
class Parts:
    """The arrays the rounds work on: member-train, selection, validation (and test)."""

    fit: Split
    selection: Split
    val: Split
    test: Split | None

    def names(self) -> list[str]:
        return ["fit", "selection", "val"] + (["test"] if self.test is not None else [])

    def get(self, name: str) -> Split:
        split: Split | None = getattr(self, name)
        if split is None:
            raise KeyError(f"this run has no {name} split")
        return split


def make_parts(recipe: Recipe, data: Dataset) -> Parts:
    """The rounds' parts: ``distill.selection="split"`` carves the selection part off the
    training split; ``"train"`` fits and scores members on all of it (tiny sets, where a carved
    part would be a handful of series: edges measured there are noise)."""
    if recipe.distill.selection == "train":
        return Parts(data.train, data.train, data.val, data.test)
    fit_idx, sel_idx = split_selection(
        data.train, recipe.distill.selection_fraction, recipe.teacher_train.seed
    )
    return Parts(_subset(data.train, fit_idx), _subset(data.train, sel_idx), data.val, data.test)


@dataclass(frozen=True)
class DistillContext:
    """One run's fixed inputs: the recipe, where it writes, the data parts, teacher logits."""

    recipe: Recipe
    run: RunDir
    device: torch.device
    device_name: str  # as asked ("auto", "cpu", ...): what trainers are set up with
    feature_shape: tuple[int, int]
    num_classes: int
    parts: Parts
    logits: dict[str, Tensor]  # teacher logits per part name, on the CPU
    teacher_macs: int
    teacher: EdgeModel | None = None  # frozen, on ``device``: online targets for augmented inputs
    augment: Callable[[Tensor, torch.Generator], Tensor] | None = None  # fit indices -> inputs
    # the teacher's logits per augmented batch, shared by the run's models (distill/targets.py)
    teacher_memo: TeacherMemo = field(default_factory=TeacherMemo)

    @property
    def temperature(self) -> float:
        return self.recipe.student_train.kd_temperature


def prepare_context(
    recipe: Recipe,
    run: RunDir,
    data: Dataset,
    teacher: EdgeModel,
    device: str,
    ranks: Ranks | None = None,
) -> DistillContext:
    """Carve the selection data and get the teacher's logits on every part (cached in the run).

    Under torchrun rank 0 computes (or reads) the logits and every other rank receives them.
    """
    ranks = ranks or Ranks.current()
    parts = make_parts(recipe, data)
    torch_device = pick_device(device)
    augment = feature_augmenter(parts.fit, data, recipe.student_train, torch_device)
    return DistillContext(
        recipe=recipe,
        run=run,
        device=torch_device,
        device_name=device,
        feature_shape=data.feature_shape,
        num_classes=data.num_classes,
        parts=parts,
        logits=ranks.share(
            teacher_logits(run, parts, teacher, torch_device) if ranks.is_main else None, 0
        ),
        teacher_macs=model_cost(recipe.teacher, data.feature_shape, data.num_classes).macs,
        teacher=teacher if augment is not None else None,
        augment=augment,
    )


def teacher_logits(
    run: RunDir, parts: Parts, teacher: EdgeModel, device: torch.device
) -> dict[str, Tensor]:
    """Teacher logits on every part, computed once and cached in the run.

    The cache entry is keyed by the teacher's weights and the parts' sizes and verified by
    digest on load (``ArrayCache``): a torn or stale file is recomputed, never trusted.
    """
    from edgekit.data.cache import ArrayCache, cache_key

    names = parts.names()
    key = cache_key(
        teacher=hashlib.sha256(run.teacher.best.read_bytes()).hexdigest(),
        sizes={k: len(parts.get(k)) for k in names},
    )
    cache = ArrayCache(run.root)
    cached = cache.load(LOGITS, key)
    if cached is not None:
        return {k: torch.from_numpy(cached[k]) for k in names}
    logits = {k: predict_logits(teacher, parts.get(k).x, device) for k in names}
    cache.save(LOGITS, key, {k: v.numpy() for k, v in logits.items()})
    return logits
