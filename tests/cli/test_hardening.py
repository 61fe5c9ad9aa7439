"""The hardening probes as tests: the command, the exact error, and the files left as they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from edgekit.cli import app
from edgekit.errors import EdgekitError
from edgekit.outputs import OutputError
from tests.conftest import tone

runner = CliRunner()


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def edgekit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "edgekit", *args], capture_output=True, text=True, env=env
    )


# ------------------------------------------------------------------- 1. never lose a user's file
def test_export_refuses_a_users_folder_and_file(tiny_run: Path, tmp_path: Path) -> None:
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "thesis.tex").write_text("years of work")
    (tmp_path / "x.npy").write_bytes(b"data")
    before = snapshot(tmp_path)
    for out in (docs, tmp_path / "x.npy"):
        result = runner.invoke(
            app, ["export", str(tiny_run), "--target", "onnx", "--out", str(out)]
        )
        assert isinstance(result.exception, OutputError)
        assert "edgekit did not write; refusing to replace it" in str(result.exception)
    result = runner.invoke(
        app, ["export", str(tiny_run), "--target", "c", "--out", str(docs), "--force"]
    )
    assert isinstance(result.exception, OutputError)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydocs", "x.npy"]  # no .old, no temp


def test_bench_refuses_an_existing_file_and_bad_arguments(
    onnx_bundle: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    cases = [
        (["--out", str(notes)], OutputError, "notes.txt exists and is a file edgekit did not write"),
        (["--samples", "0"], EdgekitError, "--samples must be >= 1 (inputs timed at batch 1), got 0"),
        (["--samples", "-5"], EdgekitError, "--samples must be >= 1 (inputs timed at batch 1), got -5"),
        (["--data", str(tmp_path / "nope")], EdgekitError, "nope: no such file or folder"),
        (["--perturb-copies", "-1"], EdgekitError, "--perturb-copies must be >= 0 (0: no copies), got -1"),
    ]  # fmt: skip
    for extra, kind, message in cases:
        result = runner.invoke(app, ["bench", str(onnx_bundle), *extra])
        assert isinstance(result.exception, kind), result.output
        assert message in str(result.exception)
    assert notes.read_text() == "mine"


def test_bench_replaces_its_own_report(onnx_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    for _ in range(2):  # the second run recognises the first one's marker
        result = runner.invoke(
            app, ["bench", str(onnx_bundle), "--samples", "4", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output


def test_distill_and_demo_refuse_a_users_folder(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_text("x")
    for args in (["distill", "synthetic", "--out", str(work)], ["demo", "--out", str(work)]):
        result = runner.invoke(app, args)
        assert isinstance(result.exception, OutputError), result.output
    assert snapshot(tmp_path) == {"work/a.txt": b"x"}


# ------------------------------------------------------------- 2. messages printed whole
def test_brackets_in_messages_and_paths_are_printed(onnx_bundle: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "wrong.npy", np.zeros((3, 3), np.float32))
    proc = edgekit("run", str(onnx_bundle), str(tmp_path / "wrong.npy"))
    assert proc.returncode == 2
    assert "expects [64, 8] or [batch, 64, 8]" in " ".join(proc.stderr.split())
    proc = edgekit("run", str(onnx_bundle), str(tmp_path / "rec[left]1.npy"))
    assert "rec[left]1.npy: no such file" in " ".join(proc.stderr.split())


# ------------------------------------------------------------- 3. every fix-up said
@pytest.fixture(scope="module")
def speech_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-member KWS bundle trained for an epoch on a tiny speech tree (real front end)."""
    from edgekit.export.exporter import ExportOptions, export_bundle
    from edgekit.pipelines.distill import distill
    from tests.conftest import make_speech_tree

    root = tmp_path_factory.mktemp("speech")
    tree = make_speech_tree(root / "tree")
    sets = [
        "teacher=dscnn-8x4", "students=dscnn-8x4", "teacher_train.epochs=1",
        "teacher_train.augment=false", "student_train.epochs=1", "distill.max_members=1",
        "distill.budget=1.0",  # the member is the teacher's size (the recipe caps at 40 %)
    ]  # fmt: skip
    distill("kws8", root / "run", overrides=sets, data_dir=tree, device="cpu")
    return export_bundle(root / "run", root / "bundle", ExportOptions("onnx"), data_dir=tree)


def test_run_reports_every_fixup_and_refuses_long_audio(
    speech_bundle: Path, tmp_path: Path
) -> None:
    stereo = tmp_path / "st8k.wav"
    sf.write(stereo, np.stack([tone(440, 0.5, rate=8000)] * 2, axis=1), 8000)
    result = runner.invoke(app, ["run", str(speech_bundle), str(stereo), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["fixups"] == [
        "mixed 2 channels down to mono",
        "resampled from 8000 Hz to 16000 Hz",
    ]
    assert "note: " in result.stderr and "resampled from 8000 Hz" in result.stderr
    long = tmp_path / "long.wav"
    sf.write(long, tone(440, 3.0), 16000)
    result = runner.invoke(app, ["run", str(speech_bundle), str(long)])
    assert isinstance(result.exception, EdgekitError)
    assert "3.00 s of audio, but the model classifies one 1 s clip" in str(result.exception)
    result = runner.invoke(app, ["run", str(speech_bundle), str(long), "--long-audio", "loudest"])
    assert result.exit_code == 0 and "kept the loudest 1 s of a 3.00 s clip" in result.stderr


# ------------------------------------------------------------- 5. no tracebacks left
def test_report_skips_a_damaged_last_metrics_line(tiny_run: Path, tmp_path: Path) -> None:
    import shutil

    from edgekit.rundir import RunDir

    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    rows = RunDir(run).read_rounds()
    with RunDir(run).metrics_path.open("a") as fh:
        fh.write('{"round": 9, "val_acc')  # what a writer killed mid-line leaves
    assert RunDir(run).read_rounds() == rows
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------- 8. newcomer paper cuts
def test_data_help_has_an_example() -> None:
    result = runner.invoke(app, ["data", "--help"])
    assert "Example: edgekit data info synthetic" in " ".join(result.output.split())


def test_threads_option_is_recorded_in_the_run(tmp_path: Path) -> None:
    out = tmp_path / "t"
    sets = ["teacher_train.epochs=1", "teacher=cnn1d-8"]
    result = runner.invoke(
        app, ["train-teacher", "synthetic", "--out", str(out), "--threads", "1",
              *[a for s in sets for a in ("--set", s)]],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["threads"] == 1
