"""Where a command may write: its own earlier output, or a path that does not exist yet.

Every command that writes (``distill --out``, ``export --out``, ``bench --out``, ``demo --out``,
``export --target c --out``) calls :func:`claim_output` first. A path that holds something edgekit
did not write (a user's folder, a file) is refused and left untouched; an edgekit output of the
same kind is replaced (or, for a run, resumed); an edgekit output of another kind is replaced only
with ``--force``. Outputs are recognised by what they contain (a bundle by its manifest, a run by
its ``config.json``, a report or C export by its marker file), never by their names.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Literal

from edgekit.errors import EdgekitError
from edgekit.rundir import RunDir
from edgekit.rundir.affinity_choice import AFFINITY_FILE, PLAIN_DIR
from edgekit.rundir.augment_choice import CV_DIR

OutputKind = Literal["run", "bundle", "bundle-zip", "bench", "c-export", "demo"]

MARKER = ".edgekit-output"  # written into report, C-export and demo folders: '{"kind": ...}'


class OutputError(EdgekitError):
    """An output path that the command may not replace."""


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _is_bundle_manifest(data: object) -> bool:
    return isinstance(data, dict) and data.get("format") == "edgekit-bundle"


def _zip_kind(path: Path) -> OutputKind | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith("manifest.json") and n.count("/") <= 1]
            if not names or zf.getinfo(names[0]).file_size > 1 << 20:
                return None
            ok = _is_bundle_manifest(json.loads(zf.read(names[0])))
    except (OSError, ValueError, zipfile.BadZipFile):
        return None
    return "bundle-zip" if ok else None


def identify(path: Path) -> OutputKind | Literal["empty"] | None:
    """What edgekit output lives at ``path``: a kind, ``"empty"`` (an empty folder) or None."""
    if path.is_file():
        return _zip_kind(path) if path.suffix.lower() == ".zip" else None
    if not path.is_dir():
        return None
    marker = _json(path / MARKER)
    if isinstance(marker, dict) and marker.get("kind") in ("bench", "c-export", "demo"):
        return marker["kind"]  # type: ignore[no-any-return]
    if _is_bundle_manifest(_json(path / "manifest.json")):
        return "bundle"
    run = RunDir(path)
    config = _json(run.config_path)
    if isinstance(config, dict) and "recipe" in config and "data" in config:
        return "run"
    if run.teacher.checkpoint.is_file():  # a run killed while its teacher trained (resumable)
        return "run"
    if (path / CV_DIR).is_dir():  # killed while the teacher's slicing was chosen (resumable)
        return "run"
    if (path / AFFINITY_FILE).is_file() or (path / PLAIN_DIR).is_dir():
        return "run"  # killed after the teacher's warping was chosen, before it retrained
    if not any(path.iterdir()):
        return "empty"
    return None


def claim_output(path: Path, kind: OutputKind, *, force: bool = False) -> bool:
    """Check that a command writing a ``kind`` may use ``path``; True when it holds one already.

    Raises :class:`OutputError` (nothing is touched) for anything edgekit did not write, and for
    an edgekit output of another kind unless ``force``.
    """
    path = Path(path)
    if path.is_symlink() or (path.exists() and not (path.is_dir() or path.is_file())):
        raise OutputError(f"{path}: not a plain file or folder; refusing to write there")
    if not path.exists():
        return False
    found = identify(path)
    if found == "empty":
        return False
    if found == kind:
        return True
    what = "a file" if path.is_file() else "a folder"
    if found is None:
        raise OutputError(
            f"{path} exists and is {what} edgekit did not write; refusing to replace it "
            f"(choose another --out, or move it away yourself)"
        )
    if not force:
        raise OutputError(
            f"{path} holds an edgekit {found}, not a {kind}; refusing to replace it "
            "(pass --force to replace it, or choose another --out)"
        )
    return True


def mark_output(path: Path, kind: OutputKind) -> None:
    """Write the marker that lets a later command recognise ``path`` as its own output."""
    (Path(path) / MARKER).write_text(json.dumps({"kind": kind, "written_by": "edgekit"}) + "\n")
