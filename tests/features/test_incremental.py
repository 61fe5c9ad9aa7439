"""The streaming front end equals the one-shot front end over the same samples, in any chunks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from edgekit.features import FrontEndParams, fit_clip, logmel, read_audio
from edgekit.features.incremental import IncrementalLogMel
from tests.conftest import KWS_MINI, need_shared, tone


def one_shot(audio: np.ndarray, params: FrontEndParams) -> np.ndarray:
    """logmel over the whole signal (its last, zero-padded partial frame is dropped below)."""
    return logmel(audio, replace(params, clip_samples=len(audio)))


def streamed(audio: np.ndarray, params: FrontEndParams, chunk: int, block: int) -> np.ndarray:
    inc = IncrementalLogMel(params, block)
    parts = [inc.push(audio[i : i + chunk]) for i in range(0, len(audio), chunk)]
    return np.concatenate([*parts, inc.flush()])


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """Largest |difference| as a fraction of the feature scale (the largest |feature|)."""
    assert got.shape == want.shape
    return float(np.abs(got - want).max() / np.abs(want).max())


@pytest.mark.parametrize(
    "params",
    [FrontEndParams(), FrontEndParams(preemphasis=0.0, window="hann", n_mels=40)],
    ids=["default", "no-preemphasis-hann"],
)
@pytest.mark.parametrize(("chunk", "block"), [(1, 1), (37, 10), (160, 1), (999, 7), (10**6, 10)])
def test_any_chunks_give_the_one_shot_frames(
    params: FrontEndParams, chunk: int, block: int
) -> None:
    rng = np.random.default_rng(chunk)
    audio = np.concatenate([tone(700.0, 0.4), 0.05 * rng.standard_normal(5000).astype(np.float32)])
    want = one_shot(audio, params)
    got = streamed(audio, params, chunk, block)
    # complete frames only: 1 + (N - win) // hop, the one-shot's last frame is zero-padded
    assert len(got) == 1 + (len(audio) - params.win_length) // params.hop_length
    assert len(want) - len(got) in (0, 1)
    assert relative_error(got, want[: len(got)]) <= 1e-5


def test_real_speech_and_noise_stream(capsys: pytest.CaptureFixture[str]) -> None:
    """Three real clips over real background noise, pushed in 100 ms chunks."""
    root = need_shared(KWS_MINI)
    noise = read_audio(sorted((root / "_background_noise_").iterdir())[0], max_samples=None).audio
    words = [
        fit_clip(read_audio(sorted((root / w).iterdir())[0]).audio, 16000)
        for w in ("yes", "no", "up")
    ]
    audio = noise[: 3 * 16000 + 5000].copy()
    for i, w in enumerate(words):
        audio[2000 + i * 16000 : 2000 + (i + 1) * 16000] += w
    params = FrontEndParams()
    want = one_shot(audio, params)
    got = streamed(audio, params, 1600, 10)
    err = relative_error(got, want[: len(got)])
    with capsys.disabled():
        print(
            f"\nincremental vs one-shot on real audio: max |diff| = {err:.2e} of the feature scale"
        )
    assert err <= 1e-5


def test_frames_are_held_until_a_block_completes() -> None:
    params = FrontEndParams()
    inc = IncrementalLogMel(params, block=10)
    assert inc.push(np.zeros(400 + 8 * 160, np.float32)).shape == (0, 32)  # 9 frames: held
    assert inc.push(np.zeros(160, np.float32)).shape == (10, 32)
    assert inc.push(np.zeros(5 * 160, np.float32)).shape == (0, 32)
    assert inc.flush().shape == (5, 32) and inc.frames == 15
    inc.reset()
    assert inc.frames == 0 and inc.push(np.zeros(399, np.float32)).shape == (0, 32)


def test_bad_pushes() -> None:
    with pytest.raises(ValueError, match="block must be >= 1"):
        IncrementalLogMel(block=0)
    with pytest.raises(ValueError, match=r"push mono samples \[n\], got shape \[2, 10\]"):
        IncrementalLogMel().push(np.zeros((2, 10)))
