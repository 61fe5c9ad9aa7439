"""Users' own time series: edgekit's `arrays` task against aeon's MiniRocket on the same splits.

Run: python benchmarks/arrays.py [--sets GunPoint ArrowHead ...] [--smoke]
Needs the bench extra (pip install -e '.[bench]': aeon, a benchmark dependency only; the package
never imports it). Every data set is one aeon bundles in its package data (no download).

Splits: the UCR/UEA archive's test split is the test split. Its train split is cut once
(numpy seed 0), stratified: 20 % of each class (at least one series) becomes X_val/y_val, the
rest X_train/y_train, written as an arrays ``.npz``; the edgekit side then runs exactly as a user
would (``edgekit distill arrays --data-dir SET.npz --baselines``) and this script reads the run's
results (teacher/summary.json, metrics.jsonl, baselines.json). MiniRocket (aeon defaults: 10,000
kernels, ridge classifier) is fit on the whole train split, as the archive's protocol has it:
it needs no validation series, and it is the number users compare with.

Writes benchmarks/arrays.md and .json; runs go to benchmarks/.runs/arrays (resumable).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.arrays_table import markdown
from benchmarks.machine import machine_line, save_results

HERE = Path(__file__).resolve().parent
SETS = ("GunPoint", "ArrowHead", "ItalyPowerDemand", "OSULeaf", "ACSF1")
VAL_FRACTION = 0.2
# Smoke mode (CI): one small set, a handful of steps, one member; checks the plumbing only.
SMOKE_SET = "ItalyPowerDemand"
SMOKE_SET_ARGS = [
    "teacher_train.min_steps=20",
    "teacher_train.epochs=2",
    "student_train.min_steps=40",
    "student_train.epochs=1",
    "distill.max_members=1",
    "distill.objectives=logit",
    "distill.gamma_min=0",
    "students=cnn1d-8",
]


def load_set(name: str) -> dict[str, np.ndarray]:
    """aeon's bundled train/test splits as [N, T, C] float32 and integer labels."""
    from aeon.datasets import load_classification

    x_tr, y_tr = load_classification(name, split="train")
    x_te, y_te = load_classification(name, split="test")
    classes = np.unique(np.concatenate([y_tr, y_te]))
    index = {c: i for i, c in enumerate(classes)}
    return {
        "X_train": np.asarray(x_tr, dtype=np.float32).transpose(0, 2, 1),
        "y_train": np.array([index[c] for c in y_tr], dtype=np.int64),
        "X_test": np.asarray(x_te, dtype=np.float32).transpose(0, 2, 1),
        "y_test": np.array([index[c] for c in y_te], dtype=np.int64),
        "class_names": np.array([str(c) for c in classes]),
    }


def carve_val(y: np.ndarray, fraction: float = VAL_FRACTION, seed: int = 0) -> np.ndarray:
    """Indices of a stratified validation cut: ``fraction`` of each class, at least one."""
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        take = max(1, round(fraction * len(members)))
        picked.append(rng.choice(members, size=min(take, len(members) - 1), replace=False))
    return np.sort(np.concatenate(picked))


def write_npz(data: dict[str, np.ndarray], path: Path) -> dict[str, int]:
    val = carve_val(data["y_train"])
    keep = np.setdiff1d(np.arange(len(data["y_train"])), val)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        X_train=data["X_train"][keep],
        y_train=data["y_train"][keep],
        X_val=data["X_train"][val],
        y_val=data["y_train"][val],
        X_test=data["X_test"],
        y_test=data["y_test"],
        class_names=data["class_names"],
    )
    return {"train": len(keep), "val": len(val), "test": len(data["y_test"])}


def minirocket(data: dict[str, np.ndarray], seed: int, num_kernels: int = 10_000) -> float:
    from aeon.classification.convolution_based import MiniRocketClassifier

    clf = MiniRocketClassifier(n_kernels=num_kernels, random_state=seed)
    clf.fit(data["X_train"].transpose(0, 2, 1), data["y_train"])
    pred = clf.predict(data["X_test"].transpose(0, 2, 1))
    return float(np.mean(pred == data["y_test"]))


def distill_run(npz: Path, out: Path, extra: list[str], teacher: Path | None = None) -> float:
    """``edgekit distill arrays`` as a user runs it (resumes a killed run); wall seconds."""
    cmd = [sys.executable, "-m", "edgekit", "distill", "arrays", "--data-dir", str(npz)]
    cmd += ["--out", str(out), "--baselines", "--device", "cpu"]
    for item in extra:
        cmd += ["--set", item]
    cmd += ["--teacher", str(teacher)] if teacher is not None else []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "EDGEKIT_PROGRESS": "0"}
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def read_run(out: Path) -> dict[str, Any]:
    teacher = json.loads((out / "teacher" / "summary.json").read_text())
    if teacher.get("test_accuracy") is None and teacher.get("imported_from"):
        # a reused teacher (--teachers): its test accuracy is in the run it came from
        source = Path(teacher["imported_from"]).parent / "summary.json"
        teacher["test_accuracy"] = json.loads(source.read_text())["test_accuracy"]
    metrics = out / "metrics.jsonl"
    rounds = (
        [json.loads(x) for x in metrics.read_text().splitlines() if x] if metrics.exists() else []
    )
    stopped = out / "stopped.json"
    base_path = out / "baselines.json"
    baselines = json.loads(base_path.read_text()) if base_path.exists() else {}
    resched = {r["k"]: r.get("test_accuracy") for r in baselines.get("resched", [])}
    warnings_path = out / "warnings.json"
    recipe = json.loads((out / "config.json").read_text())["recipe"]
    return {
        "selection": recipe["distill"].get("selection", "split"),
        "teacher": teacher["spec"],
        "teacher_test": teacher["test_accuracy"],
        "teacher_val": teacher["val_accuracy"],
        "teacher_macs": teacher["macs"],
        "prefixes": [
            {
                "k": r["round"],
                "spec": r["spec"],
                "test": r.get("test_accuracy"),
                "macs": r["cumulative_macs"],
                "fraction": r["teacher_fraction"],
                "resched_test": resched.get(r["round"]),
            }
            for r in rounds
        ],
        "stopped": json.loads(stopped.read_text())["reason"] if stopped.exists() else None,
        "warnings": json.loads(warnings_path.read_text()) if warnings_path.exists() else [],
    }


def bench_set(
    name: str,
    runs: Path,
    seed: int,
    smoke: bool,
    overrides: list[str] | None = None,
    teachers: Path | None = None,
) -> dict[str, Any]:
    """One set's row; ``teachers``: a runs folder whose teacher of this set and seed is reused
    (trials of distillation settings: the teacher's training is settled and costs minutes)."""
    data = load_set(name)
    npz = runs / f"{name}.npz"
    sizes = write_npz(data, npz)
    out = runs / f"{name}-seed{seed}"
    extra = [f"teacher_train.seed={seed}", f"student_train.seed={seed}"]
    extra += SMOKE_SET_ARGS if smoke else []
    extra += overrides or []
    teacher = None if teachers is None else teachers / out.name / "teacher" / "best.pt"
    seconds = None
    if not (out / "summary.md").exists():
        seconds = distill_run(npz, out, extra, teacher)
    start = time.perf_counter()
    mr = minirocket(data, seed, 500 if smoke else 10_000)
    row = {
        "set": name,
        "seed": seed,
        "shape": list(data["X_train"].shape[1:]),
        "classes": len(data["class_names"]),
        "sizes": sizes,
        "edgekit_seconds": seconds,
        "minirocket": mr,
        "minirocket_seconds": time.perf_counter() - start,
    }
    row.update(read_run(out))
    return row


# What the committed run shows (seed 0, one run per set: tiny test splits and one seed leave
# a few points of noise; GunPoint's test split is 150 series, ArrowHead's 175, ACSF1's 100).
NOTES = [
    "",
    "## Reading it",
    "",
    "- Teacher: at or above MiniRocket on GunPoint, ArrowHead and OSULeaf, 0.6 under on",
    "  ItalyPowerDemand; **11.0 under on ACSF1** (bar: 8). ACSF1 is 1460 steps of appliance power",
    "  with 8 training series per class once validation is carved out (MiniRocket fits on all",
    "  100); the 3-block cnn1d pools a 1460-step series down to 91 steps and averages it. Deeper",
    "  models sized to span the series did worse (63.0 %, benchmarks/arrays_choices.md).",
    "- Ensemble vs teacher: within 1.3 points on GunPoint and 0.2 on ItalyPowerDemand, 2.5 on",
    "  OSULeaf (where RESCHED, the same sizes as plain KD students, reaches only 52 %), but",
    "  **8.0 under on ArrowHead and 6.0 under on ACSF1**: mean 3.6 (bar: 2). Members are accepted",
    "  on the selection part of the training split (15 %: 5 series on ArrowHead, 12 on ACSF1),",
    "  so their edges are measured on a handful of series; with 6 or 20 validation series the",
    "  F_k columns move 17 or 5 points per series. Cross-validated selection inside the training",
    "  split is the next lever (not built).",
    "- First passes (same splits; benchmarks/arrays_pass2.json): cnn1d-8 students left",
    "  ensembles 5-7 points under their teacher on GunPoint and ArrowHead (hence cnn1d-16/32);",
    "  deepened teachers lost 14-17 points on OSULeaf and ACSF1 (hence no deepening).",
    "- Cost on this shared 2-core machine, one thread: 1.5-4 minutes per set for the whole",
    "  edgekit run (teacher, rounds, both baselines; ItalyPowerDemand's run, 2.2 minutes, was",
    "  reused from the previous pass: its layout and settings did not change); MiniRocket takes",
    "  under 5 seconds.",
]


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--runs", type=Path, default=HERE / ".runs" / "arrays")
    parser.add_argument("--smoke", action="store_true", help=f"CI: {SMOKE_SET}, a few steps")
    parser.add_argument("--out", type=Path, default=HERE / "arrays", help="writes OUT.md, OUT.json")
    parser.add_argument("--set", action="append", default=[], help="a recipe override (trials)")
    parser.add_argument("--render", action="store_true", help="rewrite OUT.md from OUT.json")
    parser.add_argument("--teachers", type=Path, help="reuse the teachers of this runs folder")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.out.with_suffix(".json").read_text())
        md = markdown(saved["results"], machine_line(saved["machine"]), NOTES)
        args.out.with_suffix(".md").write_text(md)
        return list(saved["results"])
    sets = [SMOKE_SET] if args.smoke else args.sets
    results = [
        bench_set(s, args.runs, seed, args.smoke, args.set, args.teachers)
        for s in sets
        for seed in args.seeds
    ]
    info = save_results(args.out.with_suffix(".json"), results)
    args.out.with_suffix(".md").write_text(markdown(results, machine_line(info), NOTES))
    return results


if __name__ == "__main__":
    main()
