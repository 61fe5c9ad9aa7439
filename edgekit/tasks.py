"""The named tasks: the one list the CLI, recipes and loaders read (no numpy: the CLI's
help text is built from it)."""

from __future__ import annotations

from dataclasses import dataclass

from edgekit.errors import DataError


@dataclass(frozen=True)
class TaskInfo:
    name: str
    description: str
    data_hint: str  # what --data-dir points at ("" where the task needs no data)
    speech: bool = False  # raw audio through the log-mel front end (augmentation applies)
    download: str = ""  # how to get the data ("" where `edgekit data download` fetches it)


TASKS: dict[str, TaskInfo] = {
    t.name: t
    for t in (
        TaskInfo(
            "google13",
            "Speech Commands v0.01, 12 keywords + unknown (EdgeML protocol), 99x32 log-mel",
            "the extracted Speech Commands v0.01 tree (get it with `edgekit data download google13`)",
            speech=True,
        ),
        TaskInfo(
            "kws8",
            "8 Speech Commands words (down go left no right stop up yes), 99x32 log-mel",
            "a Speech Commands v0.02 tree with those word folders",
            speech=True,
            download="the Speech Commands v0.02 archive (https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz), extracted",
        ),
        TaskInfo(
            "dsa19",
            "UCI Daily and Sports Activities, 19 classes, 125 steps x 45 sensors, split by user",
            "the UCI zip, a tar of it or the unpacked folder",
            download="the UCI zip from https://archive.ics.uci.edu/dataset/256/daily+and+sports+activities",
        ),
        TaskInfo(
            "arrays",
            "your own data: an .npz with X_train [N,T,C], y_train, X_val, y_val (+ test, class_names)",
            "the .npz file",
            download="arrays is your own .npz; nothing to download",
        ),
        TaskInfo(
            "synthetic",
            "seeded 8-class multichannel series (no download; the demo task)",
            "",
            download="synthetic is generated, nothing to download",
        ),
    )
}


def task_names() -> str:
    """The known tasks as text for help and errors: "google13, kws8, dsa19, arrays or synthetic"."""
    names = list(TASKS)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def task_info(task: str) -> TaskInfo:
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; known tasks: {', '.join(TASKS)}")
    return TASKS[task]
