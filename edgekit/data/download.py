"""Resumable, checksummed downloads and atomic, traversal-safe tar extraction.

A download goes to ``<file>.part`` and continues from there with an HTTP Range request when
rerun; only a file whose size and sha256 match is renamed into place. Extraction unpacks into
a temporary sibling folder and renames it into place, so a crash never leaves half a dataset.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from edgekit.errors import DataError

log = logging.getLogger(__name__)

GOOGLE13_URL = "http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz"
GOOGLE13_SHA256 = "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d"
GOOGLE13_DIRNAME = "speech_commands_v0.01"
COMPLETE_MARKER = ".edgekit-complete"
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _progress_bar(total: int | None, done: int, name: str):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from edgekit.progress import progress_enabled

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not progress_enabled(),
    )
    task = progress.add_task(f"downloading {name}", total=total, completed=done)
    return progress, task


def download(url: str, dest: Path, sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Fetch ``url`` to ``dest``, resuming a previous ``dest.part``; verify size and sha256."""
    dest = Path(dest)
    if dest.is_file() and (sha256 is None or sha256_of(dest) == sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url)
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part file already holds everything
            response = None
        else:
            raise DataError(f"downloading {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(
            f"downloading {url}: {exc}; check the network, then rerun to resume "
            f"({have} bytes kept in {part})"
        ) from exc
    total: int | None = None
    if response is not None:
        with response:
            resumed = response.status == 206
            if have and not resumed:
                log.info("server ignored the resume request; starting %s again", dest.name)
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            progress, task = _progress_bar(total, have, dest.name)
            try:
                with progress, part.open("ab" if resumed else "wb") as fh:
                    while chunk := response.read(_CHUNK):
                        fh.write(chunk)
                        progress.advance(task, len(chunk))
            except (OSError, http.client.HTTPException) as exc:  # dropped connection, timeout
                kept = part.stat().st_size if part.exists() else 0
                raise DataError(
                    f"downloading {url}: the transfer stopped ({exc!r}); rerun to resume "
                    f"({kept} bytes kept in {part})"
                ) from exc
    size = part.stat().st_size
    if total is not None and size != total:
        raise DataError(
            f"downloading {url}: got {size} of {total} bytes; rerun to resume from {part}"
        )
    if sha256 is not None:
        got = sha256_of(part)
        if got != sha256:
            part.unlink()
            raise DataError(
                f"downloading {url}: sha256 {got} does not match the expected {sha256}; "
                "the partial file was removed, rerun to fetch it again"
            )
    os.replace(part, dest)
    return dest


def _check_member(member: tarfile.TarInfo, archive: Path) -> None:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise DataError(f"{archive}: entry {member.name!r} would escape the extraction folder")
    if member.issym() or member.islnk():
        target = PurePosixPath(member.linkname)
        if target.is_absolute() or ".." in (name.parent / target).parts:
            raise DataError(f"{archive}: link {member.name!r} points outside the extraction folder")
    if member.isdev():
        raise DataError(f"{archive}: entry {member.name!r} is a device file")


def extract_tar(archive: Path, dest: Path) -> Path:
    """Unpack ``archive`` so that its contents become ``dest`` (atomic: all or nothing)."""
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        raise DataError(f"{dest} already exists; remove it to extract {archive.name} again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for member in members:
                _check_member(member, archive)
            if hasattr(tarfile, "data_filter"):
                try:
                    tf.extractall(tmp, members=members, filter="data")
                except tarfile.FilterError as exc:
                    raise DataError(f"{archive}: unsafe entry refused ({exc})") from exc
            else:  # pragma: no cover - Python < 3.10.12
                tf.extractall(tmp, members=members)
        (tmp / COMPLETE_MARKER).write_text(archive.name + "\n")
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def download_google13(
    data_root: Path,
    url: str = GOOGLE13_URL,
    sha256: str | None = GOOGLE13_SHA256,
    keep_archive: bool = False,
) -> Path:
    """Speech Commands v0.01 under ``data_root``; returns the tree's folder. Rerun to resume."""
    data_root = Path(data_root)
    tree = data_root / GOOGLE13_DIRNAME
    if (tree / COMPLETE_MARKER).is_file():
        log.info("%s is already complete", tree)
        return tree
    archive = download(url, data_root / f"{GOOGLE13_DIRNAME}.tar.gz", sha256=sha256)
    if tree.exists():  # an earlier extraction without its marker: never trusted, redone
        shutil.rmtree(tree)
    extract_tar(archive, tree)
    if not keep_archive:
        archive.unlink()
    return tree


def fetch(task: str, dest: Path | None = None, keep_archive: bool = False) -> str:
    """``edgekit data download TASK``: fetch what can be fetched; says where it is."""
    from edgekit.data.registry import default_data_root
    from edgekit.tasks import TASKS, task_names

    info = TASKS.get(task)
    if info is None or info.download:
        hint = info.download if info else f"known tasks: {task_names()}"
        raise DataError(f"no download for {task!r}: {hint}")
    tree = download_google13(dest or default_data_root(), keep_archive=keep_archive)
    return f"{task} data ready at {tree}"
