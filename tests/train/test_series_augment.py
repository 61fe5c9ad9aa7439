"""Time-scale augmentation: off is the identity, on it resamples each series in time, keeps
shapes and dtypes, and follows the generator; the config refuses strengths out of range."""

from __future__ import annotations

import pytest
import torch

from edgekit.config import TrainConfig
from edgekit.errors import ConfigError
from edgekit.train.series_augment import (
    SeriesAugment,
    resample,
    series_augment,
    slice_positions,
    warp_positions,
)


def batch() -> torch.Tensor:
    return torch.randn(5, 60, 3, generator=torch.Generator().manual_seed(0))


def test_off_is_the_identity() -> None:
    x = batch()
    assert series_augment(x, SeriesAugment(), torch.Generator().manual_seed(0)) is x


@pytest.mark.parametrize("settings", [SeriesAugment(slice=0.1), SeriesAugment(warp=0.1),
                                      SeriesAugment(slice=0.2, warp=0.3)])  # fmt: skip
def test_on_changes_the_batch_keeps_shape_and_dtype_and_follows_the_seed(
    settings: SeriesAugment,
) -> None:
    x = batch()
    a = series_augment(x, settings, torch.Generator().manual_seed(1))
    b = series_augment(x, settings, torch.Generator().manual_seed(1))
    c = series_augment(x, settings, torch.Generator().manual_seed(2))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert (a - x).abs().amax(dim=(1, 2)).min() > 0  # every series moved
    assert torch.isfinite(a).all()


def test_slice_is_a_stretched_window_and_warp_keeps_both_ends() -> None:
    t = 100
    ramp = torch.arange(t, dtype=torch.float32)[None, :, None].expand(4, t, 1)
    gen = torch.Generator().manual_seed(0)
    sliced = resample(ramp, slice_positions(4, t, 0.1, gen))[..., 0]
    span = sliced[:, -1] - sliced[:, 0]
    assert torch.allclose(span, torch.full((4,), 89.0))  # 90 of the 100 steps, end to end
    assert ((sliced[:, 0] >= 0) & (sliced[:, -1] <= t - 1)).all()
    warped = resample(ramp, warp_positions(4, t, 0.2, gen))[..., 0]
    assert torch.equal(warped[:, 0], ramp[:, 0, 0]) and torch.equal(warped[:, -1], ramp[:, -1, 0])
    assert (warped.diff(dim=1) >= 0).all()  # time is warped, never reversed
    assert not torch.allclose(warped, ramp[..., 0])


def test_resample_at_whole_steps_reads_the_steps() -> None:
    x = batch()
    steps = torch.arange(60, dtype=torch.float32)[None, :].expand(5, 60)
    assert torch.allclose(resample(x, steps), x)
    assert torch.allclose(resample(x, steps.flip(1)), x.flip(1))


def test_share_leaves_the_other_series_as_they_are() -> None:
    x = batch()
    half = SeriesAugment(slice=0.1, share=0.5)
    out = series_augment(x, half, torch.Generator().manual_seed(4))
    same = [torch.equal(out[i], x[i]) for i in range(len(x))]
    assert any(same) and not all(same)
    again = series_augment(x, half, torch.Generator().manual_seed(4))
    assert torch.equal(out, again)


def test_nearest_keeps_the_series_values() -> None:
    spikes = torch.zeros(3, 80, 1)
    spikes[:, ::4] = 1.0  # a spike every 4 steps (ACSF1-like): linear reads smear it
    gen = torch.Generator().manual_seed(0)
    near = series_augment(spikes, SeriesAugment(slice=0.1, warp=0.1, interp="nearest"), gen)
    assert ((near == 0) | (near == 1)).all()
    linear = series_augment(spikes, SeriesAugment(slice=0.1), gen)
    assert not ((linear == 0) | (linear == 1)).all()


def test_the_config_checks_the_range() -> None:
    assert TrainConfig(series_slice=0.1, series_warp=0.2).series_augmented
    assert not TrainConfig().series_augmented
    with pytest.raises(ConfigError, match=r"series_slice must be in \[0, 1\).*got 1.0"):
        TrainConfig(series_slice=1.0)
    with pytest.raises(ConfigError, match=r"series_warp must be in \[0, 1\].*got -0.1"):
        TrainConfig(series_warp=-0.1)
    with pytest.raises(ConfigError, match=r"series_share must be in \(0, 1\].*got 0.0"):
        TrainConfig(series_share=0.0)
    with pytest.raises(ConfigError, match="series_interp must be linear or nearest, got 'cubic'"):
        TrainConfig(series_interp="cubic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slice must be in"):
        SeriesAugment(slice=1.5)


def test_the_training_path_augments_as_the_config_asks() -> None:
    import numpy as np

    from edgekit.data.dataset import Dataset, Split
    from edgekit.train.augment import feature_augmenter

    x = batch().numpy()
    split = Split(x, np.zeros(len(x), dtype=np.int64))
    data = Dataset("arrays", ("a",), split, split, None, "mine.npz")
    cpu = torch.device("cpu")
    assert feature_augmenter(split, data, TrainConfig(), cpu) is None  # off: the plain batches
    config = TrainConfig(series_slice=0.1, series_share=0.5, series_interp="nearest")
    features = feature_augmenter(split, data, config, cpu)
    assert features is not None
    idx = torch.tensor([0, 2, 3])
    got = features(idx, torch.Generator().manual_seed(0))
    settings = SeriesAugment(slice=0.1, share=0.5, interp="nearest")
    want = series_augment(
        torch.from_numpy(x[[0, 2, 3]]), settings, torch.Generator().manual_seed(0)
    )
    assert torch.equal(got, want)


def test_roll_moves_whole_steps_circularly_by_at_most_its_share() -> None:
    x = torch.arange(20, dtype=torch.float32).reshape(1, 20, 1).repeat(64, 1, 1)
    gen = torch.Generator().manual_seed(0)
    out = series_augment(x, SeriesAugment(roll=0.1), gen)
    shifts = set()
    for row in out[:, :, 0]:
        shift = int(row[0].item())  # the step the series now starts at (as x[t] = t)
        assert torch.equal(row, torch.roll(x[0, :, 0], -shift))  # values moved, none blended
        shifts.add(shift if shift <= 10 else shift - 20)
    assert max(abs(s) for s in shifts) <= 2 and len(shifts) > 1  # 0.1 x 20 steps, both ways
    assert TrainConfig(series_roll=0.1).series_augmented
    with pytest.raises(ConfigError, match=r"series_roll must be in \[0, 0.5\].*got 0.6"):
        TrainConfig(series_roll=0.6)
