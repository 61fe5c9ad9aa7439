"""Reference costs by hand, the int8 byte rule, tiny-versus-teacher ratios, torch-free import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from edgekit.cost import ZERO_COST, Cost, layer_costs, model_cost
from edgekit.models import ModelSpecError

DSA = (125, 45)
KWS = (99, 32)


def test_dscnn_64x4_is_mlperf_sized() -> None:
    # 50 x 16 grid after the stride-2 stem; per position: stem 64*40, 4 x (dw 64*9 + pw 64*64).
    macs = 50 * 16 * (64 * 40 + 4 * (64 * 9 + 64 * 64)) + 64 * 8
    assert model_cost("dscnn-64x4", KWS, 8).macs == macs == 16_998_912


def test_recurrent_macs_by_formula() -> None:
    t, c = DSA
    assert model_cost("lstm-128", DSA, 19).macs == t * 4 * 128 * (c + 128) + 128 * 19
    assert model_cost("gru-32", DSA, 19).macs == t * 3 * 32 * (c + 32) + 32 * 19
    assert model_cost("fastgrnn-32", DSA, 19).macs == t * 32 * (c + 32) + 32 * 19
    low_rank = t * (c * 8 + 8 * 32 + 32 * 8 + 8 * 32) + 32 * 19
    assert model_cost("fastgrnn-32-r8", DSA, 19).macs == low_rank
    # A connection adds one projection, run once: 16 -> 32.
    connected = model_cost("gru-32", DSA, 19, connection_shape=(16,))
    assert connected.macs == model_cost("gru-32", DSA, 19).macs + 16 * 32


def test_cnn1d_macs_by_formula() -> None:
    # k=5, first stride 2, max-pool 2: 125 -> conv 63 -> 31 -> conv 31 -> 15 -> conv 15 -> 7.
    macs = 63 * 45 * 5 * 8 + 31 * 8 * 5 * 8 + 15 * 8 * 5 * 8 + 8 * 19
    assert model_cost("cnn1d-8", DSA, 19).macs == macs
    # Connected: the second block takes 8 + 16 channels.
    connected = model_cost("cnn1d-8", DSA, 19, connection_shape=(16, 31))
    assert connected.macs == macs + 31 * 16 * 5 * 8


def test_int8_bytes_rule() -> None:
    # cnn1d-8 on (125, 45), 19 classes, BatchNorm folded: per conv, int8 weights + per-channel
    # float32 scales + int32 folded biases; head: weights + scales + int32 biases.
    convs = [45 * 5 * 8, 8 * 5 * 8, 8 * 5 * 8]
    expected = sum(w + 4 * 8 + 4 * 8 for w in convs) + (8 * 19 + 4 * 19 + 4 * 19)
    assert model_cost("cnn1d-8", DSA, 19).bytes_int8 == expected
    # FastGRNN: matrices at 1 byte + scales; biases and zeta, nu at 4 bytes.
    fast = model_cost("fastgrnn-8", (10, 3), 2)
    assert fast.bytes_int8 == (3 * 8 + 4 * 8) + (8 * 8 + 4 * 8) + 4 * (2 * 8 + 2) + (16 + 8 + 8)


@pytest.mark.parametrize(
    ("student", "teacher", "shape", "classes", "bound"),
    [
        ("cnn1d-8", "cnn1d-128", DSA, 19, 0.03),
        ("dscnn-8x4", "dscnn-64x4", KWS, 8, 0.05),
        ("dscnn-8x2", "dscnn-64x4", KWS, 8, 0.03),
    ],
)
def test_tiny_students_cost_a_small_fraction_of_the_teacher(
    student: str, teacher: str, shape: tuple[int, int], classes: int, bound: float
) -> None:
    ratio = model_cost(student, shape, classes).macs / model_cost(teacher, shape, classes).macs
    assert ratio < bound


def test_costs_add_up() -> None:
    a = model_cost("cnn1d-8", DSA, 19)
    b = model_cost("cnn1d-16", DSA, 19, connection_shape=(8, 31))
    total = ZERO_COST + a + b
    assert total == Cost(
        a.params + b.params, a.macs + b.macs, a.bytes_float32 + b.bytes_float32,
        a.bytes_int8 + b.bytes_int8,
    )  # fmt: skip
    assert sum(layer.macs for layer in layer_costs("cnn1d-16", DSA, 19)) == (
        model_cost("cnn1d-16", DSA, 19).macs
    )


def test_bad_arguments_are_the_models_errors() -> None:
    with pytest.raises(ModelSpecError, match="connection_shape"):
        model_cost("cnn1d-8", DSA, 19, connection_shape=(8, 63))
    with pytest.raises(ModelSpecError, match=r"ModelSpec\.arch"):
        model_cost("resnet-8", DSA, 19)
    with pytest.raises(ValueError, match="num_classes"):
        model_cost("gru-8", DSA, 0)


def test_cost_accounting_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from edgekit.cost import model_cost\n"
        "model_cost('dscnn-64x4', (99, 32), 8)\n"
        "model_cost('fastgrnn-32-r8', (125, 45), 19, connection_shape=(16,))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
