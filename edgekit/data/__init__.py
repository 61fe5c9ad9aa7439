"""Dataset loaders: google13, kws8, dsa19, arrays (your .npz) and synthetic.

Every loader returns a :class:`Dataset` of float32 [N, T, C] features and int64 labels, split
into train / val / (test), z-normalised with training statistics.
"""

from edgekit.data.dataset import SPLITS, Dataset, Normalization, Split
from edgekit.data.registry import TASKS, load_dataset

__all__ = ["SPLITS", "TASKS", "Dataset", "Normalization", "Split", "load_dataset"]
