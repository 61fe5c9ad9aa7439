"""benchmarks/distill_weights.py: the same members summed with their fitted weights and plainly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.distill_weights import REFERENCE, markdown, measure_run


def _run(root: Path, name: str, weights: list[float], baselines: dict | None = None) -> Path:
    """A finished run whose saved logits are two members with ``weights`` folded in.

    Unweighted, member 1 says class 0 on all four samples and member 2 class 1 with a larger
    margin on the last two; labels 0, 0, 1, 1. Plainly summed, the pair is right on all four;
    with member 2 weighted down to 0.1 it is right on the first two only.
    """
    m1 = np.array([[2.0, 0.0]] * 4)
    m2 = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 5.0], [0.0, 5.0]])
    raw = np.stack([m1, m2])
    run = root / name
    run.mkdir(parents=True)
    rounds = [
        {"chosen": "cnn1d-8", "connected": False, "alpha": w,
         "tried": [{"candidate": "cnn1d-8", "connected": False, "fold": w}]}
        for w in weights
    ]  # fmt: skip
    (run / "summary.json").write_text(json.dumps({"rounds": rounds, "baselines": baselines}))
    folded = raw * np.asarray(weights)[:, None, None]
    np.savez(f"{run}.val-logits.npz", member_logits=folded, labels=np.array([0, 0, 1, 1]))
    return run


def test_fitted_and_plain_sums_of_the_same_members(tmp_path: Path) -> None:
    run = _run(tmp_path, "default", [1.0, 0.1])
    row = measure_run(run, None)
    assert row is not None
    assert row["fitted"] == [0.5, 0.5]  # member 2 at 0.1: 0.5 < 2 on the last two
    assert row["plain"] == [0.5, 1.0]  # weight 1: 5 > 2, the last two turn right
    assert row["resched"] == [] and row["resched_source"] is None


def test_a_run_without_baselines_borrows_the_reference_ones_and_an_unfinished_one_is_skipped(
    tmp_path: Path,
) -> None:
    base = {"resched": [{"k": 1, "val_accuracy": 0.5}, {"k": 2, "val_accuracy": 0.75}]}
    ref = _run(tmp_path, "reference", [1.0, 1.0], base)
    row = measure_run(_run(tmp_path, "default", [1.0, 1.0]), ref)
    assert row is not None and row["resched"] == [0.5, 0.75]
    assert row["resched_source"] == REFERENCE
    assert measure_run(tmp_path / "never-ran", ref) is None
    md = markdown([{"fold": "p5p6", "seed": 0, **row}], "v", "test machine")
    assert "| p5p6 | 0 | 1.00 / 1.00 | 50.0 / 100.0 | 50.0 / 100.0 | 50.0 / 75.0 (b) | +0.0 |" in md
