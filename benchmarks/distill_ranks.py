"""`edgekit distill` with 1 and N processes (torchrun, gloo, one thread each): wall time and ratio.

Run: python benchmarks/distill_ranks.py [--task dsa19] [--ranks 1 2] [--set KEY=VALUE ...]
The teacher is trained once (one process, not timed) and imported by every timed run with
``--teacher``, so each timing is the rounds (plus start-up, data loading from the warmed cache,
teacher logits and the report) and every run distils from the same teacher; the runs' members
and metrics are compared byte for byte. Writes benchmarks/distill_ranks_<task>.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE, REPO, RUNS
from benchmarks.machine import machine_line, save_results


def edgekit(args: list[str], ranks: int = 1) -> float:
    """Run one edgekit command (under torchrun when ``ranks`` > 1); its wall time in seconds."""
    launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks)]
    cmd = [sys.executable, *(launcher if ranks > 1 else []), "-m", "edgekit", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "EDGEKIT_PROGRESS": "0"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    return seconds


def same_run(a: Path, b: Path) -> bool:
    names = ["metrics.jsonl", "stopped.json"]
    names += [str(p.relative_to(a)) for p in sorted((a / "members").glob("*/*"))]
    return all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", default="synthetic")
    parser.add_argument("--ranks", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--set", dest="sets", action="append", default=[])
    parser.add_argument("--runs", type=Path, default=RUNS)
    args = parser.parse_args()
    root = args.runs / f"ranks-{args.task}"
    data = ["--data-dir", str(DATA[args.task])] if args.task in DATA else []
    common = [*data, "--threads", "1", "--cache-dir", str(root / "cache"), "--device", "cpu"]
    common += [a for s in args.sets for a in ("--set", s)]
    teacher = root / "teacher"
    if not (teacher / "teacher" / "summary.json").exists():
        shutil.rmtree(teacher, ignore_errors=True)
        edgekit(["train-teacher", args.task, "--out", str(teacher), *common])
    results = []
    for n in args.ranks:
        out = root / f"run-{n}"
        shutil.rmtree(out, ignore_errors=True)
        load = os.getloadavg()[0]  # other jobs on the machine make the numbers meaningless
        seconds = edgekit(["distill", args.task, "--out", str(out), "--teacher", str(teacher),
                           *common], n)  # fmt: skip
        rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
        results.append({
            "processes": n, "seconds": seconds, "members": len(rows), "load_before": load,
            "candidates": [len(r["tried"]) for r in rows],
            "same_as_first": same_run(root / f"run-{args.ranks[0]}", out),
        })  # fmt: skip
        print(f"{n} process(es): {seconds:.1f} s", flush=True)
    write(args, results)


def write(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    info = save_results(HERE / f"distill_ranks_{args.task}.json", results)
    base = float(results[0]["seconds"])
    sets = "".join(f" --set {s}" for s in args.sets)
    lines = [
        f"# `edgekit distill {args.task}` over torchrun processes",
        "",
        f"Machine: {machine_line(info)}. Command: `python benchmarks/distill_ranks.py --task "
        f"{args.task} --ranks {' '.join(map(str, args.ranks))}{sets}`.",
        "Each run: `edgekit distill` (N > 1: `torchrun --standalone --nproc_per_node N -m edgekit "
        "distill`, gloo) with `--threads 1` per process and the same imported teacher (trained "
        "once, not timed); wall time of the whole command.",
        "",
        "| processes | wall time | vs 1 process | members | candidates trained per round | "
        "same members and metrics as the first run | load average before |",
        "|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['processes']} | {float(r['seconds']):.1f} s | "
            f"{base / float(r['seconds']):.2f}x | {r['members']} | "
            f"{' / '.join(map(str, r['candidates']))} | "
            f"{'yes, byte for byte' if r['same_as_first'] else 'NO'} | {r['load_before']:.2f} |"
        )
    (HERE / f"distill_ranks_{args.task}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
