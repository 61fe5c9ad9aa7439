"""Reading clips into the front end's shape, with every fix-up logged rather than silent.

Problems that cannot be fixed (unreadable, empty, not audio) raise :class:`DataError` naming
the file. Problems with an obvious fix (another sample rate, stereo, longer than the clip) are
fixed and reported in the returned notes, so a loader can log and summarise them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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


LongClip = Literal["loudest", "refuse"]


def wav_truncation(path: Path) -> str | None:
    """Why a RIFF/WAVE file is cut short (its data chunk declares more bytes than it holds), or None.

    libsndfile reads such a file without complaint and returns what is left, so a clip cut off
    mid-word would be classified silently; this reads the chunk headers only.
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                available = size - offset - 8
                if chunk_size not in (0, 0xFFFFFFFF) and chunk_size > available:
                    return (
                        f"the WAV header declares {chunk_size} bytes of audio but the file holds "
                        f"{available}: the file is truncated (re-record or re-copy it)"
                    )
                return None
            offset += 8 + chunk_size + (chunk_size & 1)
    return None


def read_audio(
    path: str | Path,
    sample_rate: int = 16000,
    max_samples: int | None = 16000,
    long_clip: LongClip = "loudest",
) -> Clip:
    """Read a WAV/FLAC clip as mono float32 at ``sample_rate``, at most ``max_samples`` long.

    Fix-ups (reported in ``Clip.fixups``): several channels are averaged; another sample rate is
    resampled; a clip longer than ``max_samples`` keeps its loudest ``max_samples`` window when
    ``long_clip="loudest"`` (training data: the word is in there), and is refused with the fix
    when ``long_clip="refuse"`` (a user's input: cropping a recording silently hides the choice).
    A truncated WAV is always refused.
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
    truncated = wav_truncation(path)
    if truncated is not None:
        raise DataError(f"{path}: {truncated}")
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
        if long_clip == "refuse":
            raise DataError(
                f"{path}: {len(audio) / sample_rate:.2f} s of audio, but the model classifies one "
                f"{max_samples / sample_rate:g} s clip; cut the clip you want (e.g. `sox in.wav "
                "out.wav trim START 1`), pass --long-audio loudest to keep its loudest "
                f"{max_samples / sample_rate:g} s, or use `edgekit listen` for a long recording"
            )
        fixups.append(
            f"kept the loudest {max_samples / sample_rate:g} s of a "
            f"{len(audio) / sample_rate:.2f} s clip"
        )
        audio = loudest_window(audio, max_samples)
    return Clip(np.ascontiguousarray(audio, dtype=np.float32), fixups)
