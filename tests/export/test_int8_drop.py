"""Issue 14 item 9: an int8 bundle that loses more than the allowed accuracy is refused."""

from __future__ import annotations

import pytest

from edgekit.errors import EdgekitError
from edgekit.export.exporter import ExportOptions
from edgekit.export.parity import INT8_MAX_DROP, int8_drop_failure


def test_default_allows_one_point() -> None:
    assert INT8_MAX_DROP == 0.01 and ExportOptions().max_int8_drop == INT8_MAX_DROP


def test_a_drop_beyond_the_limit_names_the_prefix_points_and_the_fixes() -> None:
    message = int8_drop_failure([0.90, 0.95], [0.90, 0.92], 1000, 0.01)
    assert message is not None
    assert message.startswith("int8 F_2 loses 3.00 accuracy points against float on 1000")
    assert "(allowed 1.00)" in message and "--max-int8-drop" in message


def test_a_drop_within_the_limit_passes() -> None:
    assert int8_drop_failure([0.90, 0.95], [0.90, 0.945], 1000, 0.01) is None
    assert int8_drop_failure([0.90, 0.95], [0.90, 0.92], 1000, 0.05) is None


def test_one_flipped_sample_on_a_tiny_split_is_not_a_refusal() -> None:
    assert int8_drop_failure([1.0], [13 / 14], 14, 0.01) is None  # 7.1 points: one series
    assert int8_drop_failure([1.0], [12 / 14], 14, 0.01) is not None


@pytest.mark.parametrize("drop", [-0.01, 1.5])
def test_the_limit_must_be_a_share_of_accuracy(drop: float) -> None:
    with pytest.raises(EdgekitError, match=r"--max-int8-drop must be 0\.\.100 points"):
        ExportOptions(max_int8_drop=drop)
