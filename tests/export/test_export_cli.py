"""`edgekit export` as users run it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from edgekit.cli import app
from edgekit.runtime import load_bundle


def test_export_command_writes_a_bundle_and_a_zip(tiny_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "kws-bundle"
    result = CliRunner().invoke(
        app,
        [
            "export",
            str(tiny_run),
            "--target",
            "onnx",
            "--int8",
            "--calib",
            "64",
            "--zip",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "cnn1d-8" in result.output and str(out) in result.output.replace("\n", "")
    assert load_bundle(out).manifest.precision == "int8"
    assert load_bundle(out.with_suffix(".zip")).files == load_bundle(out).files


def test_export_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["export", "--help"])
    assert result.exit_code == 0 and "Example: edgekit export" in result.output


def test_unknown_target_is_refused(tiny_run: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", str(tiny_run), "--target", "coreml", "--out", str(tmp_path / "b")]
    )
    assert result.exit_code != 0
    assert "--target must be one of onnx, tflite or c" in str(result.exception)
