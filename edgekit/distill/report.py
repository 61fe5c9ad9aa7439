"""A run's human-readable results: ``summary.md``, ``summary.json`` and ``accuracy_cost.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgekit.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from edgekit.data.fit_checks import report_lines
from edgekit.rundir import RunDir
from edgekit.rundir.affinity_choice import affinity_lines
from edgekit.rundir.augment_choice import choice_lines


def _run(run: RunDir | Path) -> RunDir:
    return run if isinstance(run, RunDir) else RunDir(run)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}"


def _has_test(rounds: list[dict[str, Any]]) -> bool:
    return any(r.get("test_accuracy") is not None for r in rounds)


def _baseline_cell(row: dict[str, Any] | None, teacher_macs: int, test: bool) -> str:
    """A baseline's accuracy with its own cost (its MACs differ from the ensemble's)."""
    if not row:
        return ""
    acc = _pct(row.get("val_accuracy"))
    if test:
        acc += f" / {_pct(row.get('test_accuracy'))}"
    return f"{acc} @ {100 * row['macs'] / teacher_macs:.1f} %"


def _teacher_line(teacher: dict[str, Any]) -> str:
    test = teacher.get("test_accuracy")
    return (
        f"Teacher {teacher['spec']}: validation accuracy {_pct(teacher['val_accuracy'])} %"
        + (f", test accuracy {_pct(test)} %" if test is not None else "")
        + f", {teacher['macs']:,} MACs, {teacher['params']:,} parameters."
    )


def write_report(run_dir: RunDir | Path) -> Path:
    """Write summary.md, summary.json and the accuracy-vs-cost plot; returns the plot's path."""
    run = _run(run_dir)
    res = run.results()
    teacher, rounds, baselines = res["teacher"], res["rounds"], res["baselines"]
    resched = {r["k"]: r for r in baselines.get("resched", [])}
    no_resched = {r["k"]: r for r in baselines.get("no_resched", [])}
    test = _has_test(rounds)
    split = "val / test" if test else "val"
    lines = [
        f"# B-DISTIL run: {teacher['task']}",
        "",
        _teacher_line(teacher),
        "",
        "Baselines show accuracy @ their own cost (% of the teacher's MACs).",
        "",
        f"| k | member | objective | conn | alpha | edge | member MACs | cumulative MACs | % teacher | val acc F_k |{' test acc F_k |' if test else ''} agree w/ teacher | RESCHED {split} | NO-RESCHED {split} |",
        f"|---:|---|---|:---:|---:|---:|---:|---:|---:|---:|{'---:|' if test else ''}---:|---:|---:|",
    ]
    for r in rounds:
        k = r["round"]
        cells = [
            str(k), r["spec"], r["objective"], "yes" if r["connected"] else "no",
            f"{r['alpha']:.2f}", f"{r['edge']:.3f}", f"{r['member_macs']:,}",
            f"{r['cumulative_macs']:,}", f"{100 * r['teacher_fraction']:.1f}",
            _pct(r["val_accuracy"]), *([_pct(r.get("test_accuracy"))] if test else []),
            _pct(r["val_agreement"]),
            _baseline_cell(resched.get(k), teacher["macs"], test),
            _baseline_cell(no_resched.get(k), teacher["macs"], test),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    if res["stopped"]:
        lines += [
            "",
            f"Stopped before round {res['stopped']['round']}: {res['stopped']['reason']}.",
        ]
    lines += ["", f"Plot: `{run.plot.name}` (validation accuracy against cumulative MACs).", ""]
    lines += choice_lines(run.root)  # issue 18: the teacher's slicing chosen by inner CV
    lines += affinity_lines(run.root)  # ... and its warping chosen by affinity
    lines += report_lines(run.read_warnings())  # issue 18: the data warnings, repeated
    atomic_write_text(run.summary_md, "\n".join(lines))
    atomic_write_json(run.summary_json, res)
    plot = run.plot
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


def print_run(run_dir: RunDir | Path) -> None:
    """The run's per-round table on the terminal (compact: the Markdown has every column)."""
    from rich.table import Table

    from edgekit.console import console as make_console
    from edgekit.console import escape

    run = _run(run_dir)
    res = run.results()
    teacher, rounds, baselines = res["teacher"], res["rounds"], res["baselines"]
    resched = {r["k"]: r for r in baselines.get("resched", [])}
    no_resched = {r["k"]: r for r in baselines.get("no_resched", [])}
    test = _has_test(rounds)
    table = Table(title=f"B-DISTIL on {escape(teacher['task'])}", title_justify="left")
    names = ["k", "member", "alpha", "edge", "MACs (cum.)", "% teacher", "val acc F_k"]
    names += ["test acc F_k"] if test else []
    names += ["RESCHED acc @ % teacher", "NO-RESCHED acc @ % teacher"] if baselines else []
    for name in names:
        table.add_column(name, justify="left" if name == "member" else "right", overflow="fold")
    for r in rounds:
        cells = [
            str(r["round"]), escape(r["chosen"]), f"{r['alpha']:.2f}", f"{r['edge']:.3f}",
            f"{r['cumulative_macs']:,}", f"{100 * r['teacher_fraction']:.1f}",
            _pct(r["val_accuracy"]), *([_pct(r.get("test_accuracy"))] if test else []),
        ]  # fmt: skip
        if baselines:
            cells += [
                _baseline_cell(resched.get(r["round"]), teacher["macs"], test),
                _baseline_cell(no_resched.get(r["round"]), teacher["macs"], test),
            ]
        table.add_row(*cells)
    table.add_section()
    teacher_cells = ["T", f"teacher {escape(teacher['spec'])}", "", "", f"{teacher['macs']:,}"]
    teacher_cells += ["100.0", _pct(teacher["val_accuracy"])]
    teacher_cells += [_pct(teacher.get("test_accuracy"))] if test else []
    table.add_row(*teacher_cells)
    console = make_console()
    console.print(table)
    if res["stopped"]:
        console.print(
            f"stopped before round {res['stopped']['round']}: {res['stopped']['reason']}",
            highlight=False,
            markup=False,
        )
    console.print(f"report: {run.summary_md}  plot: {run.plot}", highlight=False, markup=False)
