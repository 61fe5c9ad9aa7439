"""Reading clips: bad files fail with the file named; fixable ones are fixed and reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from edgekit.errors import DataError
from edgekit.features import read_audio, resample
from edgekit.features.audio import fit_clip, loudest_window, wav_truncation
from tests.conftest import tone


def test_empty_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.wav: the file is empty"):
        read_audio(path)


def test_corrupt_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.flac"
    path.write_bytes(b"RIFF\x00\x00garbage" * 10)
    with pytest.raises(DataError, match=r"broken\.flac: not a readable WAV/FLAC"):
        read_audio(path)


def test_zero_sample_clip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nothing.wav"
    sf.write(path, np.zeros(0, np.float32), 16000)
    with pytest.raises(DataError, match="no samples"):
        read_audio(path)


def test_nan_samples_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "nan.wav"
    audio = tone(440.0)
    audio[100] = np.nan
    sf.write(path, audio, 16000, subtype="FLOAT")
    with pytest.raises(DataError, match=r"nan\.wav: the clip contains NaN"):
        read_audio(path)


def test_stereo_is_mixed_down(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    left, right = tone(440.0), tone(440.0, seed=3)
    sf.write(path, np.stack([left, right], axis=1), 16000)
    clip = read_audio(path)
    assert clip.audio.ndim == 1
    assert np.allclose(clip.audio, (left + right) / 2, atol=1e-4)
    assert clip.fixups == ["mixed 2 channels down to mono"]


def test_other_rate_is_resampled(tmp_path: Path) -> None:
    path = tmp_path / "8k.wav"
    sf.write(path, tone(440.0, seconds=0.5, rate=8000), 8000)
    clip = read_audio(path)
    assert len(clip.audio) == 8000
    assert clip.fixups == ["resampled from 8000 Hz to 16000 Hz"]
    peak_hz = np.argmax(np.abs(np.fft.rfft(clip.audio))) * 16000 / len(clip.audio)
    assert abs(peak_hz - 440) < 3


def test_long_clip_keeps_its_loudest_second(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    audio = np.zeros(40000, np.float32)
    audio[25000:30000] = tone(300.0, seconds=5000 / 16000)
    sf.write(path, audio, 16000)
    clip = read_audio(path)
    assert len(clip.audio) == 16000
    assert "kept the loudest 1 s of a 2.50 s clip" in clip.fixups[0]
    assert np.abs(clip.audio).sum() == pytest.approx(np.abs(audio).sum(), rel=1e-3)


def test_resample_identity_and_length() -> None:
    x = tone(1000.0)
    assert resample(x, 16000, 16000) is x
    assert len(resample(x, 16000, 44100)) == round(len(x) * 44100 / 16000)


def test_fit_clip_pads_front_and_refuses_long() -> None:
    out = fit_clip(np.ones(10, np.float32), 16)
    assert out.tolist() == [0.0] * 6 + [1.0] * 10
    with pytest.raises(ValueError, match="crop it first"):
        fit_clip(np.ones(20, np.float32), 16)
    assert loudest_window(np.array([0, 0, 5, 5, 0], np.float32), 2).tolist() == [5, 5]


def test_long_clip_is_refused_with_the_fix_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(40000, np.float32), 16000)
    with pytest.raises(DataError, match=r"long\.wav: 2\.50 s of audio.*one 1 s clip.*--long-audio"):
        read_audio(path, long_clip="refuse")


def test_truncated_wav_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    audio = tone(440.0)
    sf.write(path, audio, 16000, subtype="PCM_16")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # a copy that stopped half way
    assert len(sf.read(path)[0]) > 0  # libsndfile alone would classify the half that is left
    with pytest.raises(
        DataError, match=rf"cut\.wav: the WAV header declares {2 * len(audio)} bytes.*truncated"
    ):
        read_audio(path)


def test_whole_wav_with_extra_chunks_is_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "ok.wav"
    sf.write(path, tone(440.0), 16000, subtype="PCM_16")
    assert wav_truncation(path) is None
    assert wav_truncation(Path(__file__)) is None  # not a WAV: nothing to say
