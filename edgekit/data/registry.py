"""One entry point, :func:`load_dataset`, for the named tasks (listed in ``edgekit.tasks``)."""

from __future__ import annotations

import os
from pathlib import Path

from edgekit.data.cache import ArrayCache, default_cache_dir
from edgekit.data.checks import check_dataset
from edgekit.data.dataset import Dataset
from edgekit.errors import DataError
from edgekit.tasks import TASKS, TaskInfo, task_info, task_names


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


def load_dataset(
    task: str,
    data_dir: Path | str | None = None,
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
    with_audio: bool = False,
    seed: int = 0,
    users: dict[str, tuple[int, ...]] | None = None,
) -> Dataset:
    """Load ``task`` (see :data:`TASKS`), z-normalised with training statistics.

    ``cache_dir`` defaults to :func:`default_cache_dir`; ``use_cache=False`` recomputes and
    stores nothing. ``with_audio`` keeps speech waveforms for augmentation; ``seed`` picks the
    synthetic draw; ``users`` replaces a user-split task's split (DSA-19's user rotation).
    """
    if users is not None and task != "dsa19":
        raise DataError(f"users: {task} is not split by user; only dsa19 takes users.* settings")
    path = resolve_data_dir(task, data_dir)
    cache = ArrayCache(
        (Path(cache_dir) if cache_dir else default_cache_dir()) if use_cache else None
    )
    if task_info(task).speech:
        from edgekit.data.speech_commands import GOOGLE13_LABELS, KWS8_LABELS, load_speech_commands

        labels = GOOGLE13_LABELS if task == "google13" else KWS8_LABELS
        assert path is not None
        return check_dataset(
            load_speech_commands(path, labels, task, cache, with_audio=with_audio).normalized()
        )
    if task == "dsa19":
        from edgekit.data.dsa19 import load_dsa19

        assert path is not None
        return check_dataset(load_dsa19(path, cache, users))
    if task == "arrays":
        from edgekit.data.arrays import load_arrays

        assert path is not None
        return check_dataset(load_arrays(path))
    from edgekit.data.synthetic import SyntheticParams, load_synthetic

    return check_dataset(load_synthetic(SyntheticParams(seed=seed)))


__all__ = [
    "TASKS",
    "TaskInfo",
    "default_data_root",
    "load_dataset",
    "resolve_data_dir",
    "task_info",
    "task_names",
]
