"""An on-disk cache of computed arrays (features, parsed sensor files).

Entries are keyed by a hash of everything they were computed from (file list with sizes and
modification times, front-end parameters, loader version), written atomically, and carry a
digest of their contents: an entry that fails to load or to verify is deleted and rebuilt,
never trusted. Files are plain ``.npz`` read with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.atomic import atomic_write

log = logging.getLogger(__name__)

_KEY = "__cache_key__"
_DIGEST = "__cache_digest__"


def default_cache_dir() -> Path:
    """``$EDGEKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/edgekit``, else ``~/.cache/edgekit``."""
    if env := os.environ.get("EDGEKIT_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgekit"


def cache_key(**parts: Any) -> str:
    """A stable sha256 over JSON-serialisable parts (sorted keys)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


class ArrayCache:
    """Named, keyed entries of numpy arrays under one directory. ``root=None`` disables caching."""

    def __init__(self, root: Path | str | None) -> None:
        self.root = Path(root) if root is not None else None

    def path(self, name: str, key: str) -> Path | None:
        return None if self.root is None else self.root / f"{name}-{key[:20]}.npz"

    def load(self, name: str, key: str) -> dict[str, np.ndarray] | None:
        """The cached arrays, or None when absent, stale or corrupt (a corrupt file is removed)."""
        path = self.path(name, key)
        if path is None or not path.is_file():
            return None
        try:
            with path.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            stored_key = str(arrays.pop(_KEY))
            stored_digest = str(arrays.pop(_DIGEST))
            if stored_key != key:
                raise ValueError("its key does not match the data")
            if stored_digest != _digest(arrays):
                raise ValueError("its contents do not match their digest")
        except Exception as exc:
            log.warning("cache file %s is unusable (%s); rebuilding it", path, exc)
            path.unlink(missing_ok=True)
            return None
        return arrays

    def save(self, name: str, key: str, arrays: dict[str, np.ndarray]) -> Path | None:
        """Write atomically (``edgekit.atomic``); a crash never leaves a partial entry."""
        path = self.path(name, key)
        if path is None:
            return None
        payload = dict(arrays)
        payload[_KEY] = np.array(key)
        payload[_DIGEST] = np.array(_digest(arrays))
        atomic_write(path, lambda fh: np.savez(fh, **payload))  # type: ignore[arg-type]
        return path
