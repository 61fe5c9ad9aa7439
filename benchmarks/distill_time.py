"""Issue 13's time bar: `edgekit distill TASK` end to end as a new user runs it, on this machine.

A fresh output folder and a fresh feature cache (nothing reused: the teacher trains, the data is
read and featurised), the CLI's default threads and device. The machine should be otherwise
idle: the 1-minute load average before and after is recorded beside the time, so a number taken
on a busy machine shows as one.

    python benchmarks/distill_time.py --task dsa19 [--data-dir PATH] [--set KEY=VALUE ...]

Writes benchmarks/distill_time.md and .json (one row per task; a rerun replaces that task's row).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE
from benchmarks.machine import machine_line, save_results
from edgekit.rundir import RunDir

BARS_MIN = {"dsa19": 20.0, "kws8": 60.0}  # issue 13: minutes end to end, measured alone


def load1() -> float:
    return os.getloadavg()[0]


def time_distill(task: str, data_dir: Path | None, sets: list[str]) -> dict[str, Any]:
    """One fresh `edgekit distill TASK` in a temporary folder: wall time and the run's phases."""
    with tempfile.TemporaryDirectory(prefix="edgekit-time-") as tmp:
        out, cache = Path(tmp) / "run", Path(tmp) / "cache"
        cmd = [sys.executable, "-m", "edgekit", "distill", task, "--out", str(out)]
        cmd += ["--cache-dir", str(cache)]
        cmd += ["--data-dir", str(data_dir)] if data_dir is not None else []
        for item in sets:
            cmd += ["--set", item]
        before = load1()
        start = time.perf_counter()
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "EDGEKIT_PROGRESS": "0"},
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
        run = RunDir(out)
        teacher, rounds = run.read_teacher(), run.read_rounds()
        if teacher is None:
            raise SystemExit(f"{' '.join(cmd)} left no teacher summary in {out}")
        return {
            "task": task,
            "sets": sets,
            "seconds": seconds,
            "teacher_seconds": teacher.train_seconds,
            "members": len(rounds),
            "final_val_accuracy": rounds[-1]["val_accuracy"] if rounds else None,
            "teacher_val_accuracy": teacher.val_accuracy,
            "load_before": before,
            "load_after": load1(),
        }


def markdown(rows: list[dict[str, Any]], machine: str) -> str:
    lines = [
        "# `edgekit distill` end to end (issue 13's time bar)",
        "",
        "Made by `python benchmarks/distill_time.py --task TASK`: a fresh run (teacher trained,",
        "data read and featurised into an empty cache) with the CLI's default threads. Load:",
        "the 1-minute load average before and after (about 0 before: the machine was idle).",
        "",
        "| task | overrides | minutes | bar | teacher minutes | members | val acc (final / teacher) | load before / after |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        teacher = "" if r["teacher_seconds"] is None else f"{r['teacher_seconds'] / 60:.1f}"
        acc = (
            f"{100 * r['final_val_accuracy']:.1f} / {100 * r['teacher_val_accuracy']:.1f}"
            if r["final_val_accuracy"] is not None
            else ""
        )
        bar = BARS_MIN.get(r["task"])
        lines.append(
            f"| {r['task']} | {' '.join(r['sets']) or '(recipe as shipped)'} "
            f"| {r['seconds'] / 60:.1f} | {'' if bar is None else f'<= {bar:.0f}'} | {teacher} "
            f"| {r['members']} | {acc} | {r['load_before']:.1f} / {r['load_after']:.1f} |"
        )
    lines += ["", f"Machine: {machine}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="dsa19")
    parser.add_argument("--data-dir", type=Path, help="default: the benchmark's copy of the data")
    parser.add_argument("--set", action="append", default=[], help="a recipe override")
    parser.add_argument("--out", type=Path, default=HERE / "distill_time")
    args = parser.parse_args(argv)
    row = time_distill(args.task, args.data_dir or DATA.get(args.task), args.set)
    path = args.out.with_suffix(".json")
    old = json.loads(path.read_text())["results"] if path.exists() else []
    rows = [r for r in old if r["task"] != args.task] + [row]
    info = save_results(path, rows)
    args.out.with_suffix(".md").write_text(markdown(rows, machine_line(info)))
    return rows


if __name__ == "__main__":
    main()
