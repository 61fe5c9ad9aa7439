"""The calibration-only rule study: its runtime statistic is the runtime gate's, and hysteresis
keeps a word's softer windows next to a loud one."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.streaming_rules import HISTORY, band_level, hysteresis
from edgekit.runtime.quiet import QuietGate


def test_the_runtime_statistic_is_the_runtime_gate() -> None:
    rng = np.random.default_rng(2)
    frames = (-5 + 0.3 * rng.standard_normal((700, 32))).astype(np.float32)
    frames[650:680, 3:9] += 2.5
    gate = QuietGate(n_mels=32, window_frames=99, hop_ms=10.0)
    gate.push(frames)
    assert band_level(8, 10, False)(frames[-HISTORY:]) == pytest.approx(gate.level(), rel=1e-6)
    # each band's rise over its own spread: a steady band's rise counts more
    assert band_level(8, 10, True)(frames[-HISTORY:]) > 2 * gate.level()


def test_hysteresis_holds_softer_windows_after_a_loud_one() -> None:
    level = np.array([0.5, 2.0, 3.5, 2.0, 2.0, 0.5, 2.0, 0.5, 0.5, 0.5, 2.0])
    # loud at 3 (3.5), then at 1.5 within 2 windows of a loud one (each extends the hold); the
    # 2.0 before the first loud window and the last, 4 windows after one, stay quiet
    quiet = hysteresis(level, high=3.0, low=1.5, hold=2)
    assert quiet.tolist() == [True, True] + [False] * 3 + [True, False] + [True] * 4
