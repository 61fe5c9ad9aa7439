"""What a training run shows while it runs: a bar per epoch and one line per finished epoch.

Kept apart from the loop (edgekit.train.trainer) so the loop reads as training only. Without a
terminal bar (``EDGEKIT_PROGRESS=0``, or a rank other than 0) the lines go to the debug log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from edgekit.progress import make_progress, progress_enabled

log = logging.getLogger("edgekit.train.trainer")


class EpochView:
    """The progress bar (when shown) and the per-epoch lines of one trainer."""

    def __init__(self, label: str, epochs: int, shown: bool) -> None:
        self.label, self.epochs = label, epochs
        self.bar: Any = make_progress(info=True, transient=True) if shown else None
        self._task: Any = None
        self._start = 0.0

    @staticmethod
    def wanted(is_main: bool, quiet: bool) -> bool:
        return is_main and progress_enabled() and not quiet

    def __enter__(self) -> EpochView:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def begin(self, epoch: int, batches: int) -> None:
        self._start = time.perf_counter()
        if self.bar is not None:
            text = f"{self.label} epoch {epoch + 1}/{self.epochs}"
            self._task = self.bar.add_task(text, total=batches, info="")

    def step(self, loss: float, accuracy: float, samples: int) -> None:
        """After a batch: running loss, accuracy and rate (``samples`` over every rank)."""
        if self.bar is not None:
            rate = samples / max(time.perf_counter() - self._start, 1e-9)
            info = f"loss {loss:.3f} acc {accuracy:.3f} {rate:,.0f} samples/s"
            self.bar.update(self._task, advance=1, info=info)

    def end(self) -> None:
        if self.bar is not None:
            self.bar.remove_task(self._task)

    def line(self, row: dict[str, Any], score_key: str, improved: bool) -> None:
        """The finished epoch's line (``*``: the kept one so far)."""
        text = (
            f"{self.label} epoch {row['epoch']}/{self.epochs}: loss {row['train_loss']:.4f} "
            f"train acc {row['train_accuracy']:.4f} {score_key} {row[score_key]:.4f} "
            f"({row['samples_per_second']:,.0f} samples/s){' *' if improved else ''}"
        )
        if self.bar is not None:
            self.bar.console.print(text, highlight=False)
        else:
            log.debug(text)  # quiet mode: one line per run, not per epoch
