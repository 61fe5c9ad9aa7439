"""Build what the runtime-alone tests need (run in the full environment, with torch).

A tiny synthetic B-DISTIL run exported to TFLite float and int8 and to ONNX, a few inputs, and
each bundle's expected member logits from LiteRT. `.ci/run` then installs edgekit's base
package with tflite-runtime and numpy<2 only (no torch) and runs tests/standalone against it.

Run: python scripts/runtime_fixture.py OUT_DIR
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgekit.data import load_dataset
from edgekit.export.exporter import ExportOptions, export_bundle
from edgekit.pipelines.distill import distill
from edgekit.runtime import MemberRunner, load_bundle

QUICK = [
    "teacher_train.epochs=6",
    "student_train.epochs=5",
    "students=cnn1d-8,cnn1d-16",
    "distill.max_members=3",
]


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("EDGEKIT_PROGRESS", "0")
    run = out / "run"
    distill("synthetic", run, overrides=QUICK, device="cpu")
    x = load_dataset("synthetic").val.x[:32]
    np.save(out / "inputs.npy", x)
    expected = {}
    for name, target, int8 in (
        ("tflite-float", "tflite", False),
        ("tflite-int8", "tflite", True),
        ("onnx-float", "onnx", False),
    ):
        bundle = export_bundle(run, out / name, ExportOptions(target, int8=int8, calib=64))
        if target == "tflite":
            logits = MemberRunner(load_bundle(bundle), "litert").member_logits(x)
            expected[name] = [lg.tolist() for lg in logits]
    (out / "expected.json").write_text(json.dumps(expected))
    print(f"runtime fixture in {out}")


if __name__ == "__main__":
    main()
