"""Issue 13's acceptance checks on the multi-seed, multi-fold distill benchmark.

Each function takes the per-seed summaries of one (task, fold, variant) — `summary.json` of
the runs plus what benchmarks/distill.py adds — and returns numbers, so that the Markdown in
distill.py only formats. Comparisons "at equal MACs" interpolate a baseline's accuracy-vs-
cumulative-MACs curve (per seed, then averaged) at the ensemble prefix's cumulative MACs; past
a baseline's last point its last accuracy is used (it has nothing cheaper to offer there, and
nothing costlier was trained).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import numpy as np

from edgekit.bench import add_perturbed_agreement, early_exit_table, recommend_margin
from edgekit.runtime import prefix_accuracies

MARGINS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0)


def curve(summary: dict[str, Any], key: str | None) -> list[tuple[float, float]]:
    """(cumulative MACs, validation accuracy) per prefix of the run (key None) or a baseline."""
    if key is None:
        return [(r["cumulative_macs"], r["val_accuracy"]) for r in summary["rounds"]]
    rows = sorted(summary["baselines"].get(key, []), key=lambda b: b["k"])
    return [(b["macs"], b["val_accuracy"]) for b in rows]


def at_macs(points: list[tuple[float, float]], macs: float) -> float:
    """A curve's accuracy at ``macs`` (linear between points, flat past either end)."""
    xs, ys = zip(*sorted(points), strict=True)
    return float(np.interp(macs, xs, ys))


def versus_baseline(summaries: list[dict[str, Any]], key: str) -> list[float]:
    """Per prefix k: mean over seeds of F_k minus the baseline at F_k's cumulative MACs (points)."""
    k_max = min(len(s["rounds"]) for s in summaries)
    out = []
    for k in range(k_max):
        diffs = []
        for s in summaries:
            base = curve(s, key)
            if not base:
                continue
            macs, acc = curve(s, None)[k]
            diffs.append(acc - at_macs(base, macs))
        out.append(100 * statistics.mean(diffs) if diffs else float("nan"))
    return out


def member_one(summaries: list[dict[str, Any]]) -> tuple[float, float]:
    """(mean F_1, mean RESCHED member 1) accuracy in %; RESCHED's member 1 has F_1's spec."""
    f1 = [s["rounds"][0]["val_accuracy"] for s in summaries]
    r1 = [
        b["val_accuracy"]
        for s in summaries
        for b in s["baselines"].get("resched", [])
        if b["k"] == 1
    ]
    return 100 * statistics.mean(f1), (100 * statistics.mean(r1) if r1 else float("nan"))


def final_vs_teacher(summaries: list[dict[str, Any]]) -> tuple[float, float, float]:
    """(final minus teacher in points, final's MACs as % of the teacher's, mean members)."""
    final = [s["rounds"][-1]["val_accuracy"] for s in summaries]
    teacher = [s["teacher"]["val_accuracy"] for s in summaries]
    frac = [s["rounds"][-1]["teacher_fraction"] for s in summaries]
    members = [len(s["rounds"]) for s in summaries]
    return (
        100 * (statistics.mean(final) - statistics.mean(teacher)),
        100 * statistics.mean(frac),
        statistics.mean(members),
    )


Rule = Callable[[list[dict[str, float]], float], "dict[str, float] | None"]


def agreement_rule(table: list[dict[str, float]], full_accuracy: float) -> dict[str, float] | None:
    """What ``bench`` recommends: the fewest members that change no decision of the ensemble."""
    return recommend_margin(table)


def accuracy_rule(table: list[dict[str, float]], full_accuracy: float) -> dict[str, float] | None:
    """The rule ``bench`` used before: the fewest members within 0.5 points of the ensemble's
    accuracy (kept here to measure it against the agreement rule; benchmarks/margin_rules.md)."""
    ok = [r for r in table if r["accuracy"] >= full_accuracy - 0.005]
    return min(ok, key=lambda r: r["mean_members"]) if ok else None


def margin_transfer(
    chosen_on: dict[str, Any],
    applied_to: dict[str, Any],
    rule: Rule = agreement_rule,
    copies: bool = True,
) -> dict[str, Any]:
    """The margin ``rule`` recommends on one fold's validation logits, applied on another's.

    Each argument holds ``member_logits`` ([K, N, L] per member) and ``labels`` of a run's
    validation split, and ``perturbed_member_logits`` ([copies, K, N, L]) where the run saved
    them: with ``copies`` the rule sees them as `edgekit bench` does. Returns the margin, the
    loss it promised on its own fold and the loss it realised on the other (points below that
    fold's full ensemble), and the members it ran; margin None where no margin qualifies
    (every member runs).
    """

    def table(d: dict[str, Any], perturbed: bool = False) -> tuple[list[dict[str, float]], float]:
        logits = list(d["member_logits"])
        macs = list(range(1, len(logits) + 1))
        full = prefix_accuracies(logits, d["labels"])[-1]
        rows = early_exit_table(logits, d["labels"], macs, MARGINS)
        # bench's rule: no changed decision on the perturbed copies either
        if perturbed and "perturbed_member_logits" in d:
            add_perturbed_agreement(rows, [list(c) for c in d["perturbed_member_logits"]], macs)
        return rows, full

    own, own_full = table(chosen_on, copies)
    best = rule(own, own_full)
    total = float(len(applied_to["member_logits"]))
    if best is None:  # no margin qualifies: bench says to run every member, which loses nothing
        return {
            "margin": None, "promised_loss": 0.0, "realised_loss": 0.0,
            "members_own": total, "members_other": total, "members_total": total,
        }  # fmt: skip
    other, other_full = table(applied_to)
    row = next(r for r in other if r["margin"] == best["margin"])
    return {
        "margin": best["margin"],
        "promised_loss": 100 * (own_full - best["accuracy"]),
        "realised_loss": 100 * (other_full - row["accuracy"]),
        "members_own": best["mean_members"],
        "members_other": row["mean_members"],
        "members_total": total,
    }


def margin_text(margin: float | None) -> str:
    """A transfer's margin in a table: ``none (all members)`` where no margin qualified."""
    return "none (all members)" if margin is None else f"{margin:g}"
