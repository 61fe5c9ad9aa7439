"""Speech augmentation: without shift or noise it is exactly the front end; with them it is
seeded, bounded, and uses the dataset's own noise."""

from __future__ import annotations

import numpy as np
import torch

from edgekit.data.dataset import Normalization
from edgekit.features import FrontEndParams, fit_clip, logmel
from edgekit.train.augment import SpeechAugmenter
from tests.conftest import tone


def clips() -> torch.Tensor:
    waves = np.stack(
        [fit_clip(tone(300.0 + 100 * i, seconds=0.6, seed=i), 16000) for i in range(4)]
    )
    return torch.from_numpy(np.round(waves * 32767).astype(np.int16))


def augmenter(shift_ms: float, noise_prob: float) -> tuple[SpeechAugmenter, Normalization]:
    params = FrontEndParams()
    audio = clips().numpy().astype(np.float32) / 32768.0
    norm = Normalization.fit(logmel(audio, params))
    noise = [torch.from_numpy(np.random.default_rng(0).standard_normal(40000).astype(np.float32))]
    return SpeechAugmenter(params, norm, noise, shift_ms, noise_prob, 0.1), norm


def test_no_augmentation_is_the_front_end() -> None:
    aug, norm = augmenter(0.0, 0.0)
    got = aug(clips(), torch.Generator().manual_seed(0)).numpy()
    want = norm.apply(logmel(clips().numpy().astype(np.float32) / 32768.0))
    assert np.abs(got - want).max() < 1e-3


def test_augmentation_is_seeded_and_changes_features() -> None:
    aug, _ = augmenter(100.0, 1.0)
    a = aug(clips(), torch.Generator().manual_seed(1))
    b = aug(clips(), torch.Generator().manual_seed(1))
    c = aug(clips(), torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    plain, _ = augmenter(0.0, 0.0)
    assert not torch.allclose(a, plain(clips(), torch.Generator().manual_seed(1)))
    assert a.shape == (4, 99, 32) and torch.isfinite(a).all()


def test_short_noise_clips_disable_noise() -> None:
    params = FrontEndParams()
    norm = Normalization(np.zeros(32, np.float32), np.ones(32, np.float32))
    aug = SpeechAugmenter(params, norm, [torch.zeros(100)], 0.0, 1.0, 0.1)
    assert aug.noise_prob == 0.0


def test_spec_augment_masks_bands_and_frames_reproducibly() -> None:
    from edgekit.train.augment import spec_augment

    feats = torch.randn(8, 99, 32) + 5.0  # no natural zeros: every zero is a mask
    a = spec_augment(feats, torch.Generator().manual_seed(3), 6, 10, 2)
    b = spec_augment(feats, torch.Generator().manual_seed(3), 6, 10, 2)
    assert torch.equal(a, b)
    zero = a == 0
    assert zero.any()
    for i in range(8):  # a zero is a whole mel band or a whole frame of that example
        bands = zero[i].all(dim=0)
        frames = zero[i].all(dim=1)
        assert torch.equal(zero[i], bands[None, :] | frames[:, None])
        assert bands.sum() <= 2 * 6 and frames.sum() <= 2 * 10
    unchanged = spec_augment(feats, torch.Generator().manual_seed(3), 0, 0, 2)
    assert unchanged is feats
