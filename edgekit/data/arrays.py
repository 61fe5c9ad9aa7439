"""A user's own data as one ``.npz``: X_train, y_train, X_val, y_val (+ optional test, class_names).

X is [N, T, C] (a 2-D [N, T] is taken as one channel, and said so). Labels are integers
0..L-1. Nothing is unpickled: object arrays are refused.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from edgekit.data.dataset import Dataset, Split
from edgekit.errors import DataError

REQUIRED = ("X_train", "y_train", "X_val", "y_val")
OPTIONAL = ("X_test", "y_test", "class_names")


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DataError(f"{path}: no such file; expected an .npz with keys {', '.join(REQUIRED)}")
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{path}: not a readable .npz (not a zip archive); save it with numpy.savez"
        )
    try:
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{path}: holds object arrays, which would need unpickling; "
                "save plain numeric arrays (and class_names as a str array)"
            ) from exc
        raise DataError(f"{path}: not a readable .npz ({exc})") from exc
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz ({exc})") from exc


def _features(path: Path, name: str, x: np.ndarray, notes: list[str]) -> np.ndarray:
    if x.dtype.kind not in "fiu":
        raise DataError(f"{path}: {name} has dtype {x.dtype}, expected numbers")
    if x.ndim == 2:
        notes.append(f"{name}: 2-D [N, T] taken as one channel [N, T, 1]")
        x = x[:, :, None]
    if x.ndim != 3:
        raise DataError(f"{path}: {name} has shape {x.shape}, expected [N, T, C]")
    finite = np.isfinite(x)
    if not finite.all():
        bad = np.argwhere(~finite)
        raise DataError(
            f"{path}: {name} has {int((~finite).sum())} NaN/infinite values "
            f"(first at sample {bad[0][0]}, step {bad[0][1]}, channel {bad[0][2]}); "
            "clean or impute them before training"
        )
    return x.astype(np.float32)


def _labels(path: Path, name: str, y: np.ndarray, n: int, x_name: str) -> np.ndarray:
    if y.ndim != 1:
        raise DataError(f"{path}: {name} has shape {y.shape}, expected [N]")
    if len(y) != n:
        raise DataError(f"{path}: {x_name} has {n} samples but {name} has {len(y)} labels")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise DataError(f"{path}: {name} holds non-integer labels; expected integers 0..L-1")
    elif y.dtype.kind not in "iu":
        raise DataError(f"{path}: {name} has dtype {y.dtype}, expected integers 0..L-1")
    y = y.astype(np.int64)
    if len(y) and y.min() < 0:
        raise DataError(f"{path}: {name} has negative labels; expected integers 0..L-1")
    return y


def load_arrays(path: Path) -> Dataset:
    """Validate and load a user's ``.npz``; every problem names the key and what was expected."""
    path = Path(path)
    data = _load_npz(path)
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise DataError(
            f"{path}: missing {', '.join(missing)}; found keys {sorted(data)}; "
            f"required {', '.join(REQUIRED)}, optional {', '.join(OPTIONAL)}"
        )
    if ("X_test" in data) != ("y_test" in data):
        raise DataError(f"{path}: X_test and y_test must come together")
    notes: list[str] = []
    splits: dict[str, Split] = {}
    for split, suffix in (("train", "train"), ("val", "val"), ("test", "test")):
        if f"X_{suffix}" not in data:
            continue
        x = _features(path, f"X_{suffix}", data[f"X_{suffix}"], notes)
        y = _labels(path, f"y_{suffix}", data[f"y_{suffix}"], len(x), f"X_{suffix}")
        splits[split] = Split(x, y)
    shapes = {name: s.x.shape[1:] for name, s in splits.items()}
    if len(set(shapes.values())) > 1:
        raise DataError(f"{path}: splits disagree on [T, C]: {shapes}")
    num_classes = int(max(s.y.max(initial=-1) for s in splits.values())) + 1
    if "class_names" in data:
        names = tuple(str(c) for c in np.asarray(data["class_names"]).reshape(-1))
        if num_classes > len(names):
            raise DataError(
                f"{path}: labels go up to {num_classes - 1} but class_names has {len(names)} names"
            )
    else:
        names = tuple(f"class{i}" for i in range(num_classes))
        notes.append("no class_names in the file: classes named class0..")
    if "test" not in splits:
        notes.append("test split absent (no X_test/y_test): report on validation")
    dataset = Dataset(
        task="arrays",
        class_names=names,
        train=splits["train"],
        val=splits["val"],
        test=splits.get("test"),
        source=str(path),
        notes=tuple(notes),
    )
    return dataset.normalized()
