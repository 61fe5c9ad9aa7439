"""Where the runtime's per-member time goes, piece by piece, and the runtime of an older
revision timed on the same bundles in the same run (benchmarks/runtime.py uses both).

Each piece of one batch-1 ``predict`` is timed alone (median of many calls), once the way the
runtime did it before this change and once the way it does now, so the table says what each
change bought; the pieces do not add up exactly to the measured overhead (the rest is Python
glue: calls, lists, the Prediction).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.runtime import Policy, ProgressiveEnsemble
from edgekit.runtime.inputs import as_batch
from edgekit.runtime.quant import to_file_dtype, to_float

REPO = Path(__file__).resolve().parents[1]


def median_us(fn: Callable[[], object], calls: int = 2000) -> float:
    """Median over 20 batches of ``calls // 20`` calls, in microseconds per call."""
    per = max(1, calls // 20)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        for _ in range(per):
            fn()
        times.append((time.perf_counter() - t0) / per)
    return 1e6 * float(np.median(times))


def _old_quantise(x: np.ndarray, scale: float, zero_point: int, dtype: str) -> np.ndarray:
    """The features quantisation as it was (np.clip's Python wrapper)."""
    lo, hi = (-128, 127) if dtype == "int8" else (0, 255)
    q = np.multiply(x, np.float32(1.0 / scale), dtype=np.float32)
    np.rint(q, out=q)
    q += np.float32(zero_point)
    np.clip(q, lo, hi, out=q)
    out: np.ndarray = q.astype(dtype)
    return out


def _old_check(ens: ProgressiveEnsemble, x: np.ndarray) -> np.ndarray:
    """check_features as it was for a float32 input: isfinite's array and its .all()."""
    x = np.ascontiguousarray(as_batch(x, ens.manifest), dtype=np.float32)
    if not np.isfinite(x).all():
        raise ValueError("not finite")
    return x


def _member_parts(ens: ProgressiveEnsemble, x: np.ndarray) -> dict[str, tuple[float, float]]:
    """(before, now) us per member, averaged over the members, for the per-member pieces."""
    acts: dict[int, np.ndarray] = {}
    rows = [_member_row(ens, m.index, x, acts) for m in ens.manifest.members]
    keys = {k for r in rows for k in r}
    return {
        key: (
            sum(r.get(key, (0.0, 0.0))[0] for r in rows) / len(rows),
            sum(r.get(key, (0.0, 0.0))[1] for r in rows) / len(rows),
        )
        for key in keys
    }


def _member_row(
    ens: ProgressiveEnsemble, index: int, x: np.ndarray, acts: dict[int, np.ndarray]
) -> dict[str, tuple[float, float]]:
    """One member's pieces (``acts`` collects activations for the members after it)."""
    runner = ens.runner
    io, s = runner._io[index - 1], runner.sessions[index - 1]
    feats = to_file_dtype(x, io.features)
    values = [feats]
    if io.connection is not None and io.connected_from is not None:
        act = acts[io.connected_from]
        conn = io.connection_input(act)
        values = [conn, feats] if io.connection_first else [feats, conn]
    out = s.run_list(values)
    row: dict[str, tuple[float, float]] = {}
    if hasattr(s, "_set"):  # TFLite: the interpreter calls, public wrappers vs C++ bound
        row.update(
            _interpreter_row(
                ens.bundle.member_bytes(ens.manifest.members[index - 1]), values, len(out)
            )
        )
    entry = ens.manifest.members[index - 1]
    names, out_names = [t.name for t in entry.inputs], [t.name for t in entry.outputs]
    row["dicts in and out"] = (  # what the dict-based call built around the same work
        median_us(
            lambda: (
                dict(zip(names, values, strict=True)),
                {n: o for n, o in zip(out_names, out, strict=True)},
            )
        ),
        0.0,
    )
    logits, table = out[io.logits_at], io.logits_table
    row["dequantise logits"] = (
        median_us(lambda: to_float(logits, io.logits)),
        median_us(lambda: table.take(logits.view(np.uint8)))
        if table is not None
        else median_us(lambda: to_float(logits, io.logits)),
    )
    if io.connection is not None and io.connected_from is not None:
        now = median_us(lambda: io.connection_input(act))
        before = now
        if io.table is not None:  # the look-up as it was: np.take by bit pattern
            codes = io.table
            before = median_us(lambda: codes.take(act.view(np.uint8)))
        row["requantise connection"] = (before, now)
    if io.activation_at is not None:
        acts[index] = out[io.activation_at]
    return row


def _interpreter_row(
    data: bytes, values: list[np.ndarray], outputs: int
) -> dict[str, tuple[float, float]]:
    """set/get/invoke through the public wrapper vs the C++ call, on a fresh interpreter (the
    runtime's own holds its C++ calls, which the wrapper's view check then refuses)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=data, num_threads=1)
    it.allocate_tensors()
    i0 = it.get_input_details()[0]["index"]
    o0 = it.get_output_details()[0]["index"]
    v0 = np.zeros(it.get_input_details()[0]["shape"], it.get_input_details()[0]["dtype"])
    public = (
        median_us(lambda: it.set_tensor(i0, v0)),
        median_us(lambda: it.get_tensor(o0)),
        median_us(it._ensure_safe),  # what invoke() adds before the C++ call (a view check)
    )
    raw = it._interpreter
    bound = (
        median_us(lambda: raw.SetTensor(i0, v0)),
        median_us(lambda: raw.GetTensor(o0)),
        0.0,
    )
    return {
        "set_tensor": (len(values) * public[0], len(values) * bound[0]),
        "get_tensor": (outputs * public[1], outputs * bound[1]),
        "invoke(): its view check": (public[2], bound[2]),
    }


def breakdown(ens: ProgressiveEnsemble, x: np.ndarray) -> dict[str, Any]:
    """The pieces of one batch-1 predict, in us per member: {piece: [before, now]}."""
    k = len(ens)
    xi = np.ascontiguousarray(x[:1], dtype=np.float32)
    parts: dict[str, tuple[float, float]] = {}
    parts["check features (per call / K)"] = (
        median_us(lambda: _old_check(ens, xi[0])) / k,
        median_us(lambda: ens.check_features(xi[0])) / k,
    )
    spec = ens.runner._io[0].features
    if spec.quantization is not None:
        q = spec.quantization
        parts["quantise features (per call / K)"] = (
            median_us(lambda: _old_quantise(xi, q.scale, q.zero_point, spec.dtype)) / k,
            median_us(lambda: to_file_dtype(xi, spec)) / k,
        )
    parts.update(_member_parts(ens, xi))
    logits = np.zeros((1, ens.manifest.num_classes), np.float32)
    policy = Policy(margin=1e9)
    t = median_us(lambda: policy.stop_reason(1, 0, logits, 0.0, 0.0))
    parts["policy check (margin)"] = (t, t)
    t = 2 * median_us(time.perf_counter)
    parts["two clock reads"] = (t, t)
    return {name: [round(a, 2), round(b, 2)] for name, (a, b) in parts.items()}


def baseline_overhead(rev: str, bundle: Path, timed: np.ndarray) -> dict[str, Any] | None:
    """Time the runtime of git revision ``rev`` on ``bundle`` in a subprocess (same machine, same
    run): the edgekit package of ``rev`` first on the path, this benchmark's timing code."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, "edgekit"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"baseline {rev}: cannot read it from git ({e})")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        np.save(Path(tmp) / "timed.npy", timed)
        code = (
            "import sys, json, numpy as np; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
            "import edgekit.runtime; assert edgekit.runtime.__file__.startswith(sys.argv[1]); "
            "from benchmarks.runtime import overhead, quiet_process; quiet_process(); "
            "from edgekit.runtime import ProgressiveEnsemble; "
            "ens = ProgressiveEnsemble.load(sys.argv[3]); "
            "print(json.dumps(overhead(ens, np.load(sys.argv[4]))))"
        )
        env = {**os.environ, "PYTHONPATH": tmp}
        done = subprocess.run(
            [sys.executable, "-c", code, tmp, str(REPO), str(bundle), str(Path(tmp) / "timed.npy")],
            capture_output=True,
            text=True,
            env=env,
        )
    if done.returncode != 0:
        print(f"baseline {rev} on {bundle} failed:\n{done.stderr[-2000:]}")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
