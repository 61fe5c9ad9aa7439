"""What a member is trained to do, given the frozen running sum F_{t-1} (docs/distill.md).

Each objective is one :class:`Objective` in :data:`OBJECTIVES`: its loss, the temperature it
reads from the settings, and whether it may be member 1. FIND-WL, the rounds and the baselines
look objectives up here; ``edgekit.config.distill.ObjectiveName`` lists the same names.

- ``logit``: the paper's game on the logit residual R = G - F. Per (sample, class) weights
  K+ = exp(eta R)/Z and K- = exp(-eta R)/Z; the member takes a Newton step on that two-sided
  exponential potential, i.e. a weighted fit of tanh(eta R)/eta with weights K+ + K-, normalised
  per batch (the stable form: no weight can overflow).
- ``kd``: KD(F_{t-1} + f, G) with per-sample adversary weights from the running sum's own KD
  loss, tempered by eta and normalised to mean 1 (eta = 0: uniform).
- ``hybrid``: kd + beta * KD(f, G).
- ``independent``: KD(f, G) alone (a RESCHED-style member).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from edgekit.config import DistillConfig
from edgekit.errors import ConfigError
from edgekit.train.losses import kd_loss


class StageOutput(NamedTuple):
    logits: Tensor  # F_{t-1} + f: what accuracy is reported on
    member: Tensor  # f, the member's own logits
    previous: Tensor  # F_{t-1} (zeros in round 1), no gradient
    activation: Tensor


def adversary_weights(previous: Tensor, teacher: Tensor, temperature: float, eta: float) -> Tensor:
    """Per-sample weights [B], mean 1: more weight where the running sum is furthest from G."""
    if eta == 0 or not torch.any(previous != 0):
        return torch.ones(previous.shape[0], device=previous.device)
    loss = kd_loss(previous.detach(), teacher, temperature)
    scaled = eta * loss / loss.mean().clamp_min(1e-12)
    return torch.softmax(scaled, dim=0) * previous.shape[0]


def logit_weights(previous: Tensor, teacher: Tensor, eta: float) -> tuple[Tensor, Tensor]:
    """(K+, K-) [B, L] for the residual R = G - F, normalised to sum 1 over the batch."""
    s = eta * (teacher - previous.detach()).float()
    shift = s.abs().max()
    k_plus, k_minus = torch.exp(s - shift), torch.exp(-s - shift)
    z = (k_plus + k_minus).sum()
    return k_plus / z, k_minus / z


# loss(stage output, teacher logits, KD temperature, eta, beta) -> per-sample loss [B]
LossOf = Callable[[StageOutput, Tensor, float, float, float], Tensor]


def _independent(out: StageOutput, teacher: Tensor, t: float, eta: float, beta: float) -> Tensor:
    return kd_loss(out.member, teacher, t)


def _logit(out: StageOutput, teacher: Tensor, t: float, eta: float, beta: float) -> Tensor:
    eta_fit = max(eta, 1e-3)
    k_plus, k_minus = logit_weights(out.previous, teacher, eta_fit)
    weight = (k_plus + k_minus) * k_plus.numel()  # mean 1
    target = torch.tanh(eta_fit * (teacher - out.previous)) / eta_fit
    return (weight * (out.member.float() - target) ** 2).mean(dim=1)


def _kd(out: StageOutput, teacher: Tensor, t: float, eta: float, beta: float) -> Tensor:
    return adversary_weights(out.previous, teacher, t, eta) * kd_loss(out.logits, teacher, t)


def _hybrid(out: StageOutput, teacher: Tensor, t: float, eta: float, beta: float) -> Tensor:
    return _kd(out, teacher, t, eta, beta) + beta * kd_loss(out.member, teacher, t)


@dataclass(frozen=True)
class Objective:
    """One way to train a member: its loss and the settings it reads."""

    name: str
    loss: LossOf
    logit_game: bool  # temperature: the logit game's own (logit_eta), else the kd adversary's
    first_round: bool  # offered for member 1 (an "independent" member 1 is a plain KD student,
    # the same as kd with nothing to correct yet: skipped unless it is the only objective)

    def eta(self, config: DistillConfig) -> float:
        return config.logit_eta if self.logit_game else config.eta


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("logit", _logit, logit_game=True, first_round=True),
        Objective("kd", _kd, logit_game=False, first_round=True),
        Objective("hybrid", _hybrid, logit_game=False, first_round=True),
        Objective("independent", _independent, logit_game=False, first_round=False),
    )
}


def objective(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ConfigError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name]


def member_loss(
    name: str,
    out: StageOutput,
    teacher: Tensor,
    temperature: float,
    eta: float,
    beta: float,
) -> Tensor:
    """Per-sample training loss [B] of the member inside ``out`` under objective ``name``."""
    return objective(name).loss(out, teacher, temperature, eta, beta)


def logit_edge(previous: Tensor, member: Tensor, teacher: Tensor, eta: float) -> float:
    """The paper's weak-learning edge: sum (K+ - K-) f / max|f| (in [-1, 1])."""
    k_plus, k_minus = logit_weights(previous, teacher, max(eta, 1e-3))
    scale = member.abs().max().clamp_min(1e-12)
    return float(((k_plus - k_minus) * member).sum() / scale)
