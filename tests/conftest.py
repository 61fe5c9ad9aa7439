"""Shared fixtures: isolated caches, the real shared data (skipped with a reason where absent),
and builders for small Speech Commands trees and DSA-19 layouts made inside the test."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
KWS_MINI = SHARED_DATA / "speech_commands_mini"
DSA_TAR = SHARED_DATA / "dsa19_p1-p6.tar.xz"
MICRO_SPEECH = SHARED_DATA / "micro_speech_testdata"


def need_shared(path: Path) -> Path:
    """Skip (not fail) where the real data beside the repo is absent, e.g. in a user's clone."""
    if not path.exists():
        pytest.skip(f"real data not found at {path} (../shared/data is absent in this checkout)")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDGEKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("EDGEKIT_DATA_DIR", str(tmp_path_factory.mktemp("datahome")))
    monkeypatch.setenv("EDGEKIT_PROGRESS", "0")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for tests that load the real data, so it is parsed once per test session."""
    return tmp_path_factory.mktemp("shared-cache")


TINY_RUN = [
    "teacher_train.epochs=6",
    "student_train.epochs=5",
    "students=cnn1d-8,cnn1d-16",
    "distill.max_members=3",
]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-member synthetic B-DISTIL run (with connections), trained once per test session."""
    import os

    from edgekit.pipelines.distill import distill

    out = tmp_path_factory.mktemp("tiny") / "run"
    os.environ["EDGEKIT_PROGRESS"] = "0"
    distill("synthetic", out, overrides=TINY_RUN, device="cpu")
    return out


@pytest.fixture(scope="session")
def onnx_bundle(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_run`` exported to float ONNX (read-only: copy it before corrupting it)."""
    from edgekit.export.exporter import ExportOptions, export_bundle

    return export_bundle(
        tiny_run, tmp_path_factory.mktemp("bundles") / "onnx-float", ExportOptions("onnx")
    )


@pytest.fixture(scope="session")
def bundles(
    tiny_run: Path, onnx_bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """``tiny_run`` in every target and precision: onnx-float, onnx-int8, tflite-float, tflite-int8."""
    from edgekit.export.exporter import ExportOptions, export_bundle

    root = tmp_path_factory.mktemp("export")
    out = {"onnx-float": onnx_bundle}
    for target, int8 in (("onnx", True), ("tflite", False), ("tflite", True)):
        name = f"{target}-{'int8' if int8 else 'float'}"
        out[name] = export_bundle(
            tiny_run, root / name, ExportOptions(target, int8=int8, calib=128)
        )
    return out


def tone(freq: float, seconds: float = 0.8, rate: int = 16000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(len(t))).astype(
        np.float32
    )


def make_speech_tree(
    root: Path,
    words: tuple[str, ...] = ("yes", "no", "up", "marvin"),
    speakers: int = 30,
    suffix: str = ".wav",
    official_lists: bool = False,
    noise: bool = True,
) -> Path:
    """A tiny Speech Commands tree: one clip per (word, speaker), each a distinct tone."""
    root.mkdir(parents=True, exist_ok=True)
    val, test = [], []
    for w, word in enumerate(words):
        (root / word).mkdir(exist_ok=True)
        for s in range(speakers):
            name = f"{s:08x}_nohash_0{suffix}"
            sf.write(root / word / name, tone(200 + 150 * w + s, seed=s), 16000)
            if s % 10 == 1:
                val.append(f"{word}/{s:08x}_nohash_0.wav")
            elif s % 10 == 2:
                test.append(f"{word}/{s:08x}_nohash_0.wav")
    if official_lists:
        (root / "validation_list.txt").write_text("\n".join(val) + "\n")
        (root / "testing_list.txt").write_text("\n".join(test) + "\n")
    if noise:
        (root / "_background_noise_").mkdir(exist_ok=True)
        rng = np.random.default_rng(1)
        sf.write(root / "_background_noise_" / "white.wav", 0.1 * rng.standard_normal(32000), 16000)
    return root


def dsa_segment_text(rng: np.random.Generator, rows: int = 125, cols: int = 45) -> str:
    values = rng.standard_normal((rows, cols))
    return "\n".join(",".join(f"{v:.4f}" for v in row) for row in values) + "\n"


def dsa_files(
    users: tuple[int, ...] = (1, 2, 3, 4, 5, 6), activities: int = 3, segments: int = 2
) -> Iterator[tuple[str, str]]:
    rng = np.random.default_rng(0)
    for a in range(1, activities + 1):
        for u in users:
            for s in range(1, segments + 1):
                yield f"data/a{a:02d}/p{u}/s{s:02d}.txt", dsa_segment_text(rng)


def make_dsa(root: Path, kind: str, files: list[tuple[str, str]] | None = None) -> Path:
    """The DSA layout as a folder, a zip or a tar.xz (kind = dir | zip | tar)."""
    files = files if files is not None else list(dsa_files())
    if kind == "dir":
        for name, text in files:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        return root
    if kind == "zip":
        path = root.with_suffix(".zip")
        with zipfile.ZipFile(path, "w") as zf:
            for name, text in files:
                zf.writestr(name, text)
        return path
    path = root.with_suffix(".tar.xz")
    with tarfile.open(path, "w:xz") as tf:
        for name, text in files:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path
