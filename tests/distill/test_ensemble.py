"""Connections carry information; training a stage never moves earlier members."""

from __future__ import annotations

import pytest
import torch

from edgekit.distill.ensemble import Ensemble, Stage, fold_step
from edgekit.models import build_model

SHAPE, L = (64, 8), 8


def test_connected_member_depends_on_previous_activation() -> None:
    torch.manual_seed(0)
    first = build_model("cnn1d-4", SHAPE, L).eval()
    second = build_model("cnn1d-8", SHAPE, L, first.activation_shape).eval()
    x = torch.randn(5, *SHAPE)
    act = first(x).activation
    a = second(x, act).logits
    b = second(x, act + torch.randn_like(act)).logits
    assert not torch.allclose(a, b)
    ens = Ensemble([first, second], [False, True]).eval()
    total, _, parts = ens(x)
    assert torch.allclose(total, parts[0] + parts[1])
    assert torch.allclose(parts[1], a)


def test_training_a_stage_leaves_earlier_members_untouched() -> None:
    torch.manual_seed(1)
    first = build_model("cnn1d-4", SHAPE, L)
    before = {k: v.clone() for k, v in first.state_dict().items()}
    stage = Stage(
        Ensemble([first], [False]), build_model("cnn1d-8", SHAPE, L, first.activation_shape), True
    )
    initial = {k: v.clone() for k, v in stage.member.state_dict().items()}
    stage.train()
    opt = torch.optim.SGD([p for p in stage.parameters() if p.requires_grad], lr=0.5)
    for _ in range(3):
        out = stage(torch.randn(16, *SHAPE))
        opt.zero_grad()
        out.logits.pow(2).mean().backward()
        opt.step()
    for key, value in first.state_dict().items():
        assert torch.equal(value, before[key]), key  # weights and BatchNorm statistics
    trained = stage.member.state_dict()
    assert any(not torch.equal(v, trained[k]) for k, v in initial.items())  # the new one learned


def test_fold_step_scales_logits() -> None:
    torch.manual_seed(2)
    model = build_model("gru-8", SHAPE, L).eval()
    x = torch.randn(3, *SHAPE)
    before = model(x).logits
    fold_step(model, 0.25)
    assert torch.allclose(model(x).logits, 0.25 * before, atol=1e-6)


def test_a_stage_loads_its_member_and_keeps_the_live_earlier_members() -> None:
    """A candidate's checkpoint holds the earlier members it was trained on; a rescored run
    reuses candidates trained on another run's members (other steps folded into their heads):
    loading one must not replace the run's own earlier members."""
    torch.manual_seed(3)
    first = build_model("cnn1d-4", SHAPE, L).eval()
    before = {k: v.clone() for k, v in first.state_dict().items()}
    stage = Stage(Ensemble([first], [False]), build_model("cnn1d-8", SHAPE, L), False)
    saved = {k: v * 2 if v.is_floating_point() else v for k, v in stage.state_dict().items()}
    assert any(k.startswith("previous.") for k in saved)  # the checkpoint does hold them
    stage.load_state_dict(saved)
    for key, value in first.state_dict().items():
        assert torch.equal(value, before[key]), key
    for key, value in stage.member.state_dict().items():
        assert torch.equal(value, saved[f"member.{key}"]), key
    with pytest.raises(RuntimeError, match=r"extra\.weight"):
        stage.load_state_dict({**saved, "extra.weight": torch.zeros(1)})
