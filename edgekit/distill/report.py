"""A run's human-readable results: ``summary.md``, ``summary.json`` and ``accuracy_cost.png``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgekit.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from edgekit.data.fit_checks import report_lines

PLOT = "accuracy_cost.png"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def load_results(run_dir: Path) -> dict[str, Any]:
    run_dir = Path(run_dir)
    teacher = json.loads((run_dir / "teacher" / "summary.json").read_text())
    rounds = _read_jsonl(run_dir / "metrics.jsonl")
    baselines_path = run_dir / "baselines.json"
    baselines = json.loads(baselines_path.read_text()) if baselines_path.exists() else {}
    stopped_path = run_dir / "stopped.json"
    stopped = json.loads(stopped_path.read_text()) if stopped_path.exists() else None
    return {"teacher": teacher, "rounds": rounds, "baselines": baselines, "stopped": stopped}


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}"


def write_report(run_dir: Path) -> Path:
    """Write summary.md, summary.json and the accuracy-vs-cost plot; returns the plot's path."""
    run_dir = Path(run_dir)
    res = load_results(run_dir)
    teacher, rounds, baselines = res["teacher"], res["rounds"], res["baselines"]
    resched = {r["k"]: r for r in baselines.get("resched", [])}
    no_resched = {r["k"]: r for r in baselines.get("no_resched", [])}
    lines = [
        f"# B-DISTIL run: {teacher['task']}",
        "",
        f"Teacher {teacher['spec']}: validation accuracy {_pct(teacher['val_accuracy'])} %, "
        f"{teacher['macs']:,} MACs, {teacher['params']:,} parameters.",
        "",
        "| k | member | objective | conn | alpha | edge | member MACs | cumulative MACs | % teacher | val acc F_k | agree w/ teacher | RESCHED | NO-RESCHED |",
        "|---:|---|---|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rounds:
        k = r["round"]
        lines.append(
            f"| {k} | {r['spec']} | {r['objective']} | {'yes' if r['connected'] else 'no'} | {r['alpha']:.2f} "
            f"| {r['edge']:.3f} | {r['member_macs']:,} | {r['cumulative_macs']:,} | {100 * r['teacher_fraction']:.1f} "
            f"| {_pct(r['val_accuracy'])} | {_pct(r['val_agreement'])} | {_pct(resched.get(k, {}).get('val_accuracy'))} "
            f"| {_pct(no_resched.get(k, {}).get('val_accuracy'))} |"
        )
    if res["stopped"]:
        lines += [
            "",
            f"Stopped before round {res['stopped']['round']}: {res['stopped']['reason']}.",
        ]
    lines += ["", f"Plot: `{PLOT}` (validation accuracy against cumulative MACs).", ""]
    lines += report_lines(run_dir)  # issue 18: the data warnings, repeated
    atomic_write_text(run_dir / "summary.md", "\n".join(lines))
    atomic_write_json(run_dir / "summary.json", res)
    plot = run_dir / PLOT
    _plot(plot, teacher, rounds, baselines)
    return plot


def style_cost_axes(ax: Any, title: str) -> None:
    """Log cost axis with readable labels (20 k, 50 k, ...), accuracy in %, grid and legend."""
    import matplotlib.ticker

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("MACs per inference (cumulative for ensembles)")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)


def _plot(
    path: Path, teacher: dict[str, Any], rounds: list[dict[str, Any]], baselines: dict[str, Any]
) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    if rounds:
        ax.plot(
            [r["cumulative_macs"] for r in rounds],
            [100 * r["val_accuracy"] for r in rounds],
            "o-",
            label="B-DISTIL F_k",
            color="C0",
        )
        for r in rounds:
            ax.annotate(
                f"F{r['round']}",
                (r["cumulative_macs"], 100 * r["val_accuracy"]),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=8,
            )
    for key, label, style in (("resched", "RESCHED", "s--"), ("no_resched", "NO-RESCHED", "^:")):
        rows = baselines.get(key, [])
        if rows:
            ax.plot(
                [r["macs"] for r in rows],
                [100 * r["val_accuracy"] for r in rows],
                style,
                label=label,
            )
    ax.plot(
        [teacher["macs"]],
        [100 * teacher["val_accuracy"]],
        "*",
        markersize=14,
        color="C3",
        label=f"teacher {teacher['spec']}",
    )
    style_cost_axes(ax, f"{teacher['task']}: accuracy against cost")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def print_run(run_dir: Path) -> None:
    """The run's per-round table on the terminal (compact: the Markdown has every column)."""
    from rich.console import Console
    from rich.table import Table

    res = load_results(Path(run_dir))
    teacher, rounds, baselines = res["teacher"], res["rounds"], res["baselines"]
    resched = {r["k"]: r for r in baselines.get("resched", [])}
    no_resched = {r["k"]: r for r in baselines.get("no_resched", [])}
    table = Table(title=f"B-DISTIL on {teacher['task']}", title_justify="left")
    for name in ("k", "member", "alpha", "edge", "MACs (cum.)", "% teacher", "val acc F_k"):
        table.add_column(name, justify="left" if name == "member" else "right")
    if baselines:
        table.add_column("RESCHED", justify="right")
        table.add_column("NO-RESCHED", justify="right")
    for r in rounds:
        cells = [
            str(r["round"]),
            r["chosen"],
            f"{r['alpha']:.2f}",
            f"{r['edge']:.3f}",
            f"{r['cumulative_macs']:,}",
            f"{100 * r['teacher_fraction']:.1f}",
            _pct(r["val_accuracy"]),
        ]
        if baselines:
            cells += [
                _pct(resched.get(r["round"], {}).get("val_accuracy")),
                _pct(no_resched.get(r["round"], {}).get("val_accuracy")),
            ]
        table.add_row(*cells)
    table.add_section()
    table.add_row(
        "T",
        f"teacher {teacher['spec']}",
        "",
        "",
        f"{teacher['macs']:,}",
        "100.0",
        _pct(teacher["val_accuracy"]),
    )
    console = Console()
    console.print(table)
    if res["stopped"]:
        console.print(
            f"stopped before round {res['stopped']['round']}: {res['stopped']['reason']}",
            highlight=False,
        )
    console.print(
        f"report: {Path(run_dir) / 'summary.md'}  plot: {Path(run_dir) / PLOT}", highlight=False
    )
