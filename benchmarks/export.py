"""Export the DSA-19 and KWS-8 benchmark runs (seed 0 of edgekit's default) to every target and
precision: file sizes, parity, per-prefix accuracy float vs exported, and TFLM cross-checks.

Run: python benchmarks/export.py [--runs dsa19=PATH kws8=PATH]
Writes benchmarks/export.md and export.json; bundles go to benchmarks/.runs/export-<task>-*.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, HERE, RUNS
from benchmarks.machine import machine_line, save_results
from edgekit.export.exporter import ExportOptions, export_bundle

COMBOS = (("onnx", False), ("onnx", True), ("tflite", False), ("tflite", True))


def export_all(task: str, run: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run": str(run.relative_to(HERE)) if run.is_relative_to(HERE) else str(run)
    }
    for target, int8 in COMBOS:
        name = f"{target}-{'int8' if int8 else 'float'}"
        dest = RUNS / f"export-{task}-{name}"
        start = time.perf_counter()
        export_bundle(run, dest, ExportOptions(target, int8=int8), DATA[task])
        manifest = json.loads((dest / "manifest.json").read_text())
        manifest["export_seconds"] = time.perf_counter() - start
        out[name] = manifest
    return out


def weight_share(m: dict[str, Any]) -> float:
    return 4 * m["params"] / m["bytes"]


def markdown(results: dict[str, dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [
        "# Export: every member to ONNX and TFLite, float and int8",
        "",
        f"Machine: {machine_line(info)}. Command: `python benchmarks/export.py`.",
        "Runs: seed 0 of edgekit's default B-DISTIL on each task, the runs whose bundles "
        "benchmarks/runtime.md and streaming.md measure (other trainings of the configuration "
        "benchmarks/distill.md reports, hence other accuracies than its seed-0 rows); int8 TFLite "
        "with each connection input pinned to its source's quantization. Parity is "
        "measured through the torch-free runtime on the whole validation split; the TFLM column is "
        "the largest difference between the TFLM interpreter and LiteRT's reference kernels on the "
        "same inputs (256 validation inputs, each member fed identical inputs); XNNPACK is LiteRT's "
        "default (fast) kernels against the same reference.",
        "",
        "Tolerances: float vs PyTorch <= 1e-4 x logit scale; int8 prefixes lose <= 1 point against "
        "float; one file in two interpreters: float <= 1e-5 x scale; int8 TFLM <= 1 logit quantisation "
        "step; LiteRT's default XNNPACK kernels round differently and are reported, not bounded "
        "(the int8 accuracy check runs on them).",
        "",
    ]
    for task, r in results.items():
        lines += [f"## {task}", "", f"Run: `{r['run']}`.", ""]
        lines += [
            "| k | spec | params | ONNX float B | ONNX int8 B | TFLite float B | TFLite int8 B | "
            "int8/float (TFLite) | weights share of float file | ONNX float rel. diff | "
            "TFLite float rel. diff | TFLM float abs. diff | TFLM int8 (steps) | XNNPACK int8 (steps, label agreement) |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        of, oi, tf, ti = (
            r[n]["members"] for n in ("onnx-float", "onnx-int8", "tflite-float", "tflite-int8")
        )
        for a, b, c, d in zip(of, oi, tf, ti, strict=True):
            lines.append(
                f"| {a['index']} | {a['spec']} | {a['params']:,} | {a['bytes']:,} | {b['bytes']:,} | "
                f"{c['bytes']:,} | {d['bytes']:,} | {100 * d['bytes'] / c['bytes']:.0f} % | "
                f"{100 * weight_share(c):.0f} % | {a['parity']['relative']:.1e} | "
                f"{c['parity']['relative']:.1e} | {c['parity'].get('tflm_vs_litert-ref_max_abs_diff', float('nan')):.1e} | "
                f"{d['parity'].get('tflm_vs_litert-ref_max_steps', float('nan')):g} | "
                f"{d['parity'].get('litert_vs_litert-ref_max_steps', float('nan')):g} "
                f"({100 * d['parity'].get('litert_vs_litert-ref_label_agreement', float('nan')):.1f} %) |"
            )
        lines += [
            "",
            "Validation accuracy (%) of each prefix F_k:",
            "",
            "| k | PyTorch float | ONNX float | ONNX int8 | TFLite float | TFLite int8 |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        ref = r["onnx-float"]["parity"]["float_prefix_accuracy"]
        for k in range(len(ref)):
            cells = [f"{100 * ref[k]:.2f}"] + [
                f"{100 * r[n]['parity']['exported_prefix_accuracy'][k]:.2f}"
                for n in ("onnx-float", "onnx-int8", "tflite-float", "tflite-int8")
            ]
            lines.append(f"| {k + 1} | " + " | ".join(cells) + " |")
        drops = {n: 100 * r[n]["parity"]["max_prefix_drop"] for n in ("onnx-int8", "tflite-int8")}
        lines += [
            "",
            f"Largest prefix drop int8 vs float: ONNX {drops['onnx-int8']:.2f} points, TFLite "
            f"{drops['tflite-int8']:.2f} points. Export time (s): "
            + ", ".join(
                f"{n} {r[n]['export_seconds']:.0f}"
                for n in ("onnx-float", "onnx-int8", "tflite-float", "tflite-int8")
            )
            + ".",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--runs", nargs="+", default=[f"{t}={RUNS / f'distill-{t}-default-seed0'}" for t in DATA]
    )
    args = parser.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    results = {task: export_all(task, Path(path)) for task, path in runs.items()}
    info = save_results(HERE / "export.json", results)
    text = markdown(results, info)
    (HERE / "export.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
