"""What a member is trained to do, given the frozen running sum F_{t-1} (DESIGN section 3.1).

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

from typing import NamedTuple

import torch
from torch import Tensor

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


def member_loss(
    objective: str,
    out: StageOutput,
    teacher: Tensor,
    temperature: float,
    eta: float,
    beta: float,
) -> Tensor:
    """Per-sample training loss [B] of the member inside ``out`` under ``objective``."""
    if objective == "independent":
        return kd_loss(out.member, teacher, temperature)
    if objective == "logit":
        eta_fit = max(eta, 1e-3)
        k_plus, k_minus = logit_weights(out.previous, teacher, eta_fit)
        weight = (k_plus + k_minus) * k_plus.numel()  # mean 1
        target = torch.tanh(eta_fit * (teacher - out.previous)) / eta_fit
        return (weight * (out.member.float() - target) ** 2).mean(dim=1)
    weights = adversary_weights(out.previous, teacher, temperature, eta)
    loss = weights * kd_loss(out.logits, teacher, temperature)
    if objective == "hybrid":
        loss = loss + beta * kd_loss(out.member, teacher, temperature)
    return loss


def logit_edge(previous: Tensor, member: Tensor, teacher: Tensor, eta: float) -> float:
    """The paper's weak-learning edge: sum (K+ - K-) f / max|f| (in [-1, 1])."""
    k_plus, k_minus = logit_weights(previous, teacher, max(eta, 1e-3))
    scale = member.abs().max().clamp_min(1e-12)
    return float(((k_plus - k_minus) * member).sum() / scale)
