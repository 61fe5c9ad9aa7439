"""B-DISTIL against its baselines on real data, over several seeds (issue: B-DISTIL acceptance).

For each task and seed: the recipe's default B-DISTIL run (with RESCHED and NO-RESCHED trained
on the same split), the paper-faithful `logit` objective (logit_eta 1) and other readings. Teachers are reused from
benchmarks/.runs (benchmarks/teachers.py) when present. Runs resume; results aggregate into
benchmarks/distill.md, distill.json and distill_<task>.png.

Run: python benchmarks/distill.py [--tasks dsa19 kws8] [--seeds 0 1 2] [--variants default logit-paper hybrid choose]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import teachers
from benchmarks.common import DATA, HERE
from benchmarks.machine import machine_line, save_results
from edgekit.distill.report import style_cost_axes
from edgekit.pipelines.distill import distill
from edgekit.rundir import RunDir

VARIANTS: dict[str, list[str]] = {
    # edgekit's default: the recipe as shipped (docs/distill.md says how it was chosen)
    "default": [],
    # the logit game at logit_eta = 0.1: 1/eta ~ the logit scale, so tanh(eta R)/eta ~ R
    "logit": ["distill.objectives=logit"],
    # the paper's game as written: exp(+-R) with no temperature (logit_eta = 1)
    "logit-paper": ["distill.objectives=logit", "distill.logit_eta=1"],
    # the best reading of the measurements before the product: hybrid KD members with connections
    "hybrid": ["distill.objectives=hybrid"],
    # members distilled on their own (RESCHED-style), with FIND-WL's step size and connections
    "independent": ["distill.objectives=independent"],
    # FIND-WL choosing between the KD objectives only (no logit game)
    "kd": ["distill.objectives=hybrid,independent"],
}
BASELINE_VARIANTS = ("default",)  # RESCHED / NO-RESCHED of these runs' chosen specs
LABELS = {
    "default": ("B-DISTIL (default)", "o-"),
    "logit": ("B-DISTIL logit (eta 0.1)", "h-"),
    "logit-paper": ("B-DISTIL logit (paper, eta 1)", "d-"),
    "hybrid": ("B-DISTIL hybrid", "v-"),
    "independent": ("B-DISTIL independent", "<-"),
    "kd": ("B-DISTIL hybrid|independent", "p-"),
}


def run_one(task: str, seed: int, variant: str, runs: Path) -> dict[str, Any]:
    out = runs / f"distill-{task}-{variant}-seed{seed}"
    teacher = runs / f"{task}-seed{seed}"
    if RunDir(teacher).read_teacher() is None:
        teachers.run(task, seed, runs)  # one teacher per task and seed, shared by every variant
    overrides = [f"teacher_train.seed={seed}", f"student_train.seed={seed}", *VARIANTS[variant]]
    start = time.perf_counter()
    distill(
        task,
        out,
        overrides=overrides,
        baselines=variant in BASELINE_VARIANTS,
        data_dir=DATA[task],
        teacher=teacher,
    )
    seconds = time.perf_counter() - start
    summary: dict[str, Any] = json.loads(RunDir(out).summary_json.read_text())
    summary["seconds_this_call"] = seconds
    return summary


def mean_sd(values: list[float]) -> str:
    if not values:
        return ""
    sd = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):.1f} ± {100 * sd:.1f}"


def table(task: str, results: dict[str, list[dict[str, Any]]]) -> list[str]:
    default = results["default"]
    k_max = max(len(r["rounds"]) for rows in results.values() for r in rows)
    teacher_acc = [r["teacher"]["val_accuracy"] for r in default]
    teacher_macs = default[0]["teacher"]["macs"]
    variants = list(results)
    lines = [
        f"### {task}",
        "",
        f"Teacher {default[0]['teacher']['spec']}: {mean_sd(teacher_acc)} % validation accuracy, {teacher_macs:,} MACs.",
        "Each cell: accuracy of F_k (mean ± sd) @ cumulative MACs as % of the teacher's (mean).",
        "",
        "| k | " + " | ".join(f"B-DISTIL {v}" for v in variants) + " | RESCHED | NO-RESCHED |",
        "|---:|" + "---:|" * (len(variants) + 2),
    ]

    def cell(accs: list[float], macs: list[float]) -> str:
        if not accs:
            return ""
        return f"{mean_sd(accs)} @ {100 * statistics.mean(macs) / teacher_macs:.1f} %"

    for k in range(1, k_max + 1):
        cells = []
        for v in variants:
            rounds = [r["rounds"][k - 1] for r in results[v] if len(r["rounds"]) >= k]
            cells.append(
                cell([x["val_accuracy"] for x in rounds], [x["cumulative_macs"] for x in rounds])
            )
        for key in ("resched", "no_resched"):
            rows = [b for r in default for b in r["baselines"].get(key, []) if b["k"] == k]
            cells.append(cell([b["val_accuracy"] for b in rows], [b["macs"] for b in rows]))
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines += ["", *acceptance(results), ""]
    for v in variants:
        chosen = [" / ".join(row["chosen"] for row in r["rounds"]) for r in results[v]]
        lines.append(f"Members chosen by `{v}`, per seed: " + "; ".join(f"`{c}`" for c in chosen))
        lines.append("")
    return lines


def acceptance(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The issue's acceptance checks on the means, each with its margin (+ = met)."""
    default = results["default"]
    k_max = min(len(r["rounds"]) for r in default)

    def mean_at(rows: list[dict[str, Any]], key: str, k: int) -> float:
        vals = [
            b["val_accuracy"] for r in default for b in r["baselines"].get(key, []) if b["k"] == k
        ]
        return 100 * statistics.mean(vals) if vals else float("nan")

    acc = [
        100 * statistics.mean(r["rounds"][k]["val_accuracy"] for r in default) for k in range(k_max)
    ]
    frac = [
        100 * statistics.mean(r["rounds"][k]["teacher_fraction"] for r in default)
        for k in range(k_max)
    ]
    teacher = 100 * statistics.mean(r["teacher"]["val_accuracy"] for r in default)
    vs_resched = [acc[k] - mean_at(default, "resched", k + 1) for k in range(k_max)]
    vs_no = [acc[k] - mean_at(default, "no_resched", k + 1) for k in range(k_max)]
    drops = [acc[k] - acc[k - 1] for k in range(1, k_max)]
    fmt = lambda xs: " / ".join(f"{x:+.1f}" for x in xs)  # noqa: E731
    return [
        "Acceptance (means over seeds; + means met):",
        "",
        f"- default minus RESCHED per prefix: {fmt(vs_resched)} "
        f"({'met' if min(vs_resched) >= 0 else 'NOT met'}: at or above at every prefix)",
        f"- default minus NO-RESCHED per prefix: {fmt(vs_no)} "
        f"({'met' if min(vs_no) >= -1.5 else 'NOT met'}: within 1.5 points at every prefix)",
        f"- change of F_k from one round to the next: {fmt(drops)} "
        f"({'met' if not drops or min(drops) >= -0.5 else 'NOT met'}: never drops by more than 0.5)",
        f"- final ensemble {acc[-1]:.1f} % vs teacher {teacher:.1f} % ({acc[-1] - teacher:+.1f} points) "
        f"at {frac[-1]:.1f} % of its MACs ({'met' if acc[-1] >= teacher - 1.5 and frac[-1] <= 50 else 'NOT met'}: "
        "within 1.5 points at <= 50 %)",
    ]


def plot(task: str, results: dict[str, list[dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)

    def curve(rows: list[list[tuple[float, float]]], label: str, style: str) -> None:
        k = min(len(r) for r in rows) if rows else 0
        if k == 0:
            return
        macs = np.array([[p[0] for p in r[:k]] for r in rows]).mean(0)
        acc = 100 * np.array([[p[1] for p in r[:k]] for r in rows])
        ax.errorbar(macs, acc.mean(0), yerr=acc.std(0), fmt=style, capsize=3, label=label)

    for variant, (label, style) in LABELS.items():
        curve(
            [
                [(x["cumulative_macs"], x["val_accuracy"]) for x in r["rounds"]]
                for r in results.get(variant, [])
            ],
            label,
            style,
        )
    for key, label, style in (("resched", "RESCHED", "s--"), ("no_resched", "NO-RESCHED", "^:")):
        curve(
            [
                [(b["macs"], b["val_accuracy"]) for b in r["baselines"].get(key, [])]
                for r in results["default"]
            ],
            label,
            style,
        )
    t = results["default"]
    ax.errorbar(
        [t[0]["teacher"]["macs"]],
        [100 * statistics.mean(r["teacher"]["val_accuracy"] for r in t)],
        fmt="*",
        markersize=14,
        label="teacher",
    )
    style_cost_axes(ax, f"{task}: mean ± sd over {len(t)} seeds")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", nargs="+", default=["dsa19", "kws8"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=["default", "logit-paper"])
    parser.add_argument("--runs", type=Path, default=HERE / ".runs")
    args = parser.parse_args()
    all_results: dict[str, dict[str, list[dict[str, Any]]]] = {t: {} for t in args.tasks}
    for v in args.variants:  # every task's default first: the acceptance needs it most
        for task in args.tasks:
            all_results[task][v] = [run_one(task, s, v, args.runs) for s in args.seeds]
    info = save_results(HERE / "distill.json", all_results)
    lines = [
        "# B-DISTIL against its baselines",
        "",
        f"Machine: {machine_line(info)}. Command: `python benchmarks/distill.py --tasks {' '.join(args.tasks)} "
        f"--seeds {' '.join(map(str, args.seeds))} --variants {' '.join(args.variants)}`.",
        "Validation accuracy (%) of the first k members, mean ± sd over seeds. MACs are cumulative.",
        "",
    ]
    if len(args.seeds) < 3:
        lines += [
            f"**Preliminary: {len(args.seeds)} seed(s). Seeds move these numbers by 1-5 points; "
            "nothing here is a conclusion until the 3-seed run.**",
            "",
        ]
    for task, results in all_results.items():
        lines += table(task, results)
        plot(task, results, HERE / f"distill_{task}.png")
        lines += [f"![{task}](distill_{task}.png)", ""]
    (HERE / "distill.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
