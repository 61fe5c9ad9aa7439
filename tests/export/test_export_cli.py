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


def test_c_export_text_lists_members_and_the_arena(tmp_path: Path) -> None:
    import json

    from edgekit.export.c import summary_text

    member = {"index": 1, "spec": "cnn1d-8", "flash_bytes": 1272, "work_bytes": 1056, "ops": 23}
    model = {
        "members": [{**member, "macs": 17984}],
        "arena_bytes": 1440,
        "flash_bytes": 4488,
        "bundle": str(tmp_path / "bundle"),
    }
    (tmp_path / "model.json").write_text(json.dumps(model))
    lines = summary_text(tmp_path).splitlines()
    assert lines[0] == (
        "member 1 cnn1d-8: flash 1,272 B, working memory 1,056 B, 23 ops, 17,984 MACs"
    )
    assert lines[1].startswith(
        "arena (RAM for ek_prepare / ek_run): 1,440 B; flash in all 4,488 B;"
    )
    assert str(tmp_path / "bundle") in lines[1]
