"""FIND-WL's candidate order and budget skipping."""

from __future__ import annotations

import pytest

from edgekit.config import DistillConfig
from edgekit.cost import model_cost
from edgekit.distill.findwl import Candidate, Score, candidates, find_weak_learner, tiers
from edgekit.models import activation_shape, parse_spec

SHAPE, L = (64, 8), 8
STUDENTS = ("cnn1d-16", "gru-8", "cnn1d-4", "cnn1d-8")


def test_first_round_is_cheapest_first_without_connections() -> None:
    cands, skipped = candidates(
        STUDENTS, DistillConfig(objectives=("kd", "hybrid")), SHAPE, L, None, 1e12, True
    )
    macs = [c.macs for c in cands]
    assert macs == sorted(macs)
    assert not any(c.connected for c in cands) and not skipped
    assert [c.objective for c in cands[:2]] == ["kd", "hybrid"]  # the recipe's order at equal cost
    assert cands[0].spec == "cnn1d-4"


def test_budget_skips_with_a_reason() -> None:
    budget = model_cost("cnn1d-8", SHAPE, L).macs
    cands, skipped = candidates(STUDENTS, DistillConfig(), SHAPE, L, None, budget, True)
    assert {c.spec for c in cands} == {"cnn1d-4", "cnn1d-8"}
    assert {s.name.rsplit("-", 1)[0] for s in skipped} == {"cnn1d-16", "gru-8"}
    assert all("MACs >" in s.reason for s in skipped)


def test_connections_from_round_two() -> None:
    prev = activation_shape(parse_spec("cnn1d-4"), SHAPE)
    on, _ = candidates(STUDENTS, DistillConfig(connections="on"), SHAPE, L, prev, 1e12, False)
    by_spec = {c.spec: c.connected for c in on}
    assert by_spec["cnn1d-8"] and by_spec["cnn1d-16"]  # a feature map plugs into a CNN
    assert by_spec["gru-8"] is False  # a GRU cannot take a feature map: unconnected fallback
    both, _ = candidates(
        STUDENTS,
        DistillConfig(connections="both", objectives=("hybrid",)),
        SHAPE,
        L,
        prev,
        1e12,
        False,
    )
    assert sum(c.spec == "cnn1d-8" for c in both) == 2
    plain = next(c for c in both if c.spec == "cnn1d-8" and not c.connected)
    conn = next(c for c in both if c.spec == "cnn1d-8" and c.connected)
    assert conn.macs > plain.macs and both.index(plain) < both.index(conn)
    off, _ = candidates(STUDENTS, DistillConfig(connections="off"), SHAPE, L, prev, 1e12, False)
    assert not any(c.connected for c in off)


def test_find_weak_learner_rule() -> None:
    cands, _ = candidates(
        ("cnn1d-4", "cnn1d-8", "cnn1d-16"),
        DistillConfig(objectives=("hybrid", "independent")),
        SHAPE,
        L,
        None,
        1e12,
        False,
    )
    assert [len(t) for t in tiers(cands)] == [2, 2, 2]
    edges = {
        "cnn1d-4-hybrid": 0.01,
        "cnn1d-4-independent": 0.02,
        "cnn1d-8-hybrid": 0.04,
        "cnn1d-8-independent": 0.09,
        "cnn1d-16-hybrid": 0.5,
        "cnn1d-16-independent": 0.5,
    }
    seen: list[str] = []

    def score(tier: list[Candidate]) -> list[Score]:
        seen.extend(c.name for c in tier)
        return [{"edge": edges[c.name]} for c in tier]

    chosen, tried = find_weak_learner(cands, score, gamma_min=0.05)
    assert chosen is not None and chosen[0].name == "cnn1d-8-independent"  # best of its tier
    assert seen == [
        "cnn1d-4-hybrid",
        "cnn1d-4-independent",
        "cnn1d-8-hybrid",
        "cnn1d-8-independent",
    ]
    assert len(tried) == 4  # the dearer tier is never trained
    seen.clear()
    chosen, tried = find_weak_learner(
        cands, score, gamma_min=0.9
    )  # nobody passes: best edge per MAC
    assert (
        chosen is not None and chosen[0].name == "cnn1d-16-hybrid" and len(tried) == 6
    )  # 0.5/51k MACs
    chosen, _ = find_weak_learner(
        cands, lambda tier: [{"edge": -0.1} for _ in tier], gamma_min=0.05
    )
    assert chosen is None


def test_lookahead_lets_a_larger_student_in_when_the_small_one_stalls() -> None:
    """The cheap tier passes gamma_min with a small edge; the next tier offers more edge per
    MAC: without lookahead FIND-WL keeps taking the stalled small student, with it the larger."""
    cands, _ = candidates(
        ("cnn1d-4", "cnn1d-8", "cnn1d-16"),
        DistillConfig(objectives=("hybrid",)),
        SHAPE,
        L,
        None,
        1e12,
        False,
    )
    macs = {c.spec: c.macs for c in cands}
    assert macs["cnn1d-4"] < macs["cnn1d-8"] < macs["cnn1d-16"]
    small_edge = 0.06  # passes gamma_min = 0.05, but per MAC it is poor next to cnn1d-8
    big_edge = small_edge * macs["cnn1d-8"] / macs["cnn1d-4"] * 1.5
    edges = {"cnn1d-4-hybrid": small_edge, "cnn1d-8-hybrid": big_edge, "cnn1d-16-hybrid": 0.99}
    seen: list[str] = []

    def score(tier: list[Candidate]) -> list[Score]:
        seen.extend(c.name for c in tier)
        return [{"edge": edges[c.name]} for c in tier]

    chosen, _ = find_weak_learner(cands, score, gamma_min=0.05)
    assert chosen is not None and chosen[0].spec == "cnn1d-4" and seen == ["cnn1d-4-hybrid"]
    seen.clear()
    chosen, tried = find_weak_learner(cands, score, gamma_min=0.05, lookahead=1)
    assert chosen is not None and chosen[0].spec == "cnn1d-8"
    assert seen == ["cnn1d-4-hybrid", "cnn1d-8-hybrid"] and len(tried) == 2  # 16 never trained
    edges["cnn1d-8-hybrid"] = small_edge * 1.2  # more edge, less per MAC: the small one stays
    chosen, _ = find_weak_learner(cands, score, gamma_min=0.05, lookahead=1)
    assert chosen is not None and chosen[0].spec == "cnn1d-4"


def test_a_tier_is_scored_in_one_call_and_must_answer_for_each_candidate() -> None:
    """The tier-scoring function gets whole tiers (so ranks can share a tier's training)."""
    cands, _ = candidates(
        ("cnn1d-4", "cnn1d-8"),
        DistillConfig(objectives=("hybrid", "independent")),
        SHAPE,
        L,
        None,
        1e12,
        False,
    )
    calls: list[list[str]] = []

    def score(tier: list[Candidate]) -> list[Score]:
        calls.append([c.name for c in tier])
        return [{"edge": 0.01} for _ in tier]

    chosen, tried = find_weak_learner(cands, score, gamma_min=0.05)
    assert calls == [
        ["cnn1d-4-hybrid", "cnn1d-4-independent"],
        ["cnn1d-8-hybrid", "cnn1d-8-independent"],
    ]
    assert chosen is not None and chosen[0].spec == "cnn1d-4" and len(tried) == 4
    with pytest.raises(ValueError, match="1 scores for 2 candidates"):
        find_weak_learner(cands, lambda tier: [{"edge": 0.1}], gamma_min=0.05)
