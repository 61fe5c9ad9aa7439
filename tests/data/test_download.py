"""The google13 download path, offline: a loopback HTTP server with Range support serves a
Speech Commands archive made here; interrupted downloads resume; bad archives are refused."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgekit.data import load_dataset
from edgekit.data.download import COMPLETE_MARKER, download, download_google13, extract_tar
from edgekit.errors import DataError
from tests.conftest import make_speech_tree


class RangeServer(http.server.ThreadingHTTPServer):
    payload: bytes = b""
    ranges: list[str | None]


class Handler(http.server.BaseHTTPRequestHandler):
    server: RangeServer

    def do_GET(self) -> None:
        data = self.server.payload
        rng = self.headers.get("Range")
        self.server.ranges.append(rng)
        start = int(rng.split("=")[1].rstrip("-")) if rng else 0
        if start >= len(data):
            self.send_response(416)
            self.end_headers()
            return
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(data) - start))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        self.wfile.write(data[start:])

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[RangeServer]:
    srv = RangeServer(("127.0.0.1", 0), Handler)
    srv.ranges = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def url(srv: RangeServer) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/speech_commands_v0.01.tar.gz"


def speech_archive(tmp_path: Path) -> bytes:
    tree = make_speech_tree(
        tmp_path / "src", words=("yes", "no", "bed", "marvin"), official_lists=True
    )
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for path in sorted(tree.rglob("*")):
            tf.add(path, arcname="./" + path.relative_to(tree).as_posix(), recursive=False)
    return buf.getvalue()


def test_interrupted_download_resumes_and_loads(tmp_path: Path, server: RangeServer) -> None:
    server.payload = speech_archive(tmp_path)
    sha = hashlib.sha256(server.payload).hexdigest()
    root = tmp_path / "data"
    root.mkdir()
    half = len(server.payload) // 2
    (root / "speech_commands_v0.01.tar.gz.part").write_bytes(server.payload[:half])
    tree = download_google13(root, url=url(server), sha256=sha)
    assert server.ranges == [f"bytes={half}-"]
    assert (tree / COMPLETE_MARKER).is_file()
    assert not (root / "speech_commands_v0.01.tar.gz").exists()  # archive removed after extraction
    assert not list(root.glob("*.part"))
    data = load_dataset("google13", tree)
    assert data.class_names[-1] == "unknown" and data.num_classes == 13
    assert any("official" in n for n in data.notes)
    # A second call finds the finished tree and fetches nothing.
    assert download_google13(root, url=url(server), sha256=sha) == tree
    assert len(server.ranges) == 1


def test_default_location_is_found_after_download(
    tmp_path: Path, server: RangeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.payload = speech_archive(tmp_path)
    monkeypatch.setenv("EDGEKIT_DATA_DIR", str(tmp_path / "home"))
    with pytest.raises(DataError, match="edgekit data download google13"):
        load_dataset("google13")
    download_google13(tmp_path / "home", url=url(server), sha256=None)
    assert len(load_dataset("google13").train) > 0


def test_checksum_mismatch_keeps_nothing(tmp_path: Path, server: RangeServer) -> None:
    server.payload = speech_archive(tmp_path)
    root = tmp_path / "data"
    with pytest.raises(DataError, match=r"sha256 .* does not match"):
        download_google13(root, url=url(server), sha256="0" * 64)
    assert not list(root.glob("*.part")) and not (root / "speech_commands_v0.01").exists()


def test_unreachable_server_says_how_to_resume(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="rerun to resume"):
        download("http://127.0.0.1:9/none.tar.gz", tmp_path / "none.tar.gz", timeout=2)


class DroppingHandler(Handler):
    """Sends half the bytes it promised, then drops the connection."""

    def do_GET(self) -> None:
        data = self.server.payload
        self.server.ranges.append(self.headers.get("Range"))
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True


def test_dropped_connection_keeps_the_part_and_says_rerun(tmp_path: Path) -> None:
    srv = RangeServer(("127.0.0.1", 0), DroppingHandler)
    srv.ranges = []
    srv.payload = b"y" * 200_000
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(DataError, match=r"got 100000 of 200000 bytes; rerun to resume"):
            download(url(srv), tmp_path / "f.bin", timeout=5)
    finally:
        srv.shutdown()
        srv.server_close()
    assert (tmp_path / "f.bin.part").stat().st_size == 100_000
    assert not (tmp_path / "f.bin").exists()


def test_full_part_file_is_accepted(tmp_path: Path, server: RangeServer) -> None:
    server.payload = b"x" * 1000
    dest = tmp_path / "f.bin"
    dest.with_name("f.bin.part").write_bytes(server.payload)
    download(url(server), dest, sha256=hashlib.sha256(server.payload).hexdigest())
    assert dest.read_bytes() == server.payload


def test_escaping_entries_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(DataError, match="would escape"):
        extract_tar(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "outside.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["evil.tar.gz"]  # no temporary folder left
