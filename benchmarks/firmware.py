"""firmware_stubs/ on the host: the DSA-19 default run (seed 0) exported to C (float32).

Flash and arena per member, parity with the Python runtime over the whole validation split, and
per-member time of the C runtime (-O2) beside the Python runtime's (onnxruntime) in one run.
KWS-8's DS-CNN members have no C kernels yet (export --target c refuses them).

Run: python benchmarks/firmware.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.machine import machine_info, machine_line
from edgekit.data.registry import load_dataset
from edgekit.export.c_export import export_c
from edgekit.export.exporter import ExportOptions, export_bundle
from edgekit.runtime import ProgressiveEnsemble

HERE = Path(__file__).resolve().parent
RUN = HERE / ".runs" / "distill-dsa19-default-seed0"
DATA = HERE.parents[1] / "shared" / "data" / "dsa19_p1-p6.tar.xz"
FIRMWARE = HERE.parent / "firmware_stubs"


def host_rows(host: Path, x: np.ndarray, tmp: Path, *args: str) -> list[dict[str, str]]:
    path = tmp / "x.f32"
    x.astype("<f4").tofile(path)
    out = subprocess.run([str(host), str(path), *args], check=True, capture_output=True, text=True)
    return [
        dict(kv.split("=", 1) for kv in line.split(" class=")[0].split())
        for line in out.stdout.splitlines()
    ]


def main() -> None:
    data = load_dataset("dsa19", DATA)
    x = data.val.x
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        gen = export_c(RUN, tmp / "gen")
        model = json.loads((gen / "model.json").read_text())
        subprocess.run(
            ["make", "-C", str(FIRMWARE), "host-O2", f"GEN={gen}", f"OUT={tmp}"],
            check=True,
            capture_output=True,
        )
        host = tmp / "host-O2"
        rows = host_rows(host, x, tmp)
        c_logits = np.array([[float(v) for v in r["logits"].split(",")] for r in rows])
        bundle = export_bundle(RUN, tmp / "onnx", ExportOptions("onnx"), DATA)
        ens = ProgressiveEnsemble.load(bundle)
        py_logits = ens.predict(x).logits
        k = len(model["members"])
        timed = x[:500]
        c_prefix = []
        for m in range(1, k + 1):
            times = [
                int(r["elapsed_us"]) for r in host_rows(host, timed, tmp, "--max-members", str(m))
            ]
            c_prefix.append(float(np.median(times)))
        py_times = np.array([ens.predict(xi).member_ms for xi in timed])
    c_member = np.diff([0.0, *c_prefix])
    py_member = 1000 * np.median(py_times, axis=0)
    diff = float(np.abs(c_logits - py_logits).max())
    scale = float(np.abs(py_logits).max())
    result = {
        "run": str(RUN.relative_to(HERE)),
        "model": model,
        "parity": {
            "samples": len(x),
            "max_abs_logit_diff": diff,
            "logit_scale": scale,
            "relative": diff / scale,
            "label_agreement": float((c_logits.argmax(1) == py_logits.argmax(1)).mean()),
            "c_accuracy": float((c_logits.argmax(1) == data.val.y).mean()),
        },
        "c_member_us_median": c_member.tolist(),
        "python_member_us_median": py_member.tolist(),
    }
    info = machine_info()
    (HERE / "firmware.json").write_text(
        json.dumps({"machine": info, "result": result}, indent=2) + "\n"
    )
    p = result["parity"]
    lines = [
        "# firmware_stubs on the host (C99, float32)",
        "",
        f"Machine: {machine_line(info)}; gcc -O2. Command: `python benchmarks/firmware.py`. Run: "
        f"`{result['run']}` (DSA-19, edgekit's default, seed 0).",
        "",
        "| k | member | MACs | flash B (float32 weights) | C us (median) | Python runtime us (onnxruntime, median) | Python / C |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for i, m in enumerate(model["members"]):
        lines.append(
            f"| {m['index']} | {m['spec']}{'+conn' if m['connected'] else ''} | {m['macs']:,} | {m['flash_bytes']:,} | "
            f"{c_member[i]:.1f} | {py_member[i]:.1f} | {py_member[i] / max(c_member[i], 1e-9):.2f} |"
        )
    lines += [
        "",
        f"Total flash {model['flash_bytes']:,} B; arena (RAM for `ek_run`, all members) "
        f"{model['arena_bytes']:,} B ({model['arena_floats']:,} floats).",
        "",
        f"Parity over the {p['samples']} validation inputs: max |logit difference| C vs Python runtime "
        f"{p['max_abs_logit_diff']:.2e} ({p['relative']:.1e} of the logit scale {p['logit_scale']:.1f}); "
        f"labels agree on {100 * p['label_agreement']:.2f} %; C accuracy {100 * p['c_accuracy']:.2f} %.",
        "",
        "C times are the median over 500 inputs of `--max-members k` runs differenced (the host "
        "clock has 1 us resolution); Python times are `Prediction.member_ms`. Not yet measured: "
        "int8 (no C int8 kernels yet) and KWS-8 (no DS-CNN kernels yet).",
        "",
    ]
    (HERE / "firmware.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
