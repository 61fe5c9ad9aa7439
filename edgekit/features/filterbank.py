"""Window and mel filterbank matrices (numpy), shared by both front-end implementations."""

from __future__ import annotations

import numpy as np

from edgekit.features.params import FrontEndParams


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return np.asarray(2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0))


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return np.asarray(700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0))


def window(params: FrontEndParams) -> np.ndarray:
    """The analysis window, float64 [win_length] (numpy's symmetric definitions)."""
    n = params.win_length
    if params.window == "hamming":
        return np.hamming(n)
    if params.window == "hann":
        return np.hanning(n)
    return np.ones(n)


def mel_filterbank(params: FrontEndParams) -> np.ndarray:
    """Triangular HTK-mel filters on FFT bins, float64 [n_mels, n_fft // 2 + 1].

    Bin edges are floored as in python_speech_features; a zero-width side is left empty
    rather than divided by zero.
    """
    n_bins = params.n_fft // 2 + 1
    mel_points = np.linspace(hz_to_mel(params.f_min), hz_to_mel(params.f_max), params.n_mels + 2)
    bins = np.floor((params.n_fft + 1) * mel_to_hz(mel_points) / params.sample_rate).astype(int)
    bins = np.minimum(bins, n_bins - 1)
    bank = np.zeros((params.n_mels, n_bins))
    idx = np.arange(n_bins)
    for j in range(params.n_mels):
        lo, mid, hi = bins[j], bins[j + 1], bins[j + 2]
        if mid > lo:
            rising = (idx >= lo) & (idx < mid)
            bank[j, rising] = (idx[rising] - lo) / (mid - lo)
        if hi > mid:
            falling = (idx >= mid) & (idx < hi)
            bank[j, falling] = (hi - idx[falling]) / (hi - mid)
        if mid == lo == hi:
            bank[j, mid] = 1.0
    return bank
