"""Members with or without the teacher's window warping, by cross-validation inside the training split.

Run: python benchmarks/arrays_cv_members.py [--sets ArrowHead] [--repeats 3]
Needs benchmarks/arrays_cv.py's runs of the affinity choice on the same sets and cuts (its
``AFFINITY`` choice: the teacher of each outer fold, warped where its affinity chose warping).
On every outer fold where warping was adopted, two distillations import that fold's teacher and
differ only in the members' (and baselines') ``student_train.series_warp``: 0 (members on the
series as they are) or the teacher's. Each is scored on the held-out fold (the fold file's test
split), as the teacher was; the archive's test split is never loaded. Folds where warping was not
adopted have no choice to make (members plain either way) and count as a gain of 0.
Writes benchmarks/arrays_cv_members.md and .json (--render: the .md again from the .json); runs
under benchmarks/.runs/arrays_cv_members (resumable).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.arrays_cv import AFFINITY
from benchmarks.machine import machine_line, save_results
from edgekit.pipelines.distill import distill
from edgekit.rundir.affinity_choice import read_affinity

HERE = Path(__file__).resolve().parent
CV_RUNS = HERE / ".runs" / "arrays_cv"
RUNS = HERE / ".runs" / "arrays_cv_members"
VARIANTS = ("plain", "warp")  # members on the series as they are / warped as the teacher was


def fold_tag(k: int, repeat: int) -> str:
    return f"fold{k}{f'-r{repeat}' if repeat else ''}"


def teacher_run(name: str, tag: str) -> Path:
    slug = "".join(c if c.isalnum() else "_" for c in AFFINITY)
    path = CV_RUNS / f"{name}-{slug}-{tag}"
    if not (path / "teacher" / "best.pt").is_file():
        raise SystemExit(
            f"{path}: no teacher; run benchmarks/arrays_cv.py --sets {name} --choices "
            f'"{AFFINITY}" with the same --repeats first'
        )
    return path


def run(name: str, k: int, repeat: int, variant: str) -> dict[str, Any]:
    tag = fold_tag(k, repeat)
    source = teacher_run(name, tag)
    choice = read_affinity(source)
    assert choice is not None and choice.series_warp, f"{source}: warping not adopted"
    out = RUNS / f"{name}-{tag}-{variant}"
    warp = choice.series_warp if variant == "warp" else 0.0
    # the teacher's best.pt brings its run's choice; "plain" members must not take it up
    plain = [] if variant == "warp" else ["affinity_warp=0"]
    distill(
        "arrays",
        out,
        overrides=[f"student_train.series_warp={warp}", *plain],
        data_dir=CV_RUNS / f"{name}-{tag}-carved.npz",
        teacher=source / "teacher" / "best.pt",
        device="cpu",
    )
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x]
    teacher = json.loads((source / "teacher" / "summary.json").read_text())
    return {
        "set": name, "fold": k, "repeat": repeat, "variant": variant,
        "prefixes": [r["test_accuracy"] for r in rows], "teacher": teacher["test_accuracy"],
    }  # fmt: skip


def table(results: list[dict[str, Any]], folds: int, repeats: int, machine: str) -> str:
    lines = [
        "# `arrays` members with or without the teacher's warping, by CV inside the training split",
        "",
        "Made by `python benchmarks/arrays_cv_members.py` (see its docstring). Accuracy (%) on",
        "each outer fold's held-out series of the warped teacher and of the final ensemble, its",
        "members trained on the series as they are (plain) or warped as the teacher was (warp).",
        "",
        "| set | fold | teacher | plain F_k | warp F_k | warp - plain (final) |",
        "|---|---|---:|---|---|---:|",
    ]
    by = {(r["set"], r["fold"], r["repeat"], r["variant"]): r for r in results}
    for name in dict.fromkeys(r["set"] for r in results):
        gains: list[float] = []
        for repeat, k in itertools.product(range(repeats), range(folds)):
            plain, warp = (by.get((name, k, repeat, v)) for v in VARIANTS)
            if plain is None or warp is None:
                continue
            gain = 100 * (warp["prefixes"][-1] - plain["prefixes"][-1])
            gains.append(gain)
            lines.append(
                f"| {name} | {fold_tag(k, repeat)} | {100 * plain['teacher']:.1f} "
                f"| {' / '.join(f'{100 * p:.1f}' for p in plain['prefixes'])} "
                f"| {' / '.join(f'{100 * p:.1f}' for p in warp['prefixes'])} | {gain:+.1f} |"
            )
        if gains:
            cut = folds * repeats
            lines += [
                "",
                f"{name}: warp - plain on the final ensemble, mean over the {len(gains)} folds "
                f"where warping was adopted **{statistics.mean(gains):+.1f}** ({sum(g > 0 for g in gains)} "
                f"up, {sum(g < 0 for g in gains)} down); over all {cut} outer folds (the others "
                f"+0.0) **{sum(gains) / cut:+.1f}**.",
                "",
            ]
    return "\n".join([*lines, "", f"Machine: {machine}", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["ArrowHead"])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--render", action="store_true", help="rewrite the .md from the .json")
    args = parser.parse_args()
    saved = HERE / "arrays_cv_members.json"
    results = json.loads(saved.read_text())["results"] if saved.exists() else []
    if args.render:
        info = json.loads(saved.read_text())["machine"]
        md = table(results, args.folds, args.repeats, machine_line(info))
        (HERE / "arrays_cv_members.md").write_text(md)
        return
    done = {(r["set"], r["fold"], r["repeat"], r["variant"]) for r in results}
    for name in args.sets:
        for repeat, k in itertools.product(range(args.repeats), range(args.folds)):
            choice = read_affinity(teacher_run(name, fold_tag(k, repeat)))
            if choice is None or not choice.series_warp:
                continue  # nothing to choose on this fold: members plain either way
            for variant in VARIANTS:
                if (name, k, repeat, variant) not in done:
                    results.append(run(name, k, repeat, variant))
                    print(json.dumps(results[-1]), flush=True)
                info = save_results(saved, results)
                md = table(results, args.folds, args.repeats, machine_line(info))
                (HERE / "arrays_cv_members.md").write_text(md)


if __name__ == "__main__":
    main()
