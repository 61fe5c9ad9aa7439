"""Inputs as users have them become the features training used, or a clear error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from edgekit.errors import DataError
from edgekit.features import FrontEndParams, fit_clip, logmel, read_audio
from edgekit.runtime import audio_features, load_bundle, load_input, read_input
from edgekit.runtime.manifest import Manifest
from tests.conftest import dsa_segment_text, tone


@pytest.fixture(scope="module")
def speech_manifest(onnx_bundle: Path) -> Manifest:
    """The synthetic manifest given a speech front end and normalisation (32 mel channels)."""
    rng = np.random.default_rng(0)
    return replace(
        load_bundle(onnx_bundle).manifest,
        input_shape=(99, 32),
        frontend=FrontEndParams().to_dict(),
        normalization={
            "mean": rng.standard_normal(32).tolist(),
            "std": (1 + rng.random(32)).tolist(),
        },
    )


def test_wav_and_array_match_the_training_front_end(
    speech_manifest: Manifest, tmp_path: Path
) -> None:
    wave = tone(440, 0.7)
    path = tmp_path / "clip.wav"
    sf.write(path, (wave * 32767).astype(np.int16), 16000, subtype="PCM_16")
    norm = speech_manifest.normalization
    assert norm is not None
    training = logmel(fit_clip(read_audio(path).audio, 16000), FrontEndParams())
    expected = (training - np.asarray(norm["mean"], np.float32)) / np.asarray(
        norm["std"], np.float32
    )
    np.testing.assert_allclose(read_input(path, speech_manifest), expected, rtol=1e-5, atol=1e-5)
    from_array = audio_features(read_audio(path).audio, 16000, speech_manifest)
    np.testing.assert_array_equal(from_array, read_input(path, speech_manifest))


def test_audio_errors(speech_manifest: Manifest, onnx_bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="8000 Hz, but this bundle's front end expects 16000 Hz"):
        audio_features(tone(440, 0.5, rate=8000), 8000, speech_manifest)
    with pytest.raises(DataError, match="NaN"):
        audio_features(np.full(100, np.nan, np.float32), 16000, speech_manifest)
    with pytest.raises(DataError, match="more than one clip"):
        audio_features(np.zeros(20000, np.float32), 16000, speech_manifest)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_input(empty, speech_manifest)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not really")
    with pytest.raises(DataError, match="not a readable WAV/FLAC"):
        read_input(junk, speech_manifest)
    with pytest.raises(DataError, match="takes feature arrays, not audio"):
        audio_features(np.zeros(100, np.float32), 16000, load_bundle(onnx_bundle).manifest)


def test_npy_and_dsa_text_are_normalised(speech_manifest: Manifest, tmp_path: Path) -> None:
    raw = np.random.default_rng(1).standard_normal((99, 32)).astype(np.float32)
    np.save(tmp_path / "f.npy", raw)
    norm = speech_manifest.normalization
    assert norm is not None
    want = (raw - np.asarray(norm["mean"], np.float32)) / np.asarray(norm["std"], np.float32)
    np.testing.assert_allclose(read_input(tmp_path / "f.npy", speech_manifest), want, rtol=1e-6)
    text = dsa_segment_text(np.random.default_rng(2))
    (tmp_path / "a01.txt").write_text(text)
    dsa = replace(speech_manifest, normalization=None, input_shape=(125, 45))
    assert read_input(tmp_path / "a01.txt", dsa).shape == (125, 45)
    (tmp_path / "bad.txt").write_text(text.replace("\n", ",x\n", 1))
    with pytest.raises(DataError, match="line 1"):
        read_input(tmp_path / "bad.txt", dsa)
    (tmp_path / "f.csv").write_text("1,2")
    with pytest.raises(DataError, match=r"unsupported input '\.csv'"):
        read_input(tmp_path / "f.csv", dsa)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match=r"not a plain numeric \.npy"):
        read_input(tmp_path / "obj.npy", dsa)


def test_complex_and_nan_arrays_are_refused_not_cast(
    speech_manifest: Manifest, tmp_path: Path
) -> None:
    z = np.zeros((99, 32), np.complex64)
    np.save(tmp_path / "z.npy", z)
    with pytest.raises(DataError, match=r"z\.npy: expected a real-valued.*complex64.*imaginary"):
        read_input(tmp_path / "z.npy", speech_manifest)
    bad = np.zeros((99, 32), np.float32)
    bad[3, 4] = np.inf
    np.save(tmp_path / "inf.npy", bad)
    with pytest.raises(DataError, match=r"inf\.npy: the array contains NaN or infinite"):
        read_input(tmp_path / "inf.npy", speech_manifest)


def test_fixups_are_reported_and_long_audio_refused_like_the_api(
    speech_manifest: Manifest, tmp_path: Path
) -> None:
    stereo = tmp_path / "stereo8k.wav"
    sf.write(stereo, np.stack([tone(440, 0.5, rate=8000)] * 2, axis=1), 8000)
    loaded = load_input(stereo, speech_manifest)
    assert loaded.fixups == ["mixed 2 channels down to mono", "resampled from 8000 Hz to 16000 Hz"]
    assert loaded.features.shape == (99, 32)
    long = tmp_path / "long.wav"
    sf.write(long, tone(440, 3.0), 16000)
    with pytest.raises(DataError, match=r"long\.wav: 3\.00 s of audio"):
        read_input(long, speech_manifest)  # the file path refuses what the array API refuses
    kept = load_input(long, speech_manifest, long_audio="loudest")
    assert kept.fixups == ["kept the loudest 1 s of a 3.00 s clip"]
