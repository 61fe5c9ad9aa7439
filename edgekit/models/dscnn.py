"""DS-CNN members: MLPerf Tiny's keyword-spotting network on a [T, F] feature map.

The input [B, T, F] is an image [B, 1, T, F]: a 10x4 stride-2 conv with TensorFlow "same"
padding (as the MLPerf reference), then depthwise-separable blocks at that resolution, global
average pooling and a linear head. Convs carry no bias: each BatchNorm folds into its conv.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from edgekit.models.base import EdgeModel, MemberOutput
from edgekit.models.shapes import (
    DSCNN_DW_KERNEL,
    DSCNN_STEM_KERNEL,
    DSCNN_STEM_STRIDE,
    same_padding,
)
from edgekit.models.spec import ModelSpec


class Stem(nn.Module):
    """Zero pad ("same") + Conv2d(1 -> width, 10x4, stride 2x2) + BatchNorm + ReLU."""

    def __init__(self, input_shape: tuple[int, int], width: int) -> None:
        super().__init__()
        top, bottom = same_padding(input_shape[0], DSCNN_STEM_KERNEL[0], DSCNN_STEM_STRIDE[0])
        left, right = same_padding(input_shape[1], DSCNN_STEM_KERNEL[1], DSCNN_STEM_STRIDE[1])
        self.pad = nn.ZeroPad2d((left, right, top, bottom))
        self.conv = nn.Conv2d(1, width, DSCNN_STEM_KERNEL, stride=DSCNN_STEM_STRIDE, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.act(self.bn(self.conv(self.pad(x))))
        return out


class DSBlock(nn.Module):
    """3x3 depthwise conv + BN + ReLU, then 1x1 pointwise conv (in_ch -> out_ch) + BN + ReLU."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        k = DSCNN_DW_KERNEL
        self.dw = nn.Conv2d(in_ch, in_ch, k, padding=k // 2, groups=in_ch, bias=False)
        self.dw_bn = nn.BatchNorm2d(in_ch)
        self.pw = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(out_ch)
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        h = self.act(self.dw_bn(self.dw(x)))
        out: Tensor = self.act(self.pw_bn(self.pw(h)))
        return out


class DSCNN(EdgeModel):
    """Stem and ``layers`` DS blocks, all ``width`` channels (MLPerf: 64 channels, 4 blocks).

    Activation: the stem's feature map [B, width, T', F']. A connected model concatenates the
    incoming map along channels before its first DS block, which then takes width + ch_in
    channels (depthwise over all of them, pointwise mixing them back to width).
    """

    def __init__(
        self,
        spec: ModelSpec,
        input_shape: tuple[int, int],
        num_classes: int,
        connection_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(spec, input_shape, num_classes, connection_shape)
        extra = self.connection_shape[0] if self.connection_shape is not None else 0
        self.stem = Stem(self.input_shape, spec.width)
        self.blocks = nn.ModuleList(
            [
                DSBlock(spec.width + (extra if block == 0 else 0), spec.width)
                for block in range(spec.layers)
            ]
        )
        self.head = nn.Linear(spec.width, num_classes)

    def forward(self, x: Tensor, conn: Tensor | None = None) -> MemberOutput:
        self.check_input(x)
        self.check_conn(conn, x.shape[0])
        h = self.stem(x.unsqueeze(1))
        activation = h
        if conn is not None:
            h = torch.cat([h, conn], dim=1)
        for block in self.blocks:
            h = block(h)
        logits: Tensor = self.head(h.mean(dim=(2, 3)))
        return MemberOutput(logits, activation)
