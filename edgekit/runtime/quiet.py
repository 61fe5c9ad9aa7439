"""Is anything louder than the background in this window? The first stage of a wake-word
cascade, computed from the log-mel frames the stream already has.

A keyword raises the energy of some mel bands above the background for at least ~100 ms; a
window with no such rise holds no word, so a streaming recognizer need not run the ensemble on
it (docs/runtime.md). :class:`QuietGate` keeps the last ``history_s`` of raw (un-normalised)
log-mel frames; each band's background is its median over that history (a word fills well under
half of any 5 s), and a window's *level* is, over its loudest ``smooth_ms``, the mean excess of
its loudest quarter of bands over their background, in nats of mel energy (1 nat = 4.3 dB).
"""

from __future__ import annotations

import numpy as np


class QuietGate:
    """Running per-band background and the level of the latest window above it."""

    def __init__(
        self,
        n_mels: int,
        window_frames: int,
        hop_ms: float,
        history_s: float = 5.0,
        smooth_ms: float = 100.0,
    ) -> None:
        self.window = window_frames
        self.history = max(window_frames, round(history_s * 1000 / hop_ms))
        self.smooth = max(1, round(smooth_ms / hop_ms))
        self.bands = max(1, n_mels // 4)
        # band-major ring of raw frames, shifted when full (rarely: 4x the history)
        self._ring = np.zeros((n_mels, 4 * self.history), np.float32)
        self.reset()

    def reset(self) -> None:
        self._held = 0

    def push(self, frames: np.ndarray) -> None:
        """Append raw log-mel frames [n, n_mels] in stream order."""
        ring, n = self._ring, self._held
        if len(frames) >= self.history:  # older frames no longer count
            frames, n = frames[-self.history :], 0
        elif n + len(frames) > ring.shape[1]:  # keep the last history's worth at the front
            keep = min(n, self.history)
            ring[:, :keep] = ring[:, n - keep : n]
            n = keep
        ring[:, n : n + len(frames)] = frames.T
        self._held = n + len(frames)

    def level(self) -> float:
        """The latest window's level above the background (nats); needs a whole window."""
        n = self._held
        if n < self.window:
            raise ValueError(f"quiet gate: {n} frames held, a window needs {self.window}")
        past = self._ring[:, max(0, n - self.history) : n]
        k = past.shape[1] // 2
        floor = np.partition(past, k, axis=1)[:, k : k + 1]  # each band's (lower) median
        excess = self._ring[:, n - self.window : n] - floor
        np.maximum(excess, 0, out=excess)
        top = np.partition(excess, -self.bands, axis=0)[-self.bands :].mean(axis=0)
        sums = np.cumsum(np.concatenate(([0.0], top.astype(np.float64))))
        s = min(self.smooth, len(top))
        return float((sums[s:] - sums[:-s]).max() / s)
