"""Behaviour unchanged: a path- and timing-independent digest of every file a short synthetic
run writes (distill with baselines, ONNX float, TFLite int8, C int8), to compare two trees.

Run: OMP_NUM_THREADS=1 python benchmarks/behaviour.py digest OUT_DIR  -> OUT_DIR/digest.json
     python benchmarks/behaviour.py compare A/digest.json B/digest.json
benchmarks/behaviour.md records the comparison made for the restructuring (issue 15).

Normalised: training timings (checkpoint histories, metrics rows, teacher summary), absolute
paths in JSON, and the ONNX node metadata, which holds the exporter's source stack traces (file
paths and line numbers of edgekit's own code). Everything else is compared byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO

SETS = ["teacher_train.epochs=6", "student_train.epochs=5", "distill.max_members=3"]
TIMING = ("seconds", "samples_per_second", "wall_")


def run_pipeline(out: Path) -> Path:
    """The four CLI commands on the synthetic task, on the CPU, one thread."""
    run = out / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "EDGEKIT_PROGRESS": "0", "PYTHONPATH": str(REPO)}
    env["EDGEKIT_CACHE_DIR"] = str(out / "cache")
    sets = [a for s in SETS for a in ("--set", s)]
    commands = [
        ["distill", "synthetic", "--out", str(run), *sets, "--device", "cpu", "--baselines"],
        ["export", str(run), "--target", "onnx", "--out", str(run / "bundle-onnx-float")],
        ["export", str(run), "--target", "tflite", "--int8", "--out", str(run / "bundle-tflite-int8")],
        ["export", str(run), "--target", "c", "--int8", "--out", str(run / "c-int8")],
    ]  # fmt: skip
    for args in commands:
        subprocess.run(
            [sys.executable, "-m", "edgekit", *args], env=env, check=True, capture_output=True
        )
    return run


def _strip(value: Any, root: str) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, root) for k, v in value.items() if not any(t in k for t in TIMING) and k != "out_dir"}  # fmt: skip
    if isinstance(value, list):
        return [_strip(v, root) for v in value]
    return value.replace(root, "RUN") if isinstance(value, str) else value


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def digest_file(path: Path, root: Path) -> str:
    if path.suffix == ".pt":
        import torch

        payload = torch.load(path, weights_only=True, map_location="cpu")
        tensors = {
            key: {k: _sha(v.numpy().tobytes()) for k, v in payload[key].items()}
            for key in ("model", "best_model")
            if payload.get(key)
        }
        rest = {k: v for k, v in payload.items() if k not in ("model", "best_model", "optimizer", "scaler")}  # fmt: skip
        return _sha(json.dumps([tensors, _strip(rest, str(root))], sort_keys=True, default=str))
    if path.suffix == ".onnx":
        import onnx

        model = onnx.load_from_string(path.read_bytes())
        for node in [*model.graph.node, *(n for f in model.functions for n in f.node)]:
            del node.metadata_props[:]
        return _sha(model.SerializeToString())
    if path.suffix in (".json", ".jsonl"):
        text = path.read_text()
        raw = (
            [json.loads(x) for x in text.splitlines()]
            if path.suffix == ".jsonl"
            else json.loads(text)
        )
        data = _strip(raw, str(root))
        if path.name == "manifest.json" and data.get("target") == "onnx":
            for member in data["members"]:  # the files' digests: compared above, normalised
                member.pop("sha256")
                member.pop("bytes")
        return _sha(json.dumps(data, sort_keys=True))
    return _sha(path.read_bytes())


def digest(run: Path) -> dict[str, str]:
    skip = (".png", ".md")  # plots and reports: rendered from the records compared here
    return {
        str(p.relative_to(run)): digest_file(p, run)
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.suffix not in skip
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "digest":
        out = Path(sys.argv[2]).resolve()
        result = digest(run_pipeline(out))
        (out / "digest.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        print(f"{len(result)} files -> {out / 'digest.json'}")
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        a, b = (json.loads(Path(p).read_text()) for p in sys.argv[2:])
        differ = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
        print(f"only in A: {sorted(a.keys() - b.keys())}\nonly in B: {sorted(b.keys() - a.keys())}")
        print(f"differ: {differ}\n{len(a.keys() & b.keys()) - len(differ)} of {len(a)} files equal")
        sys.exit(1 if differ or a.keys() != b.keys() else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
