"""Progress bars for long work, on stderr, silenced with ``EDGEKIT_PROGRESS=0``.

:func:`make_progress` is the one place the rich bar is built (training epochs and ``track``
both use it), so every bar in edgekit looks and behaves the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")


def progress_enabled() -> bool:
    return os.environ.get("EDGEKIT_PROGRESS", "1") not in ("0", "false", "no")


def make_progress(*, info: bool = False, transient: bool = False) -> Progress:
    """A rich progress bar on stderr: description, bar, n/total, elapsed, remaining time.

    ``info`` adds a free-text column fed by ``update(task, info=...)`` (loss, rate).
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
    ]
    columns += (
        [TimeElapsedColumn(), TimeRemainingColumn()]
        if info
        else [
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
    )
    if info:
        columns.append(TextColumn("{task.fields[info]}"))
    return Progress(*columns, console=Console(stderr=True), transient=transient)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar when enabled."""
    if not progress_enabled():
        yield from items
        return
    with make_progress() as progress:
        yield from progress.track(items, total=total, description=description)
