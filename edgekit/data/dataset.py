"""The dataset record every loader returns: features, labels, class names and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from edgekit.features.params import FrontEndParams

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Split:
    """One split: features float32 [N, T, C] and integer labels int64 [N]."""

    x: np.ndarray
    y: np.ndarray
    audio: np.ndarray | None = None  # int16 PCM [N, clip_samples] where a speech loader kept it
    groups: np.ndarray | None = None  # int64 [N]: speaker (speech) or user (DSA-19) of each sample

    def __post_init__(self) -> None:
        if self.x.ndim != 3:
            raise ValueError(f"features must be [N, T, C], got shape {self.x.shape}")
        if len(self.x) != len(self.y):
            raise ValueError(f"{len(self.x)} feature rows but {len(self.y)} labels")

    def __len__(self) -> int:
        return len(self.y)

    def class_counts(self, num_classes: int) -> np.ndarray:
        return np.bincount(self.y, minlength=num_classes)


@dataclass(frozen=True)
class Normalization:
    """Per-channel z-normalisation from training statistics: x' = (x - mean) / std."""

    mean: np.ndarray  # float32 [C]
    std: np.ndarray  # float32 [C]

    @classmethod
    def fit(cls, x: np.ndarray, min_std: float = 1e-6) -> Normalization:
        flat = x.reshape(-1, x.shape[-1])
        mean = flat.mean(axis=0, dtype=np.float64)  # accumulate in float64 without a copy
        std = np.maximum(
            np.sqrt(np.mean(np.square(flat - mean.astype(flat.dtype)), axis=0, dtype=np.float64)),
            min_std,
        )
        return cls(mean.astype(np.float32), std.astype(np.float32))

    def apply(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = ((x - self.mean) / self.std).astype(np.float32)
        return out


@dataclass(frozen=True)
class Dataset:
    """A task's splits. ``test`` is None where the data has no test split (reported in notes)."""

    task: str
    class_names: tuple[str, ...]
    train: Split
    val: Split
    test: Split | None
    source: str
    frontend: FrontEndParams | None = None
    normalization: Normalization | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    users: dict[str, tuple[int, ...]] | None = None  # a user split other than the task's own

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def feature_shape(self) -> tuple[int, int]:
        return (int(self.train.x.shape[1]), int(self.train.x.shape[2]))

    def splits(self) -> dict[str, Split]:
        out = {"train": self.train, "val": self.val}
        if self.test is not None:
            out["test"] = self.test
        return out

    def normalized(self) -> Dataset:
        """The same data z-normalised per channel with statistics of the training split."""
        if self.normalization is not None:
            return self
        norm = Normalization.fit(self.train.x)

        def apply(split: Split | None) -> Split | None:
            return None if split is None else replace(split, x=norm.apply(split.x))

        train, val = apply(self.train), apply(self.val)
        assert train is not None and val is not None
        return replace(self, train=train, val=val, test=apply(self.test), normalization=norm)
