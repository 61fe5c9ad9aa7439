"""Streaming keyword spotting: audio in chunks, a window every stride, an anytime ensemble per
window, smoothed posteriors, suppressed repeats (the loop of TFLite Micro's micro_speech).

``StreamingRecognizer(ensemble, StreamConfig(...)).push(chunk) -> [Detection]``. The log-mel
front end computes only the frames a chunk completes; every ``stride_ms`` the ensemble runs on
the latest window under the per-window ``policy`` (and, optionally, a ``compute_share`` of real
time); each window's posterior (softmax of the summed logits) is averaged over ``smooth_ms``; a
detection needs the average's top class to reach ``threshold`` and ``min_gap_ms`` since the last
detection. Windows that cannot matter cost less: quiet ones, with nothing above the background
(:mod:`edgekit.runtime.quiet`), run no member and count as a uniform posterior (no word: they
cannot fire and pull the average down); those whose smoothed scores all fall in the suppression
gap of the last detection run member 1 alone (exact: the detections do not change). Results do not depend on how the audio was cut into
chunks (frames are computed in stride-sized blocks counted from the start), unless a wall-clock
limit (``deadline_ms``, ``compute_share``) decides how many members run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from edgekit.errors import DataError, EdgekitError
from edgekit.features.incremental import IncrementalLogMel
from edgekit.features.params import FrontEndParams
from edgekit.runtime.detection import Detection, Detector, StreamConfig, posterior
from edgekit.runtime.ensemble import ProgressiveEnsemble
from edgekit.runtime.policy import Policy
from edgekit.runtime.quiet import QuietGate

_MEMBER_1 = Policy(max_members=1)  # a suppressed window: the anytime minimum


@dataclass(frozen=True)
class WindowResult:
    """One window's work (kept when ``keep_windows``): for timelines and per-window statistics."""

    end_sample: int  # end of the window, samples from the start of the stream
    time_s: float  # the same in seconds
    members: int  # 0 on a quiet window (the ensemble did not run)
    macs: int
    stopped_by: str  # a Policy stop reason, "suppressed" (member 1 alone) or "quiet" (none)
    compute_ms: float  # the ensemble's time on this window
    label: int  # top class of the smoothed posterior
    score: float  # its smoothed posterior
    posterior: tuple[float, ...]  # this window's own posterior (before smoothing)


@dataclass
class StreamStats:
    """Totals over the stream so far."""

    audio_s: float = 0.0
    busy_s: float = 0.0  # time inside push(): front end, ensemble, smoothing
    windows: int = 0
    members: int = 0
    macs: int = 0
    members_histogram: dict[int, int] = field(default_factory=dict)
    shortcuts: dict[str, int] = field(default_factory=dict)  # windows "quiet" / "suppressed"

    @property
    def mean_members(self) -> float:
        return self.members / self.windows if self.windows else 0.0

    @property
    def realtime_factor(self) -> float:
        """Seconds of audio per second of compute (50 means 50x faster than real time)."""
        return self.audio_s / self.busy_s if self.busy_s > 0 else float("inf")

    def to_dict(self) -> dict[str, object]:
        return {
            "audio_s": round(self.audio_s, 6),
            "busy_s": self.busy_s,
            "realtime_factor": self.realtime_factor,
            "windows": self.windows,
            "mean_members": self.mean_members,
            "mean_macs": self.macs / self.windows if self.windows else 0.0,
            "members_histogram": {str(k): v for k, v in sorted(self.members_histogram.items())},
            "shortcuts": dict(sorted(self.shortcuts.items())),
        }


class StreamingRecognizer:
    """Keyword spotting over a live signal with a loaded ensemble (any backend, any precision)."""

    def __init__(
        self,
        ensemble: ProgressiveEnsemble,
        config: StreamConfig | None = None,
        keep_windows: bool = False,
    ) -> None:
        manifest = ensemble.manifest
        if manifest.frontend is None:
            raise DataError(
                f"this {manifest.task} bundle takes feature arrays, not audio (its manifest has "
                "no front end): it cannot listen to a stream"
            )
        self.ensemble, self.config, self.keep_windows = (
            ensemble,
            config or StreamConfig(),
            keep_windows,
        )
        self.params = FrontEndParams.from_dict(manifest.frontend)
        self.window_frames, channels = manifest.input_shape
        if channels != self.params.n_mels:
            raise DataError(
                f"bundle input {list(manifest.input_shape)} does not match its front end "
                f"({self.params.n_mels} mel channels)"
            )
        self.stride_frames = _stride_frames(self.config.stride_ms, self.params.hop_ms)
        norm = manifest.normalization
        self._mean = None if norm is None else np.asarray(norm["mean"], np.float32)
        self._std = None if norm is None else np.asarray(norm["std"], np.float32)
        self.detector = Detector(self.config, manifest.class_names, self.params.sample_rate)
        # a window's posterior enters the smoothed scores of the windows up to this much later
        self._reach = (
            (self.detector.smooth_windows - 1) * self.stride_frames * self.params.hop_length
        )
        self.gate = QuietGate(self.params.n_mels, self.window_frames, self.params.hop_ms)
        self._silence = np.full(manifest.num_classes, 1.0 / manifest.num_classes)
        self.reset()

    def reset(self) -> None:
        """Start a new stream (time 0, empty history); the loaded ensemble is kept."""
        self.frontend = IncrementalLogMel(self.params, block=self.stride_frames)
        cap = self.window_frames + 64 * self.stride_frames  # frames buffer: shifted rarely
        self._frames = np.zeros((cap, self.params.n_mels), np.float32)
        self._held = 0  # frames in the buffer
        self._seen = 0  # frames since the start of the stream
        self.detector.reset()
        self.gate.reset()
        self._credit_ms = 0.0
        self.stats = StreamStats()
        self.windows: list[WindowResult] = []

    def push(self, audio: np.ndarray) -> list[Detection]:
        """Feed mono samples at the front end's rate; the detections they complete, in order."""
        clock = self.ensemble.clock
        start = clock()
        x = np.asarray(audio, dtype=np.float32)
        if x.ndim != 1:
            raise DataError(f"stream: push mono samples [n], got shape {list(x.shape)}")
        if not np.isfinite(x).all():
            raise DataError("stream: the audio contains NaN or infinite samples")
        raw = frames = self.frontend.push(x)
        if self._mean is not None and self._std is not None and len(frames):
            frames = (frames - self._mean) / self._std
        found = []
        for i in range(0, len(frames), self.stride_frames):
            if self.config.quiet_gate is not None:
                self.gate.push(raw[i : i + self.stride_frames])
            detection = self._step(frames[i : i + self.stride_frames])
            if detection is not None:
                found.append(detection)
        self.stats.audio_s += x.size / self.params.sample_rate
        self.stats.busy_s += clock() - start
        return found

    def _step(self, block: np.ndarray) -> Detection | None:
        """Append one stride of frames; once a whole window is held, run and judge it."""
        buf, n, size = self._frames, self._held, self.window_frames
        if n + len(block) > len(buf):  # keep the last window's worth at the front
            keep = min(n, size)
            buf[:keep] = buf[n - keep : n]
            n = keep
        buf[n : n + len(block)] = block
        self._held = n = n + len(block)
        self._seen += len(block)
        if self._seen < size:
            return None
        end = (self._seen - 1) * self.params.hop_length + self.params.win_length
        policy, shortcut = self._policy(), self._shortcut(end)
        if shortcut == "quiet":  # no word: no member runs, and the window cannot fire
            members, macs, elapsed_ms, stopped_by = 0, 0, 0.0, shortcut
            window_posterior = self._silence
            top, score, found = self.detector.update(window_posterior, end, 0, may_fire=False)
        else:
            pred = self.ensemble.predict(
                buf[n - size : n], policy if shortcut is None else _MEMBER_1
            )
            members, macs, elapsed_ms = pred.members_run, pred.macs, pred.elapsed_ms
            stopped_by = shortcut or pred.stopped_by
            window_posterior = posterior(pred.logits[0])
            top, score, found = self.detector.update(window_posterior, end, members)
        if self.config.compute_share is not None:
            self._credit_ms -= elapsed_ms
        self._count(members, macs, shortcut)
        if self.keep_windows:
            self.windows.append(
                WindowResult(
                    end,
                    end / self.params.sample_rate,
                    members,
                    macs,
                    stopped_by,
                    elapsed_ms,
                    top,
                    score,
                    tuple(window_posterior.tolist()),
                )
            )
        return found

    def _shortcut(self, end: int) -> str | None:
        """Why the window ending at ``end`` cannot matter, or None.

        "quiet" (no member): its level above the background is under ``quiet_gate`` (no word in
        it); "suppressed" (member 1 alone): every smoothed score it enters (the windows up to
        ``smooth_ms`` later) falls within ``min_gap_ms`` of the last detection, so no detection
        can change. Quiet is asked first: it is the cheaper of the two.
        """
        gate = self.config.quiet_gate
        if gate is not None and self.gate.level() < gate:
            return "quiet"
        if self.config.skip_suppressed and self.detector.suppressed(end + self._reach):
            return "suppressed"
        return None

    def _policy(self) -> Policy:
        """The window's policy: the configured one, its deadline tightened to the compute credit
        (``compute_share`` of each stride, plus at most one stride's unspent share carried)."""
        share = self.config.compute_share
        policy = self.config.policy
        if share is None:
            return policy
        per_window = share * self.config.stride_ms
        self._credit_ms = min(self._credit_ms + per_window, 2 * per_window)
        # overspent: a deadline that has already passed (member 1 still runs: anytime)
        deadline = max(self._credit_ms, 1e-6)
        if policy.deadline_ms is not None:
            deadline = min(deadline, policy.deadline_ms)
        return replace(policy, deadline_ms=deadline)

    def _count(self, members: int, macs: int, shortcut: str | None) -> None:
        stats = self.stats
        if shortcut is not None:
            stats.shortcuts[shortcut] = stats.shortcuts.get(shortcut, 0) + 1
        stats.windows += 1
        stats.members += members
        stats.macs += macs
        stats.members_histogram[members] = stats.members_histogram.get(members, 0) + 1


def _stride_frames(stride_ms: float, hop_ms: float) -> int:
    frames = stride_ms / hop_ms
    if abs(frames - round(frames)) > 1e-9 or round(frames) < 1:
        raise EdgekitError(
            f"stream: stride_ms ({stride_ms:g}) must be a whole number of front-end hops "
            f"({hop_ms:g} ms)"
        )
    return round(frames)
