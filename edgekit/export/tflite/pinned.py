"""PT2E int8 with some graph inputs pinned to given scales and zero points.

Member k's activation output feeds member k+1's connection input. Calibrated separately they
get different int8 scales (the consumer's connection input shares its concatenation's scale,
calibrated on both of the concatenation's inputs), and every call would then requantise the
activation between the two interpreters. Pinning the consumer's connection input to the
producer's activation quantization makes the int8 bytes the producer writes exactly what the
consumer reads: the runtimes pass them unchanged.

The pin goes on the observer the input's quantization is shared with (for a concatenation: its
whole group, inputs and output, which TFLite's int8 CONCATENATION needs at one scale), so the
constraints the converter checks still hold; the consumer's own branch into the concatenation
is requantised inside its graph, as it already was.
"""

from __future__ import annotations

from typing import Any

import torch
from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer
from torch.fx import Node
from torchao.quantization.pt2e.quantizer import (
    FixedQParamsQuantizationSpec,
    QuantizationAnnotation,
    SharedQuantizationSpec,
)

from edgekit.runtime.manifest import Quantization

_KEY = "quantization_annotation"


class PinnedInputsQuantizer(PT2EQuantizer):  # type: ignore[misc]  # untyped base
    """The litert-torch PT2E quantizer, then graph input ``position`` -> fixed int8 qparams."""

    def __init__(self, pins: dict[int, Quantization]) -> None:
        super().__init__()
        self.pins = dict(pins)

    def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
        model = super().annotate(model)
        inputs = [n for n in model.graph.nodes if n.op == "placeholder"]
        for position, q in self.pins.items():
            spec = FixedQParamsQuantizationSpec(
                dtype=torch.int8,
                scale=q.scale,
                zero_point=q.zero_point,
                quant_min=-128,
                quant_max=127,
                qscheme=torch.per_tensor_affine,
            )
            for user in inputs[position].users:
                _pin_root(inputs[position], user, spec)
        return model


def _pin_root(arg: Node, user: Node, spec: FixedQParamsQuantizationSpec) -> None:
    """Replace the spec that the edge ``arg -> user`` is quantised by (following shared specs to
    the one they share) with ``spec``."""
    owner: Any = ("edge", arg, user)
    for _ in range(100):  # shared specs form short chains; a cycle would be a quantizer bug
        current = _spec_of(owner)
        if not isinstance(current, SharedQuantizationSpec):
            break
        target = current.edge_or_node
        owner = ("edge", *target) if isinstance(target, tuple) else ("node", target)
    else:
        raise ValueError(f"shared quantization specs from {arg.name} do not end")
    _set_spec(owner, spec)


def _annotation(node: Node) -> QuantizationAnnotation:
    if _KEY not in node.meta:
        node.meta[_KEY] = QuantizationAnnotation(_annotated=True)
    annotation: QuantizationAnnotation = node.meta[_KEY]
    return annotation


def _spec_of(owner: tuple[Any, ...]) -> object:
    if owner[0] == "edge":
        return _annotation(owner[2]).input_qspec_map.get(owner[1])
    return _annotation(owner[1]).output_qspec


def _set_spec(owner: tuple[Any, ...], spec: FixedQParamsQuantizationSpec) -> None:
    if owner[0] == "edge":
        _annotation(owner[2]).input_qspec_map[owner[1]] = spec
    else:
        _annotation(owner[1]).output_qspec = spec
