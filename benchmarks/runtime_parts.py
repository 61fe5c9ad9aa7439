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
from edgekit.runtime.quant import (
    apply_table,
    requantize_table,
    to_file_dtype,
    to_float,
    translation,
)

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


_all = np.logical_and.reduce


def _old_check(ens: ProgressiveEnsemble, x: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """check_features as it was for one float32 input [T, C]: isfinite into a buffer, reduced."""
    x = x[None] if x.shape == tuple(ens.manifest.input_shape) else as_batch(x, ens.manifest)
    if not bool(_all(np.isfinite(x.reshape(-1), out=flags))):
        raise ValueError("not finite")
    return x


def _old_run_list(s: Any, values: list[np.ndarray]) -> list[np.ndarray]:
    """The TFLite batch-1 call as it was (zip over the inputs, a comprehension over outputs)."""
    with s.lock:
        if values[0].shape[0] != 1:
            raise ValueError("batch 1 only")
        set_tensor, get_tensor = s._set, s._get
        for index, value in zip(s._in_index, values, strict=True):
            set_tensor(index, value)
        s._invoke()
        return [get_tensor(index) for index in s._out_index]


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
    row: dict[str, tuple[float, float]] = {}
    if io.connection is not None and io.connected_from is not None:
        act = acts[io.connected_from]
        conn = act if io.passthrough else io.connection_input(act)
        values = [conn, feats] if io.connection_first else [feats, conn]
        row["requantise connection"] = _connection_times(io, act)
    out = s.run_list(values)
    if hasattr(s, "_set"):  # TFLite
        row.update(_interpreter_row(s, values, len(out)))
    logits, table = out[io.logits_at], io.logits_table
    row["dequantise logits"] = (
        median_us(lambda: table.take(logits.view(np.uint8)))
        if table is not None
        else median_us(lambda: to_float(logits, io.logits)),
        median_us(lambda: table.take(logits, mode="wrap"))
        if table is not None
        else median_us(lambda: to_float(logits, io.logits)),
    )
    if io.activation_at is not None:
        acts[index] = out[io.activation_at]
    return row


def _connection_times(io: Any, act: np.ndarray) -> tuple[float, float]:
    """Before: the 256-entry table look-up every 8-bit connection took when the export left the
    scales different; now: the bytes as they are (the export pins the scales equal), else the
    same look-up."""
    now = median_us(lambda: act if io.passthrough else io.connection_input(act))
    table = requantize_table(io.source, io.connection)
    if table is None:
        return now, now
    translated = translation(table)
    return median_us(lambda: apply_table(table, act, translated)), now


def _interpreter_row(
    s: Any, values: list[np.ndarray], outputs: int
) -> dict[str, tuple[float, float]]:
    """The runtime's own interpreter: SetTensor/GetTensor, and the Python around them in one
    batch-1 call with the invoke itself skipped (zip/comprehension before, unrolled now)."""
    i0, o0 = s._in_index[0], s._out_index[0]
    set_us = median_us(lambda: s._set(i0, values[0]))
    get_us = median_us(lambda: s._get(o0))
    invoke = s._invoke
    s._invoke = lambda: None
    try:
        glue = (median_us(lambda: _old_run_list(s, values)), median_us(lambda: s.run_list(values)))
    finally:
        s._invoke = invoke
    return {
        "set_tensor": (len(values) * set_us, len(values) * set_us),
        "get_tensor": (outputs * get_us, outputs * get_us),
        "run_list with set/get, invoke skipped": glue,
    }


def breakdown(ens: ProgressiveEnsemble, x: np.ndarray) -> dict[str, Any]:
    """The pieces of one batch-1 predict, in us per member: {piece: [before, now]}."""
    k = len(ens)
    xi = np.ascontiguousarray(x[:1], dtype=np.float32)
    parts: dict[str, tuple[float, float]] = {}
    flags = np.empty(xi.size, np.bool_)
    parts["check features (per call / K)"] = (
        median_us(lambda: _old_check(ens, xi[0], flags)) / k,
        median_us(lambda: ens.check_features(xi[0])) / k,
    )
    spec = ens.runner._io[0].features
    if spec.quantization is not None:
        t = median_us(lambda: to_file_dtype(xi, spec)) / k
        parts["quantise features (per call / K)"] = (t, t)
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
