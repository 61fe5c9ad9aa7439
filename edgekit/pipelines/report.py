"""``edgekit report RUN_DIR``: one self-contained Markdown report of a run and what was made
from it: the rounds and their costs, the curves against the baselines (the run's PNG), every
bundle's size and parity, and per-member latency where ``edgekit bench`` was run."""

from __future__ import annotations

import json
from pathlib import Path

from edgekit.atomic import atomic_write_text
from edgekit.distill.report import write_report
from edgekit.errors import EdgekitError
from edgekit.rundir import RunDir


def write_run_report(run_dir: Path) -> Path:
    """Write RUN_DIR/report.md; returns its path."""
    run = RunDir(run_dir)
    if not run.metrics_path.exists():
        raise EdgekitError(
            f"{run_dir}: no {run.metrics_path.name}; is this an `edgekit distill` run directory?"
        )
    write_report(run)  # refresh summary.md and the plot from the run's files
    lines = [
        run.summary_md.read_text().rstrip(),
        "",
        f"![accuracy against cost]({run.plot.name})",
        "",
    ]
    bundles = run.bundles()
    if bundles:
        lines += [
            "## Exported bundles",
            "",
            "| bundle | members | total bytes | max float rel. diff | largest prefix drop (points) | TFLM checked |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for path, m in bundles:
            parity = m.get("parity", {})
            rel = max((x.get("parity", {}).get("relative", 0.0) for x in m["members"]), default=0.0)
            tflm = "tflm" in parity.get("backends", {}).get("compared", [])
            lines.append(
                f"| `{path.name}` ({m['target']} {m['precision']}) | {len(m['members'])} | "
                f"{sum(x['bytes'] for x in m['members']):,} | {rel:.1e} | "
                f"{100 * parity.get('max_prefix_drop', 0.0):.2f} | {'yes' if tflm else 'no'} |"
            )
        lines.append("")
    benches = run.bench_results()
    for bench_path in benches:
        b = json.loads(bench_path.read_text())
        lines += [
            f"## Latency: `{bench_path.parent.name}` ({b['target']} {b['precision']}, {b['backend']}, {b['machine']})",
            "",
            "| k | spec | host median ms | host p99 ms | acc F_k % |",
            "|---:|---|---:|---:|---:|",
        ]
        for m in b["members"]:
            lines.append(
                f"| {m['k']} | {m['spec']} | {m['host_ms_median']:.3f} | {m['host_ms_p99']:.3f} | "
                f"{100 * m['prefix_accuracy']:.2f} |"
            )
        lines.append("")
    if not bundles and not benches:
        lines += ["No bundles yet: `edgekit export RUN_DIR --target tflite --int8` adds one.", ""]
    atomic_write_text(run.report, "\n".join(lines))
    return run.report
