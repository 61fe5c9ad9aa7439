"""The decision half of streaming keyword spotting: window posteriors in, detections out.

:class:`Detector` smooths each window's posterior (softmax of the summed logits) over
``smooth_ms``, and reports a detection when the smoothed top class reaches ``threshold``, is a
keyword (not a filler class) and comes ``min_gap_ms`` after the previous detection: TFLite
Micro's RecognizeCommands in numpy. It needs no audio and no model, so stored window posteriors
can be replayed through other settings (benchmarks/streaming.py does).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from edgekit.errors import EdgekitError
from edgekit.runtime.policy import Policy

# nats of mel energy above the background (edgekit.runtime.quiet): chosen on calibration streams
# of KWS-8 speakers that benchmarks/streaming.md never reports on
QUIET_GATE = 1.0


@dataclass(frozen=True, kw_only=True)
class StreamConfig:
    """How a stream is cut into windows, how much each window may cost, when to report.

    Defaults and why: ``stride_ms=100`` (10 windows a second, as micro_speech: a word of
    ~0.5 s is seen whole by several windows); ``smooth_ms=300`` (three windows averaged: one odd
    window cannot fire alone, a word still lifts the average within 0.3 s); ``threshold=0.8``
    (an 8-way posterior of 0.8 is a clear winner; chance is 0.125); ``min_gap_ms=1000`` (a word
    lasts under a second: one word, one detection); ``policy=Policy()`` (every member on a
    window that can matter: pass a margin to exit early on easy windows); ``compute_share=None``
    (no real-time limit); ``ignore=None`` (class names written ``_like_this_``, e.g.
    ``_silence_``, ``_unknown_``, are never reported); ``skip_suppressed=True`` (a window whose
    every smoothed score falls within ``min_gap_ms`` of the last detection cannot change any
    detection: member 1 alone, the detections are the same); ``quiet_gate=QUIET_GATE`` (a window
    whose level above the background, :mod:`edgekit.runtime.quiet`, is below this many nats
    holds no word: no member runs, it counts as a uniform posterior and cannot fire; None runs
    the policy on every window). docs/runtime.md says how the default was chosen.
    """

    stride_ms: float = 100.0
    smooth_ms: float = 300.0
    threshold: float = 0.8
    min_gap_ms: float = 1000.0
    policy: Policy = field(default_factory=Policy)
    compute_share: float | None = None  # the fraction of real time the ensemble may spend
    ignore: tuple[str, ...] | None = None
    skip_suppressed: bool = True
    quiet_gate: float | None = QUIET_GATE

    def __post_init__(self) -> None:
        checks = [
            (self.stride_ms > 0, f"stride_ms must be > 0 (got {self.stride_ms})"),
            (self.smooth_ms >= 0, f"smooth_ms must be >= 0 (got {self.smooth_ms})"),
            (0 < self.threshold <= 1, f"threshold must be in (0, 1] (got {self.threshold})"),
            (self.min_gap_ms >= 0, f"min_gap_ms must be >= 0 (got {self.min_gap_ms})"),
            (
                self.compute_share is None or 0 < self.compute_share <= 1,
                f"compute_share must be in (0, 1] (got {self.compute_share})",
            ),
            (
                self.quiet_gate is None or 0 <= self.quiet_gate < float("inf"),
                f"quiet_gate must be a number >= 0 or None (got {self.quiet_gate})",
            ),
        ]
        bad = [message for ok, message in checks if not ok]
        if bad:
            raise EdgekitError("stream: " + "; ".join(bad))


@dataclass(frozen=True)
class Detection:
    """A keyword heard: when (end of the window that fired, seconds of stream), what, how sure."""

    time_s: float
    label: int
    class_name: str
    score: float  # the smoothed posterior of ``class_name``
    members: int  # members the firing window ran

    def to_dict(self) -> dict[str, object]:
        return {
            "time_s": round(self.time_s, 4),
            "label": self.label,
            "class_name": self.class_name,
            "score": round(self.score, 4),
            "members": self.members,
        }


def posterior(logits: np.ndarray) -> np.ndarray:
    """Softmax of one window's summed logits [L], in float64."""
    z = np.exp(logits.astype(np.float64) - logits.max())
    out: np.ndarray = z / z.sum()
    return out


class Detector:
    """Smoothing, threshold, fillers and suppression over a stream of window posteriors."""

    def __init__(
        self, config: StreamConfig, class_names: tuple[str, ...], sample_rate: int
    ) -> None:
        self.config, self.class_names = config, class_names
        self.smooth_windows = max(1, round(config.smooth_ms / config.stride_ms))
        self.gap_samples = config.min_gap_ms * sample_rate / 1000
        self.sample_rate = sample_rate
        ignore = config.ignore
        self.report = [
            (n not in ignore) if ignore is not None else not _is_filler(n) for n in class_names
        ]
        self.reset()

    def reset(self) -> None:
        self._recent: deque[np.ndarray] = deque(maxlen=self.smooth_windows)
        self._last: int | None = None  # end sample of the last detection's window

    def suppressed(self, end_sample: int) -> bool:
        """True when a window ending at ``end_sample`` may not fire (``min_gap_ms``)."""
        return self._last is not None and end_sample - self._last < self.gap_samples

    def update(
        self, window_posterior: np.ndarray, end_sample: int, members: int, may_fire: bool = True
    ) -> tuple[int, float, Detection | None]:
        """One window, in stream order: (smoothed top class, its score, the detection or None);
        ``may_fire=False`` (a quiet window) still enters the average but never fires."""
        self._recent.append(window_posterior)
        smoothed = np.mean(self._recent, axis=0)
        top = int(smoothed.argmax())
        score = float(smoothed[top])
        if (
            not may_fire
            or score < self.config.threshold
            or not self.report[top]
            or self.suppressed(end_sample)
        ):
            return top, score, None
        self._last = end_sample
        found = Detection(end_sample / self.sample_rate, top, self.class_names[top], score, members)
        return top, score, found


def _is_filler(name: str) -> bool:
    """``_silence_``, ``_unknown_``, ``_background_noise_``: classes that are not keywords."""
    return len(name) > 2 and name.startswith("_") and name.endswith("_")
