"""Build and run firmware_stubs/' host example on a generated C model.

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
    stopped: int  # ek_stop_reason
    elapsed_us: int  # by the policy clock (0 without one)
    mean_us: float | None  # mean wall time of one run with --repeat
    logits: np.ndarray
    class_name: str


def build_host(firmware: Path, gen: Path, out: Path, target: str = "host") -> Path:
    """``make -C firmware TARGET GEN=gen OUT=out``; returns the binary (host: sanitizers on)."""
    result = subprocess.run(
        ["make", "-C", str(firmware), target, f"GEN={gen}", f"OUT={out}"],
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
                int(fields["stopped"]),
                int(fields["elapsed_us"]),
                float(fields["mean_us"]) if "mean_us" in fields else None,
                np.array([float(v) for v in fields["logits"].split(",")]),
                class_name,
            )
        )
    return rows
