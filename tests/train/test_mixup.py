"""Mixup in the training loop: blended inputs, the loss blended alike; teachers only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from edgekit.config import TrainConfig
from edgekit.errors import ConfigError
from edgekit.train import mixup as mixup_module
from edgekit.train.losses import cross_entropy
from edgekit.train.mixup import mixup_draw
from tests.train.test_trainer import CONFIG, trainer


def test_the_draw_is_a_weight_in_0_1_and_an_order_repeatable_from_the_generator() -> None:
    a = mixup_draw(8, 0.2, torch.Generator().manual_seed(3))
    b = mixup_draw(8, 0.2, torch.Generator().manual_seed(3))
    assert a[0] == b[0] and torch.equal(a[1], b[1])
    assert 0.0 <= a[0] <= 1.0 and sorted(a[1].tolist()) == list(range(8))
    with pytest.raises(ConfigError, match="mixup must be"):
        TrainConfig(mixup=-1.0)


def test_a_step_trains_on_the_blend_with_the_blended_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = trainer(tmp_path, replace(CONFIG, mixup=0.2, grad_clip=0.0))
    idx = torch.arange(4)
    order = torch.tensor([1, 0, 3, 2])
    monkeypatch.setattr(mixup_module, "mixup_draw", lambda n, alpha, gen: (0.25, order))
    x, y = t.train_x[idx], t.train_y[idx]
    t.model.eval()  # BatchNorm on running statistics: _step does not switch modes, so both agree
    with torch.no_grad():
        logits = t.model(0.25 * x + 0.75 * x[order]).logits
    expected = (0.25 * cross_entropy(logits, y) + 0.75 * cross_entropy(logits, y[order])).mean()
    loss, _ = t._step(x, idx, epoch=0, step=0)
    assert loss == pytest.approx(float(expected), rel=1e-5)
    assert y[order].ne(y).any()  # the blend's second half has other labels: the test can fail


def test_mixup_refuses_a_student_loss(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mixup=0\.2 blends labels"):
        trainer(tmp_path, replace(CONFIG, mixup=0.2), loss=lambda out, idx, y: out.logits.sum(1))
