"""torchrun with 2 CPU processes (gloo, DDP, DistributedSampler) matches a single process.

Both train a GRU (no BatchNorm, whose per-process batch statistics would legitimately differ)
with the same global batch: DistributedSampler gives rank r every other index of the same
permutation, so each step's union of per-rank batches is the single process's batch, and DDP
averages the gradients. Only float summation order differs; we hold the final weights to
1e-4 absolute.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from edgekit.checkpoint import load_checkpoint
from edgekit.models import build_model

TOLERANCE = 1e-4
SETTINGS = [
    "--set", "teacher=gru-8",
    "--set", "teacher_train.epochs=2",
    "--set", "teacher_train.batch_size=64",
    "--device", "cpu",
]  # fmt: skip


def run(args: list[str]) -> None:
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.slow
def test_two_process_torchrun_matches_single_process(tmp_path: Path) -> None:
    single, multi = tmp_path / "single", tmp_path / "multi"
    run(
        [
            sys.executable,
            "-m",
            "edgekit",
            "train-teacher",
            "synthetic",
            "--out",
            str(single),
            *SETTINGS,
        ]
    )
    run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "edgekit", "train-teacher", "synthetic", "--out", str(multi), *SETTINGS])  # fmt: skip
    a = load_checkpoint(single / "teacher" / "checkpoint.pt")
    b = load_checkpoint(multi / "teacher" / "checkpoint.pt")
    assert a["epoch"] == b["epoch"] == 1
    worst = max(float((a["model"][k] - b["model"][k]).abs().max()) for k in a["model"])
    assert worst <= TOLERANCE, f"weights differ by {worst}"
    torch.manual_seed(0)  # train-teacher seeds torch with teacher_train.seed before building
    init = build_model("gru-8", (64, 8), 8).state_dict()
    moved = max(float((a["model"][k] - init[k]).abs().max()) for k in a["model"])
    assert moved > 0.01  # the comparison is between trained weights, not two untouched inits
    for key in ("val_accuracy", "train_loss"):
        assert abs(a["history"][-1][key] - b["history"][-1][key]) < 1e-3
    assert not list((multi / "teacher").glob("*.tmp")), "only rank 0 writes, atomically"
