"""Checks every split before any training starts: refuse what cannot work, warn what is risky.

A run that trains a teacher for minutes and then dies in ``torch.cat`` on an empty validation
split, or ends at 0 % because a class never appears in training, wastes the user's time; these
checks run when the data is loaded (so ``edgekit data info`` shows the same words as ``distill``).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from edgekit.data.dataset import Dataset, Split
from edgekit.errors import DataError

log = logging.getLogger(__name__)

MIN_PER_CLASS = 5  # fewer training samples of a class than this: its accuracy is a coin toss


def _names(dataset: Dataset, classes: np.ndarray, counts: np.ndarray | None = None) -> str:
    shown = [
        dataset.class_names[c] + (f" ({int(counts[c])})" if counts is not None else "")
        for c in classes[:8]
    ]
    more = f" and {len(classes) - 8} more" if len(classes) > 8 else ""
    return ", ".join(shown) + more


def _refuse_unusable(dataset: Dataset) -> None:
    where = dataset.source
    for name, split in dataset.splits().items():
        if len(split) == 0 and name != "test":
            raise DataError(f"{where}: the {name} split is empty; it needs at least one sample")
        if len(split) and (split.y.min() < 0 or split.y.max() >= dataset.num_classes):
            raise DataError(
                f"{where}: {name} labels must be 0..{dataset.num_classes - 1}, "
                f"got {int(split.y.min())}..{int(split.y.max())}"
            )
    present = np.unique(dataset.train.y)
    if len(present) < 2:
        raise DataError(
            f"{where}: the train split has {len(present)} class(es); a classifier needs at least 2"
        )


def _split_warnings(dataset: Dataset, name: str, split: Split) -> list[str]:
    counts = split.class_counts(dataset.num_classes)
    missing = np.flatnonzero(counts == 0)
    out = []
    if len(missing):
        out.append(
            f"{name} split: {len(missing)} of {dataset.num_classes} classes have no sample "
            f"({_names(dataset, missing)})"
            + (
                "; the model can never predict them"
                if name == "train"
                else "; their accuracy is not measured"
            )
        )
    if name == "train":
        few = np.flatnonzero((counts > 0) & (counts < MIN_PER_CLASS))
        if len(few):
            out.append(
                f"train split: {len(few)} classes have fewer than {MIN_PER_CLASS} samples "
                f"({_names(dataset, few, counts)}); expect poor accuracy on them"
            )
    return out


def dataset_warnings(dataset: Dataset) -> list[str]:
    """Every risk found in the splits, with counts (nothing logged)."""
    found: list[str] = []
    for name, split in dataset.splits().items():
        found += _split_warnings(dataset, name, split)
    return found


def check_dataset(dataset: Dataset) -> Dataset:
    """``dataset`` with a note per risk found (each also logged); :class:`DataError` if unusable."""
    _refuse_unusable(dataset)
    found = dataset_warnings(dataset)
    for message in found:
        log.warning("%s: %s", dataset.task, message)
    return replace(dataset, notes=(*dataset.notes, *found)) if found else dataset
