"""Open a bundle (a directory or one ``.zip``): the manifest plus each member file's bytes.

Files are read into memory and checked against the manifest's sha256 before any backend sees
them; zip entries are never extracted, and a name that could escape the bundle (absolute, ``..``,
drive letters, backslashes) is refused outright.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from edgekit.errors import BundleError
from edgekit.runtime.manifest import Manifest, MemberEntry, parse_manifest
from edgekit.runtime.manifest_fields import inside_bundle

MANIFEST = "manifest.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(name: str, source: str) -> str:
    """``name`` if it stays inside the bundle, else :class:`BundleError`."""
    return str(inside_bundle(name, source))


@dataclass(frozen=True)
class Bundle:
    """A verified bundle in memory: ``manifest`` and ``files[name] -> bytes``."""

    source: str
    manifest: Manifest
    files: dict[str, bytes]

    def member_bytes(self, member: MemberEntry) -> bytes:
        return self.files[member.file]


MAX_MANIFEST_BYTES = 1 << 20  # a manifest is a few kilobytes of JSON
MAX_MEMBER_BYTES = 64 << 20  # members are kilobytes to a few megabytes (docs/bundle.md)
_CHUNK = 1 << 16


def _check_size(declared: int, member: MemberEntry, source: str) -> None:
    """Refuse a member file before reading it when its size is not what the manifest says."""
    if declared > MAX_MEMBER_BYTES:
        raise BundleError(
            f"{source}: member {member.index} file {member.file!r} is {declared:,} bytes, over the "
            f"{MAX_MEMBER_BYTES >> 20} MiB a bundle member may have; refusing to read it"
        )
    if declared != member.bytes:
        raise BundleError(
            f"{source}: member {member.index} file {member.file!r} is {declared:,} bytes but the "
            f"manifest says {member.bytes:,}: the file was changed or corrupted; re-export the bundle"
        )


def _read_hashed(stream: IO[bytes], member: MemberEntry, source: str) -> bytes:
    """The stream's bytes, hashed while read; refused when the digest is not the manifest's."""
    digest = hashlib.sha256()
    parts = []
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        parts.append(chunk)
    if digest.hexdigest() != member.sha256:
        raise BundleError(
            f"{source}: member {member.index} file {member.file!r} fails its sha256 check "
            f"(manifest {member.sha256[:12]}..., file {digest.hexdigest()[:12]}...): the file was "
            "changed or corrupted; re-export the bundle"
        )
    return b"".join(parts)


def _zip_root(names: list[str]) -> str:
    """``""`` or the one folder every entry sits under (``bundle/manifest.json``)."""
    if MANIFEST in names:
        return ""
    roots = {n.split("/", 1)[0] for n in names}
    if len(roots) == 1 and f"{next(iter(roots))}/{MANIFEST}" in names:
        return next(iter(roots)) + "/"
    return ""


def _load_zip(path: Path) -> Bundle:
    """Read only the entries the manifest names, each size checked before it is inflated."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {safe_name(i.filename, str(path)): i for i in zf.infolist() if not i.is_dir()}
            root = _zip_root(list(infos))
            head = infos.get(root + MANIFEST)
            if head is None:
                raise BundleError(f"{path}: no {MANIFEST} in the zip")
            if head.file_size > MAX_MANIFEST_BYTES:
                raise BundleError(
                    f"{path}: {MANIFEST} is {head.file_size:,} bytes (a manifest is kilobytes); "
                    "refusing to read it"
                )
            manifest = parse_manifest(zf.read(head), f"{path}:{MANIFEST}")
            files: dict[str, bytes] = {}
            for m in manifest.members:
                info = infos.get(root + m.file)
                if info is None:
                    raise BundleError(
                        f"{path}: member {m.index} file {m.file!r} is missing from the zip"
                    )
                _check_size(info.file_size, m, str(path))
                with zf.open(info) as stream:
                    files[m.file] = _read_hashed(stream, m, str(path))
            return Bundle(str(path), manifest, files)
    except zipfile.BadZipFile as e:
        raise BundleError(f"{path}: not a readable zip file ({e})") from None


def _load_dir(path: Path) -> Bundle:
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{path}: no {MANIFEST} in the bundle directory")
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise BundleError(f"{manifest_path}: over {MAX_MANIFEST_BYTES:,} bytes; not a manifest")
    manifest = parse_manifest(manifest_path.read_bytes(), str(manifest_path))
    files: dict[str, bytes] = {}
    for m in manifest.members:
        file = path / safe_name(m.file, str(manifest_path))
        if not file.is_file():
            raise BundleError(f"{path}: member {m.index} file {m.file!r} is missing")
        _check_size(file.stat().st_size, m, str(path))
        with file.open("rb") as stream:
            files[m.file] = _read_hashed(stream, m, str(path))
    return Bundle(str(path), manifest, files)


def load_bundle(path: str | Path) -> Bundle:
    """Read and verify a bundle directory or zip; raise :class:`BundleError` naming the problem."""
    path = Path(path)
    if not path.exists():
        raise BundleError(
            f"{path}: no such bundle (expected a directory or a .zip from `edgekit export`)"
        )
    return _load_dir(path) if path.is_dir() else _load_zip(path)
