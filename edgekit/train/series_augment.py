"""Time-scale augmentation of time series, on batches during training.

Tiny shape-like sets (a few dozen outlines, as in the UCR archive) overfit to where and how fast
a shape's features occur. The standard levers (Le Guennec et al. 2016, "Data augmentation for
time series classification using convolutional neural networks") resample each series in time:
window slicing crops a random window of the series and stretches it back to full length; window
warping speeds up or slows down (x2 or x0.5) a random window, the whole then resampled to the
original length. Both are one map of output steps to fractional source steps, read by linear
interpolation (``nearest``: the nearest step, so a spiky series keeps its values). Le Guennec et
al. also slice at test time; here only training batches are resampled, so ``share`` leaves part
of each batch as it is and the model keeps seeing series at their own time scale. Every draw
comes from the training loop's generator, so a run stays reproducible.

Circular shift (``roll``): each series starts at a random step, the steps before it moved to its
end (an outline's starting point or a periodic signal's phase carries no class information).

Off in the `arrays` recipe: in cross-validation it helps a shape-like set (ArrowHead +6.5 points)
but a series of sharp periodic spikes (ACSF1's, every 4 steps) loses its period under any stretch
(-50 to -60 points; -5.4 with half of each batch left as it is): benchmarks/arrays_cv.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

WARP_SCALES = (0.5, 2.0)  # Le Guennec et al.'s window warping: the window half or twice as long
Interp = Literal["linear", "nearest"]


@dataclass(frozen=True)
class SeriesAugment:
    """Strengths of each transform; 0 switches it off."""

    slice: float = 0.0  # share of each series cut away (0.1: a random 90 % window kept)
    warp: float = 0.0  # share of each series in the window sped up or slowed down
    share: float = 1.0  # share of each batch's series resampled; the rest stay as they are
    interp: Interp = "linear"  # how a fractional step is read
    roll: float = 0.0  # largest circular shift, as a share of the length (every series)

    def __post_init__(self) -> None:
        ok = 0 <= self.slice < 1 and 0 <= self.warp <= 1 and 0 < self.share <= 1
        if not ok or not 0 <= self.roll <= 0.5 or self.interp not in ("linear", "nearest"):
            raise ValueError(
                f"series augmentation: slice must be in [0, 1), warp in [0, 1], share in (0, 1], "
                f"roll in [0, 0.5], interp linear or nearest; got slice={self.slice}, "
                f"warp={self.warp}, share={self.share}, roll={self.roll}, interp={self.interp!r}"
            )

    @property
    def active(self) -> bool:
        return bool(self.slice or self.warp or self.roll)


def resample(x: Tensor, source: Tensor, interp: Interp = "linear") -> Tensor:
    """``x`` [B, T, C] read at fractional steps ``source`` [B, T'] (interpolated as ``interp``)."""
    t = x.shape[1]
    pos = source.to(x.device, x.dtype).clamp(0, t - 1)
    if interp == "nearest":
        pos = pos.round()
    lo = pos.floor().long().clamp(max=t - 1)
    hi = (lo + 1).clamp(max=t - 1)
    w = (pos - lo.to(pos.dtype))[:, :, None]
    c = x.shape[2]
    a = x.gather(1, lo[:, :, None].expand(-1, -1, c))
    b = x.gather(1, hi[:, :, None].expand(-1, -1, c))
    return a + w * (b - a)


def slice_positions(b: int, t: int, cut: float, generator: torch.Generator) -> Tensor:
    """Source steps [b, t] of a random window of ``(1 - cut) * t`` steps stretched to ``t``."""
    kept = max(2, min(t, math.ceil((1 - cut) * t)))
    start = torch.randint(0, t - kept + 1, (b, 1), generator=generator).float()
    return start + torch.linspace(0, kept - 1, t)[None, :]


def warp_positions(b: int, t: int, share: float, generator: torch.Generator) -> Tensor:
    """Source steps [b, t]: a random window of ``share * t`` steps scaled by 0.5 or 2 in time,
    the warped series resampled to ``t`` steps."""
    width = max(1, min(t - 1, round(share * t)))
    start = torch.randint(0, t - width, (b, 1), generator=generator).float()
    pick = torch.randint(0, len(WARP_SCALES), (b, 1), generator=generator)
    scale = torch.tensor(WARP_SCALES)[pick]
    end = start + width  # the window in source steps, [start, end]
    warped_end = start + scale * width  # and in the warped series' steps
    length = t - 1 + (scale - 1) * width  # the warped series' last step
    tau = torch.linspace(0, 1, t)[None, :] * length  # output step -> warped step
    inside = start + (tau - start) / scale
    after = end + (tau - warped_end)
    return torch.where(tau < start, tau, torch.where(tau < warped_end, inside, after))


def roll_positions(b: int, t: int, share: float, generator: torch.Generator) -> Tensor:
    """Source steps [b, t] of each series circularly shifted by up to ``share * t`` steps either
    way: an outline traced from another starting point, a periodic signal at another phase."""
    most = round(share * t)
    shifts = torch.randint(-most, most + 1, (b, 1), generator=generator)
    return ((torch.arange(t)[None, :] - shifts) % t).float()


def series_augment(x: Tensor, settings: SeriesAugment, generator: torch.Generator) -> Tensor:
    """``x`` [B, T, C] with each series sliced, warped and/or rolled in time as ``settings``
    ask; the same tensor when all are off."""
    if not settings.active or x.shape[1] < 2:
        return x
    b, t, _ = x.shape
    out = x
    if settings.roll:  # whole steps: values are moved, never interpolated
        out = resample(out, roll_positions(b, t, settings.roll, generator), "nearest")
        x = out  # ``share`` below leaves part of the batch unsliced, not unrolled
    if settings.warp:
        out = resample(out, warp_positions(b, t, settings.warp, generator), settings.interp)
    if settings.slice:
        out = resample(out, slice_positions(b, t, settings.slice, generator), settings.interp)
    if settings.share < 1:
        chosen = torch.rand(b, generator=generator) < settings.share
        out = torch.where(chosen.to(x.device)[:, None, None], out, x)
    return out
