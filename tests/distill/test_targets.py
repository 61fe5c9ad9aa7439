"""Members trained on augmented inputs match the teacher on those inputs, not on the clean ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from edgekit.config import Recipe, TrainConfig
from edgekit.data import load_dataset
from edgekit.distill.context import DistillContext, Parts
from edgekit.distill.targets import Targets
from edgekit.models import build_model
from edgekit.rundir import RunDir
from edgekit.train.augment import feature_augmenter


def context(tmp_path: Path, student: TrainConfig, device: str = "cpu") -> DistillContext:
    data = load_dataset("synthetic")
    on = torch.device(device)
    teacher = build_model("cnn1d-8", data.feature_shape, data.num_classes).eval().to(on)
    parts = Parts(data.train, data.val, data.val, None)
    clean = {"fit": teacher(torch.as_tensor(data.train.x).to(on)).logits.detach()}
    augment = feature_augmenter(parts.fit, data, student, on)
    return DistillContext(
        recipe=replace(Recipe(task="synthetic"), student_train=student),
        run=RunDir(tmp_path),
        device=on,
        device_name=device,
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
    memo = done.ctx.teacher_memo  # used while training, released once the run is over
    assert memo.misses > 0 and memo.stored == memo.feature_bytes == 0
    assert memo.get(b"any") is None and not memo._logits and not memo._inputs


def test_a_released_memo_keeps_its_counters_and_stores_again() -> None:
    from edgekit.distill.memo import TeacherMemo

    memo = TeacherMemo()
    memo.put(b"k", torch.ones(4, 3))
    memo.put_inputs(b"k", torch.ones(4, 5), torch.zeros(2))
    assert memo.get(b"k") is not None and memo.stored == 48 and memo.feature_bytes == 80
    memo.release()
    assert memo.get(b"k") is None and memo.get_inputs(b"k") is None
    assert (memo.stored, memo.feature_bytes, memo.hits, memo.misses) == (0, 0, 1, 1)
    memo.put(b"k", torch.ones(4, 3))
    assert memo.get(b"k") is not None


class CountingTeacher(torch.nn.Module):
    """The context's teacher, counting its calls."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner, self.calls = inner, 0

    def forward(self, x: torch.Tensor) -> object:
        self.calls += 1
        return self.inner(x)


def test_the_teacher_runs_once_per_augmented_batch_per_run(tmp_path: Path) -> None:
    ctx = context(tmp_path, TrainConfig(sensor_jitter=0.3, sensor_shift=4))
    assert ctx.teacher is not None
    counting = CountingTeacher(ctx.teacher)
    ctx = replace(ctx, teacher=counting)  # type: ignore[arg-type]
    idx = torch.arange(16)
    first, second = Targets(ctx), Targets(ctx)  # two models of one run
    assert first.features is not None and second.features is not None
    x1 = first.features(idx, torch.Generator().manual_seed(1))
    t1 = first.target(idx, torch.device("cpu")).clone()
    x2 = second.features(idx, torch.Generator().manual_seed(1))  # the same batch and draw
    t2 = second.target(idx, torch.device("cpu"))
    assert torch.equal(x1, x2) and torch.equal(t1, t2) and counting.calls == 1  # reused...
    assert torch.allclose(t2, ctx.teacher(x2).logits)  # ...and exactly the teacher's answer
    calls = counting.calls
    x3 = second.features(idx, torch.Generator().manual_seed(2))  # another draw: computed
    t3 = second.target(idx, torch.device("cpu"))
    assert counting.calls == calls + 1 and not torch.allclose(t3, t1)
    assert torch.allclose(t3, counting.inner(x3).logits)
    other = idx.flip(0)  # other indices, same generator state: computed, not reused
    x4 = second.features(other, torch.Generator().manual_seed(1))
    assert counting.calls == calls + 2
    assert torch.allclose(second.target(other, torch.device("cpu")), counting.inner(x4).logits)


def test_a_full_memo_stops_storing_and_stays_exact(tmp_path: Path) -> None:
    ctx = context(tmp_path, TrainConfig(sensor_jitter=0.3))
    ctx.teacher_memo.max_bytes = 0  # nothing fits
    targets = Targets(ctx)
    assert targets.features is not None and ctx.teacher is not None
    idx = torch.arange(8)
    for _ in range(2):
        x = targets.features(idx, torch.Generator().manual_seed(1))
        assert torch.allclose(targets.target(idx, torch.device("cpu")), ctx.teacher(x).logits)
    assert ctx.teacher_memo.stored == 0 and ctx.teacher_memo.misses == 2


def test_a_later_model_reuses_the_augmented_batch_and_the_generator_moves_on_alike(
    tmp_path: Path,
) -> None:
    ctx = context(tmp_path, TrainConfig(sensor_jitter=0.3, sensor_shift=4))
    assert ctx.augment is not None
    draws: list[int] = []
    inner = ctx.augment

    def counting(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        draws.append(len(idx))
        return inner(idx, gen)

    ctx = replace(ctx, augment=counting)
    idx = torch.arange(16)
    first, second = Targets(ctx), Targets(ctx)
    assert first.features is not None and second.features is not None
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    x1 = first.features(idx, g1)
    x2 = second.features(idx, g2)  # the same batch and draw: kept, not drawn again
    assert torch.equal(x1, x2) and draws == [16]
    assert torch.equal(g1.get_state(), g2.get_state())  # where the draw would have left it
    y1, y2 = first.features(idx, g1), second.features(idx, g2)  # the next batch: alike too
    assert torch.equal(y1, y2) and not torch.equal(y1, x1) and draws == [16, 16]
    # nothing kept past the feature budget: drawn each time, still exact
    ctx.teacher_memo.max_feature_bytes = 0
    third, fourth = Targets(ctx), Targets(ctx)
    assert third.features is not None and fourth.features is not None
    other = idx.flip(0)
    g3, g4 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    z3, z4 = third.features(other, g3), fourth.features(other, g4)
    assert torch.equal(z3, z4) and draws == [16, 16, 16, 16]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_kept_inputs_live_in_host_memory_and_come_back_on_the_device(tmp_path: Path) -> None:
    ctx = context(tmp_path, TrainConfig(sensor_jitter=0.3, sensor_shift=4), device="cuda")
    first, second = Targets(ctx), Targets(ctx)
    assert first.features is not None and second.features is not None
    idx = torch.arange(16)
    x1 = first.features(idx, torch.Generator().manual_seed(3))
    assert x1.device.type == "cuda"
    kept = ctx.teacher_memo.get_inputs(ctx.teacher_memo.key(idx, torch.Generator().manual_seed(3)))
    assert kept is not None and kept[0].device.type == "cpu"  # not GPU memory
    x2 = second.features(idx, torch.Generator().manual_seed(3))
    assert x2.device.type == "cuda" and torch.equal(x1, x2)
