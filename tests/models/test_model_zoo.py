"""Every architecture: output shapes, connection ports, shape errors, state_dict round trip."""

from __future__ import annotations

import io

import pytest
import torch

from edgekit.models import EdgeModel, ModelSpecError, build_model

BATCH = 3
CLASSES = 5

# (spec, input shape, spec of a previous member to connect from)
CASES = [
    ("lstm-8", (12, 5), "lstm-6"),
    ("lstm-8x2", (12, 5), "gru-4"),
    ("gru-8", (12, 5), "fastgrnn-6"),
    ("gru-8x2", (12, 5), "gru-8x2"),
    ("fastgrnn-8", (12, 5), "lstm-3"),
    ("fastgrnn-8x2-r3", (12, 5), "fastgrnn-4"),
    ("fastgrnn-8-rw2-ru4", (12, 5), "gru-6"),
    ("cnn1d-8", (40, 5), "cnn1d-4"),
    ("cnn1d-8x2-k3-s1-p1", (40, 5), "cnn1d-12x4-k5-s1-p1"),
    ("dscnn-8x1", (21, 10), "dscnn-4x2"),
    ("dscnn-6x3", (21, 10), "dscnn-8x1"),
]
IDS = [case[0] for case in CASES]


def _pair(spec: str, shape: tuple[int, int], prev_spec: str) -> tuple[EdgeModel, EdgeModel]:
    torch.manual_seed(0)
    prev = build_model(prev_spec, shape, CLASSES)
    model = build_model(spec, shape, CLASSES, connection_shape=prev.activation_shape)
    return prev.eval(), model.eval()


@pytest.mark.parametrize(("spec", "shape", "prev_spec"), CASES, ids=IDS)
def test_shapes_without_connection(spec: str, shape: tuple[int, int], prev_spec: str) -> None:
    model = build_model(spec, shape, CLASSES)
    assert model.connection_shape is None
    out = model(torch.randn(BATCH, *shape))
    assert out.logits.shape == (BATCH, CLASSES)
    assert out.activation.shape == (BATCH, *model.activation_shape)
    assert out.logits.dtype == torch.float32


@pytest.mark.parametrize(("spec", "shape", "prev_spec"), CASES, ids=IDS)
def test_connected_output_depends_on_the_incoming_activation(
    spec: str, shape: tuple[int, int], prev_spec: str
) -> None:
    prev, model = _pair(spec, shape, prev_spec)
    assert model.connection_shape == prev.activation_shape
    x = torch.randn(BATCH, *shape)
    with torch.no_grad():
        conn = prev(x).activation
        out = model(x, conn)
        again = model(x, conn)
        other = model(x, conn + torch.randn_like(conn))
    assert out.logits.shape == (BATCH, CLASSES)
    assert out.activation.shape == (BATCH, *model.activation_shape)
    torch.testing.assert_close(out.logits, again.logits)
    # A recurrent model's connection is its initial state, whose effect decays over frames.
    assert (out.logits - other.logits).abs().max() > 1e-6


@pytest.mark.parametrize(("spec", "shape", "prev_spec"), CASES[::3], ids=IDS[::3])
def test_gradient_reaches_the_connection(spec: str, shape: tuple[int, int], prev_spec: str) -> None:
    prev, model = _pair(spec, shape, prev_spec)
    model.train()
    conn = prev(torch.randn(BATCH, *shape)).activation.detach().requires_grad_(True)
    loss = model(torch.randn(BATCH, *shape), conn).logits.sum()
    (grad,) = torch.autograd.grad(loss, conn)
    assert grad.abs().sum() > 0


@pytest.mark.parametrize(("spec", "shape", "prev_spec"), CASES, ids=IDS)
def test_connection_port_is_enforced(spec: str, shape: tuple[int, int], prev_spec: str) -> None:
    prev, model = _pair(spec, shape, prev_spec)
    plain = build_model(spec, shape, CLASSES)
    x = torch.randn(BATCH, *shape)
    conn = prev(x).activation
    with pytest.raises(ValueError, match="without a connection port"):
        plain(x, conn)
    with pytest.raises(ValueError, match="needs the previous member's activation"):
        model(x)
    with pytest.raises(ValueError, match="expected a connection of shape"):
        model(x, torch.cat([conn, conn], dim=1))
    with pytest.raises(ValueError, match="expected input"):
        model(x[:, :-1], conn)


@pytest.mark.parametrize(
    ("spec", "shape", "conn", "fragment"),
    [
        ("cnn1d-8", (40, 5), (4, 19), "connection_shape: expected (channels, 10)"),
        ("cnn1d-8", (40, 5), (4,), "connection_shape: expected (channels, 10)"),
        ("dscnn-8x1", (21, 10), (4, 11, 6), "connection_shape: expected (channels, 11, 5)"),
        ("gru-8", (12, 5), (4, 2), "connection_shape: expected (hidden,)"),
        ("gru-8", (12, 5), (0,), "connection_shape: expected (hidden,)"),
    ],
)
def test_mismatched_connection_shape_is_a_build_error(
    spec: str, shape: tuple[int, int], conn: tuple[int, ...], fragment: str
) -> None:
    with pytest.raises(ModelSpecError) as info:
        build_model(spec, shape, CLASSES, connection_shape=conn)
    assert fragment in str(info.value)
    assert f"got {conn}" in str(info.value)


def test_cnn1d_members_of_different_strides_do_not_connect() -> None:
    prev = build_model("cnn1d-8-s1", (40, 5), CLASSES)
    with pytest.raises(ModelSpecError, match="same kernel and stride"):
        build_model("cnn1d-8", (40, 5), CLASSES, connection_shape=prev.activation_shape)


@pytest.mark.parametrize(
    ("spec", "shape", "classes", "fragment"),
    [
        ("cnn1d-8", (40,), CLASSES, "input_shape: expected (time, channels)"),
        ("cnn1d-8", (40, 0), CLASSES, "input_shape: expected (time, channels)"),
        ("cnn1d-8", (40.0, 5), CLASSES, "input_shape: expected (time, channels)"),
        ("cnn1d-8", (6, 5), CLASSES, "block 2 of 3 gets 0 frames), got 6 frames"),
        ("fastgrnn-8-rw6", (12, 5), CLASSES, "ModelSpec.rank_w: expected at most the 5"),
        ("gru-8", (12, 5), 0, "num_classes: expected an integer >= 1, got 0"),
        ("gru-8", (12, 5), 2.0, "num_classes"),
    ],
)
def test_bad_build_arguments(spec: str, shape: object, classes: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        build_model(spec, shape, classes)  # type: ignore[arg-type]
    assert fragment in str(info.value)


@pytest.mark.parametrize(("spec", "shape", "prev_spec"), CASES, ids=IDS)
def test_state_dict_round_trip_without_pickle(
    spec: str, shape: tuple[int, int], prev_spec: str
) -> None:
    prev, model = _pair(spec, shape, prev_spec)
    x = torch.randn(BATCH, *shape)
    conn = prev(x).activation
    model.train()
    model(x, conn)  # move BatchNorm running statistics away from their defaults
    model.eval()
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert all(isinstance(value, torch.Tensor) for value in state.values())
    torch.manual_seed(1)
    fresh = build_model(spec, shape, CLASSES, connection_shape=prev.activation_shape).eval()
    fresh.load_state_dict(state)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x, conn).logits, model(x, conn).logits)


def test_teacher_sizes_build() -> None:
    """The same classes serve as teachers: MLPerf's DS-CNN and a 128-channel CNN run."""
    dscnn = build_model("dscnn-64x4", (99, 32), 8)
    assert dscnn(torch.randn(1, 99, 32)).activation.shape == (1, 64, 50, 16)
    cnn = build_model("cnn1d-128", (125, 45), 19)
    assert cnn(torch.randn(1, 125, 45)).activation.shape == (1, 128, 31)
