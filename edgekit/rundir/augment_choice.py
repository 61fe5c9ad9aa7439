"""The run's ``augment_choice.json``: the teacher's window slicing as the inner CV chose it, with every
fold's score (edgekit.pipelines.choose_augment makes it; summary.md repeats it)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHOICE_FILE = "augment_choice.json"  # in the run directory
CV_DIR = "augment_cv"  # the inner folds' trainer files; its presence marks a run (resumable)
FOLD_SCORE = "accuracy.json"  # in each fold's folder, written once its teacher is scored
FOLDS = 3  # as benchmarks/arrays_cv.py: a fold of a 30-series split still holds ~10 series
MARGIN = 0.02  # slicing's CV mean must beat off by 2 points (fixed before any nested-CV run)


@dataclass(frozen=True)
class AugmentChoice:
    """What the inner CV chose and why: every candidate's fold accuracies."""

    series_slice: float  # the chosen setting (0: off)
    candidates: tuple[float, ...]
    scores: dict[str, list[float]]  # str(candidate) -> accuracy per fold
    n_series: int  # the training split cut into folds
    folds: int = FOLDS
    margin: float = MARGIN

    def mean(self, candidate: float) -> float:
        return statistics.mean(self.scores[str(candidate)])

    def line(self) -> str:
        """One sentence for the terminal and summary.md."""
        off, on = self.candidates
        verdict = "adopted" if self.series_slice else "not adopted"
        return (
            f"teacher window slicing {on:g} {verdict} by {self.folds}-fold CV inside the training "
            f"split ({self.n_series} series): {100 * self.mean(on):.1f} % against "
            f"{100 * self.mean(off):.1f} % off (needs +{100 * self.margin:.0f} points)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "series_slice": self.series_slice,
            "candidates": list(self.candidates),
            "scores": self.scores,
            "n_series": self.n_series,
            "folds": self.folds,
            "margin": self.margin,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AugmentChoice:
        return cls(
            series_slice=float(raw["series_slice"]),
            candidates=tuple(float(c) for c in raw["candidates"]),
            scores={k: [float(v) for v in vs] for k, vs in raw["scores"].items()},
            n_series=int(raw["n_series"]),
            folds=int(raw["folds"]),
            margin=float(raw["margin"]),
        )


def choice_path(root: Path) -> Path:
    return Path(root) / CHOICE_FILE


def fold_dir(root: Path, candidate: float, fold: int) -> Path:
    """An inner fold's trainer files (and its FOLD_SCORE)."""
    return Path(root) / CV_DIR / f"slice{candidate:g}-fold{fold}"


def read_choice(root: Path) -> AugmentChoice | None:
    """The run's saved choice, or None where the recipe made none."""
    path = choice_path(root)
    return AugmentChoice.from_dict(json.loads(path.read_text())) if path.exists() else None


def choice_lines(root: Path) -> list[str]:
    """Markdown lines for summary.md (no choice made: no lines)."""
    choice = read_choice(root)
    if choice is None:
        return []
    return ["", "## Teacher augmentation chosen by cross-validation", "", f"- {choice.line()}"]
