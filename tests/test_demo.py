"""`edgekit demo`, the README's main job, end to end (shortened by recipe overrides)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgekit.demo import run_demo


def test_demo_runs_the_whole_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import edgekit.distill.pipeline as pipeline

    real = pipeline.Distiller.__init__

    def quick(self: pipeline.Distiller, *args: object, **kwargs: object) -> None:
        kwargs["overrides"] = [
            "teacher_train.epochs=4",
            "student_train.epochs=3",
            "distill.max_members=2",
        ]
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.Distiller, "__init__", quick)
    result = run_demo(tmp_path / "demo", device="cpu")
    assert (tmp_path / "demo" / "accuracy_cost.png").stat().st_size > 1000
    assert (tmp_path / "demo" / "bundle-tflite-int8" / "manifest.json").exists()
    assert (tmp_path / "demo" / "bundle-tflite-int8.zip").exists()
    assert result["members"] == 2 and 1 <= result["deadline_mean_members"] <= 2
    assert 0 < result["full_accuracy"] <= 1
