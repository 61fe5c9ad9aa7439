"""Temporal 1-D CNN members: conv blocks over time, global average pooling, a linear head."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from edgekit.models.base import EdgeModel, MemberOutput
from edgekit.models.spec import ModelSpec


class ConvBlock1d(nn.Module):
    """Conv1d (no bias: BatchNorm follows and folds into it) + BatchNorm + ReLU + max-pool."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, pool: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm1d(out_ch)
        self.act = nn.ReLU()
        self.pool: nn.Module = nn.MaxPool1d(pool) if pool > 1 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.pool(self.act(self.bn(self.conv(x))))
        return out


class CNN1d(EdgeModel):
    """``layers`` blocks of ``width`` channels; the first one has stride ``spec.stride``.

    Activation: the feature map after the first block [B, width, T']. A connected model
    concatenates the incoming map along channels before its second block. T' depends only on
    the input length, kernel, stride and pool, never on the width, so members of different
    widths connect.
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
        blocks = []
        for block in range(spec.layers):
            in_ch = self.input_shape[1] if block == 0 else spec.width + (extra if block == 1 else 0)
            stride = spec.stride if block == 0 else 1
            blocks.append(ConvBlock1d(in_ch, spec.width, spec.kernel, stride, spec.pool))
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(spec.width, num_classes)

    def forward(self, x: Tensor, conn: Tensor | None = None) -> MemberOutput:
        self.check_input(x)
        self.check_conn(conn, x.shape[0])
        h: Tensor = self.blocks[0](x.transpose(1, 2))
        activation = h
        if conn is not None:
            h = torch.cat([h, conn], dim=1)
        for block in self.blocks[1:]:
            h = block(h)
        # A map of one step is taken as it is, not averaged: the converter lowers a mean over one
        # step to an int8 SUM that TFLM computes differently from LiteRT's reference kernels
        # (tens of logit steps apart; issue 14 item 9, tests/export/test_short_series_export.py).
        pooled = h[:, :, 0] if h.shape[2] == 1 else h.mean(dim=2)
        logits: Tensor = self.head(pooled)
        return MemberOutput(logits, activation)
