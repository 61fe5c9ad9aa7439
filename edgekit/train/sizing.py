"""Training sized to the data: optimizer steps with a floor, and conv members sized to the series.

A recipe written for a few thousand windows trains a 40-series set for 30 optimizer steps
(30 epochs x one batch of 64): far too few. :func:`sized_train` keeps the recipe's epochs as a
minimum and raises them until the run makes ``min_steps`` optimizer steps, with batches small
enough that an epoch holds a few of them. :func:`sized_spec` gives a ``cnn1d`` member (one left at
its default layout) a layout that fits the series: it removes downsampling a short series cannot afford
(and, if asked, adds blocks until the receptive field spans the series: measured harmful). Both are pure, and idempotent: sizing a sized recipe
changes nothing, so a resumed run compares equal to the one it continues.
"""

from __future__ import annotations

import math
from dataclasses import replace

from edgekit.config.train import TrainConfig
from edgekit.models.receptive import receptive_field
from edgekit.models.shapes import cnn1d_lengths
from edgekit.models.spec import ModelSpec, ModelSpecError, parse_spec

MIN_BATCH = 8  # below this BatchNorm's batch statistics get too noisy
BATCHES_PER_EPOCH = 4  # small sets: at least this many steps per epoch (batch <= n / 4)
MAX_EPOCHS = 2000  # each epoch validates and checkpoints: bound that overhead on tiny sets
MAX_LAYERS = 8  # cnn1d's limit (edgekit.models.spec)


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    return max(1, math.ceil(n_train / batch_size))


def sized_train(cfg: TrainConfig, n_train: int) -> TrainConfig:
    """``cfg`` for ``n_train`` training series: at least ``cfg.min_steps`` optimizer steps.

    The batch shrinks to ``n_train / 4`` (not below 8) so a small set gets several steps per
    epoch, then epochs grow to reach the floor (at most 2000); ``patience`` grows by the same
    factor as the epochs, so it keeps meaning the same share of the run. ``min_steps=0``: as is.
    """
    if cfg.min_steps <= 0 or n_train <= 0:
        return cfg
    batch = min(cfg.batch_size, max(MIN_BATCH, n_train // BATCHES_PER_EPOCH))
    per_epoch = steps_per_epoch(n_train, batch)
    epochs = min(max(cfg.epochs, math.ceil(cfg.min_steps / per_epoch)), max(cfg.epochs, MAX_EPOCHS))
    patience = cfg.patience
    if patience and epochs > cfg.epochs:
        patience = math.ceil(patience * epochs / cfg.epochs)
    return replace(cfg, batch_size=batch, epochs=epochs, patience=patience)


def _is_default_layout(spec: ModelSpec) -> bool:
    return str(spec) == f"{spec.arch}-{spec.width}"


def _fits(spec: ModelSpec, length: int) -> bool:
    try:
        cnn1d_lengths(spec, length)
    except ModelSpecError:
        return False
    return True


def sized_spec(text: str, length: int, deepen: bool = False) -> str:
    """A ``cnn1d`` spec left at its default layout, fitted to series of ``length`` steps.

    A series too short for the default downsampling loses the first block's stride, then the
    pooling (else the model could not be built). With ``deepen``, blocks are also added (3 up to
    8) while the receptive field is shorter than the series: measured harmful (OSULeaf 97.5 % ->
    83.1 %, ACSF1 80.0 % -> 63.0 %, ArrowHead 82.1 % -> 79.8 %; benchmarks/arrays_choices.md),
    so the recipe does not ask for it. Any other spec (another architecture, or a layout the
    user chose) is returned unchanged.
    """
    spec = parse_spec(text)
    if spec.arch != "cnn1d" or not _is_default_layout(spec):
        return text
    for stride, pool in ((spec.stride, spec.pool), (1, spec.pool), (1, 1)):
        base = replace(spec, stride=stride, pool=pool)
        if _fits(base, length):
            break
    else:
        return text  # nothing fits; the model build says why, with the numbers
    while deepen and base.layers < MAX_LAYERS and (receptive_field(base) or 0) < length:
        deeper = replace(base, layers=base.layers + 1)
        if not _fits(deeper, length) or cnn1d_lengths(deeper, length)[-1][1] < 2:
            break
        base = deeper
    return str(base)
