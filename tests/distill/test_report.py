"""The run's report shows test accuracy beside validation where the data has a test split, and
each baseline at its own cost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgekit.cli import app
from edgekit.pipelines.distill import distill


@pytest.fixture(scope="module")
def run_with_test(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("arrays")
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n) % 3
        x = rng.standard_normal((n, 32, 3)).astype(np.float32) + y[:, None, None]
        return x, y

    (xt, yt), (xv, yv), (xs, ys) = split(90), split(30), split(30)
    np.savez(root / "d.npz", X_train=xt, y_train=yt, X_val=xv, y_val=yv, X_test=xs, y_test=ys)
    # the arrays recipe's MAC cap and step floor would make this run slow or empty
    sets = [
        "teacher=cnn1d-32", "students=cnn1d-4", "teacher_train.epochs=2",
        "student_train.epochs=2", "distill.max_members=2", "distill.gamma_min=0",
        "distill.budget=1.0", "teacher_train.min_steps=0", "student_train.min_steps=0",
    ]  # fmt: skip
    out = root / "run"
    distill("arrays", out, overrides=sets, data_dir=root / "d.npz", device="cpu", baselines=True)
    return out


def test_summary_has_test_columns_and_baseline_costs(run_with_test: Path) -> None:
    text = (run_with_test / "summary.md").read_text()
    assert "test accuracy" in text.splitlines()[2]  # the teacher line
    header = next(line for line in text.splitlines() if line.startswith("| k |"))
    assert "test acc F_k" in header and "RESCHED val / test" in header
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert row.count(" @ ") == 2 and row.count("%") == 2  # each baseline at its own cost


def test_cli_table_has_test_column(run_with_test: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = CliRunner().invoke(app, ["report", str(run_with_test)])
    assert result.exit_code == 0, result.output
    from edgekit.distill.report import print_run

    print_run(run_with_test)
    out = capsys.readouterr().out
    assert "test acc F_k" in out and "RESCHED acc @ % teacher" in out
