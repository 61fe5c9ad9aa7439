"""Where a candidate's random numbers come from, and a paired baseline student's.

A candidate's initial weights and its training are drawn from (seed, round, position, init):
the same whichever rank, or which earlier candidates, ran in the process before it. The trainer
draws each epoch's batches and augmentation from (seed, epoch) alone (train/trainer.py), so two
models built and trained from the same seeds here see the same numbers throughout.

That is what ``distill.paired_baselines`` uses: RESCHED's student standing for member k starts
from member k's init and trains from its seeds (common random numbers), so that the baseline
and the ensemble differ by what B-DISTIL adds (the member's spec, objective, connection and step)
and not by the luck of two seeds; on DSA-19 one member's seed alone moves accuracy 2-3 points.
"""

from __future__ import annotations

INIT = 500_009  # a candidate's first init seed: its training seed plus this offset


def init_seed(seed: int, index: int, position: int, init: int) -> int:
    """Drawn just before candidate ``position`` of round ``index`` is built (init ``init``)."""
    return train_seed(seed, index, position, init) + (INIT if init == 0 else 0)


def train_seed(seed: int, index: int, position: int, init: int) -> int:
    """Drawn just before that candidate's trainer is made."""
    return seed * 1000 + index * 31 + position + 7919 * init
