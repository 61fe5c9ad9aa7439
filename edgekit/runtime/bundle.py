"""Open a bundle (a directory or one ``.zip``): the manifest plus each member file's bytes.

Files are read into memory and checked against the manifest's sha256 before any backend sees
them; zip entries are never extracted, and a name that could escape the bundle (absolute, ``..``,
drive letters, backslashes) is refused outright.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from edgekit.errors import BundleError
from edgekit.runtime.manifest import Manifest, MemberEntry, parse_manifest

MANIFEST = "manifest.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(name: str, source: str) -> str:
    """``name`` if it stays inside the bundle, else :class:`BundleError`."""
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or path.is_absolute()
        or ".." in path.parts
        or (path.parts and ":" in path.parts[0])
    ):
        raise BundleError(f"{source}: entry {name!r} escapes the bundle directory; refusing it")
    return str(path)


@dataclass(frozen=True)
class Bundle:
    """A verified bundle in memory: ``manifest`` and ``files[name] -> bytes``."""

    source: str
    manifest: Manifest
    files: dict[str, bytes]

    def member_bytes(self, member: MemberEntry) -> bytes:
        return self.files[member.file]


def _read_zip(path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as zf:
            out: dict[str, bytes] = {}
            for info in zf.infolist():
                name = safe_name(info.filename, str(path))
                if info.is_dir():
                    continue
                out[name] = zf.read(info)
            return out
    except zipfile.BadZipFile as e:
        raise BundleError(f"{path}: not a readable zip file ({e})") from None


def _strip_common_root(files: dict[str, bytes]) -> dict[str, bytes]:
    """Accept a zip whose entries sit under one folder (``bundle/manifest.json``)."""
    if MANIFEST in files:
        return files
    roots = {n.split("/", 1)[0] for n in files}
    if len(roots) == 1 and f"{next(iter(roots))}/{MANIFEST}" in files:
        prefix = next(iter(roots)) + "/"
        return {n[len(prefix) :]: b for n, b in files.items() if n.startswith(prefix)}
    return files


def load_bundle(path: str | Path) -> Bundle:
    """Read and verify a bundle directory or zip; raise :class:`BundleError` naming the problem."""
    path = Path(path)
    if not path.exists():
        raise BundleError(
            f"{path}: no such bundle (expected a directory or a .zip from `edgekit export`)"
        )
    if path.is_dir():
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise BundleError(f"{path}: no {MANIFEST} in the bundle directory")
        manifest = parse_manifest(manifest_path.read_bytes(), str(manifest_path))
        files: dict[str, bytes] = {}
        for m in manifest.members:
            name = safe_name(m.file, str(manifest_path))
            file = path / name
            if not file.is_file():
                raise BundleError(f"{path}: member {m.index} file {name!r} is missing")
            files[name] = file.read_bytes()
    else:
        entries = _strip_common_root(_read_zip(path))
        if MANIFEST not in entries:
            raise BundleError(f"{path}: no {MANIFEST} in the zip")
        manifest = parse_manifest(entries[MANIFEST], f"{path}:{MANIFEST}")
        files = {}
        for m in manifest.members:
            name = safe_name(m.file, f"{path}:{MANIFEST}")
            if name not in entries:
                raise BundleError(f"{path}: member {m.index} file {name!r} is missing from the zip")
            files[name] = entries[name]
    for m in manifest.members:
        digest = sha256_hex(files[m.file])
        if digest != m.sha256:
            raise BundleError(
                f"{path}: member {m.index} file {m.file!r} fails its sha256 check "
                f"(manifest {m.sha256[:12]}..., file {digest[:12]}...): the file was changed "
                "or corrupted; re-export the bundle"
            )
    return Bundle(str(path), manifest, files)
