"""The synthetic bundles made to listen: their members take [64, 8] features, which is exactly
what an 8-channel log-mel front end gives for 10,480 samples, so every exported variant can run
on audio (the answers are meaningless as words, but exact for testing the streaming loop)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgekit.features import FrontEndParams, logmel
from edgekit.runtime import load_bundle

SPEECH_FRONTEND = FrontEndParams(clip_samples=400 + 63 * 160, n_mels=8)  # 64 frames x 8 mels


def stream_audio(seconds: float = 6.0, seed: int = 0) -> np.ndarray:
    """Noise with tone bursts of different pitches: windows of varied difficulty."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 16000)
    audio = 0.02 * rng.standard_normal(n)
    t = np.arange(8000) / 16000
    for i, start in enumerate(range(4000, n - 8000, 12000)):
        audio[start : start + 8000] += 0.3 * np.sin(2 * np.pi * (300 + 500 * (i % 5)) * t)
    return audio.astype(np.float32)


@pytest.fixture(scope="session")
def speech_bundles(
    bundles: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every variant of the tiny run (onnx/tflite, float/int8) with a log-mel front end and its
    normalisation written into the manifest (member files unchanged: digests still match)."""
    feats = logmel(stream_audio(4.0, seed=9), replace(SPEECH_FRONTEND, clip_samples=64000))
    norm = {"mean": feats.mean(0).tolist(), "std": (feats.std(0) + 1e-3).tolist()}
    root = tmp_path_factory.mktemp("speech")
    out = {}
    for name, path in bundles.items():
        target = root / name
        shutil.copytree(path, target)
        manifest = replace(
            load_bundle(path).manifest,
            frontend=SPEECH_FRONTEND.to_dict(),
            normalization=norm,
        )
        (target / "manifest.json").write_text(manifest.to_json())
        out[name] = target
    return out


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Ticking:
    """A member session that takes exactly ``seconds`` of fake time."""

    def __init__(self, inner: Any, clock: FakeClock, seconds: float) -> None:
        self.inner, self.clock, self.seconds = inner, clock, seconds

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise AssertionError("the runtime calls run_list")

    def run_list(self, values: list[np.ndarray]) -> list[np.ndarray]:
        self.clock.now += self.seconds
        return self.inner.run_list(values)  # type: ignore[no-any-return]
