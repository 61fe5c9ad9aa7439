"""Sensor augmentation: rotations keep each sensor's magnitude, draws follow the generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekit.data.dataset import Normalization
from edgekit.train.sensor_augment import (
    SensorAugment,
    SensorAugmenter,
    dsa19_units,
    random_rotations,
)


def test_rotations_are_rotations() -> None:
    r = random_rotations(64, 30.0, torch.Generator().manual_seed(0))
    eye = torch.eye(3).expand(64, 3, 3)
    assert torch.allclose(r @ r.transpose(1, 2), eye, atol=1e-5)
    assert torch.allclose(torch.linalg.det(r), torch.ones(64), atol=1e-5)
    cos = ((r.diagonal(dim1=1, dim2=2).sum(-1) - 1) / 2).clamp(-1, 1)
    assert torch.rad2deg(torch.arccos(cos)).max() <= 30.0 + 1e-3


def test_dsa19_rotation_keeps_every_sensor_magnitude_and_is_reproducible() -> None:
    rng = np.random.default_rng(0)
    raw = rng.standard_normal((4, 125, 45)).astype(np.float32) * 3 + 1
    norm = Normalization.fit(raw)
    x = torch.as_tensor(norm.apply(raw))
    aug = SensorAugmenter(SensorAugment(rotation_deg=20.0), norm, dsa19_units())
    out = aug(x, torch.Generator().manual_seed(1))
    back = out.numpy() * norm.std + norm.mean
    assert not np.allclose(back, raw, atol=1e-3)  # it did rotate
    for unit in dsa19_units():
        for triplet in unit:
            i = list(triplet)
            np.testing.assert_allclose(
                np.linalg.norm(back[..., i], axis=-1),
                np.linalg.norm(raw[..., i], axis=-1),
                rtol=1e-4,
            )
    again = aug(x, torch.Generator().manual_seed(1))
    assert torch.equal(out, again)


def test_scale_jitter_and_shift_change_the_batch_and_off_is_identity() -> None:
    x = torch.randn(3, 50, 6)
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(SensorAugmenter(SensorAugment(), None)(x, gen), x)
    shifted = SensorAugmenter(SensorAugment(shift=5), None)(x, gen)
    assert any(torch.equal(shifted[0], torch.roll(x[0], k, dims=0)) for k in range(-5, 6))
    noisy = SensorAugmenter(SensorAugment(scale=0.1, jitter=0.05), None)(x, gen)
    assert 0 < (noisy - x).abs().mean() < 0.5


def test_rotation_without_units_is_refused() -> None:
    with pytest.raises(ValueError, match="channel triplets"):
        SensorAugmenter(SensorAugment(rotation_deg=10.0), None)
