"""The fresh-draw check: its streams are new, and its bar count is the issue's bar."""

from __future__ import annotations

from benchmarks.streaming import CALIBRATION, SNR_DB
from benchmarks.streaming_draws import draw_seed, summary


def test_fresh_draws_never_reuse_a_reported_or_calibration_stream() -> None:
    used = {seed for _, seed in CALIBRATION} | set(SNR_DB)  # streaming.py: seed = SNR
    assert {draw_seed(0, snr) for snr in SNR_DB} == set(SNR_DB)  # draw 0 is streaming.md's
    fresh = {draw_seed(d, snr) for d in range(1, 6) for snr in SNR_DB}
    assert len(fresh) == 15 and not fresh & used


def _draw(full: float, early: float) -> dict[str, object]:
    row = {"false_alarms": 100, "mean_members": 2.0}
    return {"pooled": {"full": {**row, "recall": full}, "early_exit": {**row, "recall": early}}}


def test_summary_counts_draws_within_one_point() -> None:
    s = summary([_draw(0.50, 0.495), _draw(0.50, 0.489), _draw(0.50, 0.4901)], k=4)
    assert s["draws_within_bar"] == 2  # -0.5 and -0.99 points pass, -1.1 does not
    assert abs(s["recall_delta_mean"] - (-0.5 - 1.1 - 0.99) / 3) < 1e-9
    assert s["member_share"] == [0.5, 0.5, 0.5]
