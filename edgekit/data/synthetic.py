"""A seeded synthetic task where a large model clearly beats a tiny one (demo and fast tests).

Each sample is a [steps, channels] series of Gaussian noise carrying three hidden bits; the
class is ``4 * b2 + 2 * b1 + b0`` (8 classes):

- b0, *easy*: the frequency of the sinusoid in channel 0 (3 or 6 cycles per window). A tiny
  model with a short receptive field reads it locally.
- b1, *long range*: whether the bump in channel 1 comes before the bump in channel 2. The bumps
  sit anywhere in the window, so reading the order needs a receptive field spanning it.
- b2, *interaction*: whether the signs of the small offsets of channels 3 and 4 differ (an XOR
  of two weak, noisy means) -- linear in neither channel, so it needs width and depth.

Channels 5+ carry distractor sinusoids of both frequencies. A tiny student gets b0 and part of
the rest; a big teacher gets nearly all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.data.dataset import Dataset, Split

CLASS_NAMES = tuple(
    f"{'late' if b1 else 'early'}-{'xor' if b2 else 'same'}-{'f6' if b0 else 'f3'}"
    for b2 in (0, 1)
    for b1 in (0, 1)
    for b0 in (0, 1)
)


@dataclass(frozen=True)
class SyntheticParams:
    n_train: int = 2400
    n_val: int = 600
    n_test: int = 600
    steps: int = 64
    channels: int = 8
    noise: float = 0.6
    offset: float = 0.35
    seed: int = 0

    def __post_init__(self) -> None:
        if self.channels < 5:
            raise ValueError(
                f"synthetic: channels must be >= 5 (the task uses 5), got {self.channels}"
            )
        if self.steps < 24:
            raise ValueError(f"synthetic: steps must be >= 24, got {self.steps}")


def _bump(steps: int, center: np.ndarray, width: float = 2.0) -> np.ndarray:
    t = np.arange(steps)[None, :]
    return np.asarray(np.exp(-0.5 * ((t - center[:, None]) / width) ** 2))


def generate(n: int, params: SyntheticParams, rng: np.random.Generator) -> Split:
    """``n`` samples with balanced random classes."""
    steps, channels = params.steps, params.channels
    y = rng.integers(0, len(CLASS_NAMES), size=n)
    b0, b1, b2 = y & 1, (y >> 1) & 1, (y >> 2) & 1
    x = params.noise * rng.standard_normal((n, steps, channels))
    t = np.arange(steps)[None, :] / steps
    freq = np.where(b0 == 1, 6.0, 3.0)[:, None]
    x[:, :, 0] += np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    # Two bump positions at least steps/8 apart; b1 says which channel's bump comes first.
    gap = steps // 8
    first = rng.integers(2, steps - gap - 2, size=n)
    second = first + gap + np.floor(rng.uniform(size=n) * (steps - 2 - gap - first)).astype(int)
    ch1_pos = np.where(b1 == 0, first, second)
    ch2_pos = np.where(b1 == 0, second, first)
    x[:, :, 1] += 2.0 * _bump(steps, ch1_pos)
    x[:, :, 2] += 2.0 * _bump(steps, ch2_pos)
    s3 = rng.choice([-1.0, 1.0], size=n)
    s4 = np.where(b2 == 1, -s3, s3)
    x[:, :, 3] += params.offset * s3[:, None]
    x[:, :, 4] += params.offset * s4[:, None]
    for c in range(5, channels):
        f = rng.choice([3.0, 6.0], size=(n, 1))
        x[:, :, c] += np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    return Split(x.astype(np.float32), y.astype(np.int64))


def load_synthetic(params: SyntheticParams | None = None) -> Dataset:
    """Train/val/test splits drawn from independent streams of one seed (repeatable)."""
    params = params or SyntheticParams()
    streams = np.random.SeedSequence(params.seed).spawn(3)
    train = generate(params.n_train, params, np.random.default_rng(streams[0]))
    val = generate(params.n_val, params, np.random.default_rng(streams[1]))
    test = generate(params.n_test, params, np.random.default_rng(streams[2]))
    dataset = Dataset(
        task="synthetic",
        class_names=CLASS_NAMES,
        train=train,
        val=val,
        test=test,
        source=f"generated (seed {params.seed})",
    )
    return dataset.normalized()
