"""Recipes: what to train for a task, as small typed dataclasses, overridable by ``--set``.

A recipe names the teacher, the student candidates and the training settings. Overrides are
``key=value`` with dotted keys into nested records (``teacher_train.epochs=5``); unknown keys
and values of the wrong type are refused with the valid keys listed.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from edgekit.distill.config import DistillConfig
from edgekit.errors import ConfigError
from edgekit.train.config import TrainConfig

T = TypeVar("T")


@dataclass(frozen=True)
class Recipe:
    """Everything ``edgekit train-teacher`` (and later ``distill``) needs for one task."""

    task: str
    teacher: str = "cnn1d-128"
    students: tuple[str, ...] = ("cnn1d-8", "cnn1d-16", "cnn1d-32")
    teacher_train: TrainConfig = field(default_factory=TrainConfig)
    student_train: TrainConfig = field(default_factory=TrainConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    data_dir: str | None = None
    # cnn1d members at their default layout lose the downsampling a short series cannot afford
    # (issue 18; edgekit.train.sizing.sized_spec)
    size_models: bool = False
    deepen_models: bool = False  # with size_models: blocks until the receptive field spans T

    def __post_init__(self) -> None:
        from edgekit.models import parse_spec

        for spec in (self.teacher, *self.students):
            parse_spec(spec)  # a typo in a model name fails here, with the grammar in the message
        if not self.students:
            raise ConfigError("recipe: students must list at least one candidate")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_recipe(task: str) -> Recipe:
    """The shipped recipe for ``task`` (``recipes/<task>.py``, attribute ``RECIPE``)."""
    from edgekit.data.registry import task_info

    task_info(task)  # unknown task -> clear error
    try:
        module = importlib.import_module(f"recipes.{task}")
    except ModuleNotFoundError as exc:
        raise ConfigError(f"no recipe for task {task!r} (expected recipes/{task}.py)") from exc
    recipe = getattr(module, "RECIPE", None)
    if not isinstance(recipe, Recipe):
        raise ConfigError(f"recipes/{task}.py must define RECIPE = Recipe(...)")
    return recipe


def valid_keys(cls: type[Any], prefix: str = "") -> list[str]:
    """Every settable dotted key of a dataclass type."""
    keys = []
    for f in dataclasses.fields(cls):
        ftype = _resolved_types(cls)[f.name]
        if dataclasses.is_dataclass(ftype):
            keys.extend(valid_keys(typing.cast(type[Any], ftype), f"{prefix}{f.name}."))
        else:
            keys.append(f"{prefix}{f.name}")
    return keys


def _resolved_types(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _parse_value(key: str, raw: str, ftype: Any) -> Any:
    origin = typing.get_origin(ftype)
    args = typing.get_args(ftype)
    if origin in (typing.Union, types.UnionType):
        if raw.lower() in ("none", "null", "") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _parse_value(key, raw, inner[0])
    if origin is tuple:
        item = args[0] if args else str
        return tuple(
            _parse_value(key, part.strip(), item) for part in raw.split(",") if part.strip()
        )
    if ftype is bool:
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"--set {key}={raw}: expected true or false")
    if ftype in (int, float):
        try:
            return ftype(raw)
        except ValueError:
            raise ConfigError(
                f"--set {key}={raw}: expected {ftype.__name__}, got {raw!r}"
            ) from None
    if ftype is str:
        return raw
    raise ConfigError(f"--set {key}: cannot set a value of type {ftype}")


def apply_overrides(obj: T, overrides: list[str]) -> T:
    """A copy of dataclass ``obj`` with each ``key=value`` applied (dotted keys reach nested records)."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        obj = _set(obj, key.strip(), raw.strip(), key.strip())
    return obj


def _set(obj: T, key: str, raw: str, full_key: str, prefix: str = "") -> T:
    cls = type(obj)
    head, _, rest = key.partition(".")
    hints = _resolved_types(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if head not in names:
        root_keys = ", ".join(valid_keys(cls, prefix))
        raise ConfigError(f"--set {full_key}: unknown key {head!r}; valid keys: {root_keys}")
    current = getattr(obj, head)
    if dataclasses.is_dataclass(current) and not isinstance(current, type):
        if not rest:
            raise ConfigError(
                f"--set {full_key}: {head} is a group; set one of its fields, e.g. {valid_keys(type(current), head + '.')[0]}"
            )
        value = _set(current, rest, raw, full_key, f"{prefix}{head}.")
    else:
        if rest:
            raise ConfigError(f"--set {full_key}: {head} has no fields")
        value = _parse_value(full_key, raw, hints[head])
    try:
        return dataclasses.replace(obj, **{head: value})  # type: ignore[type-var]
    except ConfigError as exc:
        raise ConfigError(f"--set {full_key}={raw}: {exc}") from None
