"""Build and run firmware_stubs/' host example on a generated C model (a test and benchmark
helper: it runs ``make``, so it lives with the tests, not in the library).

The tests and benchmarks check the C runtime through the same program a user would run on a
PC before flashing a board, so the make targets and the output format are read in one place.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class HostRow:
    """One input's line of the host example's output."""

    label: int
    members: int
    stopped: str  # ek_stop_reason_name: all, max_members, budget_macs, deadline_us, margin
    elapsed_us: int  # by the policy clock (0 without one)
    macs: int  # cumulative MACs of the members run
    mean_us: float | None  # mean wall time of one run with --repeat
    logits: np.ndarray
    class_name: str


def build_host(
    firmware: Path, gen: Path, out: Path, target: str = "host", kernels: str = "fast"
) -> Path:
    """``make -C firmware TARGET GEN=gen OUT=out KERNELS=kernels``; returns the binary (host:
    sanitizers on; kernels: fast or reference)."""
    result = subprocess.run(
        ["make", "-C", str(firmware), target, f"GEN={gen}", f"OUT={out}", f"KERNELS={kernels}"],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"building the host example failed:\n{result.stdout}{result.stderr}")
    return out / target


def run_host(host: Path, x: np.ndarray, tmp: Path, *args: str) -> list[HostRow]:
    """Run ``host`` on features ``x`` [N, T, C] (written to ``tmp``) with extra ``args``."""
    path = tmp / "features.f32"
    np.ascontiguousarray(x, dtype="<f4").tofile(path)
    out = subprocess.run([str(host), str(path), *args], check=True, capture_output=True, text=True)
    rows = []
    for line in out.stdout.splitlines():
        head, class_name = line.split(" class=", 1)  # the class name is last: it may hold spaces
        fields = dict(kv.split("=", 1) for kv in head.split())
        rows.append(
            HostRow(
                int(fields["label"]),
                int(fields["members"]),
                fields["stopped"],
                int(fields["elapsed_us"]),
                int(fields.get("macs", 0)),  # (absent from older builds' output)
                float(fields["mean_us"]) if "mean_us" in fields else None,
                np.array([float(v) for v in fields["logits"].split(",")]),
                class_name,
            )
        )
    return rows
