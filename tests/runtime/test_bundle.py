"""Bundle reading refuses every damaged or hostile bundle with a message naming the problem."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgekit.errors import BundleError
from edgekit.export.exporter import write_zip
from edgekit.runtime import FORMAT_VERSION, MemberRunner, load_bundle
from edgekit.runtime import bundle as bundle_module


@pytest.fixture
def bundle(onnx_bundle: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(onnx_bundle, tmp_path / "b"))


def edit_manifest(bundle: Path, change: object) -> None:
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)  # type: ignore[operator]
    path.write_text(json.dumps(manifest))


def test_a_good_bundle_loads_from_a_dir_and_a_zip(bundle: Path, tmp_path: Path) -> None:
    loaded = load_bundle(bundle)
    assert [m.index for m in loaded.manifest.members] == [1, 2, 3]
    zipped = load_bundle(write_zip(bundle, tmp_path / "b.zip"))
    assert zipped.files == loaded.files and zipped.manifest == loaded.manifest


def test_missing_member_file(bundle: Path) -> None:
    (bundle / "member02.onnx").unlink()
    with pytest.raises(BundleError, match=r"member 2 file 'member02.onnx' is missing"):
        load_bundle(bundle)


def test_sha256_mismatch(bundle: Path) -> None:
    data = bytearray((bundle / "member01.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bundle / "member01.onnx").write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"member 1 file 'member01.onnx' fails its sha256 check"):
        load_bundle(bundle)


def test_malformed_json(bundle: Path) -> None:
    text = (bundle / "manifest.json").read_text()
    (bundle / "manifest.json").write_text(text[: len(text) // 2])
    with pytest.raises(BundleError, match=r"manifest.json: not valid JSON"):
        load_bundle(bundle)


def test_missing_field_is_named(bundle: Path) -> None:
    edit_manifest(bundle, lambda m: m["members"][1].pop("sha256"))
    with pytest.raises(BundleError, match=r"members\[1\]: missing field 'sha256'"):
        load_bundle(bundle)


def test_newer_format_version(bundle: Path) -> None:
    edit_manifest(bundle, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(
        BundleError, match=r"format version 2 is newer than this edgekit reads \(1\)"
    ):
        load_bundle(bundle)


def test_shapes_that_disagree_with_the_file(bundle: Path) -> None:
    """A consistent manifest whose connection shapes are not the files' is caught on open."""

    def wrong(m: dict) -> None:  # type: ignore[type-arg]
        m["members"][0]["outputs"][1]["shape"] = [3, 3]
        m["members"][1]["inputs"][1]["shape"] = [3, 3]

    edit_manifest(bundle, wrong)
    loaded = load_bundle(bundle)  # digests are of the member files, not the manifest
    with pytest.raises(
        BundleError, match=r"tensor 'activation' has shape \[\d+, \d+\] in the file but \[3, 3\]"
    ):
        MemberRunner(loaded)


def test_manifest_shape_inconsistency(bundle: Path) -> None:
    edit_manifest(bundle, lambda m: m["members"][2]["outputs"][0].update(shape=[7]))
    with pytest.raises(BundleError, match=r"logits shape \[7\] != \[8\] classes"):
        load_bundle(bundle)


@pytest.mark.parametrize(
    "name", ["../evil.onnx", "/etc/evil", "a/../../evil", "c:evil", "a\\..\\evil"]
)
def test_zip_entry_escaping_the_bundle(bundle: Path, tmp_path: Path, name: str) -> None:
    path = write_zip(bundle, tmp_path / "b.zip")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(name, b"x")
    with pytest.raises(BundleError, match="escapes the bundle directory"):
        load_bundle(path)
    assert not (tmp_path.parent / "evil.onnx").exists()


def test_manifest_file_names_cannot_escape(bundle: Path) -> None:
    edit_manifest(bundle, lambda m: m["members"][0].update(file="../member01.onnx"))
    with pytest.raises(BundleError, match="escapes the bundle directory"):
        load_bundle(bundle)


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no such bundle"):
        load_bundle(tmp_path / "nope")
    with pytest.raises(BundleError, match=r"no manifest\.json"):
        load_bundle(tmp_path)
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(BundleError, match="not a readable zip"):
        load_bundle(tmp_path / "x.zip")


def test_nothing_is_ever_unpickled() -> None:
    """The runtime parses JSON and hands bytes to interpreters; user .npy inputs are read
    with allow_pickle=False. No other deserialiser appears in it."""
    root = Path(__file__).resolve().parents[2] / "edgekit" / "runtime"
    for source in root.glob("*.py"):
        for line in source.read_text().splitlines():
            assert "import pickle" not in line and "allow_pickle=True" not in line, source
            assert "torch.load" not in line and "joblib" not in line, source
            if "np.load(" in line:
                assert "allow_pickle=False" in line, (source, line)


def test_runner_matches_manifest_prefix_accuracy(onnx_bundle: Path) -> None:
    loaded = load_bundle(onnx_bundle)
    runner = MemberRunner(loaded)
    x = np.zeros((2, *loaded.manifest.input_shape), np.float32)
    logits = runner.member_logits(x)
    assert len(logits) == 3 and all(lg.shape == (2, 8) for lg in logits)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the zip entries opened (inflated) while the test runs."""
    names: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def test_zip_member_over_the_cap_is_refused_before_it_is_inflated(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    path = write_zip(bundle, tmp_path / "b.zip")
    monkeypatch.setattr(bundle_module, "MAX_MEMBER_BYTES", 100)
    opened.clear()  # the entries written above; from here, only what loading reads
    with pytest.raises(BundleError, match=r"member 1 file 'member01.onnx' is [\d,]+ bytes, over"):
        load_bundle(path)
    assert not any(name.endswith(".onnx") for name in opened)


def test_zip_entries_the_manifest_does_not_name_are_never_read(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    path = write_zip(bundle, tmp_path / "b.zip")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("padding.bin", bytes(8 << 20))  # 8 MiB of zeros: a few kB compressed
    monkeypatch.setattr(bundle_module, "MAX_MEMBER_BYTES", 1 << 20)
    opened.clear()  # the entries written above; from here, only what loading reads
    assert len(load_bundle(path).files) == 3
    assert "padding.bin" not in opened


def test_member_size_that_disagrees_with_the_manifest(bundle: Path) -> None:
    edit_manifest(bundle, lambda m: m["members"][0].update(bytes=m["members"][0]["bytes"] + 1))
    with pytest.raises(BundleError, match=r"member 1 file 'member01.onnx' is [\d,]+ bytes but the"):
        load_bundle(bundle)
