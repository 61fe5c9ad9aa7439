"""The replay that calibrates the quiet gate is the recognizer: same detections, same members
per window, for a gate and suppression both taking windows (no model run per gate)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.streaming_replay import levels, record, replay
from edgekit.runtime import ProgressiveEnsemble, StreamConfig, StreamingRecognizer
from edgekit.runtime.listen import listen_array
from tests.runtime.conftest import speech_bundles, stream_audio  # noqa: F401 (a fixture)

CONFIG = StreamConfig(threshold=0.3, smooth_ms=200, min_gap_ms=500)


def test_replay_gives_the_recognizers_detections_and_members(
    speech_bundles: dict[str, Path],  # noqa: F811
) -> None:
    ens = ProgressiveEnsemble.load(speech_bundles["tflite-int8"], warmup=1)
    audio = stream_audio(8.0, seed=4)
    rec = record(ens, audio, CONFIG)
    level = levels(rec, StreamingRecognizer(ens).gate)
    for gate in (None, 1.0):
        real = StreamingRecognizer(ens, replace(CONFIG, quiet_gate=gate), keep_windows=True)
        want = listen_array(real, audio, chunk_ms=100).detections
        got, members = replay(
            rec, None if gate is None else level < gate, CONFIG, ens.manifest.class_names, 16000
        )
        assert [d.to_dict() for d in got] == [d.to_dict() for d in want] and want
        assert members.tolist() == [w.members for w in real.windows]
        reasons = {w.stopped_by for w in real.windows}
        assert {"suppressed", "all"} <= reasons and ("quiet" in reasons) == (gate is not None)
    # the recording is the full ensemble's: member 1 alone differs from it on some window
    assert not np.array_equal(rec.prefix[:, 0], rec.prefix[:, -1])
