"""The log-mel front end on a live signal: push audio chunks, get only the frames they complete.

``IncrementalLogMel(params).push(chunk)`` returns the new frames [n, n_mels]. Over a stream they
are :func:`~edgekit.features.numpy_frontend.logmel` of every sample pushed so far (the same
pre-emphasis, window, FFT and filterbank code, float64), frame for frame: the one-shot front end
zero-pads a last partial frame, a stream waits for the samples instead. Each frame is computed
once; the state kept between pushes is one raw sample and less than one frame of audio.

Frames are computed in blocks of ``block`` frames counted from the start of the stream, so the
result is bit-identical whatever the chunk sizes were (the FFT and matrix product see the same
arrays); a stream that needs a window every k frames uses ``block=k``.
"""

from __future__ import annotations

import numpy as np

from edgekit.features.numpy_frontend import frames_logmel
from edgekit.features.params import FrontEndParams


class IncrementalLogMel:
    """Streaming log-mel: ``push(samples) -> float32 [new_frames, n_mels]``."""

    def __init__(self, params: FrontEndParams | None = None, block: int = 1) -> None:
        if block < 1:
            raise ValueError(f"front end: block must be >= 1 frame (got {block})")
        self.params = params or FrontEndParams()
        self.block = block
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next push starts at time 0."""
        self.samples = 0  # samples pushed so far
        self.frames = 0  # frames returned so far
        self._last: float | None = None  # the previous raw sample (for pre-emphasis)
        self._pending = np.zeros(0, np.float64)  # pre-emphasised samples from frame `frames` on

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Append mono samples (float in [-1, 1]); return the frames completed, in whole blocks."""
        x: np.ndarray = np.asarray(audio, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError(f"front end: push mono samples [n], got shape {list(x.shape)}")
        if x.size:
            self._pending = np.concatenate([self._pending, self._emphasise(x)])
            self.samples += x.size
        return self._frames(self._complete() // self.block * self.block)

    def flush(self) -> np.ndarray:
        """The complete frames still held back (fewer than one block); no padding."""
        return self._frames(self._complete())

    def _emphasise(self, x: np.ndarray) -> np.ndarray:
        """Pre-emphasis exactly as the one-shot front end computes it over the whole stream."""
        p = self.params.preemphasis
        if not p:
            return x
        previous = x[:-1] if self._last is None else np.concatenate([[self._last], x[:-1]])
        y: np.ndarray = x.copy()
        first = 1 if self._last is None else 0  # the stream's first sample is kept as it is
        y[first:] = x[first:] - p * previous
        self._last = float(x[-1])
        return y

    def _complete(self) -> int:
        """Complete frames available beyond those already returned."""
        win, hop = self.params.win_length, self.params.hop_length
        if len(self._pending) < win:
            return 0
        return (len(self._pending) - win) // hop + 1

    def _frames(self, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros((0, self.params.n_mels), np.float32)
        win, hop = self.params.win_length, self.params.hop_length
        index = (np.arange(n) * hop)[:, None] + np.arange(win)[None, :]
        out = frames_logmel(self._pending[index], self.params)
        self._pending = self._pending[n * hop :]
        self.frames += n
        return out
