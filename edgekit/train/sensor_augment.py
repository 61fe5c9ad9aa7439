"""Sensor augmentation for cross-subject activity recognition, on batches during training.

New users wear the sensors a little rotated, move with other amplitudes and rhythms: the
standard levers against that (Um et al. 2017, "Data augmentation of wearable sensor data")
are small rotations of each 3-axis sensor, per-channel scaling, jitter and time shifts. Every
draw comes from the training loop's generator, so a run stays reproducible.

Rotations act on raw sensor values (a z-normalised axis is no longer a vector component), so
batches are de-normalised, rotated and normalised again; the other transforms act on the
normalised values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from edgekit.data.dataset import Normalization


@dataclass(frozen=True)
class SensorAugment:
    """Strengths of each transform; 0 switches it off."""

    rotation_deg: float = 0.0  # max angle of a random rotation of each sensor unit
    scale: float = 0.0  # std of the per-channel gain around 1
    jitter: float = 0.0  # std of additive noise, in normalised units
    shift: int = 0  # max circular shift in time steps (windows of periodic activity)

    @property
    def active(self) -> bool:
        return any((self.rotation_deg, self.scale, self.jitter, self.shift))


def dsa19_units() -> list[list[tuple[int, int, int]]]:
    """DSA-19's 45 channels: 5 units x (accelerometer, gyroscope, magnetometer) x (x, y, z).

    The three sensors of one unit are rotated together: they sit in one housing.
    """
    return [
        [(u * 9 + s * 3, u * 9 + s * 3 + 1, u * 9 + s * 3 + 2) for s in range(3)] for u in range(5)
    ]


def random_rotations(n: int, max_deg: float, generator: torch.Generator) -> Tensor:
    """``n`` rotation matrices [n, 3, 3] about uniform random axes by angles in +-max_deg."""
    axis = torch.randn(n, 3, generator=generator)
    axis = axis / axis.norm(dim=1, keepdim=True).clamp_min(1e-12)
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_deg)
    k = torch.zeros(n, 3, 3)
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(1, 2)
    eye = torch.eye(3).expand(n, 3, 3)
    s, c = torch.sin(angle)[:, None, None], torch.cos(angle)[:, None, None]
    return eye + s * k + (1 - c) * (k @ k)  # Rodrigues


class SensorAugmenter(torch.nn.Module):
    """``augmenter(x normalised [B, T, C], generator) -> augmented normalised [B, T, C]``."""

    mean: Tensor
    std: Tensor

    def __init__(
        self,
        settings: SensorAugment,
        normalization: Normalization | None,
        units: list[list[tuple[int, int, int]]] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.units = units or []
        if settings.rotation_deg and (normalization is None or not self.units):
            raise ValueError(
                "rotations need the sensor units' channel triplets and the normalisation"
            )
        mean = normalization.mean if normalization is not None else [0.0]
        std = normalization.std if normalization is not None else [1.0]
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    def _rotate(self, x: Tensor, generator: torch.Generator) -> Tensor:
        raw = x * self.std + self.mean
        out = raw.clone()
        rot = random_rotations(len(x) * len(self.units), self.settings.rotation_deg, generator)
        rot = rot.view(len(x), len(self.units), 3, 3).to(x.device, x.dtype)
        for u, triplets in enumerate(self.units):
            for triplet in triplets:
                idx = list(triplet)
                out[:, :, idx] = torch.einsum("bij,btj->bti", rot[:, u], raw[:, :, idx])
        return (out - self.mean) / self.std

    def forward(self, x: Tensor, generator: torch.Generator) -> Tensor:
        s = self.settings
        b, t, c = x.shape
        if s.rotation_deg:
            x = self._rotate(x, generator)
        if s.scale:
            gain = 1 + s.scale * torch.randn(b, 1, c, generator=generator)
            x = x * gain.to(x.device, x.dtype)
        if s.jitter:
            x = x + s.jitter * torch.randn(b, t, c, generator=generator).to(x.device, x.dtype)
        if s.shift:
            shifts = torch.randint(-s.shift, s.shift + 1, (b,), generator=generator)
            index = (torch.arange(t)[None, :] - shifts[:, None]) % t
            x = x.gather(1, index[:, :, None].expand(b, t, c).to(x.device))
        return x
