"""benchmarks/arrays.py in smoke mode: one aeon set, a few steps, MiniRocket beside edgekit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip(
    "aeon", reason="aeon is not installed (pip install -e '.[bench]'): the MiniRocket reference"
)

from benchmarks.arrays import SMOKE_SET, carve_val, main


def test_validation_cut_is_stratified_and_leaves_every_class_in_train() -> None:
    y = np.array([0] * 10 + [1] * 3 + [2] * 2)
    val = carve_val(y)
    assert sorted(np.bincount(y[val], minlength=3)) == [1, 1, 2]
    rest = np.setdiff1d(np.arange(len(y)), val)
    assert set(y[rest]) == {0, 1, 2}


@pytest.mark.slow
def test_smoke_run_writes_the_table_with_minirocket_and_the_run(tmp_path: Path) -> None:
    results = main(["--smoke", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "out")])
    (row,) = results
    assert row["set"] == SMOKE_SET and row["sizes"]["test"] > 0
    assert 0.5 < row["minirocket"] <= 1.0  # 2 classes: MiniRocket beats chance even at 500 kernels
    assert 0.0 <= row["teacher_test"] <= 1.0 and row["prefixes"]
    assert any("receptive field" in w for w in row["warnings"])  # 24 steps < 67
    table = (tmp_path / "out.md").read_text()
    assert f"| {SMOKE_SET} | 24 x 1, 2 |" in table
    assert json.loads((tmp_path / "out.json").read_text())["results"][0]["set"] == SMOKE_SET
