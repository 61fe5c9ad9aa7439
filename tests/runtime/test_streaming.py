"""The streaming recognizer: one-shot features per window, chunk-size invariance on every
backend and precision, the detection rules, and the compute share of real time."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgekit.errors import DataError, EdgekitError
from edgekit.features import logmel
from edgekit.runtime import (
    Policy,
    Prediction,
    ProgressiveEnsemble,
    StreamConfig,
    StreamingRecognizer,
)
from edgekit.runtime.listen import listen_array
from tests.runtime.conftest import SPEECH_FRONTEND, FakeClock, Ticking, stream_audio

EARLY_EXIT = StreamConfig(threshold=0.3, smooth_ms=200, min_gap_ms=500, policy=Policy(margin=2.0))


@pytest.fixture(scope="module")
def ensembles(speech_bundles: dict[str, Path]) -> dict[str, ProgressiveEnsemble]:
    return {name: ProgressiveEnsemble.load(path, warmup=1) for name, path in speech_bundles.items()}


def summary(recognizer: StreamingRecognizer, audio: np.ndarray, chunk: int) -> tuple[Any, ...]:
    recognizer.reset()
    result = listen_array(recognizer, audio, chunk_ms=1000 * chunk / 16000)
    assert result.windows is not None
    windows = [
        (w.time_s, w.members, w.macs, w.stopped_by, w.label, w.score) for w in result.windows
    ]
    return result.detections, windows


@pytest.mark.parametrize("name", ["onnx-float", "onnx-int8", "tflite-float", "tflite-int8"])
def test_results_do_not_depend_on_chunk_size(
    ensembles: dict[str, ProgressiveEnsemble], name: str
) -> None:
    recognizer = StreamingRecognizer(ensembles[name], EARLY_EXIT, keep_windows=True)
    audio = stream_audio()
    detections, windows = summary(recognizer, audio, len(audio))
    frames = (1 + (len(audio) - 400) // 160) // 10 * 10  # in whole strides of 10 frames
    assert detections and len(windows) == (frames - 70) // 10 + 1  # the first once 64 are in
    assert len({w[1] for w in windows}) > 1  # members per window really vary
    assert {"quiet", "suppressed"} < {w[3] for w in windows}  # both shortcuts, and the policy
    for chunk in (7, 160, 1601, 4001):
        assert summary(recognizer, audio, chunk) == (detections, windows), chunk


def test_each_window_is_the_one_shot_front_end_and_ensemble(
    ensembles: dict[str, ProgressiveEnsemble],
) -> None:
    ens = ensembles["onnx-float"]
    seen: list[tuple[np.ndarray, Prediction]] = []
    predict = ens.predict

    def spy(x: np.ndarray, policy: Any = None) -> Prediction:
        pred = predict(x, policy)
        seen.append((x.copy(), pred))
        return pred

    every_window = StreamConfig(stride_ms=50, skip_suppressed=False, quiet_gate=None)
    recognizer = StreamingRecognizer(ens, every_window)
    recognizer.ensemble = spy_ensemble = _Spy(ens, spy)  # type: ignore[assignment]
    audio = stream_audio(3.0)
    recognizer.push(audio)
    raw = logmel(audio, replace(SPEECH_FRONTEND, clip_samples=len(audio)))
    norm = ens.manifest.normalization
    assert norm is not None
    features = (raw - np.asarray(norm["mean"], np.float32)) / np.asarray(norm["std"], np.float32)
    ends = range(65, 1 + (len(audio) - 400) // 160, 5)  # a window every 5 frames, once 64 are in
    assert len(seen) == len(ends) == recognizer.stats.windows
    scale = np.abs(features).max()
    for end, (x, pred) in zip(ends, seen, strict=True):
        assert np.abs(x - features[end - 64 : end]).max() <= 1e-5 * scale
        np.testing.assert_array_equal(pred.logits, ens.predict(x).logits)
    assert spy_ensemble.calls == len(seen)


class _Spy:
    """An ensemble whose predict is replaced (the recognizer needs manifest, clock, predict)."""

    def __init__(self, ens: ProgressiveEnsemble, predict: Any) -> None:
        self.manifest, self.clock, self.runner, self.calls = ens.manifest, ens.clock, ens.runner, 0
        self._predict = predict

    def predict(self, x: np.ndarray, policy: Any = None) -> Prediction:
        self.calls += 1
        return self._predict(x, policy)  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self.manifest.members)


S, Y, N, U = [10.0, 0, 0], [0, 10.0, 0], [0, 0, 10.0], [0, 1.0, 0.9]  # silence, yes, no, unsure


class Scripted(_Spy):
    """Windows answer from a script of logits over ("_silence_", "yes", "no")."""

    def __init__(self, ens: ProgressiveEnsemble, script: list[list[float]]) -> None:
        super().__init__(ens, self._answer)
        self.manifest = replace(ens.manifest, class_names=("_silence_", "yes", "no"))
        self.script = script

    def _answer(self, x: np.ndarray, policy: Any = None) -> Prediction:
        row = np.array([self.script[self.calls - 1]], np.float32)
        return Prediction(row, 1, 7, 0.0, [0.0], "all", self.manifest.class_names)


def detections(
    ens: ProgressiveEnsemble, script: list[list[float]], config: StreamConfig
) -> list[tuple[float, str, int]]:
    scripted = Scripted(ens, script)
    # the script stands in for the words: the silent audio under it would be all quiet
    config = replace(config, quiet_gate=None)
    recognizer = StreamingRecognizer(scripted, config)  # type: ignore[arg-type]
    samples = 400 + (70 + 10 * (len(script) - 1) - 1) * 160  # exactly len(script) windows
    found = recognizer.push(np.zeros(samples, np.float32))
    assert recognizer.stats.windows == len(script) == scripted.calls
    return [(round(d.time_s, 3), d.class_name, d.members) for d in found]


def test_threshold_suppression_and_fillers(ensembles: dict[str, ProgressiveEnsemble]) -> None:
    ens = ensembles["onnx-float"]
    script = [S, Y, Y, N, U, S, S, S, S, S, S, N, Y]  # windows end at 0.715 s + 0.1 s each
    config = StreamConfig(smooth_ms=100, threshold=0.8, min_gap_ms=1000)
    # _silence_ is never reported; the second yes and the no 0.2 s later are suppressed; the
    # unsure window is below the threshold; the next no comes exactly 1 s after the yes
    assert detections(ens, script, config) == [(0.815, "yes", 1), (1.815, "no", 1)]
    assert detections(ens, script, replace(config, min_gap_ms=0)) == [
        (0.815, "yes", 1),
        (0.915, "yes", 1),
        (1.015, "no", 1),
        (1.815, "no", 1),
        (1.915, "yes", 1),
    ]


def test_smoothing_needs_agreeing_windows(ensembles: dict[str, ProgressiveEnsemble]) -> None:
    ens = ensembles["onnx-float"]
    script = [S, S, Y, S, S, Y, Y, Y, S]
    config = StreamConfig(smooth_ms=300, threshold=0.8)
    assert detections(ens, script, config) == [(1.415, "yes", 1)]  # the third yes in a row
    # without smoothing the lone yes fires too (and with no gap, every yes window)
    assert detections(ens, script, replace(config, smooth_ms=100, min_gap_ms=0)) == [
        (0.915, "yes", 1),
        (1.215, "yes", 1),
        (1.315, "yes", 1),
        (1.415, "yes", 1),
    ]
    # naming what to ignore replaces the default (_like_this_ names), so silence is reported
    assert detections(ens, script, replace(config, ignore=("yes",))) == [(0.715, "_silence_", 1)]


def test_compute_share_of_real_time(speech_bundles: dict[str, Path]) -> None:
    """Members of 1 ms (fake clock); a 1.5 % share of a 100 ms stride is 1.5 ms per window: the
    stream alternates 1 and 2 members and never spends more than its share plus one member."""
    ens = ProgressiveEnsemble.load(speech_bundles["onnx-float"], warmup=1)
    clock = FakeClock()
    ens.clock = clock
    ens.runner.sessions = [Ticking(s, clock, 0.001) for s in ens.runner.sessions]
    ens.member_seconds = [0.001] * len(ens)
    audio = stream_audio()
    for share, mean in ((0.015, 1.5), (0.5, 3.0)):
        config = StreamConfig(compute_share=share, skip_suppressed=False, quiet_gate=None)
        recognizer = StreamingRecognizer(ens, config, keep_windows=True)
        recognizer.push(audio)
        windows = recognizer.windows
        spent = sum(w.compute_ms for w in windows)
        assert spent <= share * 100 * len(windows) + 1.0
        assert recognizer.stats.mean_members == pytest.approx(mean, abs=0.05)
        assert recognizer.stats.realtime_factor >= 1 / share * 0.9
    tight = StreamConfig(  # the tighter wins
        compute_share=0.5, policy=Policy(deadline_ms=2.5), skip_suppressed=False, quiet_gate=None
    )
    recognizer = StreamingRecognizer(ens, tight)
    recognizer.push(audio)
    assert recognizer.stats.members_histogram == {2: recognizer.stats.windows}


def test_bad_streams(ensembles: dict[str, ProgressiveEnsemble], onnx_bundle: Path) -> None:
    with pytest.raises(DataError, match=r"no front end.*cannot listen"):
        StreamingRecognizer(ProgressiveEnsemble.load(onnx_bundle, warmup=0))
    ens = ensembles["onnx-float"]
    with pytest.raises(EdgekitError, match=r"stride_ms \(105\) must be a whole number"):
        StreamingRecognizer(ens, StreamConfig(stride_ms=105))
    with pytest.raises(EdgekitError, match=r"threshold must be in \(0, 1\].*compute_share"):
        StreamConfig(threshold=0, compute_share=2)
    recognizer = StreamingRecognizer(ens)
    with pytest.raises(DataError, match="NaN or infinite"):
        recognizer.push(np.array([0.0, np.nan], np.float32))
    with pytest.raises(DataError, match=r"mono samples \[n\]"):
        recognizer.push(np.zeros((2, 100), np.float32))
