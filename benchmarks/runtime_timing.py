"""Runtime overhead per member: predict time minus the time inside the backend's own invoke,
measured on fresh ensembles, repeated and interleaved over the bundles of a task (the machine is
shared: load from other jobs then falls on every bundle alike), with the load average recorded.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.runtime_parts import baseline_overhead
from edgekit.runtime import ProgressiveEnsemble


class InvokeClock:
    """Accumulates the time spent inside the backend's own invoke (ORT run / interpreter invoke)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed


def instrument(ens: ProgressiveEnsemble, clock: InvokeClock) -> None:
    for s in ens.runner.sessions:
        if hasattr(s, "session"):  # onnxruntime
            s.session.run = clock.wrap(s.session.run)
        elif hasattr(s, "_invoke"):  # TFLite, this runtime: the interpreter call bound at load
            s._invoke = clock.wrap(s._invoke)
        else:  # TFLite, runtimes before the hot path was bound at load
            s.it.invoke = clock.wrap(s.it.invoke)  # type: ignore[attr-defined]


def overhead(ens: ProgressiveEnsemble, x: np.ndarray) -> dict[str, Any]:
    clock = InvokeClock()
    instrument(ens, clock)
    per_member_total, per_member_invoke, member_ms = [], [], []
    for i in range(-5, len(x)):
        clock.seconds = 0.0
        t0 = time.perf_counter()
        pred = ens.predict(x[max(i, 0)])
        total = time.perf_counter() - t0
        if i >= 0:
            per_member_total.append(total / pred.members_run)
            per_member_invoke.append(clock.seconds / pred.members_run)
            member_ms.append(pred.member_ms)
    total_us = 1e6 * np.median(per_member_total)
    invoke_us = 1e6 * np.median(per_member_invoke)
    over = total_us - invoke_us
    limit = max(0.05 * total_us, 30.0)
    times = np.asarray(member_ms)
    return {
        "member_us_median": total_us,
        "invoke_us_median": invoke_us,
        "overhead_us": over,
        "overhead_fraction": over / total_us,
        "limit_us": limit,
        "within_limit": bool(over <= limit),
        "member_p50_ms": np.median(times, axis=0).tolist(),
        "member_p99_ms": np.percentile(times, 99, axis=0).tolist(),
    }


def load_average() -> float:
    """The 1-minute load average (0 where the platform has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median overhead, with every run's overhead and load beside it."""
    ordered = sorted(runs, key=lambda r: r["overhead_us"])
    mid = dict(ordered[(len(ordered) - 1) // 2])
    mid["overhead_us_runs"] = [r["overhead_us"] for r in runs]
    mid["load_runs"] = [r["load"] for r in runs]
    return mid


def interleaved_overheads(
    bundles: dict[str, Path], timed: np.ndarray, repeat: int, baseline: str | None
) -> dict[str, dict[str, Any]]:
    """{bundle: {"overhead": median run, "overhead_before": median run of ``baseline`` or
    None}}: each bundle timed ``repeat`` times, round-robin over the bundles, each time on a
    freshly loaded ensemble (and, with ``baseline``, the old runtime right after it)."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in bundles}
    before: dict[str, list[dict[str, Any]]] = {name: [] for name in bundles}
    for _ in range(repeat):
        for name, path in bundles.items():
            load = load_average()
            runs[name].append({**overhead(ProgressiveEnsemble.load(path), timed), "load": load})
            old = baseline_overhead(baseline, path, timed) if baseline else None
            if old is not None:
                before[name].append({**old, "load": load_average()})
    return {
        name: {
            "overhead": _median_run(runs[name]),
            "overhead_before": _median_run(before[name]) if before[name] else None,
        }
        for name in bundles
    }
