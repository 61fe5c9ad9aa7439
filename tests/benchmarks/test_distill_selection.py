"""benchmarks/distill_selection.py: the best-of-k gain and the rank correlation it reports."""

import pytest

from benchmarks.distill_selection import best_of_k_gain, spearman


def test_gain_is_positive_when_the_score_ranks_accuracy() -> None:
    # score order = accuracy order: the best-scored of each pair is its better student
    scores, accs = [-3.0, -2.0, -1.0], [80.0, 84.0, 90.0]
    # pairs (80,84) (80,90) (84,90): best minus mean = 2, 5, 3
    assert best_of_k_gain(scores, accs, 2) == pytest.approx(10 / 3)
    assert spearman(scores, accs) == pytest.approx(1.0)


def test_gain_is_negative_when_the_score_ranks_accuracy_backwards() -> None:
    scores, accs = [-1.0, -2.0, -3.0], [80.0, 84.0, 90.0]
    assert best_of_k_gain(scores, accs, 2) == pytest.approx(-10 / 3)
    assert spearman(scores, accs) == pytest.approx(-1.0)


def test_choosing_among_all_students_is_the_best_scored_one_minus_the_mean() -> None:
    scores, accs = [-2.0, -1.0, -3.0, -4.0], [70.0, 75.0, 90.0, 85.0]
    assert best_of_k_gain(scores, accs, 4) == pytest.approx(75.0 - 80.0)
