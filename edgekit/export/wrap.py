"""Members as plain modules with a fixed signature, which is what exporters trace.

``forward(features[, connection]) -> logits[, activation]``: the connection input exists only for
a connected member, the activation output only where the next member consumes it. Exporters
that lower convs without fusing BatchNorm (litert-torch) and the C tables take
``fold_batchnorm(module)``.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from edgekit.models import EdgeModel


class MemberOnly(nn.Module):
    def __init__(self, member: EdgeModel, with_activation: bool) -> None:
        super().__init__()
        self.member = member
        self.with_activation = with_activation

    def forward(self, features: Tensor) -> tuple[Tensor, ...]:
        out = self.member(features)
        return (out.logits, out.activation) if self.with_activation else (out.logits,)


class ConnectedMember(nn.Module):
    def __init__(self, member: EdgeModel, with_activation: bool) -> None:
        super().__init__()
        self.member = member
        self.with_activation = with_activation

    def forward(self, features: Tensor, connection: Tensor) -> tuple[Tensor, ...]:
        out = self.member(features, connection)
        return (out.logits, out.activation) if self.with_activation else (out.logits,)


def exportable(member: EdgeModel, connected: bool, with_activation: bool) -> nn.Module:
    """The member wrapped for export, in eval mode."""
    cls = ConnectedMember if connected else MemberOnly
    return cls(member, with_activation).eval()


def io_names(connected: bool, with_activation: bool) -> tuple[list[str], list[str]]:
    inputs = ["features", "connection"] if connected else ["features"]
    outputs = ["logits", "activation"] if with_activation else ["logits"]
    return inputs, outputs


_CONV_BN = (("conv", "bn"), ("dw", "dw_bn"), ("pw", "pw_bn"))


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with every conv + BatchNorm pair of the zoo fused (eval semantics)."""
    folded = copy.deepcopy(module).eval()
    for m in folded.modules():
        for conv_name, bn_name in _CONV_BN:
            conv, bn = getattr(m, conv_name, None), getattr(m, bn_name, None)
            if isinstance(conv, nn.Conv1d | nn.Conv2d) and isinstance(
                bn, nn.BatchNorm1d | nn.BatchNorm2d
            ):
                setattr(m, conv_name, torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn))
                setattr(m, bn_name, nn.Identity())
    return folded
