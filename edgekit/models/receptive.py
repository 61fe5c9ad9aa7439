"""Receptive field of a member, in input steps, without torch.

A series shorter than the receptive field of the model's last block is zero-padded by every
convolution: the model then learns mostly from padding, and a length-dependent spec (stride,
pooling) is wasted. ``edgekit.data.fit_checks`` warns about it before training.
"""

from __future__ import annotations

from edgekit.models.shapes import DSCNN_DW_KERNEL, DSCNN_STEM_KERNEL, DSCNN_STEM_STRIDE
from edgekit.models.spec import ModelSpec, parse_spec


def receptive_field(spec: ModelSpec | str) -> int | None:
    """Input steps one output of the last feature map sees; None: the whole series (recurrent)."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if spec.recurrent:
        return None
    if spec.arch == "cnn1d":
        field, jump = 1, 1
        for block in range(spec.layers):
            stride = spec.stride if block == 0 else 1
            field += (spec.kernel - 1) * jump
            jump *= stride
            if spec.pool > 1:
                field += (spec.pool - 1) * jump
                jump *= spec.pool
        return field
    # dscnn: the strided stem, then depthwise 3x3 convs at stride 1 on the stem's grid
    stem, stride = DSCNN_STEM_KERNEL[0], DSCNN_STEM_STRIDE[0]
    return stem + spec.layers * (DSCNN_DW_KERNEL - 1) * stride
