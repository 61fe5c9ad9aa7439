"""Teacher training on the real data: accuracy, size, cost and time on this machine.

Run: python benchmarks/teachers.py [--tasks dsa19 kws8] [--seeds 0 1 2]
Reuses finished runs under benchmarks/.runs (resumable); writes benchmarks/teachers.md and .json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE
from benchmarks.machine import machine_line, save_results
from edgekit.config.overrides import apply_overrides
from edgekit.config.recipe import load_recipe
from edgekit.errors import EdgekitError
from edgekit.pipelines.choose_affinity import saved_affinity
from edgekit.pipelines.teacher import train_teacher
from edgekit.rundir import RunDir

TEACHER_KEYS = ("teacher", "teacher_train")  # what decides the teacher a folder holds


def check_reused(out: Path, task: str, overrides: list[str]) -> None:
    """A teacher folder is reused by its name only if it was trained as ``overrides`` ask (its
    spec and teacher_train): a name can outlive what it meant (session 18 imported a 25-epoch
    LSTM where the variant asked for 80)."""
    asked = saved_affinity(apply_overrides(load_recipe(task), overrides), out).to_dict()
    saved = RunDir(out).read_config().recipe
    differ = [
        f"{key}: saved {saved.get(key)!r}, asked {asked[key]!r}"
        for key in TEACHER_KEYS
        if json.loads(json.dumps(asked[key])) != saved.get(key)
    ]
    if differ:
        raise EdgekitError(
            f"{out}: a teacher trained otherwise than asked ({'; '.join(differ)}); "
            "move the folder aside or name the teacher after what differs"
        )


def run(
    task: str, seed: int, runs: Path, overrides: list[str] | None = None, name: str = ""
) -> dict[str, object]:
    """Train (or reuse) one teacher; ``overrides`` e.g. a user fold, ``name`` its folder."""
    out = runs / (name or f"{task}-seed{seed}")
    run = RunDir(out)
    saved = run.read_teacher()
    asked = [f"teacher_train.seed={seed}", *(overrides or [])]
    if saved is not None:
        check_reused(out, task, asked)
        summary: dict[str, object] = saved.to_dict()
    else:
        summary = train_teacher(task, out, DATA.get(task), asked, resume=out.exists()).to_dict()
    rows = [json.loads(x) for x in run.teacher.metrics.read_text().splitlines()]
    summary["final_val_accuracy"] = rows[-1]["val_accuracy"]
    summary["seed"] = seed
    summary["epochs"] = len(rows)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", nargs="+", default=["dsa19", "kws8"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--runs", type=Path, default=HERE / ".runs")
    args = parser.parse_args()
    results = {t: [run(t, s, args.runs) for s in args.seeds] for t in args.tasks}
    info = save_results(HERE / "teachers.json", results)
    lines = [
        "# Teachers on real data",
        "",
        f"Machine: {machine_line(info)}. Command: `python benchmarks/teachers.py "
        f"--tasks {' '.join(args.tasks)} --seeds {' '.join(map(str, args.seeds))}`.",
        "Validation: DSA-19 users p5-p6; KWS-8 the official validation bucket. *best* is the epoch "
        "kept by validation accuracy (what `train-teacher` saves), *final* the last epoch's.",
        "",
        "| task | teacher | seed | val acc (best) | best epoch | val acc (final) | params | MACs | train time | samples/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for task, rows in results.items():
        for r in rows:
            lines.append(
                f"| {task} | {r['spec']} | {r['seed']} | {r['val_accuracy']:.2%} | {r['best_epoch']}/{r['epochs']} "
                f"| {r['final_val_accuracy']:.2%} | {r['params']:,} | {r['macs']:,} | {r['train_seconds']:.0f} s "
                f"| {r['samples_per_second']:,.0f} |"
            )
        best = [float(r["val_accuracy"]) for r in rows]  # type: ignore[arg-type]
        final = [float(r["final_val_accuracy"]) for r in rows]  # type: ignore[arg-type]
        spread = statistics.pstdev(best) if len(best) > 1 else 0.0
        lines.append(
            f"| **{task} mean** | | {len(rows)} seeds | **{statistics.mean(best):.2%}** ± {spread:.2%} | "
            f"| {statistics.mean(final):.2%} | | | | |"
        )
    text = "\n".join(lines) + "\n"
    (HERE / "teachers.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
