"""The progressive ensemble in torch: frozen members in order, logits summed, each connected
member fed its predecessor's activation (exactly what the runtime will do)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from edgekit.distill.objectives import StageOutput
from edgekit.models import EdgeModel


class Ensemble(nn.Module):
    """``Ensemble(members, connected)(x) -> (F [B, L], last activation, per-member logits)``."""

    def __init__(self, members: list[EdgeModel], connected: list[bool]) -> None:
        super().__init__()
        if connected and connected[0]:
            raise ValueError("the first member cannot be connected: it has no predecessor")
        self.members = nn.ModuleList(members)
        self.connected = list(connected)

    def __len__(self) -> int:
        return len(self.members)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None, list[Tensor]]:
        total: Tensor | None = None
        activation: Tensor | None = None
        outputs = []
        for member, connected in zip(self.members, self.connected, strict=True):
            out = member(x, activation if connected else None)
            outputs.append(out.logits)
            total = out.logits if total is None else total + out.logits
            activation = out.activation
        if total is None:
            raise ValueError("an empty ensemble has no output")
        return total, activation, outputs


class Stage(nn.Module):
    """A candidate member on top of the frozen ensemble F_{t-1}: what FIND-WL trains.

    ``previous_scale`` c multiplies F_{t-1} (its calibrated scale, see scoring.py): the member
    learns on c F_{t-1} + f, and is folded as alpha f / c, so that the runtime's plain sum
    F_{t-1} + alpha f / c = (c F_{t-1} + alpha f) / c has the same argmax.
    """

    def __init__(
        self,
        previous: Ensemble | None,
        member: EdgeModel,
        connected: bool,
        previous_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.previous = previous
        self.previous_scale = previous_scale
        if previous is not None:
            for p in previous.parameters():
                p.requires_grad_(False)
            previous.eval()
        self.member = member
        self.connected = connected

    def train(self, mode: bool = True) -> Stage:
        super().train(mode)
        if self.previous is not None:
            self.previous.eval()  # frozen: BatchNorm statistics stay as they were
        return self

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        """The member's weights only. The frozen members are the run's live ones: a checkpoint's
        copy of them (saved beside the member) must not replace them, e.g. a candidate trained
        on another run's members at other steps, reused by a rescored run."""
        other = [k for k in state_dict if not k.startswith(("member.", "previous."))]
        if strict and other:
            raise RuntimeError(f"unexpected keys in a stage's state: {other[:5]}")
        member = {k[len("member.") :]: v for k, v in state_dict.items() if k.startswith("member.")}
        return self.member.load_state_dict(member, strict=strict, assign=assign)

    def forward(self, x: Tensor) -> StageOutput:
        if self.previous is None:
            out = self.member(x)
            zeros = torch.zeros_like(out.logits)
            return StageOutput(out.logits, out.logits, zeros, out.activation)
        with torch.no_grad():
            prev_logits, prev_act, _ = self.previous(x)
            prev_logits = prev_logits * self.previous_scale
        out = self.member(x, prev_act if self.connected else None)
        return StageOutput(prev_logits + out.logits, out.logits, prev_logits, out.activation)


def fold_step(member: EdgeModel, alpha: float) -> None:
    """Scale the member's logits by alpha by scaling its linear head (so the runtime just adds)."""
    head = getattr(member, "head", None)
    if not isinstance(head, nn.Linear):
        raise TypeError(f"{member.spec}: expected a linear head named 'head' to fold alpha into")
    with torch.no_grad():
        head.weight.mul_(alpha)
        if head.bias is not None:
            head.bias.mul_(alpha)
