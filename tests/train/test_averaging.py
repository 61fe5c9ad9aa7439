"""Weight averaging (teacher_train.average_last): a run that keeps its end keeps the mean weights."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

from edgekit.checkpoint import load_checkpoint
from edgekit.config import TrainConfig
from edgekit.data import load_dataset
from edgekit.errors import ConfigError
from edgekit.models import build_model
from edgekit.rundir import TrainerFiles
from edgekit.train.averaging import WeightAverage, first_averaged_epoch
from edgekit.train.optim import lr_at
from edgekit.train.trainer import Trainer

CONFIG = TrainConfig(epochs=4, batch_size=64, optimizer="adamw", lr=3e-3, seed=5)
BEST = TrainerFiles(Path()).best.name


class Crash(Exception):
    pass


def trainer(out: Path, config: TrainConfig, **kwargs: object) -> Trainer:
    data = load_dataset("synthetic")
    torch.manual_seed(config.seed)
    model = build_model("cnn1d-8", data.feature_shape, data.num_classes)
    return Trainer(model, data.train, data.val, config, out, device="cpu", **kwargs)  # type: ignore[arg-type]


def is_norm_stat(key: str) -> bool:
    return key.endswith(("running_mean", "running_var", "num_batches_tracked"))


def test_first_averaged_epoch_takes_the_last_share_and_at_least_one() -> None:
    assert first_averaged_epoch(100, 0.25) == 75
    assert first_averaged_epoch(100, 1.0) == 0
    assert first_averaged_epoch(10, 0.01) == 9  # never an empty mean


def test_the_mean_is_the_mean_of_the_snapshots_from_start_on() -> None:
    model = nn.Linear(3, 2)
    average = WeightAverage(start=1)
    seen = []
    for epoch in range(4):
        with torch.no_grad():
            model.weight.fill_(float(epoch))
        seen.append(model.weight.detach().clone())
        average.update(model, epoch)
    assert average.count == 3
    assert torch.allclose(average.mean["weight"], torch.stack(seen[1:]).mean(0))
    resumed = WeightAverage(start=1)
    resumed.load(average.state())
    assert resumed.count == 3 and torch.equal(resumed.mean["weight"], average.mean["weight"])
    other = WeightAverage(start=2)
    other.load(average.state())  # another window (epochs changed): not continued
    assert other.count == 0 and not other.mean


def test_apply_recomputes_batchnorm_statistics_on_the_training_series() -> None:
    torch.manual_seed(0)
    linear, norm = nn.Linear(4, 6), nn.BatchNorm1d(6)
    model = nn.Sequential(linear, norm)
    x = torch.randn(50, 4) * 3 + 1
    average = WeightAverage(start=0)
    average.update(model, 0)
    model.eval()  # as the trainer leaves it after validating
    average.mean["1.running_mean"] = torch.full((6,), 100.0)  # stale: the mean must not keep it
    average.apply(model, x, batch_size=512)
    with torch.no_grad():
        h = linear(x)
    stats = model.state_dict()
    assert torch.allclose(stats["1.running_mean"], h.mean(0), atol=1e-5)
    assert torch.allclose(stats["1.running_var"], h.var(0, unbiased=True), atol=1e-4)
    assert norm.momentum == 0.1  # restored after the pass
    assert not model.training  # its mode restored


def test_a_run_that_keeps_its_end_keeps_the_mean_of_the_last_epochs(tmp_path: Path) -> None:
    config = TrainConfig(**{**CONFIG.to_dict(), "average_last": 0.5})
    ends: dict[int, dict[str, torch.Tensor]] = {}
    t: Trainer

    def snapshot(epoch: int, step: int) -> None:  # after each step: the epoch's last one stays
        ends[epoch] = copy.deepcopy(t.model.state_dict())

    t = trainer(tmp_path / "run", config, keep_last=True, on_step=snapshot)
    result = t.fit()
    kept = load_checkpoint(tmp_path / "run" / BEST)["model"]
    assert result.best["averaged_epochs"] == 2 and result.best_epoch == 4
    last = ends[3]
    for key, value in kept.items():
        if is_norm_stat(key):
            continue
        mean = (ends[2][key] + ends[3][key]) / 2
        assert torch.allclose(value, mean, atol=1e-6), key
        assert not torch.allclose(value, last[key]), key  # not the last epoch's weights
    # the kept model's validation score is the averaged model's, not the last epoch's
    assert result.best_val_accuracy == pytest.approx(t._validate()["val_accuracy"])


def test_without_a_joined_validation_split_the_best_epoch_is_kept(tmp_path: Path) -> None:
    config = TrainConfig(**{**CONFIG.to_dict(), "average_last": 0.5})
    t = trainer(tmp_path / "run", config)
    result = t.fit()
    assert t.average is None and "averaged_epochs" not in result.best
    assert load_checkpoint(tmp_path / "run" / BEST)["epoch"] == result.best_epoch


def test_crash_then_resume_keeps_the_same_mean(tmp_path: Path) -> None:
    config = TrainConfig(**{**CONFIG.to_dict(), "average_last": 0.75})
    trainer(tmp_path / "straight", config, keep_last=True).fit()

    def crash(epoch: int, step: int) -> None:
        if epoch == 2 and step == 3:
            raise Crash

    with pytest.raises(Crash):
        trainer(tmp_path / "broken", config, keep_last=True, on_step=crash).fit()
    trainer(tmp_path / "broken", config, keep_last=True).fit(resume=True)
    a = load_checkpoint(tmp_path / "straight" / BEST)["model"]
    b = load_checkpoint(tmp_path / "broken" / BEST)["model"]
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_average_last_outside_0_1_is_refused() -> None:
    with pytest.raises(ConfigError, match="average_last must be in \\[0, 1\\]"):
        TrainConfig(average_last=1.5)


def test_average_hold_lr_keeps_the_rate_of_the_window_start(tmp_path: Path) -> None:
    config = TrainConfig(
        **{**CONFIG.to_dict(), "schedule": "cosine", "average_last": 0.5, "average_hold_lr": True}
    )
    held = [h["lr"] for h in trainer(tmp_path / "held", config, keep_last=True).fit().history]
    plain = TrainConfig(**{**config.to_dict(), "average_hold_lr": False})
    cosine = [h["lr"] for h in trainer(tmp_path / "plain", plain, keep_last=True).fit().history]
    assert held[:3] == cosine[:3] and held[3] == held[2] > cosine[3]
    assert lr_at(config, 3, hold_from=2) == lr_at(config, 2) > lr_at(config, 3)
