"""The reference log-mel front end in numpy: what the torch-free runtime runs on a device host."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from edgekit.features.filterbank import mel_filterbank, window
from edgekit.features.params import FrontEndParams


@lru_cache(maxsize=8)
def _constants(params: FrontEndParams) -> tuple[np.ndarray, np.ndarray]:
    return window(params), mel_filterbank(params).T.copy()


def frame_signal(audio: np.ndarray, params: FrontEndParams) -> np.ndarray:
    """Pre-emphasise and cut [..., clip_samples] audio into [..., frames, win_length] frames."""
    x = np.asarray(audio, dtype=np.float64)
    if x.shape[-1] != params.clip_samples:
        raise ValueError(
            f"front end: expected clips of {params.clip_samples} samples, got {x.shape[-1]} "
            "(use fit_clip first)"
        )
    if params.preemphasis:
        x = np.concatenate([x[..., :1], x[..., 1:] - params.preemphasis * x[..., :-1]], axis=-1)
    frames, win, hop = params.num_frames, params.win_length, params.hop_length
    padded = (frames - 1) * hop + win
    if padded > x.shape[-1]:
        pad = [(0, 0)] * (x.ndim - 1) + [(0, padded - x.shape[-1])]
        x = np.pad(x, pad)
    starts = np.arange(frames) * hop
    index = starts[:, None] + np.arange(win)[None, :]
    return x[..., index]


def logmel(audio: np.ndarray, params: FrontEndParams | None = None) -> np.ndarray:
    """Log-mel energies, float32 [..., frames, n_mels], for float audio [..., clip_samples].

    Computed in float64 so that this reference is exact to well below the 1e-4 tolerance the
    batched torch version is held to.
    """
    params = params or FrontEndParams()
    return frames_logmel(frame_signal(audio, params), params)


def frames_logmel(frames: np.ndarray, params: FrontEndParams) -> np.ndarray:
    """Log-mel energies, float32 [..., n_mels], of pre-emphasised float64 frames
    [..., win_length]: the per-frame half of :func:`logmel` (the streaming front end's too)."""
    win, bank_t = _constants(params)
    power = np.abs(np.fft.rfft(frames * win, n=params.n_fft, axis=-1)) ** 2 / params.n_fft
    energies = power @ bank_t
    out: np.ndarray = np.log(np.maximum(energies, params.log_floor)).astype(np.float32)
    return out
