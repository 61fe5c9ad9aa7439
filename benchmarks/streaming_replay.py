"""Quiet-gate rules replayed exactly, without rerunning the model: one full-ensemble pass over a
stream records each window's prefix logits (members 1..k) and the raw log-mel frames; any gate
rule then decides per window what the recognizer would have run.

Exact because a window's features do not depend on the policy and the recognizer runs no member
(quiet), member 1 alone (suppressed) or every member (``Policy()``); the detector (smoothing, threshold, suppression)
is replayed in stream order, so the suppressed-window shortcut follows the replayed detections.
benchmarks/streaming.py checks the replay against a real run of the recognizer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from edgekit.runtime import ProgressiveEnsemble, StreamConfig, StreamingRecognizer
from edgekit.runtime.detection import Detection, Detector
from edgekit.runtime.listen import listen_array
from edgekit.runtime.quiet import QuietGate


@dataclass(frozen=True)
class Recorded:
    """One stream's windows under the full ensemble: what every gate rule needs."""

    end_samples: np.ndarray  # [W] end of each window, samples
    seen: np.ndarray  # [W] raw frames held when the window ran
    prefix: np.ndarray  # [W, K, L] the summed logits of members 1..k, k = 1..K
    raw: np.ndarray  # [frames, n_mels] un-normalised log-mel frames (the quiet gate's input)
    audio_s: float  # the stream's length

    @property
    def members(self) -> int:
        return int(self.prefix.shape[1])


def record(ens: ProgressiveEnsemble, audio: np.ndarray, config: StreamConfig) -> Recorded:
    """Run every member on every window of ``audio`` (100 ms chunks) and keep what a replay needs."""
    full_config = replace(config, skip_suppressed=False, quiet_gate=None)
    recognizer = StreamingRecognizer(ens, full_config, keep_windows=True)
    outputs: list[np.ndarray] = []
    frames: list[np.ndarray] = []
    run_member, push = ens.runner.run_member, recognizer.frontend.push

    def spy(index: int, *args: Any) -> tuple[np.ndarray, np.ndarray | None]:
        out = run_member(index, *args)
        outputs.append(out[0][0].copy())
        return out

    def keep(x: np.ndarray) -> np.ndarray:
        got = push(x)
        frames.append(got.copy())
        return got

    ens.runner.run_member = spy  # type: ignore[method-assign,assignment]
    recognizer.frontend.push = keep  # type: ignore[method-assign,assignment]
    try:
        listen_array(recognizer, audio, chunk_ms=100)
    finally:
        del ens.runner.run_member
    k = len(ens)
    per_member = np.array(outputs, np.float32).reshape(-1, k, ens.manifest.num_classes)
    prefix = per_member.copy()
    for m in range(1, k):  # the ensemble's own float32 order of addition
        prefix[:, m] = prefix[:, m - 1] + per_member[:, m]
    params = recognizer.params
    ends = np.array([w.end_sample for w in recognizer.windows])
    return Recorded(
        end_samples=ends,
        seen=(ends - params.win_length) // params.hop_length + 1,
        prefix=prefix,
        raw=np.concatenate(frames),
        audio_s=len(audio) / params.sample_rate,
    )


def levels(rec: Recorded, gate: QuietGate) -> np.ndarray:
    """Each window's level above the background, from the runtime's own gate fed as it is."""
    gate.reset()
    out, held = np.empty(len(rec.seen)), 0
    for w, n in enumerate(rec.seen.tolist()):
        gate.push(rec.raw[held:n])
        held = n
        out[w] = gate.level()
    return out


def rule_levels(
    rec: Recorded, level: Callable[[np.ndarray], float], history: int = 500
) -> np.ndarray:
    """Each window's level under another rule: ``level(raw frames of the last history)``."""
    return np.array([level(rec.raw[max(0, n - history) : n]) for n in rec.seen.tolist()])


def replay(
    rec: Recorded,
    quiet: np.ndarray | None,
    config: StreamConfig,
    class_names: tuple[str, ...],
    rate: int,
    members_run: np.ndarray | None = None,
    quiet_member_1: bool = False,
) -> tuple[list[Detection], np.ndarray]:
    """The recognizer's detections and members per window had ``quiet`` (bool per window, None:
    no quiet shortcut) been its gate, with ``config``'s suppression shortcut; ``members_run``
    (per window, default every member) is what a window that takes no shortcut runs;
    ``quiet_member_1``: the earlier rule, quiet windows on member 1 alone (and free to fire)."""
    detector = Detector(config, class_names, rate)
    stride = round(config.stride_ms * rate / 1000)
    reach = (detector.smooth_windows - 1) * stride
    k = rec.members
    wanted = np.full(len(rec.end_samples), k) if members_run is None else members_run
    silence = np.full(len(class_names), 1.0 / len(class_names))
    logits = rec.prefix.astype(np.float64)  # posterior() of every prefix at once, same rounding
    z = np.exp(logits - rec.prefix.max(axis=2, keepdims=True))
    posts = z / z.sum(axis=2, keepdims=True)
    found, members = [], np.empty(len(rec.end_samples), int)
    for w, end in enumerate(rec.end_samples.tolist()):
        is_quiet = quiet is not None and bool(quiet[w])
        if is_quiet and not quiet_member_1:  # as StreamingRecognizer: no member, no detection
            members[w] = 0
            detector.update(silence, end, 0, may_fire=False)
            continue
        suppressed = config.skip_suppressed and detector.suppressed(end + reach)
        members[w] = 1 if suppressed or is_quiet else int(wanted[w])
        _, _, d = detector.update(posts[w, members[w] - 1], end, int(members[w]))
        if d is not None:
            found.append(d)
    return found, members
