"""The named tasks and one entry point, :func:`load_dataset`, that the CLI and recipes use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from edgekit.data.cache import ArrayCache, default_cache_dir
from edgekit.data.checks import check_dataset
from edgekit.data.dataset import Dataset
from edgekit.errors import DataError


@dataclass(frozen=True)
class TaskInfo:
    name: str
    description: str
    data_hint: str  # what --data-dir points at ("" where the task needs no data)


TASKS: dict[str, TaskInfo] = {
    t.name: t
    for t in (
        TaskInfo(
            "google13",
            "Speech Commands v0.01, 12 keywords + unknown (EdgeML protocol), 99x32 log-mel",
            "the extracted Speech Commands v0.01 tree (get it with `edgekit data download google13`)",
        ),
        TaskInfo(
            "kws8",
            "8 Speech Commands words (down go left no right stop up yes), 99x32 log-mel",
            "a Speech Commands v0.02 tree with those word folders (https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz)",
        ),
        TaskInfo(
            "dsa19",
            "UCI Daily and Sports Activities, 19 classes, 125 steps x 45 sensors, split by user",
            "the UCI zip (https://archive.ics.uci.edu/dataset/256/daily+and+sports+activities), a tar of it or the unpacked folder",
        ),
        TaskInfo(
            "arrays",
            "your own data: an .npz with X_train [N,T,C], y_train, X_val, y_val (+ test, class_names)",
            "the .npz file",
        ),
        TaskInfo(
            "synthetic", "seeded 8-class multichannel series (no download; the demo task)", ""
        ),
    )
}


def default_data_root() -> Path:
    """``$EDGEKIT_DATA_DIR``, else ``$XDG_DATA_HOME/edgekit``, else ``~/.local/share/edgekit``."""
    if env := os.environ.get("EDGEKIT_DATA_DIR"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "edgekit"


def resolve_data_dir(task: str, data_dir: Path | str | None) -> Path | None:
    """The data location for ``task``: the given one, else the download location (google13)."""
    info = task_info(task)
    if data_dir is not None:
        return Path(data_dir)
    if not info.data_hint:
        return None
    if task == "google13":
        from edgekit.data.download import GOOGLE13_DIRNAME

        candidate = default_data_root() / GOOGLE13_DIRNAME
        if candidate.is_dir():
            return candidate
        raise DataError(
            f"google13: no data at {candidate}; run `edgekit data download google13` "
            "or pass --data-dir pointing at an extracted Speech Commands v0.01 tree"
        )
    raise DataError(f"{task} needs --data-dir: {info.data_hint}")


def task_info(task: str) -> TaskInfo:
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; known tasks: {', '.join(TASKS)}")
    return TASKS[task]


def load_dataset(
    task: str,
    data_dir: Path | str | None = None,
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
    with_audio: bool = False,
    seed: int = 0,
) -> Dataset:
    """Load ``task`` (see :data:`TASKS`), z-normalised with training statistics.

    ``cache_dir`` defaults to :func:`default_cache_dir`; ``use_cache=False`` recomputes and
    stores nothing. ``with_audio`` keeps speech waveforms for augmentation; ``seed`` picks the
    synthetic draw.
    """
    path = resolve_data_dir(task, data_dir)
    cache = ArrayCache(
        (Path(cache_dir) if cache_dir else default_cache_dir()) if use_cache else None
    )
    if task in ("google13", "kws8"):
        from edgekit.data.speech_commands import GOOGLE13_LABELS, KWS8_LABELS, load_speech_commands

        labels = GOOGLE13_LABELS if task == "google13" else KWS8_LABELS
        assert path is not None
        return check_dataset(
            load_speech_commands(path, labels, task, cache, with_audio=with_audio).normalized()
        )
    if task == "dsa19":
        from edgekit.data.dsa19 import load_dsa19

        assert path is not None
        return check_dataset(load_dsa19(path, cache))
    if task == "arrays":
        from edgekit.data.arrays import load_arrays

        assert path is not None
        return check_dataset(load_arrays(path))
    from edgekit.data.synthetic import SyntheticParams, load_synthetic

    return check_dataset(load_synthetic(SyntheticParams(seed=seed)))
