"""Issue 13: does the selection user's score pick the student that is better on new users?

Every `benchmarks/distill.py` run trains RESCHED's students of one spec from several inits
(``baselines/students/<spec>-<j>``), each scored on the held-out selection user inside the
training users. This reads those finished students back (no training), computes each one's
accuracy on the run's validation users (new to every model), and asks what choosing "the init
with the best selection score" (``distill.inits``) buys on new users over a random init: per run,
the mean over every k-subset of that run's students of (accuracy of the subset's best-scored
student) minus (the subset's mean accuracy), and the rank correlation of score and accuracy.

    python benchmarks/distill_selection.py --runs RUNS [--spec cnn1d-8] [--k 3]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE
from benchmarks.machine import machine_info, machine_line, save_results


def best_of_k_gain(scores: list[float], accs: list[float], k: int) -> float:
    """Mean over k-subsets of (accuracy of the best-scored member) - (the subset's mean)."""
    gains = [
        accs[max(sub, key=lambda i: scores[i])] - float(np.mean([accs[i] for i in sub]))
        for sub in itertools.combinations(range(len(scores)), k)
    ]
    return float(np.mean(gains))


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation (no ties expected: float scores and accuracies)."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def _val_data(run: Path) -> Any:
    """The run's data; runs of one task and user fold share one load (the archive is parsed once)."""
    from edgekit.config import Recipe

    recipe = Recipe.from_dict(json.loads((run / "config.json").read_text())["recipe"])
    return _load(recipe.task, json.dumps(recipe.users.as_dict(), sort_keys=True))


def _scored_on_training_users(run: Path) -> bool:
    recipe = json.loads((run / "config.json").read_text())["recipe"]
    return bool(recipe["distill"].get("selection", "split") == "train")  # older runs: "split"


@functools.cache
def _load(task: str, users: str) -> Any:
    from edgekit.data import load_dataset

    return load_dataset(task, DATA[task], None, users=json.loads(users))


def _scored(folder: Path, spec: str, data: Any) -> dict[str, Any]:
    """An unconnected model's best selection score and its accuracy on the validation users."""
    import torch

    from edgekit.checkpoint import load_checkpoint
    from edgekit.distill.ensemble import Stage
    from edgekit.models import build_model
    from edgekit.train.predict import predict_logits

    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    best = max(rows, key=lambda r: r["score"])
    stage = Stage(None, build_model(spec, data.feature_shape, data.num_classes), False)
    stage.load_state_dict(load_checkpoint(folder / "best.pt")["model"])
    logits = predict_logits(stage, data.val.x, torch.device("cpu"), output="member")
    accuracy = float((logits.argmax(1).numpy() == np.asarray(data.val.y)).mean())
    return {"student": folder.name, "score": best["score"], "epoch": best["epoch"],
            "val_accuracy": accuracy}  # fmt: skip


def students_of(run: Path, spec: str, data: Any) -> list[dict[str, Any]]:
    """Each finished RESCHED student of ``spec``."""
    folders = sorted((run / "baselines" / "students").glob(f"{spec}-*"))
    return [_scored(f, spec, data) for f in folders if (f / "done.json").exists()]


def first_round_of(run: Path, spec: str, data: Any) -> dict[str, float]:
    """B-DISTIL's round-1 candidates of ``spec`` per objective: accuracy on the validation users."""
    found = {}
    for folder in sorted((run / "rounds" / "01").glob(f"{spec}-*")):
        if (folder / "score.json").exists():
            objective = json.loads((folder / "score.json").read_text())["objective"]
            found[objective] = 100 * _scored(folder, spec, data)["val_accuracy"]
    return found


def measure(runs: Path, spec: str, k: int) -> dict[str, Any]:
    per_run = []
    for run in sorted(p for p in runs.iterdir() if (p / "baselines" / "students").is_dir()):
        if _scored_on_training_users(run):
            continue  # distill.selection=train: no held-out user to judge
        data = _val_data(run)
        students = students_of(run, spec, data)
        if len(students) <= k:
            continue
        scores = [s["score"] for s in students]
        accs = [100 * s["val_accuracy"] for s in students]
        per_run.append(
            {"run": run.name, "students": students, "gain": best_of_k_gain(scores, accs, k),
             "spearman": spearman(scores, accs), "spread": float(np.std(accs)),
             "first_round": first_round_of(run, spec, data)}
        )  # fmt: skip
        print(f"{run.name}: gain {per_run[-1]['gain']:+.2f}", flush=True)
    return {"spec": spec, "k": k, "runs": per_run}


def markdown(result: dict[str, Any], info: dict[str, Any], command: str) -> str:
    k, runs = result["k"], result["runs"]
    gains = [r["gain"] for r in runs]
    lines = [
        "# Does the selection user pick the better init on new users? (issue 13)",
        "",
        f"Machine: {machine_line(info)}. Command: `{command}`.",
        "",
        f"Finished RESCHED students of `{result['spec']}` in each run (same spec, objective,",
        "data and augmentation; their own inits), scored on the held-out selection user inside",
        "the training users; accuracy on the run's validation users. Gain: the mean over every",
        f"{k}-subset of (validation accuracy of the subset's best-scored student) minus (the",
        f"subset's mean): what `distill.inits={k}` buys on new users over one init.",
        "",
        "| run | students: val accuracy % (selection score) | rank corr. | sd | best-of-k gain |",
        "|---|---|---:|---:|---:|",
    ]
    for r in runs:
        cells = ", ".join(
            f"{100 * s['val_accuracy']:.1f} ({s['score']:.2f})" for s in r["students"]
        )
        lines.append(
            f"| {r['run']} | {cells} | {r['spearman']:+.2f} | {r['spread']:.1f} | {r['gain']:+.2f} |"
        )
    if gains:
        lines += [
            "",
            f"Over {len(gains)} runs: best-of-{k} gain **{np.mean(gains):+.2f} ± "
            f"{np.std(gains):.2f}** points (mean ± sd over runs; {sum(g > 0 for g in gains)} of "
            f"{len(gains)} positive); rank correlation of score and new-user accuracy "
            f"{np.mean([r['spearman'] for r in runs]):+.2f} on average; the students of one run "
            f"spread by {np.mean([r['spread'] for r in runs]):.1f} points (sd) on new users.",
        ]
    lines += [
        "",
        "## Member 1's objective on new users",
        "",
        "B-DISTIL's round-1 candidates of the same spec (one init each), validation accuracy %,",
        "beside the mean of the run's RESCHED students (pure KD, several inits):",
        "",
        "| run | hybrid | logit | RESCHED students' mean |",
        "|---|---:|---:|---:|",
    ]
    for r in runs:
        first = r["first_round"]
        mean = 100 * float(np.mean([s["val_accuracy"] for s in r["students"]]))
        by_objective = [f"{first[o]:.1f}" if o in first else "-" for o in ("hybrid", "logit")]
        lines.append(f"| {r['run']} | {by_objective[0]} | {by_objective[1]} | {mean:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--runs", type=Path, required=True, help="a benchmarks/distill.py --runs folder"
    )
    ap.add_argument("--spec", default="cnn1d-8", help="the students' spec (default cnn1d-8)")
    ap.add_argument("--k", type=int, default=3, help="inits compared (default 3)")
    ap.add_argument("--out", default="distill_selection", help="output name under benchmarks/")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    result = measure(args.runs, args.spec, args.k)
    info = machine_info()
    save_results(HERE / f"{args.out}.json", {"machine": info, **result})
    command = f"python benchmarks/distill_selection.py --runs RUNS --spec {args.spec} --k {args.k}"
    (HERE / f"{args.out}.md").write_text(markdown(result, info, command))


if __name__ == "__main__":
    main()
