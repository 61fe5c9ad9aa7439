"""What one KWS-8 member reaches distilled alone, by size and training length (issue 13).

Each row is `edgekit distill kws8` with one member (`students=SPEC`, `distill.max_members=1`)
under the recipe as shipped (augmented, the teacher run on each augmented batch, independent,
fitted on the whole training bucket) but for the epochs; the teacher is a finished teacher run.
Validation: the official validation bucket, which chose nothing (the member's best epoch is
picked on the training bucket).

    python benchmarks/kws8_member_epochs.py --teacher RUN [--runs DIR] [--seed 0]

Writes benchmarks/kws8_member_epochs.md and .json; finished runs under --runs are reused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE
from benchmarks.machine import machine_line, save_results
from edgekit.pipelines.distill import distill
from edgekit.rundir import RunDir

# (spec, epochs): the 20-epoch budget of the previous recipe against the shipped 60
ROWS = (("dscnn-32x4", 20), ("dscnn-32x4", 60), ("dscnn-24x4", 60), ("dscnn-16x4", 60))


def run_row(spec: str, epochs: int, seed: int, teacher: Path, runs: Path) -> dict[str, Any]:
    out = runs / f"{spec}-e{epochs}-seed{seed}"
    sets = [
        f"students={spec}",
        "distill.max_members=1",
        "distill.budget=1.0",  # one member alone: no ensemble cap (all rows fit 0.4 anyway)
        f"student_train.epochs={epochs}",
        f"student_train.seed={seed}",
    ]
    if not (out / "summary.json").exists():
        distill("kws8", out, overrides=sets, data_dir=DATA.get("kws8"), teacher=teacher)
    summary = json.loads(RunDir(out).summary_json.read_text())
    first = summary["rounds"][0]
    return {
        "spec": spec,
        "epochs": epochs,
        "seed": seed,
        "val_accuracy": first["val_accuracy"],
        "macs": first["cumulative_macs"],
        "teacher_val_accuracy": summary["teacher"]["val_accuracy"],
        "teacher_macs": summary["teacher"]["macs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teacher", type=Path, required=True, help="a finished teacher run")
    parser.add_argument("--runs", type=Path, default=HERE / ".runs" / "kws8_member_epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = [run_row(s, e, args.seed, args.teacher, args.runs) for s, e in ROWS]
    info = save_results(HERE / "kws8_member_epochs.json", rows)
    first = rows[0]  # every row has the same teacher
    lines = [
        "# One KWS-8 member distilled alone: size and epochs",
        "",
        f"Machine: {machine_line(info)}. Command: `python benchmarks/kws8_member_epochs.py "
        f"--teacher RUN --seed {args.seed}` (RUN: the teacher of `benchmarks/distill.py`'s "
        f"kws8 seed {args.seed}). **One seed**: seeds move these numbers by 1-2 points.",
        "",
        f"Teacher dscnn-64x4: {100 * first['teacher_val_accuracy']:.2f} % "
        f"({first['teacher_macs']:,} MACs).",
        "",
        "| member | epochs | validation accuracy | MACs (% of the teacher) |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        share = 100 * r["macs"] / r["teacher_macs"]
        lines.append(
            f"| {r['spec']} | {r['epochs']} | {100 * r['val_accuracy']:.2f} % | "
            f"{r['macs']:,} ({share:.1f} %) |"
        )
    (HERE / "kws8_member_epochs.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
