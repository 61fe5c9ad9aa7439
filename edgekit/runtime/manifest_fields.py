"""Field checks for ``manifest.json``: each returns the typed value or raises BundleError naming it.

Kept apart from the manifest's types so that every rule a hand-edited manifest can break is in one
short file (docs/bundle.md lists them).
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath
from typing import Any

from edgekit.errors import BundleError, EdgekitError

_SHA256 = re.compile(r"[0-9a-f]{64}")


def get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise BundleError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BundleError(f"{where}: field {key!r} must be {names}, got {value!r}")
    return value


def shape(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value
    ):
        raise BundleError(f"{where}: shape must be a list of positive ints, got {value!r}")
    return tuple(value)


def choice(obj: dict[str, Any], key: str, choices: tuple[str, ...], where: str) -> str:
    value: str = get(obj, key, str, where)
    if value not in choices:
        raise BundleError(f"{where}: {key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def optional_dict(obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BundleError(f"{where}: field {key!r} must be an object, got {value!r}")
    return value


def class_names(raw: dict[str, Any], source: str) -> tuple[str, ...]:
    names = get(raw, "class_names", list, source)
    if not names or not all(isinstance(n, str) for n in names):
        raise BundleError(
            f"{source}: class_names must be a non-empty list of strings, got {names!r}"
        )
    return tuple(names)


def normalization(raw: dict[str, Any], channels: int, source: str) -> dict[str, list[float]] | None:
    """Per-channel mean and std, one finite number per feature channel, every std > 0."""
    norm = raw.get("normalization")
    if norm is None:
        return None
    where = f"{source} normalization"
    if not isinstance(norm, dict):
        raise BundleError(f"{where}: must be an object with 'mean' and 'std', got {norm!r}")
    out: dict[str, list[float]] = {}
    for key in ("mean", "std"):
        values = get(norm, key, list, where)
        if len(values) != channels:
            raise BundleError(
                f"{where}.{key}: {len(values)} values, expected {channels} (one per feature channel)"
            )
        if not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        ):
            raise BundleError(f"{where}.{key}: every value must be a finite number")
        out[key] = [float(v) for v in values]
    if min(out["std"]) <= 0:
        bad = [i for i, v in enumerate(out["std"]) if v <= 0]
        raise BundleError(
            f"{where}.std: channel(s) {bad} have std <= 0; the bundle is damaged (re-export it)"
        )
    return out


def frontend(
    raw: dict[str, Any], input_shape: tuple[int, ...], source: str
) -> dict[str, Any] | None:
    """The front end's parameters, checked by building them and against the input shape."""
    front = raw.get("frontend")
    if front is None:
        return None
    where = f"{source} frontend"
    if not isinstance(front, dict):
        raise BundleError(f"{where}: must be an object, got {front!r}")
    from edgekit.features.params import FrontEndParams

    try:
        params = FrontEndParams.from_dict(front)
    except (TypeError, ValueError, EdgekitError) as e:
        raise BundleError(f"{where}: {e}") from None
    if params.feature_shape != input_shape:
        raise BundleError(
            f"{where}: gives features {list(params.feature_shape)}, but input_shape is "
            f"{list(input_shape)}"
        )
    return front


def sha256(value: str, where: str) -> str:
    if not _SHA256.fullmatch(value):
        raise BundleError(f"{where}: field 'sha256' must be 64 lowercase hex digits, got {value!r}")
    return value


def optional_int(obj: dict[str, Any], key: str, where: str, low: int) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise BundleError(f"{where}: field {key!r} must be null or an int >= {low}, got {value!r}")
    return value


def count(obj: dict[str, Any], key: str, where: str) -> int:
    value: int = get(obj, key, int, where)
    if value < 0:
        raise BundleError(f"{where}: field {key!r} must be >= 0, got {value}")
    return value


def inside_bundle(name: str, where: str, what: str = "entry") -> PurePosixPath:
    """``name`` as a path if it stays inside the bundle (not empty, absolute, ``..``, a drive
    letter or backslashes), else :class:`BundleError`."""
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or path.is_absolute()
        or ".." in path.parts
        or (path.parts and ":" in path.parts[0])
    ):
        raise BundleError(f"{where}: {what} {name!r} escapes the bundle directory; refusing it")
    return path


def file_name(obj: dict[str, Any], where: str) -> str:
    """The member's file name, exactly as the bundle stores it (no ``./``, ``..`` or ``\\``)."""
    name: str = get(obj, "file", str, where)
    path = inside_bundle(name, where, "file")
    if str(path) != name:
        raise BundleError(
            f"{where}: field 'file' must name the file as the bundle stores it "
            f"({str(path)!r}), got {name!r}"
        )
    return name
