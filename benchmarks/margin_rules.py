"""Issue 13: which early-exit rule keeps its promise on users it was not chosen on?

`edgekit bench` recommends a top-2 margin from a bundle's validation data. Issue 13 asks that
the margin chosen on one DSA-19 user fold lose at most 1 point more than it promised on the
other. This reads the validation logits that `benchmarks/distill.py` saved for every finished
run (no training) and, for every (variant, seed) with runs on both folds, applies each rule's
margin from one fold to the same seed's run on the other:

- ``accuracy``: the fewest members within 0.5 points of the full ensemble's accuracy (the rule
  `bench` used before);
- ``agreement``: the fewest members whose early decisions change none of the full ensemble's
  on the validation windows (what `bench` recommended before session 20);
- ``copies``: the same, and none on the perturbed copies of the windows either (what `bench`
  recommends now; edgekit/bench_perturb.py; runs saved before it get the copies' logits when
  benchmarks/distill.py is run on them again).

    python benchmarks/margin_rules.py --runs RUNS [--task dsa19]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import distill_checks as checks
from benchmarks.common import HERE
from benchmarks.distill import VARIANTS, run_name, task_folds
from benchmarks.machine import machine_line, save_results

# rule name -> (rule, whether it sees the perturbed copies)
RULES: dict[str, tuple[checks.Rule, bool]] = {
    "accuracy": (checks.accuracy_rule, False),
    "agreement": (checks.agreement_rule, False),
    "copies": (checks.agreement_rule, True),
}


def pairs(
    runs: Path, task: str, seeds: range, variants: tuple[str, ...] = tuple(VARIANTS)
) -> list[tuple[str, int, str, str, Path, Path]]:
    """(variant, seed, fold a, fold b, logits a, logits b) for every run found on both folds."""
    folds = list(task_folds(task))
    found = []
    for variant in variants:
        for seed in seeds:
            paths = [runs / f"{run_name(task, f, seed, variant)}.val-logits.npz" for f in folds]
            if all(p.exists() for p in paths):
                for (fa, pa), (fb, pb) in itertools.permutations(zip(folds, paths, strict=True), 2):
                    found.append((variant, seed, fa, fb, pa, pb))
    return found


def measure(
    runs: Path, task: str, seeds: range, variants: tuple[str, ...] = tuple(VARIANTS)
) -> list[dict[str, Any]]:
    """One row per (pair, rule): the margin, its promised and realised loss, members run."""
    rows = []
    for variant, seed, fa, fb, pa, pb in pairs(runs, task, seeds, variants):
        a, b = dict(np.load(pa)), dict(np.load(pb))
        for rule, (fn, copies) in RULES.items():
            if copies and "perturbed_member_logits" not in a:
                continue
            t = checks.margin_transfer(a, b, fn, copies)
            rows.append({"variant": variant, "seed": seed, "from": fa, "to": fb, "rule": rule, **t})
    return rows


def summary(rows: list[dict[str, Any]], rule: str) -> dict[str, float]:
    """Over the pairs: excess loss (realised - promised) mean and worst, pairs over 1 point,
    members run on the other fold."""
    mine = [r for r in rows if r["rule"] == rule]
    excess = [r["realised_loss"] - r["promised_loss"] for r in mine]
    return {
        "pairs": len(mine),
        "excess_mean": statistics.mean(excess),
        "excess_max": max(excess),
        "over_1_point": sum(e > 1.0 for e in excess),
        "members_mean": statistics.mean(r["members_other"] for r in mine),
        "members_total": mine[0]["members_total"],
    }


def markdown(rows: list[dict[str, Any]], machine: str, command: str) -> str:
    lines = [
        "# Early-exit rules across user folds (issue 13)",
        "",
        f"Made by `{command}` from the validation logits of finished runs (no training). "
        f"Machine: {machine}. Loss: points below the full ensemble of the fold's run; promised on "
        "the fold the margin was chosen on, realised on the other fold's run of the same variant "
        "and seed (other users and other members).",
        "",
        "| rule | pairs | excess loss, mean | excess loss, worst | pairs over +1 | members run |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for rule in RULES:
        if not any(r["rule"] == rule for r in rows):
            continue
        s = summary(rows, rule)
        lines.append(
            f"| {rule} | {s['pairs']} | {s['excess_mean']:+.2f} | {s['excess_max']:+.2f} | "
            f"{s['over_1_point']} | {s['members_mean']:.2f} of {s['members_total']:.0f} |"
        )
    lines += [
        "",
        "| variant | seed | chosen on -> applied to | rule | margin | promised | realised | members |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['from']} -> {r['to']} | {r['rule']} | "
            f"{checks.margin_text(r['margin'])} | {r['promised_loss']:.1f} | {r['realised_loss']:.1f} | "
            f"{r['members_other']:.2f} of {r['members_total']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, required=True, help="benchmarks/distill.py --runs")
    parser.add_argument("--task", default="dsa19")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 looked for")
    parser.add_argument("--out", default="margin_rules", help="result files' stem in benchmarks/")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    rows = measure(args.runs, args.task, range(args.seeds), tuple(args.variants))
    if not rows:
        raise SystemExit(f"{args.runs}: no {args.task} run has validation logits on both folds")
    info = save_results(HERE / f"{args.out}.json", rows)
    command = (
        f"python benchmarks/margin_rules.py --runs RUNS --task {args.task} --seeds {args.seeds} "
        f"--out {args.out}"
    ) + (f" --variants {' '.join(args.variants)}" if args.variants != list(VARIANTS) else "")
    (HERE / f"{args.out}.md").write_text(markdown(rows, machine_line(info), command))
    for rule in RULES:
        if any(r["rule"] == rule for r in rows):
            print(rule, summary(rows, rule))


if __name__ == "__main__":
    main()
