"""Windows that cannot matter cost less: inside the suppression gap member 1 alone (exact: the
same detections), quiet ones (nothing above the background) no member at all, each at a known
point."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgekit.runtime import Prediction, ProgressiveEnsemble, StreamConfig, StreamingRecognizer
from edgekit.runtime.listen import listen_array
from tests.runtime.test_streaming import N, S, Scripted, U, Y

NO_SHORTCUTS = StreamConfig(skip_suppressed=False, quiet_gate=None)


class Partial(Scripted):
    """The script's row with all members; a wrong answer (a confident "no") from member 1 alone,
    so a shortcut taken where it matters changes the detections."""

    def _answer(self, x: np.ndarray, policy: Any = None) -> Prediction:
        alone = policy is not None and policy.max_members == 1
        row = np.array([N if alone else self.script[self.calls - 1]], np.float32)
        members = 1 if alone else 4
        return Prediction(row, members, 7, 0.0, [0.0] * members, "all", self.manifest.class_names)


def run_script(
    ens: ProgressiveEnsemble, script: list[list[float]], config: StreamConfig
) -> tuple[list[tuple[float, str, float]], list[str]]:
    """(detections, each window's stop reason) for a scripted stream of silent audio."""
    recognizer = StreamingRecognizer(Partial(ens, script), config, keep_windows=True)  # type: ignore[arg-type]
    samples = 400 + (70 + 10 * (len(script) - 1) - 1) * 160  # exactly len(script) windows
    found = recognizer.push(np.zeros(samples, np.float32))
    summary = [(round(d.time_s, 3), d.class_name, round(d.score, 3)) for d in found]
    return summary, [w.stopped_by for w in recognizer.windows]


@pytest.fixture(scope="module")
def ens(speech_bundles: dict[str, Path]) -> ProgressiveEnsemble:
    return ProgressiveEnsemble.load(speech_bundles["onnx-float"], warmup=1)


def test_suppressed_windows_are_the_ones_that_cannot_change_a_detection(
    ens: ProgressiveEnsemble,
) -> None:
    config = replace(NO_SHORTCUTS, skip_suppressed=True)  # 300 ms smoothing, 1 s gap
    found, reasons = run_script(ens, [Y] + [U] * 14, config)
    assert found == [(0.715, "yes", 1.0)]  # the first window fires (its average is itself)
    # windows 1-7 feed only scores inside the gap (up to 200 ms later); 8 and 9 feed window 10's
    assert reasons == ["all"] + ["suppressed"] * 7 + ["all"] * 7
    assert run_script(ens, [Y] + [U] * 14, NO_SHORTCUTS)[0] == found


def test_skipping_suppressed_windows_never_changes_the_detections(
    ens: ProgressiveEnsemble,
) -> None:
    rng = np.random.default_rng(3)
    script: list[list[float]] = []
    while len(script) < 300:  # runs of 1-4 equal windows, as a word spans several
        script += [[S, Y, N, U][rng.choice(4, p=[0.4, 0.25, 0.25, 0.1])]] * rng.integers(1, 5)
    for config in (
        NO_SHORTCUTS,
        replace(NO_SHORTCUTS, smooth_ms=500, min_gap_ms=700, threshold=0.6),
    ):
        want, _ = run_script(ens, script, config)
        got, reasons = run_script(ens, script, replace(config, skip_suppressed=True))
        assert got == want and len(want) > 10, config
        assert 20 < reasons.count("suppressed") < len(reasons) / 2
    # a shortcut where it matters would change them: silence is all quiet, and hears nothing
    quiet, reasons = run_script(ens, script, replace(NO_SHORTCUTS, quiet_gate=1.0))
    assert set(reasons) == {"quiet"} and quiet == [] != want


def burst_audio() -> np.ndarray:
    """2 s of faint noise, a 0.5 s tone at 2.0 s, then 2.5 s of the same noise."""
    rng = np.random.default_rng(0)
    audio = 0.002 * rng.standard_normal(5 * 16000)
    t = np.arange(8000) / 16000
    audio[32000:40000] += 0.3 * np.sin(2 * np.pi * 1000 * t)
    return audio.astype(np.float32)


def test_quiet_windows_are_those_without_the_burst(ens: ProgressiveEnsemble) -> None:
    config = replace(NO_SHORTCUTS, quiet_gate=1.0)
    recognizer = StreamingRecognizer(ens, config, keep_windows=True)
    listen_array(recognizer, burst_audio(), chunk_ms=30)
    reason = {round(w.time_s, 3): w.stopped_by for w in recognizer.windows}
    members = {round(w.time_s, 3): w.members for w in recognizer.windows}
    # windows span 0.64 s; the burst covers 2.0-2.5 s
    before = [t for t in reason if t < 2.0]
    during = [t for t in reason if 2.1 <= t <= 2.6]
    after = [t for t in reason if t >= 2.5 + 0.64 + 0.05]
    assert before and during and after
    assert all(reason[t] == "quiet" and members[t] == 0 for t in before + after)
    assert all(reason[t] == "all" and members[t] == len(ens) for t in during)
    assert recognizer.stats.shortcuts["quiet"] >= len(before) + len(after)


class Yes(Partial):
    """Every window the ensemble runs says "yes" with every member (a counting stand-in)."""

    def _answer(self, x: np.ndarray, policy: Any = None) -> Prediction:
        members = 1 if policy is not None and policy.max_members == 1 else 4
        row = np.array([Y], np.float32)
        return Prediction(row, members, 7, 0.0, [0.0] * members, "all", self.manifest.class_names)


def test_quiet_windows_run_nothing_never_fire_and_hold_back_the_next_two(
    ens: ProgressiveEnsemble,
) -> None:
    config = replace(NO_SHORTCUTS, quiet_gate=1.0)  # 300 ms smoothing: three windows averaged
    yes = Yes(ens, [])
    recognizer = StreamingRecognizer(yes, config, keep_windows=True)  # type: ignore[arg-type]
    found = listen_array(recognizer, burst_audio(), chunk_ms=100).detections
    loud = [w for w in recognizer.windows if w.stopped_by != "quiet"]
    assert yes.calls == len(loud) == recognizer.stats.windows - recognizer.stats.shortcuts["quiet"]
    quiet = next(w for w in recognizer.windows if w.stopped_by == "quiet")
    assert quiet.members == quiet.macs == 0 and quiet.posterior == pytest.approx((1 / 3,) * 3)
    # the first loud window averages two uniform windows with its yes: (1/3 + 1/3 + 1) / 3 < 0.8
    # and the second (1/3 + 1 + 1) / 3 < 0.8; the third fires
    assert found[0].time_s == loud[2].time_s and found[0].class_name == "yes"
    everything = StreamingRecognizer(Yes(ens, []), NO_SHORTCUTS)  # type: ignore[arg-type]
    assert listen_array(everything, burst_audio()).detections[0].time_s < 1.0  # the first window
    # a quiet window cannot fire even where its uniform posterior would pass the threshold
    silent = replace(config, threshold=0.3, smooth_ms=100, ignore=())
    nothing = StreamingRecognizer(Yes(ens, []), silent)  # type: ignore[arg-type]
    assert nothing.push(np.zeros(3 * 16000, np.float32)) == []
    assert nothing.stats.shortcuts["quiet"] == nothing.stats.windows > 20
