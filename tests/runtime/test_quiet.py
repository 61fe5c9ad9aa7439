"""The quiet gate's level: a band's rise over its running median, loudest 100 ms, top quarter."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.features import FrontEndParams, logmel
from edgekit.runtime.detection import QUIET_GATE
from edgekit.runtime.quiet import QuietGate


def background(frames: int, mels: int = 8, seed: int = 0) -> np.ndarray:
    return (-5.0 + 0.01 * np.random.default_rng(seed).standard_normal((frames, mels))).astype(
        np.float32
    )


def test_level_is_the_loudest_100_ms_of_the_top_quarter_of_bands() -> None:
    gate = QuietGate(n_mels=8, window_frames=64, hop_ms=10.0)  # history 500, 10 frames, 2 bands
    frames = background(600)
    gate.push(frames)
    assert gate.level() < 0.05  # the background alone: noise around its median
    burst = background(600)
    burst[-30:-20, [1, 6]] += 3.0  # 100 ms, 3 nats, in two bands (a quarter of 8)
    burst[-30:-20, 3] += 1.0  # a third band rises less: not in the top quarter
    gate.reset()
    gate.push(burst)
    assert gate.level() == pytest.approx(3.0, abs=0.05)
    half = background(600)
    half[-5:, [1, 6]] += 3.0  # 50 ms at the window's end: half of the loudest 100 ms
    gate.reset()
    gate.push(half)
    assert gate.level() == pytest.approx(1.5, abs=0.05)


def test_level_does_not_depend_on_how_frames_arrive() -> None:
    frames = background(3000, seed=1)
    frames[2900:2950, :2] += 2.0
    one = QuietGate(n_mels=8, window_frames=64, hop_ms=10.0)
    one.push(frames)
    many = QuietGate(n_mels=8, window_frames=64, hop_ms=10.0)
    for i in range(0, len(frames), 7):  # the ring shifts several times on the way
        many.push(frames[i : i + 7])
    assert many.level() == one.level() > 1.0


def test_level_needs_a_whole_window() -> None:
    gate = QuietGate(n_mels=8, window_frames=64, hop_ms=10.0)
    gate.push(background(63))
    with pytest.raises(ValueError, match="63 frames held, a window needs 64"):
        gate.level()


def test_a_loud_band_in_broadband_noise_is_loud_and_the_noise_alone_is_quiet() -> None:
    """A 1 kHz tone as strong as the whole of a white noise (0 dB: +3 dB broadband, but about
    +17 dB in its own mel band) through the real front end, 32 bands: the default gate hears it."""
    params = FrontEndParams()
    n = 7 * params.sample_rate
    noise = 0.05 * np.random.default_rng(0).standard_normal(n)
    tone = noise.copy()
    t = np.arange(n) / params.sample_rate
    burst = slice(6 * params.sample_rate, int(6.5 * params.sample_rate))
    tone[burst] += 0.05 * np.sqrt(2) * np.sin(2 * np.pi * 1000 * t[burst])
    frames = {
        name: logmel(x.astype(np.float32), FrontEndParams(clip_samples=n))
        for name, x in (("noise", noise), ("tone", tone))
    }
    levels = {}
    for name, f in frames.items():
        gate = QuietGate(params.n_mels, 99, params.hop_ms)
        gate.push(f[:660])  # the window ends 0.1 s after the tone's end
        levels[name] = gate.level()
    assert levels["noise"] < QUIET_GATE - 0.2 and levels["tone"] > QUIET_GATE + 0.3
