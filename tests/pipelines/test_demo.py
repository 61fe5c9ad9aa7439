"""`edgekit demo`, the README's main job, end to end (shortened by recipe overrides)."""

from __future__ import annotations

from pathlib import Path

from edgekit.pipelines.demo import run_demo


def test_demo_runs_the_whole_pipeline(tmp_path: Path) -> None:
    quick = ["teacher_train.epochs=4", "student_train.epochs=3", "distill.max_members=2"]
    result = run_demo(tmp_path / "demo", device="cpu", overrides=quick)
    assert (tmp_path / "demo" / "accuracy_cost.png").stat().st_size > 1000
    assert (tmp_path / "demo" / "bundle-tflite-int8" / "manifest.json").exists()
    assert (tmp_path / "demo" / "bundle-tflite-int8.zip").exists()
    assert result["members"] == 2 and 1 <= result["deadline_mean_members"] <= 2
    assert 0 < result["full_accuracy"] <= 1


def test_report_collects_rounds_bundles_and_latency(
    tiny_run: Path, onnx_bundle: Path, tmp_path: Path
) -> None:
    import shutil

    from typer.testing import CliRunner

    from edgekit.cli import app

    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    shutil.copytree(onnx_bundle, run / "bundle-onnx-float")
    assert (
        CliRunner()
        .invoke(app, ["bench", str(run / "bundle-onnx-float"), "--samples", "10"])
        .exit_code
        == 0
    )
    result = CliRunner().invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    text = (run / "report.md").read_text()
    assert "B-DISTIL run: synthetic" in text and "accuracy_cost.png" in text
    assert (
        "`bundle-onnx-float` (onnx float32)" in text
        and "## Latency: `bundle-onnx-float-bench`" in text
    )
