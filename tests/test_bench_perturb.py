"""edgekit/bench_perturb.py: the copies `bench` checks its early-exit margin on."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from edgekit.bench_perturb import perturbation, perturbed_copies
from edgekit.data.dataset import Dataset, Normalization, Split
from edgekit.errors import EdgekitError


def sensor_data(task: str, channels: int) -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 125, channels)).astype(np.float32)
    split = Split(x, np.zeros(6, dtype=np.int64))
    norm = Normalization(np.zeros(channels, np.float32), np.ones(channels, np.float32))
    return Dataset(task, ("a",), split, split, None, "memory", normalization=norm)


def test_dsa19_copies_follow_its_recipes_sensor_augmentation_and_repeat() -> None:
    data = sensor_data("dsa19", 45)
    first = perturbed_copies("dsa19", data.normalization, data.val.x, copies=3)
    again = perturbed_copies("dsa19", data.normalization, data.val.x, copies=3)
    assert len(first) == 3 and all(c.shape == data.val.x.shape for c in first)
    # a fixed seed: the same bundle and data get the same recommendation
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    # each copy is perturbed, and differently from the others
    assert all(not np.allclose(c, data.val.x, atol=1e-3) for c in first)
    assert not np.allclose(first[0], first[1], atol=1e-3)
    assert "rotation 15 deg" in (perturbation("dsa19") or "")


def test_tasks_without_sensor_augmentation_get_no_copies() -> None:
    data = sensor_data("synthetic", 8)
    assert perturbed_copies("synthetic", data.normalization, data.val.x) == []
    assert perturbation("synthetic") is None and perturbation("kws8") is None
    assert perturbed_copies("dsa19", None, np.zeros((2, 125, 45)), copies=0) == []


def test_without_torch_the_copies_are_refused_with_the_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    data = sensor_data("dsa19", 45)
    with pytest.raises(EdgekitError, match=r"needs torch .*--perturb-copies 0"):
        perturbed_copies("dsa19", data.normalization, data.val.x)
    # tasks without copies need no torch
    assert perturbed_copies("synthetic", None, data.val.x) == []
