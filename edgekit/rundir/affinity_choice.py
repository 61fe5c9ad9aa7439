"""The run's ``affinity_choice.json``: whether the teacher trains with window warping, decided by
the affinity of warping under the plain teacher (edgekit.pipelines.choose_affinity makes it;
summary.md repeats it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AFFINITY_FILE = "affinity_choice.json"  # in the run directory
PLAIN_DIR = "affinity_plain_teacher"  # the plain teacher, set aside where a warped one replaced it
DRAWS = 5  # warped copies of each training series the plain teacher is scored on


@dataclass(frozen=True)
class AffinityChoice:
    """The plain teacher's accuracy on its training series as they are and warped, and what
    followed: ``series_warp`` is the warping the teacher trains with (0: none)."""

    series_warp: float
    tried: float  # the warping share measured (the recipe's ``affinity_warp``)
    clean: float  # the plain teacher's accuracy on its training series
    warped: float  # ... on them warped (mean over ``draws`` draws)
    threshold: float  # the recipe's ``affinity_min``
    n_series: int
    draws: int = DRAWS

    @property
    def affinity(self) -> float:
        """Warped accuracy as a share of clean (Gontijo-Lopes et al. 2020)."""
        return self.warped / self.clean if self.clean > 0 else 0.0

    def line(self) -> str:
        """One sentence for the terminal and summary.md."""
        verdict = "adopted" if self.series_warp else "not adopted"
        return (
            f"teacher window warping {self.tried:g} {verdict}: the plain teacher keeps "
            f"{100 * self.affinity:.0f} % of its accuracy on its {self.n_series} training series "
            f"warped ({100 * self.warped:.1f} % against {100 * self.clean:.1f} %; needs "
            f"{100 * self.threshold:.0f} %)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "series_warp": self.series_warp,
            "tried": self.tried,
            "clean": self.clean,
            "warped": self.warped,
            "threshold": self.threshold,
            "n_series": self.n_series,
            "draws": self.draws,
            "affinity": self.affinity,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AffinityChoice:
        return cls(
            series_warp=float(raw["series_warp"]),
            tried=float(raw["tried"]),
            clean=float(raw["clean"]),
            warped=float(raw["warped"]),
            threshold=float(raw["threshold"]),
            n_series=int(raw["n_series"]),
            draws=int(raw["draws"]),
        )


def affinity_path(root: Path) -> Path:
    return Path(root) / AFFINITY_FILE


def read_affinity(root: Path) -> AffinityChoice | None:
    """The run's saved choice, or None where none was made (yet)."""
    path = affinity_path(root)
    return AffinityChoice.from_dict(json.loads(path.read_text())) if path.exists() else None


def affinity_lines(root: Path) -> list[str]:
    """Markdown lines for summary.md (no choice made: no lines)."""
    choice = read_affinity(root)
    if choice is None:
        return []
    return ["", "## Teacher augmentation chosen by its affinity", "", f"- {choice.line()}"]
