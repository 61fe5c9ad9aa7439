"""The records a run directory holds, one schema per file (the paths are in ``__init__``)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from edgekit.data import Dataset


@dataclass(frozen=True)
class MemberRecord:
    """What a run stores about a member next to its weights (members/NN/member.json)."""

    index: int
    spec: str
    connected: bool
    objective: str
    alpha: float
    edge: float
    macs: int
    params: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TeacherSummary:
    """teacher/summary.json, for a teacher trained here or imported (``--teacher``).

    A trained teacher has the training fields; an imported one has ``imported_from`` instead.
    """

    task: str
    spec: str
    val_accuracy: float
    params: int
    macs: int
    test_accuracy: float | None = None
    best_epoch: int | None = None
    train_seconds: float | None = None
    samples_per_second: float | None = None
    device: str | None = None
    out_dir: str | None = None
    imported_from: str | None = None

    _TRAINED: ClassVar[tuple[str, ...]] = (
        *("task", "spec", "val_accuracy", "test_accuracy", "best_epoch", "params", "macs"),
        *("train_seconds", "samples_per_second", "device", "out_dir"),
    )
    _IMPORTED: ClassVar[tuple[str, ...]] = (
        *("task", "spec", "val_accuracy", "params", "macs", "imported_from"),
    )

    def to_dict(self) -> dict[str, Any]:
        keys = self._TRAINED if self.imported_from is None else self._IMPORTED
        return {k: getattr(self, k) for k in keys}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TeacherSummary:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass(frozen=True)
class RunConfig:
    """config.json: the resolved recipe (``Recipe.to_dict()``) and what the data was."""

    recipe: dict[str, Any]
    data: dict[str, Any]
    threads: int | None = None  # torch's intra-op threads: results differ slightly with them

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"recipe": self.recipe, "data": self.data}
        if self.threads is not None:
            out["threads"] = self.threads
        return out

    @property
    def task(self) -> str:
        return str(self.recipe["task"])

    @property
    def feature_shape(self) -> tuple[int, int]:
        t, c = self.data["feature_shape"]
        return int(t), int(c)

    @property
    def num_classes(self) -> int:
        return len(self.data["class_names"])


@dataclass(frozen=True)
class Stopped:
    """stopped.json: why the rounds ended before ``max_members``."""

    round: int
    reason: str
    tried: list[dict[str, Any]]
    skipped: list[dict[str, Any]]


def data_record(data: Dataset) -> dict[str, Any]:
    """What a run must remember about its data to export and run members later."""
    return {
        "task": data.task,
        "source": data.source,
        "class_names": list(data.class_names),
        "feature_shape": list(data.feature_shape),
        "frontend": data.frontend.to_dict() if data.frontend else None,
        "normalization": None
        if data.normalization is None
        else {
            "mean": data.normalization.mean.tolist(),
            "std": data.normalization.std.tolist(),
        },
        "sizes": {name: len(split) for name, split in data.splits().items()},
        **({"users": {k: list(v) for k, v in data.users.items()}} if data.users else {}),
    }


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}{k}.")
    else:
        yield prefix.rstrip("."), value


def differing_keys(
    saved: dict[str, Any], current: dict[str, Any], may_change: Iterable[str] = ()
) -> list[str]:
    """Dotted keys of ``current`` whose value differs in ``saved`` (JSON-normalised), except
    ``may_change`` (a key or a key prefix). Keys only one side has are ignored: settings since
    removed, and settings added since the run was started (a run made before a setting existed
    resumes; it was made with that setting's behaviour of the time)."""
    free = tuple(may_change)
    old = dict(_flatten(json.loads(json.dumps(saved))))
    new = dict(_flatten(json.loads(json.dumps(current))))
    return [
        k
        for k, v in new.items()
        if k in old and old[k] != v and not any(k == f or k.startswith(f + ".") for f in free)
    ]


def read_warning_list(path: Path) -> list[str]:
    """warnings.json's list of strings ([] when absent; a note when damaged)."""
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return [f"{path} is damaged; the run's data warnings were not read"]
    return [str(w) for w in data] if isinstance(data, list) else []
