"""Issue 13: what keeps the DSA-19 default under RESCHED on new users, its weights or its seeds?

The default's members are distilled on their own (the ``independent`` objective, as RESCHED's
students), so its sum differs from RESCHED's in two ways only: FIND-WL's step sizes (each member
folded with alpha / c instead of 1) and which random draws its members got. This reads the
validation logits that `benchmarks/distill.py` saved for every finished run (no training) and
sums the same members twice, with their fitted weights and plainly, beside RESCHED's sum (the
run's own baselines, or the reference variant's of the same seed) and the spread of member 1
over seeds.

    python benchmarks/distill_weights.py --runs RUNS [--variant augment-fitall-indep-noconn]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import HERE
from benchmarks.distill import run_name, task_folds
from benchmarks.machine import machine_line, save_results
from edgekit.runtime import prefix_accuracies

DEFAULT_VARIANT = "augment-fitall-indep-noconn"  # the DSA-19 default (recipes/dsa19.py)
REFERENCE = (
    "augment-fitall"  # whose baselines a run without its own borrows (benchmarks/distill.py)
)


def folds_applied(summary: dict[str, Any]) -> list[float]:
    """Each member's weight as folded into its head (alpha / c), from the run's rounds."""
    out = []
    for r in summary["rounds"]:
        tried = [
            t
            for t in r["tried"]
            if t["candidate"] == r["chosen"] and t.get("connected", False) == r["connected"]
        ]
        out.append(float(tried[0]["fold"]) if tried else float(r["alpha"]))
    return out


def resched(summary: dict[str, Any]) -> list[float]:
    return [float(b["val_accuracy"]) for b in (summary.get("baselines") or {}).get("resched", [])]


def measure_run(run: Path, reference: Path | None) -> dict[str, Any] | None:
    """One run's prefixes summed with fitted weights and plainly; None if it is not finished."""
    logits, summary_path = Path(f"{run}.val-logits.npz"), run / "summary.json"
    if not (logits.exists() and summary_path.exists()):
        return None
    summary = json.loads(summary_path.read_text())
    saved = np.load(logits)
    fitted = folds_applied(summary)
    raw = saved["member_logits"] / np.asarray(fitted)[:, None, None]  # the members unweighted
    labels = saved["labels"]
    base = resched(summary)
    source = "own"
    if not base and reference is not None and (reference / "summary.json").exists():
        base, source = resched(json.loads((reference / "summary.json").read_text())), REFERENCE
    return {
        "weights": fitted,
        "fitted": prefix_accuracies([m * w for m, w in zip(raw, fitted, strict=True)], labels),
        "plain": prefix_accuracies(list(raw), labels),
        "resched": base,
        "resched_source": source if base else None,
    }


def measure(runs: Path, task: str, variant: str, seeds: list[int]) -> list[dict[str, Any]]:
    rows = []
    for fold in task_folds(task):
        for seed in seeds:
            ref = runs / run_name(task, fold, seed, REFERENCE)
            row = measure_run(runs / run_name(task, fold, seed, variant), ref)
            if row is not None:
                rows.append({"fold": fold, "seed": seed, **row})
    return rows


def _pts(values: list[float]) -> str:
    return " / ".join(f"{100 * v:.1f}" for v in values)


def _mean(rows: list[dict[str, Any]], key: str) -> list[float]:
    seqs = [r[key] for r in rows if r[key]]
    k = min((len(s) for s in seqs), default=0)
    return [statistics.mean(s[i] for s in seqs) for i in range(k)]


def markdown(rows: list[dict[str, Any]], variant: str, machine: str) -> str:
    lines = [
        "# The DSA-19 default's weights against its seeds (issue 13)",
        "",
        f"Made by `python benchmarks/distill_weights.py --variant {variant}` from the runs'",
        "saved validation logits (no training). Validation accuracy (%) of F_1..F_k on users",
        "never trained on: the members summed with FIND-WL's fitted weights (as shipped) and",
        "with weight 1 each; RESCHED: independent students of the same specs, summed ((b):",
        f"borrowed from `{REFERENCE}`'s run of the same seed, its own chosen specs).",
        "",
        "| fold | seed | weights (alpha / c) | fitted | plain sum | RESCHED | member 1 - RESCHED's |",
        "|---|---:|---|---|---|---|---:|",
    ]
    for r in rows:
        first = f"{100 * (r['fitted'][0] - r['resched'][0]):+.1f}" if r["resched"] else ""
        lines.append(
            f"| {r['fold']} | {r['seed']} | {' / '.join(f'{w:.2f}' for w in r['weights'])} "
            f"| {_pts(r['fitted'])} | {_pts(r['plain'])} | {_pts(r['resched'])}"
            f"{' (b)' if r['resched_source'] == REFERENCE else ''} | {first} |"
        )
    lines += ["", "## Means over seeds", ""]
    for fold in dict.fromkeys(r["fold"] for r in rows):
        rs = [r for r in rows if r["fold"] == fold]
        diffs = [abs(a - b) for r in rs for a, b in zip(r["fitted"], r["plain"], strict=True)]
        firsts = [r["fitted"][0] for r in rs]
        with_base = [r for r in rs if r["resched"]]
        lines.append(
            f"- {fold} ({len(rs)} seeds): fitted {_pts(_mean(rs, 'fitted'))}; plain "
            f"{_pts(_mean(rs, 'plain'))}. On the {len(with_base)} seeds with RESCHED: fitted "
            f"{_pts(_mean(with_base, 'fitted'))}, RESCHED {_pts(_mean(with_base, 'resched'))}. "
            f"Fitted vs plain: at most {100 * max(diffs):.1f} points "
            f"apart on any prefix of any seed. Member 1 spans {100 * min(firsts):.1f}-"
            f"{100 * max(firsts):.1f} % over seeds"
            + (
                f" (RESCHED's {100 * min(r['resched'][0] for r in with_base):.1f}-"
                f"{100 * max(r['resched'][0] for r in with_base):.1f} %)."
                if with_base
                else "."
            )
        )
    lines += ["", f"Machine: {machine}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=HERE / ".runs")
    parser.add_argument("--task", default="dsa19")
    parser.add_argument("--variant", default=DEFAULT_VARIANT)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(5)))
    parser.add_argument("--out", type=Path, default=HERE / "distill_weights")
    args = parser.parse_args(argv)
    rows = measure(args.runs, args.task, args.variant, args.seeds)
    if not rows:
        raise SystemExit(f"no finished {args.variant} runs with saved logits under {args.runs}")
    info = save_results(args.out.with_suffix(".json"), rows)
    args.out.with_suffix(".md").write_text(markdown(rows, args.variant, machine_line(info)))
    return rows


if __name__ == "__main__":
    main()
