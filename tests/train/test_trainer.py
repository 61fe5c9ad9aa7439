"""The training loop: repeatable seeds, crash-and-resume without loss, safe checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from edgekit.checkpoint import load_checkpoint, save_checkpoint
from edgekit.config import TrainConfig
from edgekit.data import load_dataset
from edgekit.errors import EdgekitError
from edgekit.models import build_model
from edgekit.pipelines.teacher import train_teacher
from edgekit.rundir import TrainerFiles
from edgekit.train.faults import FAULT_ENV, FAULT_EXIT
from edgekit.train.losses import accuracy, distillation_loss, kd_loss
from edgekit.train.predict import predict_logits
from edgekit.train.trainer import Trainer
from tests.conftest import make_speech_tree

CONFIG = TrainConfig(epochs=3, batch_size=64, optimizer="adamw", lr=3e-3, seed=7)

CHECKPOINT = TrainerFiles(Path()).checkpoint.name
BEST = TrainerFiles(Path()).best.name
METRICS = TrainerFiles(Path()).metrics.name


class Crash(Exception):
    pass


def trainer(out: Path, config: TrainConfig = CONFIG, **kwargs: object) -> Trainer:
    data = load_dataset("synthetic")
    torch.manual_seed(config.seed)
    model = build_model("cnn1d-8", data.feature_shape, data.num_classes)
    return Trainer(model, data.train, data.val, config, out, device="cpu", **kwargs)  # type: ignore[arg-type]


def weights(t: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in t.model.state_dict().items()}


def assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_same_seed_same_weights(tmp_path: Path) -> None:
    a, b = trainer(tmp_path / "a"), trainer(tmp_path / "b")
    ra, rb = a.fit(), b.fit()
    assert_same(weights(a), weights(b))
    timing = {"epoch_seconds", "samples_per_second", "wall_seconds"}
    untimed = [
        [{k: v for k, v in h.items() if k not in timing} for h in r.history] for r in (ra, rb)
    ]
    assert untimed[0] == untimed[1] and len(untimed[0]) == 3
    assert ra.best_val_accuracy > 0.4  # it learns (chance is 1/8)


def test_crash_mid_epoch_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    straight = trainer(tmp_path / "straight")
    straight.fit()

    def crash(epoch: int, step: int) -> None:
        if epoch == 1 and step == 10:
            raise Crash

    broken = trainer(tmp_path / "broken", on_step=crash)
    with pytest.raises(Crash):
        broken.fit()
    saved = load_checkpoint(tmp_path / "broken" / CHECKPOINT)
    assert saved["epoch"] == 0  # the last finished epoch, nothing of the torn one
    resumed = trainer(tmp_path / "broken")
    result = resumed.fit(resume=True)
    assert result.epochs_run == 2
    assert_same(weights(straight), weights(resumed))
    rows = [json.loads(line) for line in (tmp_path / "broken" / METRICS).read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    ref = [json.loads(line) for line in (tmp_path / "straight" / METRICS).read_text().splitlines()]
    assert [r["val_accuracy"] for r in rows] == [r["val_accuracy"] for r in ref]


def test_existing_run_is_never_overwritten(tmp_path: Path) -> None:
    trainer(tmp_path / "run", TrainConfig(epochs=1, seed=1)).fit()
    before = (tmp_path / "run" / CHECKPOINT).read_bytes()
    with pytest.raises(EdgekitError, match="already holds a training run"):
        trainer(tmp_path / "run", TrainConfig(epochs=1, seed=1)).fit()
    with pytest.raises(EdgekitError, match="other settings \\(lr\\)"):
        trainer(tmp_path / "run", TrainConfig(epochs=2, seed=1, lr=0.01)).fit(resume=True)
    assert (tmp_path / "run" / CHECKPOINT).read_bytes() == before
    result = trainer(tmp_path / "run", TrainConfig(epochs=2, seed=1)).fit(resume=True)
    assert result.epochs_run == 1 and len(result.history) == 2


def test_best_epoch_weights_are_kept(tmp_path: Path) -> None:
    t = trainer(tmp_path / "run", TrainConfig(epochs=4, optimizer="sgd", lr=0.5, seed=3))
    result = t.fit()
    best = load_checkpoint(tmp_path / "run" / BEST)
    assert best["epoch"] == result.best_epoch
    accs = [h["val_accuracy"] for h in result.history]
    assert result.best_val_accuracy == max(accs)
    t.model.load_state_dict(best["model"])
    logits = predict_logits(t.model, t.val.x, torch.device("cpu"))
    assert accuracy(logits, torch.as_tensor(t.val.y)) == pytest.approx(result.best_val_accuracy)


def test_teacher_resume_refuses_other_settings_and_keeps_config(tmp_path: Path) -> None:
    out = tmp_path / "run"
    train_teacher("synthetic", out, overrides=["teacher_train.epochs=1"], device="cpu")
    config = (out / "config.json").read_bytes()
    for change, message in (
        ("teacher_train.lr=0.01", "teacher_train.lr"),
        ("teacher=cnn1d-32", "recipe.teacher"),
    ):
        with pytest.raises(EdgekitError, match=message):
            train_teacher(
                "synthetic",
                out,
                overrides=["teacher_train.epochs=2", change],
                device="cpu",
                resume=True,
            )
        assert (out / "config.json").read_bytes() == config
    summary = train_teacher(
        "synthetic", out, overrides=["teacher_train.epochs=2"], device="cpu", resume=True
    )
    assert summary.best_epoch in (1, 2) and (out / "config.json").read_bytes() == config


def test_speech_teacher_trains_with_augmentation(tmp_path: Path) -> None:
    root = make_speech_tree(tmp_path / "sc", words=("yes", "no", "up", "go"))
    overrides = ["teacher=dscnn-8x2", "teacher_train.epochs=1", "teacher_train.augment=true"]
    summary = train_teacher(
        "kws8", tmp_path / "run", data_dir=root, overrides=overrides, device="cpu"
    )
    assert 0.0 <= summary.val_accuracy <= 1.0 and summary.macs > 0
    rows = (tmp_path / "run" / "teacher" / METRICS).read_text().splitlines()
    assert len(rows) == 1 and json.loads(rows[0])["train_loss"] > 0


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def test_checkpoints_never_unpickle_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"model": Evil()}, path)
    with pytest.raises(EdgekitError, match="not a readable edgekit checkpoint"):
        load_checkpoint(path)
    save_checkpoint(
        tmp_path / "ok.pt", {"model": {"w": torch.ones(2)}, "epoch": 3, "history": [{"a": 1.0}]}
    )
    assert load_checkpoint(tmp_path / "ok.pt")["epoch"] == 3


def test_kd_loss() -> None:
    teacher = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    assert torch.allclose(kd_loss(teacher, teacher, 4.0), torch.zeros(2), atol=1e-6)
    student = torch.zeros(2, 3)
    p = torch.softmax(teacher / 2.0, dim=-1)
    expected = (p * (p.log() - torch.log_softmax(student / 2.0, dim=-1))).sum(-1) * 4.0
    assert torch.allclose(kd_loss(student, teacher, 2.0), expected)


def test_student_distils_from_cached_logits(tmp_path: Path) -> None:
    data = load_dataset("synthetic")
    teacher_logits = torch.nn.functional.one_hot(torch.as_tensor(data.train.y), 8).float() * 5
    config = TrainConfig(epochs=2, optimizer="adamw", lr=3e-3)
    t = trainer(tmp_path / "s", config, loss=distillation_loss(teacher_logits, config))
    assert t.fit().best_val_accuracy > 0.3


def test_real_kill_then_resume(tmp_path: Path) -> None:
    """A real training process ends without cleanup right after its second epoch's checkpoint
    (the fault hook, at a known point: no timing); --resume finishes it from there."""
    out = tmp_path / "run"
    args = [sys.executable, "-m", "edgekit", "train-teacher", "synthetic", "--out", str(out),
            "--set", "teacher_train.epochs=40", "--device", "cpu"]  # fmt: skip
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    killed = subprocess.run(args, env={**env, FAULT_ENV: "teacher@2"}, capture_output=True)
    assert killed.returncode == FAULT_EXIT
    metrics = out / "teacher" / METRICS
    done_before = len(metrics.read_text().splitlines())
    assert done_before == 2, "the kill lands right after epoch 2"

    def stable(rows: list[str]) -> list[tuple[object, ...]]:  # timings differ run to run
        return [
            (r["epoch"], r["val_accuracy"], r["val_loss"], r["train_loss"])
            for r in map(json.loads, rows)
        ]

    first_rows = stable(metrics.read_text().splitlines()[:2])
    again = subprocess.run([*args, "--resume"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    rows = metrics.read_text().splitlines()
    assert len(rows) == 40 and stable(rows[:2]) == first_rows
    assert json.loads((out / "teacher" / "summary.json").read_text())["val_accuracy"] > 0.5
