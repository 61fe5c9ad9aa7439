"""Run the streaming recognizer over a recording, as a microphone would deliver it, and report.

``listen_file(ensemble, path, config)`` reads a WAV/FLAC of any length (mono-mixed and
resampled to the bundle's rate as in training), pushes it in ``chunk_ms`` pieces and returns the
detections with the stream's statistics: real-time factor, members per window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgekit.runtime.detection import Detection, StreamConfig
from edgekit.runtime.ensemble import ProgressiveEnsemble
from edgekit.runtime.policy import FIELDS
from edgekit.runtime.streaming import StreamingRecognizer, WindowResult


@dataclass
class ListenResult:
    """What ``edgekit listen`` prints."""

    audio: str
    detections: list[Detection]
    stats: dict[str, object]
    members: int  # members in the bundle
    backend: str
    config: dict[str, object]
    notes: list[str]
    windows: list[WindowResult] | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "audio": self.audio,
            "detections": [d.to_dict() for d in self.detections],
            **self.stats,
            "bundle_members": self.members,
            "backend": self.backend,
            "config": self.config,
            "notes": self.notes,
        }
        if self.windows is not None:
            out["windows_detail"] = [asdict(w) for w in self.windows]
        return out

    def text(self) -> str:
        """Human-readable: one line per detection, then the stream's summary."""
        lines = [
            f"{d.time_s:9.2f} s  {d.class_name:<10} score {d.score:.2f}  "
            f"({d.members} of {self.members} members)"
            for d in self.detections
        ]
        s = self.stats
        hist = s["members_histogram"]
        assert isinstance(hist, dict)
        per = ", ".join(f"{k}: {v}" for k, v in hist.items())
        cut = s.get("shortcuts") or {}
        assert isinstance(cut, dict)
        skipped = "".join(f", {v} {k}" for k, v in cut.items())
        lines.append(
            f"{len(self.detections)} detection(s) in {s['audio_s']:.1f} s of audio; "
            f"{s['windows']} windows{skipped}, {s['mean_members']:.2f} of {self.members} members "
            f"per window ({per}); {s['realtime_factor']:.0f}x faster than real time "
            f"({s['busy_s']:.2f} s of compute, {self.backend})"
        )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def listen_file(
    ensemble: ProgressiveEnsemble,
    path: str | Path,
    config: StreamConfig | None = None,
    chunk_ms: float = 100.0,
    keep_windows: bool = False,
) -> ListenResult:
    """Stream ``path`` through ``ensemble`` in ``chunk_ms`` chunks (the answer does not depend on
    the chunk size unless a wall-clock limit is set)."""
    from edgekit.features import read_audio

    recognizer = StreamingRecognizer(ensemble, config, keep_windows=keep_windows)
    rate = recognizer.params.sample_rate
    clip = read_audio(path, rate, max_samples=None)
    return listen_array(recognizer, clip.audio, str(path), chunk_ms, clip.fixups)


def listen_array(
    recognizer: StreamingRecognizer,
    audio: np.ndarray,
    name: str = "<array>",
    chunk_ms: float = 100.0,
    notes: list[str] | None = None,
) -> ListenResult:
    """Push ``audio`` (mono, at the front end's rate) through ``recognizer`` in chunks."""
    chunk = max(1, round(chunk_ms * recognizer.params.sample_rate / 1000))
    detections: list[Detection] = []
    for i in range(0, len(audio), chunk):
        detections += recognizer.push(audio[i : i + chunk])
    ens, cfg = recognizer.ensemble, recognizer.config
    return ListenResult(
        name,
        detections,
        recognizer.stats.to_dict(),
        len(ens),
        ens.runner.backend,
        {**asdict(cfg), "policy": {f: getattr(cfg.policy, f) for f in FIELDS}},
        list(notes or []),
        list(recognizer.windows) if recognizer.keep_windows else None,
    )
