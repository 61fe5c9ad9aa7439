"""Front-end parameters: one frozen record that travels from training into every bundle."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from edgekit.errors import ConfigError


@dataclass(frozen=True)
class FrontEndParams:
    """Log-mel filterbank settings (the EdgeML Google-13 protocol by default).

    Framing follows python_speech_features (which EdgeML used): the last partial frame is
    zero-padded, so a 1 s clip at 16 kHz with a 25 ms window and 10 ms hop gives 99 frames.
    Audio is float in [-1, 1]; energies below ``log_floor`` are clamped before the log, which
    is what the zero-padded lead-in of short clips hits.
    """

    sample_rate: int = 16000
    clip_samples: int = 16000
    window_ms: float = 25.0
    hop_ms: float = 10.0
    n_fft: int = 512
    n_mels: int = 32
    f_min: float = 0.0
    f_max: float = 8000.0
    preemphasis: float = 0.97
    log_floor: float = 1e-10
    window: str = "hamming"

    def __post_init__(self) -> None:
        if self.window not in ("hamming", "hann", "rectangular"):
            raise ConfigError(
                f"front end: window must be hamming, hann or rectangular, got {self.window!r}"
            )
        if self.win_length > self.n_fft:
            raise ConfigError(
                f"front end: window ({self.win_length} samples) is longer than n_fft ({self.n_fft})"
            )
        if not 0 <= self.f_min < self.f_max <= self.sample_rate / 2:
            raise ConfigError(
                f"front end: need 0 <= f_min < f_max <= sample_rate/2, got f_min={self.f_min}, "
                f"f_max={self.f_max}, sample_rate={self.sample_rate}"
            )

    @property
    def win_length(self) -> int:
        return round(self.sample_rate * self.window_ms / 1000)

    @property
    def hop_length(self) -> int:
        return round(self.sample_rate * self.hop_ms / 1000)

    @property
    def num_frames(self) -> int:
        """Frames per clip: 1 + ceil((clip - window) / hop), the last one zero-padded."""
        if self.clip_samples <= self.win_length:
            return 1
        return 1 + math.ceil((self.clip_samples - self.win_length) / self.hop_length)

    @property
    def feature_shape(self) -> tuple[int, int]:
        return (self.num_frames, self.n_mels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrontEndParams:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"front end: unknown fields {unknown}; known fields are {sorted(known)}"
            )
        return cls(**data)
