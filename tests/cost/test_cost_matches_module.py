"""Analytic costs equal what the built modules really do: hooked MACs and counted parameters."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn

from edgekit.cost import layer_costs, model_cost, model_cost_of
from edgekit.models import EdgeModel, build_model

CLASSES = 7

# (spec, input shape, spec of a previous member to connect from)
CASES = [
    ("lstm-8", (12, 5), "gru-6"),
    ("lstm-8x2", (12, 5), "lstm-8"),
    ("gru-8", (12, 5), "fastgrnn-3"),
    ("gru-8x2", (12, 5), "gru-4"),
    ("fastgrnn-8", (12, 5), "lstm-4"),
    ("fastgrnn-8x2", (12, 5), "fastgrnn-8"),
    ("fastgrnn-8-r3", (12, 5), "gru-6"),
    ("fastgrnn-8x2-rw2-ru4", (12, 5), "gru-6"),
    ("cnn1d-8", (40, 5), "cnn1d-4"),
    ("cnn1d-8x4-k3", (41, 5), "cnn1d-16x2"),
    ("cnn1d-8x2-k4-s3-p1", (40, 5), "cnn1d-4-k4-s3-p1"),
    ("dscnn-8x1", (21, 10), "dscnn-4x2"),
    ("dscnn-6x3", (22, 9), "dscnn-8x1"),
    ("cnn1d-16", (125, 45), "cnn1d-8"),
    ("dscnn-16x4", (99, 32), "dscnn-8x2"),
]
IDS = [case[0] for case in CASES]


def hooked_macs(model: EdgeModel, x: Tensor, conn: Tensor | None) -> dict[str, int]:
    """Per-module multiply-accumulates per sample, measured from real output shapes."""
    counts: dict[str, int] = defaultdict(int)
    batch = x.shape[0]

    def hook(name: str, per_output: int) -> Callable[[nn.Module, tuple[object, ...], Tensor], None]:
        def count(module: nn.Module, args: tuple[object, ...], out: Tensor) -> None:
            counts[name] += out.numel() // batch * per_output

        return count

    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            per_output = module.in_features
        elif isinstance(module, (nn.Conv1d, nn.Conv2d)):
            per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        else:
            continue
        handles.append(module.register_forward_hook(hook(name, per_output)))
    try:
        with torch.no_grad():
            model(x, conn)
    finally:
        for handle in handles:
            handle.remove()
    return dict(counts)


@pytest.mark.parametrize("connected", [False, True], ids=["plain", "connected"])
@pytest.mark.parametrize(("spec", "shape", "prev_spec"), CASES, ids=IDS)
def test_analytic_cost_equals_module(
    spec: str, shape: tuple[int, int], prev_spec: str, connected: bool
) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, *shape)
    conn = None
    connection_shape = None
    if connected:
        prev = build_model(prev_spec, shape, CLASSES).eval()
        connection_shape = prev.activation_shape
        conn = prev(x).activation
    model = build_model(spec, shape, CLASSES, connection_shape).eval()

    layers = layer_costs(spec, shape, CLASSES, connection_shape)
    measured = hooked_macs(model, x, conn)
    assert {layer.name: layer.macs for layer in layers if layer.macs} == measured

    cost = model_cost(spec, shape, CLASSES, connection_shape)
    assert cost.params == sum(p.numel() for p in model.parameters())
    assert cost.macs == sum(measured.values())
    assert cost.bytes_float32 == 4 * cost.params
    assert 0 < cost.bytes_int8 < cost.bytes_float32
    assert model_cost_of(model) == cost
    module_names = dict(model.named_modules())
    assert all(layer.name in module_names for layer in layers)
