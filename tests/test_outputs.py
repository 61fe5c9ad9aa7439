"""claim_output: a command replaces only what edgekit wrote, and a user's file never."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from edgekit.outputs import OutputError, claim_output, identify, mark_output


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_new_path_and_an_empty_folder_are_free(tmp_path: Path) -> None:
    assert claim_output(tmp_path / "new", "bundle") is False
    (tmp_path / "empty").mkdir()
    assert claim_output(tmp_path / "empty", "run") is False


@pytest.mark.parametrize("kind", ["run", "bundle", "bench", "c-export", "demo"])
def test_a_users_folder_is_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "thesis.tex").write_text("years of work")
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=r"mydocs exists and is a folder edgekit did not write"):
        claim_output(docs, kind, force=True)  # type: ignore[arg-type]
    assert snapshot(tmp_path) == before


def test_a_users_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "x.npy"
    f.write_bytes(b"data")
    with pytest.raises(OutputError, match=r"x\.npy exists and is a file edgekit did not write"):
        claim_output(f, "bundle")
    assert f.read_bytes() == b"data"
    z = tmp_path / "photos.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.jpg", b"jpg")
    with pytest.raises(OutputError, match="edgekit did not write"):
        claim_output(z, "bundle-zip")


def test_own_outputs_are_recognised(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "manifest.json").write_text(json.dumps({"format": "edgekit-bundle"}))
    assert identify(bundle) == "bundle" and claim_output(bundle, "bundle") is True
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"recipe": {}, "data": {}}))
    assert claim_output(run, "run") is True
    report = tmp_path / "report"
    report.mkdir()
    mark_output(report, "bench")
    assert claim_output(report, "bench") is True
    z = tmp_path / "b.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("b/manifest.json", json.dumps({"format": "edgekit-bundle"}))
    assert claim_output(z, "bundle-zip") is True


def test_another_kind_needs_force(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"recipe": {}, "data": {}}))
    with pytest.raises(OutputError, match=r"holds an edgekit run, not a bundle.*--force"):
        claim_output(run, "bundle")
    assert claim_output(run, "bundle", force=True) is True


def test_a_run_killed_while_its_teacher_trained_is_still_a_run(tmp_path: Path) -> None:
    from edgekit.rundir import RunDir

    run = RunDir(tmp_path / "run")
    run.teacher.checkpoint.parent.mkdir(parents=True)
    run.teacher.checkpoint.write_bytes(b"checkpoint")
    assert identify(run.root) == "run" and claim_output(run.root, "run") is True
