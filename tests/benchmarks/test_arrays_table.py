"""benchmarks/arrays_table.py: the rows' columns that a reader checks against the bar."""

from __future__ import annotations

from typing import Any

from benchmarks.arrays_table import PUBLISHED, markdown, slicing, warping
from edgekit.rundir.affinity_choice import AffinityChoice


def _row(name: str, choice: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "set": name, "seed": 0, "shape": [251, 1], "classes": 3,
        "sizes": {"train": 30, "val": 6, "test": 175}, "teacher_test": 0.8, "minirocket": 0.85,
        "slicing": choice, "selection": "train",
        "prefixes": [{"k": 1, "spec": "cnn1d-16", "test": 0.78, "fraction": 0.07, "resched_test": 0.77}],
    }  # fmt: skip


def test_the_inner_cv_choice_shows_its_verdict_and_both_means() -> None:
    chosen = {
        "series_slice": 0.1,
        "candidates": [0.0, 0.1],
        "scores": {"0.0": [0.5, 0.7], "0.1": [0.9, 1.0]},
        "n_series": 30,
        "folds": 2,
        "margin": 0.02,
    }  # as augment_choice.json holds it
    refused = {**chosen, "series_slice": 0.0}
    assert slicing(_row("ArrowHead", chosen)) == "10 % (95.0 / 60.0)"
    assert slicing(_row("ArrowHead", refused)) == "off (95.0 / 60.0)"
    assert slicing(_row("ArrowHead", None)) == ""  # the recipe did not ask for the choice


def test_the_affinity_choice_shows_its_verdict_and_the_affinity() -> None:
    adopted = AffinityChoice(0.1, 0.1, 1.0, 0.93, 0.9, 36).to_dict()  # as the run's file holds it
    refused = AffinityChoice(0.0, 0.1, 0.9, 0.108, 0.9, 80).to_dict()
    row = _row("ArrowHead", None)
    assert warping({**row, "affinity": adopted}) == "10 % (0.93)"
    assert warping({**row, "affinity": refused}) == "off (0.12)"
    assert warping(row) == ""  # the recipe did not ask for the choice
    md = markdown([{**row, "affinity": adopted}], "test machine", [])
    assert any(
        line.startswith("| ArrowHead | 0 | 80.0 |  | 10 % (0.93) |") for line in md.splitlines()
    )


def test_the_archive_baseline_is_a_column_of_its_set_and_blank_for_others() -> None:
    md = markdown([_row("ArrowHead", None), _row("Mine", None)], "test machine", [])
    ed, dtw = PUBLISHED["ArrowHead"]
    arrow = next(line for line in md.splitlines() if line.startswith("| ArrowHead | 251"))
    mine = next(line for line in md.splitlines() if line.startswith("| Mine | 251"))
    assert arrow.endswith(f"| {ed:.1f} / {dtw:.1f} |") and mine.endswith("|  |")
