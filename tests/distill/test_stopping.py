"""The stop rule: each reason fires where it should and not before."""

from __future__ import annotations

from edgekit.distill.stopping import RoundOutcome, StopRule, stop_reason


def rounds(*accs: float, step: float = 0.05) -> list[RoundOutcome]:
    return [RoundOutcome(i + 1, step * (i + 1), a) for i, a in enumerate(accs)]


def test_no_history_runs_a_round() -> None:
    assert stop_reason(StopRule(), [], 0.9) is None


def test_member_cap() -> None:
    rule = StopRule(max_members=3)
    assert stop_reason(rule, rounds(0.5, 0.6), 0.9) is None
    assert stop_reason(rule, rounds(0.5, 0.6, 0.7), 0.9) == "member cap"


def test_mac_cap_now_and_for_the_cheapest_next_member() -> None:
    rule = StopRule(mac_cap=0.5)
    assert stop_reason(rule, rounds(0.5, 0.6, step=0.25), 0.9) == "mac cap"
    assert stop_reason(rule, rounds(0.5, step=0.3), 0.9, cheapest_next_fraction=0.1) is None
    assert stop_reason(rule, rounds(0.5, step=0.3), 0.9, cheapest_next_fraction=0.25) == "mac cap"


def test_teacher_reached() -> None:
    assert stop_reason(StopRule(), rounds(0.8, 0.91), 0.9) == "teacher reached"
    assert stop_reason(StopRule(), rounds(0.8, 0.91), None) is None


def test_plateau_needs_consecutive_small_gains() -> None:
    rule = StopRule(plateau_gain=0.005, plateau_rounds=2)
    assert stop_reason(rule, rounds(0.70, 0.80, 0.802), 0.95) is None  # one small gain
    assert stop_reason(rule, rounds(0.70, 0.80, 0.802, 0.803), 0.95) == "plateau"
    assert stop_reason(rule, rounds(0.70, 0.80, 0.802, 0.82), 0.95) is None
    off = StopRule(plateau_gain=0.0)
    assert stop_reason(off, rounds(0.7, 0.7, 0.7, 0.7), 0.95) is None
