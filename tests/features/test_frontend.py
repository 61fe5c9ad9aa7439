"""The log-mel front end: shape, physics, and numpy/torch agreement on real clips."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.errors import ConfigError
from edgekit.features import FrontEndParams, fit_clip, logmel, read_audio
from edgekit.features.filterbank import hz_to_mel, mel_filterbank, mel_to_hz
from tests.conftest import KWS_MINI, MICRO_SPEECH, need_shared, tone


def close_rel(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| relative to max(1, |a|): log energies cross zero, so pure relative error
    is undefined there; this is 1e-4 relative wherever |a| >= 1 and 1e-4 absolute below."""
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(a))))


def test_one_second_gives_99_by_32() -> None:
    params = FrontEndParams()
    assert (params.win_length, params.hop_length) == (400, 160)
    assert params.feature_shape == (99, 32)
    assert logmel(np.zeros(16000, np.float32)).shape == (99, 32)
    assert logmel(np.zeros((3, 16000), np.float32)).shape == (3, 99, 32)


def test_tone_lands_in_its_mel_band() -> None:
    params = FrontEndParams()
    feats = logmel(fit_clip(tone(1000.0, seconds=1.0), 16000), params)
    band = int(np.argmax(feats[50]))
    edges = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(8000), 34))
    assert edges[band] < 1000 < edges[band + 2]


def test_front_padding_hits_the_floor() -> None:
    clip = fit_clip(tone(500.0, seconds=0.5), 16000)
    assert np.all(clip[:8000] == 0)
    feats = logmel(clip)
    assert np.allclose(feats[:40], np.log(FrontEndParams().log_floor))
    assert feats[80].max() > -5


def test_filterbank_is_triangular_and_covers_the_spectrum() -> None:
    bank = mel_filterbank(FrontEndParams())
    assert bank.shape == (32, 257)
    assert np.all(bank >= 0) and np.all(bank <= 1)
    assert np.all(bank.max(axis=1) > 0.5)  # no empty filter


def test_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="16000 samples, got 8000"):
        logmel(np.zeros(8000, np.float32))


def test_params_validate_and_round_trip() -> None:
    params = FrontEndParams(n_mels=40)
    assert FrontEndParams.from_dict(params.to_dict()) == params
    with pytest.raises(ConfigError, match="unknown fields"):
        FrontEndParams.from_dict({"n_mel": 40})
    with pytest.raises(ConfigError, match="f_max"):
        FrontEndParams(f_max=9000.0)
    with pytest.raises(ConfigError, match="window"):
        FrontEndParams(window="kaiser")


def _real_clips() -> np.ndarray:
    files = sorted(need_shared(KWS_MINI).glob("*/*.flac"))[::97][:40]
    files += sorted(need_shared(MICRO_SPEECH).glob("*.wav"))
    return np.stack([fit_clip(read_audio(f).audio, 16000) for f in files])


def test_torch_batch_matches_numpy_on_real_clips() -> None:
    torch = pytest.importorskip("torch")
    from edgekit.features.torch_frontend import LogMel

    clips = _real_clips()
    ref = logmel(clips)
    got64 = LogMel()(torch.from_numpy(clips)).numpy()
    got32 = LogMel(dtype=torch.float32)(torch.from_numpy(clips)).numpy()
    assert got64.shape == ref.shape == (len(clips), 99, 32)
    assert close_rel(ref, got64) <= 1e-4
    assert close_rel(ref, got32) <= 1e-4


def test_torch_batch_matches_numpy_on_generated_clips() -> None:
    torch = pytest.importorskip("torch")
    from edgekit.features.torch_frontend import logmel_torch

    clips = np.stack(
        [fit_clip(tone(f, seconds=0.7, seed=i), 16000) for i, f in enumerate((300, 1200, 3500))]
    )
    assert close_rel(logmel(clips), logmel_torch(torch.from_numpy(clips)).numpy()) <= 1e-4
