"""`edgekit run` and `edgekit bench` as users run them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from edgekit.cli import app
from edgekit.data import load_dataset


def test_run_prints_label_members_and_logits(onnx_bundle: Path, tmp_path: Path) -> None:
    data = load_dataset("synthetic")
    raw = data.val.x[3] * data.normalization.std + data.normalization.mean  # type: ignore[union-attr]
    np.save(tmp_path / "x.npy", raw)
    result = CliRunner().invoke(
        app, ["run", str(onnx_bundle), str(tmp_path / "x.npy"), "--json", "--max-members", "2"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (
        out["members_run"] == 2 and out["stopped_by"] == "max_members" and len(out["logits"]) == 8
    )
    text = CliRunner().invoke(app, ["run", str(onnx_bundle), str(tmp_path / "x.npy")])
    assert "3 of 3 members" in text.output and data.class_names[out["label"]] in text.output


def test_run_refuses_bad_input(onnx_bundle: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((5, 5), np.float32))
    result = CliRunner().invoke(app, ["run", str(onnx_bundle), str(tmp_path / "x.npy")])
    assert result.exit_code != 0 and "features of shape [5, 5]" in str(result.exception)


def test_bench_writes_report_json_and_plot(onnx_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = CliRunner().invoke(
        app, ["bench", str(onnx_bundle), "--out", str(out), "--samples", "20"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "bench.json").read_text())
    assert [m["k"] for m in report["members"]] == [1, 2, 3]
    assert all(m["host_ms_p99"] >= m["host_ms_median"] > 0 for m in report["members"])
    assert set(report["members"][0]["estimates_us"]) == {
        "rtx3090ti",
        "cortex-m4-100mhz",
        "cortex-m7-216mhz",
        "rpi4",
    }
    assert (
        "ESTIMATES" in (out / "bench.md").read_text() and (out / "bench.png").stat().st_size > 1000
    )
    assert report["early_exit"][-1]["accuracy"] == report["members"][-1]["prefix_accuracy"]
