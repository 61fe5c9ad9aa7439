"""Receptive fields, checked against a real forward pass (which input steps move one output)."""

from __future__ import annotations

import pytest
import torch

from edgekit.models import build_model
from edgekit.models.receptive import receptive_field


@pytest.mark.parametrize("text", ["cnn1d-4", "cnn1d-4x2-s1-p1", "cnn1d-4x4-k3", "cnn1d-4-p3"])
def test_receptive_field_matches_the_gradient_support(text: str) -> None:
    torch.manual_seed(0)
    length = 400
    model = build_model(text, (length, 1), 2).eval()
    x = torch.randn(1, length, 1, requires_grad=True)
    h = x.transpose(1, 2)
    for block in model.blocks:
        h = block(h)
    h[0, :, h.shape[2] // 2].sum().backward()
    assert x.grad is not None
    touched = torch.nonzero(x.grad[0, :, 0]).flatten()
    support = int(touched.max() - touched.min()) + 1
    field = receptive_field(text)
    assert field is not None
    assert support <= field  # max-pool picks one input per window: the support can be smaller
    assert support >= field - 2 * 8  # but not by more than a pooled window's worth


def test_recurrent_models_see_the_whole_series() -> None:
    assert receptive_field("gru-8") is None
