"""The synthetic task is seeded, balanced, and carries its three hidden bits."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.data import load_dataset
from edgekit.data.synthetic import CLASS_NAMES, SyntheticParams, load_synthetic


def test_repeatable_per_seed() -> None:
    a, b, c = (
        load_dataset("synthetic"),
        load_dataset("synthetic"),
        load_dataset("synthetic", seed=1),
    )
    np.testing.assert_array_equal(a.train.x, b.train.x)
    assert not np.array_equal(a.train.x, c.train.x)
    assert a.feature_shape == (64, 8) and a.num_classes == 8 == len(CLASS_NAMES)
    assert a.train.class_counts(8).min() > 200


def test_bits_are_in_the_signal() -> None:
    raw = load_synthetic(SyntheticParams(n_train=800, noise=0.0)).train
    # Undo the normalisation's effect on ordering: positions and signs survive z-scoring.
    b1 = (raw.y >> 1) & 1
    first_bump_ch1 = raw.x[:, :, 1].argmax(axis=1) < raw.x[:, :, 2].argmax(axis=1)
    assert np.mean(first_bump_ch1 == (b1 == 0)) == 1.0


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="channels must be >= 5"):
        SyntheticParams(channels=3)
