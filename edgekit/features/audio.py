"""Reading clips into the front end's shape, with every fix-up logged rather than silent.

Problems that cannot be fixed (unreadable, empty, not audio) raise :class:`DataError` naming
the file. Problems with an obvious fix (another sample rate, stereo, longer than the clip) are
fixed and reported in the returned notes, so a loader can log and summarise them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgekit.errors import DataError


@dataclass
class Clip:
    """A mono float32 clip in [-1, 1] at the requested rate, with the fix-ups applied to it."""

    audio: np.ndarray
    fixups: list[str] = field(default_factory=list)


def resample(audio: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """Band-limited resampling by FFT (exact for periodic signals; fine for 1 s clips)."""
    if orig_rate == new_rate:
        return audio
    n_out = max(1, round(len(audio) * new_rate / orig_rate))
    spectrum = np.fft.rfft(audio.astype(np.float64))
    keep = min(len(spectrum), n_out // 2 + 1)
    out_spec = np.zeros(n_out // 2 + 1, dtype=np.complex128)
    out_spec[:keep] = spectrum[:keep]
    out = np.fft.irfft(out_spec, n=n_out) * (n_out / len(audio))
    return out.astype(np.float32)


def loudest_window(audio: np.ndarray, length: int) -> np.ndarray:
    """The ``length``-sample stretch of ``audio`` with the most energy (keeps the spoken word)."""
    energy = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    sums = energy[length:] - energy[:-length]
    start = int(np.argmax(sums))
    return audio[start : start + length]


def fit_clip(audio: np.ndarray, length: int) -> np.ndarray:
    """Zero-pad at the front to ``length`` samples (the EdgeML protocol); never crops."""
    if len(audio) > length:
        raise ValueError(f"clip has {len(audio)} samples, more than {length}: crop it first")
    return np.concatenate([np.zeros(length - len(audio), dtype=np.float32), audio]).astype(
        np.float32
    )


def read_audio(path: str | Path, sample_rate: int = 16000, max_samples: int | None = 16000) -> Clip:
    """Read a WAV/FLAC clip as mono float32 at ``sample_rate``, at most ``max_samples`` long.

    Fix-ups (reported in ``Clip.fixups``): several channels are averaged; another sample rate is
    resampled; a clip longer than ``max_samples`` keeps its loudest ``max_samples`` window.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes); expected a WAV or FLAC clip")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for corrupt input
        raise DataError(f"{path}: not a readable WAV/FLAC file ({exc})") from exc
    fixups: list[str] = []
    if data.shape[0] == 0:
        raise DataError(f"{path}: the clip has no samples")
    if data.shape[1] > 1:
        fixups.append(f"mixed {data.shape[1]} channels down to mono")
    audio = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.all(np.isfinite(audio)):
        raise DataError(f"{path}: the clip contains NaN or infinite samples")
    if rate != sample_rate:
        fixups.append(f"resampled from {rate} Hz to {sample_rate} Hz")
        audio = resample(audio, rate, sample_rate)
    if max_samples is not None and len(audio) > max_samples:
        fixups.append(
            f"kept the loudest {max_samples / sample_rate:g} s of a "
            f"{len(audio) / sample_rate:.2f} s clip"
        )
        audio = loudest_window(audio, max_samples)
    return Clip(np.ascontiguousarray(audio, dtype=np.float32), fixups)
