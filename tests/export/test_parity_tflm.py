"""TFLM beyond one int8 step from LiteRT's reference: a note while labels agree, else refused."""

from __future__ import annotations

from typing import Any

from edgekit.export.parity import _tflm_beyond_steps


def test_a_two_step_difference_with_agreeing_labels_is_a_note() -> None:
    row: dict[str, Any] = {"tflm_vs_litert-ref_label_agreement": 1.0}
    failures: list[str] = []
    _tflm_beyond_steps(1, "litert-ref", 2.0, row, failures)
    assert failures == []
    assert row["tflm_note"] == (
        "TFLM differs from litert-ref by 2.00 logit steps (> 1); labels agree on 100.0 % of inputs"
    )


def test_disagreeing_labels_refuse_the_bundle() -> None:
    row: dict[str, Any] = {"tflm_vs_litert-ref_label_agreement": 0.9}
    failures: list[str] = []
    _tflm_beyond_steps(2, "litert-ref", 209.0, row, failures)
    assert failures == [
        "member 2: TFLM differs from litert-ref by 209.00 logit quantization steps and its "
        "labels agree on only 90.0 % of inputs (< 99 %)"
    ]
