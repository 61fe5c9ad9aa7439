"""``--set key=value`` overrides, and rebuilding a typed record from its saved dict.

Dotted keys reach nested records (``teacher_train.epochs=5``); unknown keys and values of the
wrong type or outside a ``Literal``'s choices are refused with the valid ones listed. Both
directions (strings from the command line, JSON values from a run's config.json) go through the
dataclasses' own type hints, so a new field needs no code here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

from edgekit.errors import ConfigError

T = TypeVar("T")


def valid_keys(cls: type[Any], prefix: str = "") -> list[str]:
    """Every settable dotted key of a dataclass type."""
    keys = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        ftype = hints[f.name]
        if dataclasses.is_dataclass(ftype):
            keys.extend(valid_keys(typing.cast(type[Any], ftype), f"{prefix}{f.name}."))
        else:
            keys.append(f"{prefix}{f.name}")
    return keys


def _parse_value(key: str, raw: str, ftype: Any) -> Any:
    origin = typing.get_origin(ftype)
    args = typing.get_args(ftype)
    if origin in (typing.Union, types.UnionType):
        if raw.lower() in ("none", "null", "") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _parse_value(key, raw, inner[0])
    if origin is typing.Literal:
        if raw not in args:
            raise ConfigError(f"--set {key}={raw}: expected one of {', '.join(map(str, args))}")
        return raw
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
    hints = typing.get_type_hints(cls)
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


def from_dict(cls: type[T], raw: dict[str, Any], where: str = "") -> T:
    """Rebuild dataclass ``cls`` from its ``asdict`` form (nested records, tuples from lists).

    Unknown keys are refused; missing ones take the dataclass default, so a run saved before a
    field was added still loads.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{where or cls.__name__}: expected an object, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise ConfigError(
            f"{where or cls.__name__}: unknown keys {', '.join(unknown)}; valid keys: "
            f"{', '.join(sorted(fields))}"
        )
    values = {k: _value(hints[k], v, f"{where}{k}") for k, v in raw.items()}
    return cls(**values)


def _value(ftype: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(ftype) and isinstance(ftype, type):
        return from_dict(ftype, value, where + ".")
    origin = typing.get_origin(ftype)
    if origin in (typing.Union, types.UnionType) and value is not None:
        inner = [a for a in typing.get_args(ftype) if a is not type(None)]
        return _value(inner[0], value, where)
    if origin is tuple and isinstance(value, list | tuple):
        return tuple(value)
    if origin is typing.Literal and value not in typing.get_args(ftype):
        choices = ", ".join(map(str, typing.get_args(ftype)))
        raise ConfigError(f"{where}: expected one of {choices}, got {value!r}")
    return value
