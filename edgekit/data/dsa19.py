"""UCI Daily and Sports Activities (DSA-19): the UCI zip, any tar, or an unpacked folder.

Each segment is ``.../aXX/pY/sZZ.txt``: 125 lines (5 s at 25 Hz) of 45 comma-separated values
(5 units x 9 sensors). Split by user (the EdgeML 4/2/2 protocol): p1-p4 train, p5-p6 validation,
p7-p8 test. Parsed segments are cached on disk keyed by the source's size and modification time.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from edgekit.data.cache import ArrayCache, cache_key
from edgekit.data.dataset import Dataset, Split
from edgekit.errors import DataError
from edgekit.features.sensor_text import parse_segment
from edgekit.progress import track

LOADER_VERSION = 1
SPLIT_USERS = {"train": (1, 2, 3, 4), "val": (5, 6), "test": (7, 8)}
ACTIVITIES = (
    "sitting",
    "standing",
    "lying on back",
    "lying on right side",
    "ascending stairs",
    "descending stairs",
    "standing in an elevator",
    "moving around in an elevator",
    "walking in a parking lot",
    "walking on a treadmill (4 km/h, flat)",
    "walking on a treadmill (4 km/h, 15 deg incline)",
    "running on a treadmill (8 km/h)",
    "exercising on a stepper",
    "exercising on a cross trainer",
    "cycling on an exercise bike (horizontal)",
    "cycling on an exercise bike (vertical)",
    "rowing",
    "jumping",
    "playing basketball",
)
_SEGMENT = re.compile(r"(?:^|/)a(\d\d)/p(\d)/s(\d\d)\.txt$")

EXPECTED_LAYOUT = (
    "expected the UCI layout data/aXX/pY/sZZ.txt (a01-a19 activities, p1-p8 users, s01-s60 "
    "segments of 125 lines x 45 comma-separated numbers), as the UCI zip, a tar or a folder"
)


def _members(source: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every segment file in a zip, a tar or a folder, in archive order."""
    if source.is_dir():
        for path in sorted(source.rglob("*.txt")):
            name = path.relative_to(source).as_posix()
            if _SEGMENT.search(name):
                yield name, path.read_bytes()
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():
                if _SEGMENT.search(info.filename):
                    yield info.filename, zf.read(info)
    elif source.is_file() and _is_tar(source):
        with tarfile.open(source) as tf:
            for member in tf:
                if member.isfile() and _SEGMENT.search(member.name):
                    fh = tf.extractfile(member)
                    if fh is not None:
                        yield member.name, fh.read()
    elif not source.exists():
        raise DataError(f"{source}: no such file or folder; {EXPECTED_LAYOUT}")
    else:
        raise DataError(f"{source}: not a zip, a tar or a folder; {EXPECTED_LAYOUT}")


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def read_segments(source: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All segments as (x float32 [N, 125, 45], activity [N] 0-based, user [N] 1-based)."""
    xs, acts, users, names = [], [], [], []
    for name, raw in track(_members(source), f"dsa19: reading {source.name}"):
        match = _SEGMENT.search(name)
        assert match is not None
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise DataError(f"{source}:{name}: not a text file") from None
        xs.append(parse_segment(text, f"{source}:{name}"))
        acts.append(int(match.group(1)) - 1)
        users.append(int(match.group(2)))
        names.append(name)
    if not xs:
        raise DataError(f"{source}: no segment files found; {EXPECTED_LAYOUT}")
    bad = [n for n, a in zip(names, acts, strict=True) if not 0 <= a < len(ACTIVITIES)]
    if bad:
        raise DataError(f"{source}:{bad[0]}: activity outside a01-a19")
    order = np.lexsort((np.array(names), np.array(users), np.array(acts)))
    return np.stack(xs)[order], np.array(acts, dtype=np.int64)[order], np.array(users)[order]


def _user_list(ids: tuple[int, ...]) -> str:
    """``p7-p8`` for a contiguous run of users, ``p1,p3`` otherwise, ``(none)`` when empty."""
    if not ids:
        return "(none)"
    if list(ids) == list(range(ids[0], ids[0] + len(ids))) and len(ids) > 1:
        return f"p{ids[0]}-p{ids[-1]}"
    return ",".join(f"p{u}" for u in ids)


def check_users(users: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """A user split (``{"train": (3, 4, 5, 6), "val": (1, 2), "test": (7, 8)}``), validated.

    Rotating the users (train p3-p6, report p1-p2) is how a choice that only fits the default
    validation users shows up (docs/distill.md); users are 1..8 and no user is in two splits.
    """
    unknown = set(users) - set(SPLIT_USERS)
    if unknown:
        raise DataError(
            f"dsa19 users: unknown split(s) {sorted(unknown)}; expected train, val, test"
        )
    out = {name: tuple(users.get(name, ())) for name in SPLIT_USERS}
    for name, ids in out.items():
        bad = [u for u in ids if not 1 <= u <= 8]
        if bad:
            raise DataError(f"dsa19 users: {name} has users {bad}; DSA-19 has users 1..8")
    for name in ("train", "val"):
        if not out[name]:
            raise DataError(f"dsa19 users: the {name} split needs at least one user")
    seen: dict[int, str] = {}
    for name, ids in out.items():
        for u in ids:
            if u in seen:
                raise DataError(f"dsa19 users: user p{u} is in both {seen[u]} and {name}")
            seen[u] = name
    return out


def _split_by_users(
    x: np.ndarray,
    act: np.ndarray,
    user: np.ndarray,
    split_users: dict[str, tuple[int, ...]],
    source: Path,
    notes: list[str],
) -> dict[str, Split | None]:
    """The segments of each split's users; absent users noted, an empty train/val refused."""
    present = sorted(set(user.tolist()))
    splits: dict[str, Split | None] = {}
    for name, wanted in split_users.items():
        have = [u for u in wanted if u in present]
        lacking = [u for u in wanted if u not in present]
        if lacking and have:
            absent = ", ".join(f"p{u}" for u in lacking)
            notes.append(f"{name} split: users {absent} absent from {source.name}")
        idx = np.flatnonzero(np.isin(user, have))
        splits[name] = (
            Split(x[idx], act[idx], groups=user[idx].astype(np.int64)) if len(idx) else None
        )
    for name in ("train", "val"):
        if splits[name] is None:
            users_needed = ", ".join(f"p{u}" for u in split_users[name])
            raise DataError(f"{source}: no segments of users {users_needed} for the {name} split")
    if splits["test"] is None:
        test_users = _user_list(split_users["test"])
        notes.append(
            f"test split absent: users {test_users} not in {source.name}; report on validation"
        )
    if split_users != SPLIT_USERS:
        notes.append(
            "users: " + "; ".join(f"{n} {_user_list(ids)}" for n, ids in split_users.items())
        )
    return splits


def load_dsa19(
    source: Path, cache: ArrayCache, users: dict[str, tuple[int, ...]] | None = None
) -> Dataset:
    """DSA-19 split by user; a split whose users are absent is reported (test) or refused.

    ``users`` replaces the EdgeML split (train p1-p4, val p5-p6, test p7-p8), e.g. for a
    user-rotation check; see :func:`check_users`.
    """
    split_users = SPLIT_USERS if users is None else check_users(users)
    source = Path(source)
    if not source.exists():
        raise DataError(f"{source}: no such file or folder; {EXPECTED_LAYOUT}")
    st = source.stat()
    key = cache_key(
        loader=f"dsa19/{LOADER_VERSION}",
        source=str(source.resolve()),
        size=st.st_size,
        mtime=st.st_mtime_ns,
        is_dir=source.is_dir(),
    )
    notes: list[str] = []
    cached = None if source.is_dir() else cache.load("dsa19-segments", key)
    if cached is not None:
        x, act, user = cached["x"], cached["activity"], cached["user"]
        notes.append("segments loaded from cache")
    else:
        x, act, user = read_segments(source)
        if not source.is_dir():
            cache.save("dsa19-segments", key, {"x": x, "activity": act, "user": user})
    splits = _split_by_users(x, act, user, split_users, source, notes)
    missing_acts = sorted(set(range(len(ACTIVITIES))) - set(act.tolist()))
    if missing_acts:
        notes.append(
            f"activities with no segments: {', '.join(f'a{a + 1:02d}' for a in missing_acts)}"
        )
    train, val = splits["train"], splits["val"]
    assert train is not None and val is not None
    dataset = Dataset(
        task="dsa19",
        class_names=ACTIVITIES,
        train=train,
        val=val,
        test=splits["test"],
        source=str(source),
        notes=tuple(notes),
        users=None if users is None else split_users,
    )
    return dataset.normalized()
