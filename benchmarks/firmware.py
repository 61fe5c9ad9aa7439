"""firmware_stubs/ on the host: the DSA-19 and KWS-8 default runs (seed 0) exported to C,
float32 and int8 (from the TFLite bundles benchmarks/export.py wrote).

Flash and working memory per member, the arena in all, parity with the Python runtime over the
whole validation split (float: LiteRT; int8: the TFLM backend, whose kernels the C int8 path
follows), and per-member time of the C runtime (-O2) beside the Python runtime's (LiteRT with
XNNPACK, its default) in one run.

Run: python benchmarks/firmware.py   (after benchmarks/export.py)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import machine_line, save_results
from edgekit.data.registry import load_dataset
from edgekit.export.c_export import export_c
from edgekit.export.c_host import build_host, run_host
from edgekit.runtime import ProgressiveEnsemble

HERE = Path(__file__).resolve().parent
RUNS = HERE / ".runs"
SHARED = HERE.parents[1] / "shared" / "data"
DATA = {"dsa19": SHARED / "dsa19_p1-p6.tar.xz", "kws8": SHARED / "speech_commands_mini"}
FIRMWARE = HERE.parent / "firmware_stubs"
TIMED = 100
REPEAT = 20  # runs per input: the host clock has 1 us resolution


def measure(task: str, precision: str, x: np.ndarray, y: np.ndarray, tmp: Path) -> dict[str, Any]:
    bundle = RUNS / f"export-{task}-tflite-{precision}"
    gen = export_c(bundle, tmp / f"gen-{task}-{precision}")
    model = json.loads((gen / "model.json").read_text())
    host = build_host(FIRMWARE, gen, tmp / f"build-{task}-{precision}", "host-O2")
    c_logits = np.stack([r.logits for r in run_host(host, x, tmp)])
    fast = ProgressiveEnsemble.load(bundle)  # the Python runtime's default backend (LiteRT)
    # int8 parity against TFLM, whose kernels the C int8 path follows; float against the default
    reference = ProgressiveEnsemble.load(bundle, backend="tflm") if precision == "int8" else fast
    py_logits = np.concatenate([reference.predict(xi).logits for xi in x])
    steps = [
        m.output("logits").quantization.scale  # type: ignore[union-attr]
        for m in reference.manifest.members
        if precision == "int8"
    ]
    k = len(model["members"])
    timed = x[:TIMED]
    c_prefix = []
    for m in range(1, k + 1):
        rows = run_host(host, timed, tmp, "--max-members", str(m), "--repeat", str(REPEAT))
        c_prefix.append(float(np.median([r.mean_us for r in rows if r.mean_us is not None])))
    py_times = np.array([fast.predict(xi).member_ms for xi in timed])
    c_member = np.diff([0.0, *c_prefix])
    py_member = 1000 * np.median(py_times, axis=0)
    diff = float(np.abs(c_logits - py_logits).max())
    return {
        "bundle": str(bundle.relative_to(HERE)),
        "reference_backend": reference.runner.backend,
        "timing_backend": fast.runner.backend,
        "model": model,
        "parity": {
            "samples": len(x),
            "max_abs_logit_diff": diff,
            "logit_scale": float(np.abs(py_logits).max()),
            "logit_steps": steps,
            "within_one_step_per_member": bool(diff <= 1.001 * sum(steps)) if steps else None,
            "label_agreement": float((c_logits.argmax(1) == py_logits.argmax(1)).mean()),
            "c_accuracy": float((c_logits.argmax(1) == y).mean()),
        },
        "c_member_us_median": c_member.tolist(),
        "python_member_us_median": py_member.tolist(),
    }


def main() -> None:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        for task, path in DATA.items():
            data = load_dataset(task, path)
            for precision in ("int8", "float"):
                if not (RUNS / f"export-{task}-tflite-{precision}").exists():
                    print(f"skip {task} {precision}: run benchmarks/export.py first")
                    continue
                results[f"{task}-{precision}"] = measure(
                    task, precision, data.val.x, data.val.y, Path(tmp_name)
                )
    info = save_results(HERE / "firmware.json", results)
    lines = [
        "# firmware_stubs on the host (C99, float32 and int8)",
        "",
        f"Machine: {machine_line(info)}; gcc -O2. Command: `python benchmarks/firmware.py`. "
        "Bundles: the seed-0 default B-DISTIL runs exported by `benchmarks/export.py`, "
        "translated by `edgekit export BUNDLE --target c`.",
        "",
    ]
    for name, r in results.items():
        model, p = r["model"], r["parity"]
        c, py = r["c_member_us_median"], r["python_member_us_median"]
        lines += [
            f"## {name}",
            "",
            f"| k | member | MACs | ops | flash B | working memory B | C us (median) | "
            f"Python runtime us ({r['timing_backend']}, median) | C / Python |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for i, m in enumerate(model["members"]):
            conn = f"+conn({m['connected_from']})" if m["connected_from"] else ""
            lines.append(
                f"| {m['index']} | {m['spec']}{conn} | {m['macs']:,} | {m['ops']} | "
                f"{m['flash_bytes']:,} | {m['work_bytes']:,} | {c[i]:.1f} | {py[i]:.1f} | "
                f"{c[i] / max(py[i], 1e-9):.2f} |"
            )
        step = (
            f"; within one logit quantisation step per member: "
            f"{'yes' if p['within_one_step_per_member'] else 'NO'}"
            if p["logit_steps"]
            else ""
        )
        lines += [
            "",
            f"Total flash {model['flash_bytes']:,} B (constants); arena for `ek_run` "
            f"{model['arena_bytes']:,} B (activation slots + the largest member's working memory).",
            f"Parity over the {p['samples']} validation inputs against the Python runtime "
            f"({r['reference_backend']}): max |logit difference| {p['max_abs_logit_diff']:.2e} "
            f"(logit scale {p['logit_scale']:.1f}){step}; labels agree on "
            f"{100 * p['label_agreement']:.2f} %; C accuracy {100 * p['c_accuracy']:.2f} %.",
            "",
        ]
    lines += [
        "C times: per input the mean of "
        f"{REPEAT} `--max-members k` runs, median over {TIMED} inputs, differenced between k and "
        "k - 1; the C kernels are plain loops (no SIMD), the Python runtime's backend "
        "uses XNNPACK. Python times are `Prediction.member_ms` (conversions included).",
        "",
    ]
    (HERE / "firmware.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
