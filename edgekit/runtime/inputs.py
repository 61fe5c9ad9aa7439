"""Turn what users have (a WAV/FLAC, a 16 kHz array, a .npy of features, a DSA-19 text segment)
into the normalised features a bundle's members take, exactly as training computed them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from edgekit.errors import DataError
from edgekit.runtime.manifest import Manifest

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac")


def _frontend(manifest: Manifest):  # type: ignore[no-untyped-def]
    from edgekit.features import FrontEndParams

    if manifest.frontend is None:
        raise DataError(
            f"this {manifest.task} bundle takes feature arrays, not audio (its manifest has no front end)"
        )
    return FrontEndParams.from_dict(manifest.frontend)


def as_batch(x: np.ndarray, manifest: Manifest) -> np.ndarray:
    """``x`` ([T, C] or [B, T, C]) as a non-empty batch [B, T, C], or a clear shape error."""
    shape = manifest.input_shape
    if x.shape == shape:
        x = x[None]
    if x.ndim != len(shape) + 1 or x.shape[1:] != shape or x.shape[0] == 0:
        raise DataError(
            f"features of shape {list(x.shape)}: this {manifest.task} bundle expects "
            f"{list(shape)} or [batch, {', '.join(map(str, shape))}]"
        )
    return x


def normalize(features: np.ndarray, manifest: Manifest) -> np.ndarray:
    """Apply the bundle's training-set z-normalisation (if it has one) to raw features."""
    as_batch(features, manifest)  # shape check only: the result keeps the input's rank
    if manifest.normalization is None:
        return features.astype(np.float32)
    mean = np.asarray(manifest.normalization["mean"], np.float32)
    std = np.asarray(manifest.normalization["std"], np.float32)
    return ((features - mean) / std).astype(np.float32)


def audio_features(audio: np.ndarray, sample_rate: int, manifest: Manifest) -> np.ndarray:
    """Normalised log-mel features [T, C] of a mono float waveform (at most one clip long)."""
    from edgekit.features import fit_clip, logmel

    params = _frontend(manifest)
    audio = np.asarray(audio)
    if sample_rate != params.sample_rate:
        raise DataError(
            f"audio at {sample_rate} Hz, but this bundle's front end expects {params.sample_rate} Hz; "
            "resample it first (or pass the file: files are resampled as in training)"
        )
    if audio.ndim != 1 or audio.size == 0:
        raise DataError(
            f"expected a non-empty mono waveform [samples], got shape {list(audio.shape)}"
        )
    if not np.all(np.isfinite(audio)):
        raise DataError("the waveform contains NaN or infinite samples")
    if audio.size > params.clip_samples:
        raise DataError(
            f"the waveform has {audio.size} samples, more than one clip ({params.clip_samples}); "
            "cut it into clips first"
        )
    feats = logmel(fit_clip(audio.astype(np.float32), params.clip_samples), params)
    return normalize(feats, manifest)


@dataclass(frozen=True)
class LoadedInput:
    """Normalised features [T, C] and every fix-up applied on the way (empty when none)."""

    features: np.ndarray
    fixups: list[str] = field(default_factory=list)


def read_input(
    path: str | Path, manifest: Manifest, long_audio: Literal["refuse", "loudest"] = "refuse"
) -> np.ndarray:
    """Normalised features [T, C] from a WAV/FLAC clip, a .npy of raw features, or a DSA text file.

    Fix-ups (stereo mixed down, another sample rate resampled) are logged as warnings; use
    :func:`load_input` to get them as data. Audio longer than one clip is refused unless
    ``long_audio="loudest"`` (its loudest clip-long window is kept, and said).
    """
    loaded = load_input(path, manifest, long_audio)
    for note in loaded.fixups:
        log.warning("%s: %s", path, note)
    return loaded.features


def load_input(
    path: str | Path, manifest: Manifest, long_audio: Literal["refuse", "loudest"] = "refuse"
) -> LoadedInput:
    """:func:`read_input` with its fix-ups returned rather than logged (what the CLI prints)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        from edgekit.features import read_audio

        params = _frontend(manifest)
        clip = read_audio(path, params.sample_rate, params.clip_samples, long_audio)
        return LoadedInput(audio_features(clip.audio, params.sample_rate, manifest), clip.fixups)
    if suffix == ".npy":
        return LoadedInput(normalize(_read_npy(path), manifest))
    if suffix == ".txt":
        from edgekit.features.sensor_text import parse_segment

        return LoadedInput(normalize(parse_segment(path.read_text(), str(path)), manifest))
    raise DataError(
        f"{path}: unsupported input {suffix!r}; expected .wav, .flac, .npy or .txt (DSA-19 segment)"
    )


def _read_npy(path: Path) -> np.ndarray:
    """A real-valued numeric array from ``path``; complex, object or text arrays are refused."""
    try:
        raw = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise DataError(f"{path}: not a plain numeric .npy array ({e})") from None
    if not isinstance(raw, np.ndarray) or raw.dtype.kind not in "biuf":
        kind = raw.dtype if isinstance(raw, np.ndarray) else type(raw).__name__
        raise DataError(
            f"{path}: expected a real-valued numeric array (float or int), got dtype {kind}"
            + (
                "; complex values cannot be cast without losing their imaginary part"
                if isinstance(raw, np.ndarray) and raw.dtype.kind == "c"
                else ""
            )
        )
    if not np.all(np.isfinite(raw)):
        raise DataError(f"{path}: the array contains NaN or infinite values")
    return np.asarray(raw, np.float32)
