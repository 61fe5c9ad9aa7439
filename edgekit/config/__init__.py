"""Configuration: typed records for training and B-DISTIL, the per-task Recipe, ``--set``.

This package sits below train/ and distill/ (they import their settings from here, never a
Recipe); it imports nothing heavier than ``edgekit.models.spec`` (to check model names).
"""

from edgekit.config.distill import DistillConfig
from edgekit.config.overrides import apply_overrides, from_dict, valid_keys
from edgekit.config.recipe import Recipe, load_recipe, recipe_dirs
from edgekit.config.train import TrainConfig

__all__ = [
    "DistillConfig",
    "Recipe",
    "TrainConfig",
    "apply_overrides",
    "from_dict",
    "load_recipe",
    "recipe_dirs",
    "valid_keys",
]
