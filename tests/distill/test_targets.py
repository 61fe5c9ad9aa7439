"""Members trained on augmented inputs match the teacher on those inputs, not on the clean ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from edgekit.config import Recipe, TrainConfig
from edgekit.data import load_dataset
from edgekit.distill.context import DistillContext, Parts
from edgekit.distill.targets import Targets
from edgekit.models import build_model
from edgekit.rundir import RunDir
from edgekit.train.augment import feature_augmenter


def context(tmp_path: Path, student: TrainConfig) -> DistillContext:
    data = load_dataset("synthetic")
    teacher = build_model("cnn1d-8", data.feature_shape, data.num_classes).eval()
    parts = Parts(data.train, data.val, data.val, None)
    clean = {"fit": teacher(torch.as_tensor(data.train.x)).logits.detach()}
    augment = feature_augmenter(parts.fit, data, student, torch.device("cpu"))
    return DistillContext(
        recipe=replace(Recipe(task="synthetic"), student_train=student),
        run=RunDir(tmp_path),
        device=torch.device("cpu"),
        device_name="cpu",
        feature_shape=data.feature_shape,
        num_classes=data.num_classes,
        parts=parts,
        logits=clean,
        teacher_macs=1,
        teacher=teacher if augment is not None else None,
        augment=augment,
    )


def test_without_augmentation_the_cached_logits_are_the_target(tmp_path: Path) -> None:
    ctx = context(tmp_path, TrainConfig())
    targets = Targets(ctx)
    idx = torch.arange(5)
    assert targets.features is None
    assert torch.equal(targets.target(idx, torch.device("cpu")), ctx.logits["fit"][idx])


def test_augmented_batches_get_the_teachers_logits_on_the_augmented_inputs(tmp_path: Path) -> None:
    ctx = context(tmp_path, TrainConfig(sensor_jitter=0.3, sensor_shift=4))
    targets = Targets(ctx)
    assert targets.features is not None and ctx.teacher is not None
    idx = torch.arange(16)
    x1 = targets.features(idx, torch.Generator().manual_seed(1))
    t1 = targets.target(idx, torch.device("cpu"))
    assert not torch.allclose(x1, torch.as_tensor(ctx.parts.fit.x[:16]))  # augmented
    assert torch.allclose(t1, ctx.teacher(x1).logits)  # the target follows the input...
    assert not torch.allclose(t1, ctx.logits["fit"][idx], atol=1e-3)  # ...not the clean clip
    x2 = targets.features(idx, torch.Generator().manual_seed(2))
    t2 = targets.target(idx, torch.device("cpu"))
    assert not torch.allclose(x1, x2) and not torch.allclose(t1, t2)  # new draw, new target
    again = Targets(ctx)
    assert again.features is not None
    assert torch.equal(again.features(idx, torch.Generator().manual_seed(1)), x1)  # seeded


def test_spec_masks_apply_to_features_without_waveforms(tmp_path: Path) -> None:
    ctx = context(tmp_path, TrainConfig(spec_freq_mask=3, spec_time_mask=8))
    assert ctx.augment is not None
    x = ctx.augment(torch.arange(8), torch.Generator().manual_seed(0))
    assert (x == 0).sum() > 0 and np.isfinite(x.numpy()).all()


def test_a_run_with_augmented_members_completes(tmp_path: Path) -> None:
    from edgekit.pipelines.distill import distill
    from tests.conftest import TINY_RUN

    sets = [*TINY_RUN[:-1], "distill.max_members=1", "student_train.sensor_jitter=0.2"]
    done = distill("synthetic", tmp_path / "run", overrides=sets, device="cpu")
    assert len(done.records) == 1 and done.ctx.augment is not None
