"""Teacher choices for `arrays` by k-fold cross-validation inside the archive's training split.

Run: python benchmarks/arrays_cv.py --sets ACSF1 [--choices ...] [--folds 4]
The archive's train split (what benchmarks/arrays.py carves into train and val) is cut into
``folds`` stratified folds (numpy seed 0); each choice trains one teacher per fold on the other
folds and is scored on the held-out fold. The archive's test split is never loaded into a run:
choices are made here, benchmarks/arrays.md reports the chosen one on test.
Scores: the last epoch's fold accuracy (the schedule annealed; no epoch picked on the fold) and
the best epoch's (what the recipe keeps: optimistic, alike for every choice).
Writes benchmarks/arrays_cv.md and .json; runs under benchmarks/.runs/arrays_cv (resumable).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.arrays import load_set
from benchmarks.machine import machine_line, save_results
from edgekit.pipelines.teacher import train_teacher

HERE = Path(__file__).resolve().parent
# each choice: the --set overrides on top of recipes/arrays.py as shipped. NO_LS: the recipe of
# the first pass (before label smoothing, which these runs chose), the base of every other choice.
NO_LS = ["teacher_train.label_smoothing=0"]
CHOICES: dict[str, list[str]] = {
    "first pass (floor 1500 steps)": NO_LS,
    "floor 3000 steps": [*NO_LS, "teacher_train.min_steps=3000"],
    "augment: shift 100, scale 0.1, jitter 0.05": [
        *NO_LS,
        "teacher_train.sensor_shift=100",
        "teacher_train.sensor_scale=0.1",
        "teacher_train.sensor_jitter=0.05",
    ],
    "first stride 4": [*NO_LS, "teacher=cnn1d-64-s4"],
    "pool 4": [*NO_LS, "teacher=cnn1d-64-p4"],
    "weight decay 0.05": [*NO_LS, "teacher_train.weight_decay=0.05"],
    "label smoothing 0.1": ["teacher_train.label_smoothing=0.1"],
}


def fold_of(y: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Each series' fold (0..folds-1), stratified: every class spread over the folds."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(y), dtype=np.int64)
    offset = 0
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        out[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)
    return out


def write_fold(data: dict[str, np.ndarray], fold: np.ndarray, k: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    x, y = data["X_train"], data["y_train"]
    np.savez(
        path,
        X_train=x[fold != k],
        y_train=y[fold != k],
        X_val=x[fold == k],
        y_val=y[fold == k],
        class_names=data["class_names"],
    )


def run(name: str, choice: str, k: int, runs: Path, npz: Path) -> dict[str, Any]:
    slug = "".join(c if c.isalnum() else "_" for c in choice)
    out = runs / f"{name}-{slug}-fold{k}"
    path = out / "teacher" / "summary.json"
    start = time.perf_counter()
    if not path.exists():
        train_teacher("arrays", out, npz, CHOICES[choice], device="cpu", resume=out.exists())
    summary: dict[str, Any] = json.loads(path.read_text())
    rows = [json.loads(r) for r in (out / "teacher" / "metrics.jsonl").read_text().splitlines()]
    return {
        "set": name,
        "choice": choice,
        "fold": k,
        "last": rows[-1]["val_accuracy"],
        "best": summary["val_accuracy"],
        "spec": summary["spec"],
        "seconds": time.perf_counter() - start,
    }


def table(results: list[dict[str, Any]], folds: int, machine: str) -> str:
    lines = [
        "# `arrays` teacher choices by cross-validation inside the training split",
        "",
        f"Made by `python benchmarks/arrays_cv.py` ({folds} stratified folds of the archive's",
        "train split; see its docstring). Fold accuracy %, mean ± sd over folds: the last",
        "epoch's, and the best epoch's (kept by the recipe; picked on the fold, so optimistic).",
        "",
        "| set | choice | teacher | CV acc, last epoch | CV acc, best epoch | seconds/fold |",
        "|---|---|---|---:|---:|---:|",
    ]
    for name in dict.fromkeys(r["set"] for r in results):
        for choice in CHOICES:
            rs = [r for r in results if r["set"] == name and r["choice"] == choice]
            if not rs:
                continue
            cells = []
            for key in ("last", "best"):
                v = [100 * r[key] for r in rs]
                sd = statistics.stdev(v) if len(v) > 1 else 0.0
                cells.append(f"{statistics.mean(v):.1f} ± {sd:.1f}")
            seconds = statistics.mean(r["seconds"] for r in rs)
            lines.append(
                f"| {name} | {choice} | {rs[0]['spec']} | {cells[0]} | {cells[1]} | {seconds:.0f} |"
            )
    return "\n".join([*lines, *chosen(results), "", f"Machine: {machine}", ""])


def chosen(results: list[dict[str, Any]]) -> list[str]:
    """The rule the recipe follows: the highest mean fold accuracy at the last epoch."""
    out = []
    for name in dict.fromkeys(r["set"] for r in results):
        means = {
            c: statistics.mean(r["last"] for r in results if r["set"] == name and r["choice"] == c)
            for c in dict.fromkeys(r["choice"] for r in results if r["set"] == name)
        }
        best = max(means, key=lambda c: means[c])
        out.append(f"\n{name}: highest last-epoch mean: {best} ({100 * means[best]:.1f} %).")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["ACSF1"])
    parser.add_argument("--choices", nargs="+", default=list(CHOICES))
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()
    runs = HERE / ".runs" / "arrays_cv"
    saved = HERE / "arrays_cv.json"
    results = json.loads(saved.read_text())["results"] if saved.exists() else []
    done = {(r["set"], r["choice"], r["fold"]) for r in results}
    for name in args.sets:
        data = load_set(name)
        fold = fold_of(data["y_train"], args.folds)
        for choice in args.choices:
            for k in range(args.folds):
                if (name, choice, k) in done:
                    continue
                npz = runs / f"{name}-fold{k}.npz"
                write_fold(data, fold, k, npz)
                results.append(run(name, choice, k, runs, npz))
                print(json.dumps(results[-1]), flush=True)
                info = save_results(saved, results)
                (HERE / "arrays_cv.md").write_text(table(results, args.folds, machine_line(info)))


if __name__ == "__main__":
    main()
