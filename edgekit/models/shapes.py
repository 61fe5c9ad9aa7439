"""Shape arithmetic of every architecture, without torch.

The models and the analytic cost accounting both read their geometry from here, so a member's
activation shape and MAC count are known before (or without) building it.
"""

from __future__ import annotations

from collections.abc import Sequence

from edgekit.models.spec import ModelSpec, ModelSpecError

# DS-CNN's first convolution, as in MLPerf Tiny's keyword-spotting model.
DSCNN_STEM_KERNEL = (10, 4)
DSCNN_STEM_STRIDE = (2, 2)
DSCNN_DW_KERNEL = 3


def _positive_ints(name: str, shape: object, rank: int, what: str) -> tuple[int, ...]:
    if isinstance(shape, Sequence) and not isinstance(shape, str) and len(shape) == rank:
        values = tuple(shape)
        if all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values):
            return tuple(int(v) for v in values)
    raise ModelSpecError(f"{name}: expected {what} of positive integers, got {shape!r}")


def conv_length(length: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution (PyTorch's floor rule)."""
    return (length + 2 * padding - kernel) // stride + 1


def same_padding(length: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same" padding (before, after): output ceil(length / stride), extra pad after."""
    out = -(-length // stride)
    total = max((out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


def cnn1d_lengths(spec: ModelSpec, time: int) -> tuple[tuple[int, int], ...]:
    """(conv output length, length after pooling) of each cnn1d block."""
    lengths = []
    frames = time
    for block in range(spec.layers):
        stride = spec.stride if block == 0 else 1
        conv = conv_length(time, spec.kernel, stride, spec.kernel // 2)
        pooled = conv // spec.pool
        if conv < 1 or pooled < 1:
            raise ModelSpecError(
                f"input_shape: expected enough frames for {spec} (block {block + 1} of "
                f"{spec.layers} gets {min(conv, pooled)} frames), got {frames} frames"
            )
        lengths.append((conv, pooled))
        time = pooled
    return tuple(lengths)


def dscnn_grid(time: int, feats: int) -> tuple[int, int]:
    """Spatial size (T', F') after DS-CNN's strided first conv; every later layer keeps it."""
    return -(-time // DSCNN_STEM_STRIDE[0]), -(-feats // DSCNN_STEM_STRIDE[1])


def check_num_classes(num_classes: object) -> int:
    """Validate the number of logits a model emits."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ModelSpecError(f"num_classes: expected an integer >= 1, got {num_classes!r}")
    return num_classes


def check_input_shape(spec: ModelSpec, input_shape: object) -> tuple[int, int]:
    """Validate (time, channels) for this spec; raise ``ModelSpecError`` saying what is wrong."""
    time, channels = _positive_ints("input_shape", input_shape, 2, "(time, channels)")
    if spec.arch == "cnn1d":
        cnn1d_lengths(spec, time)
    if spec.rank_w is not None and spec.rank_w > channels:
        raise ModelSpecError(
            f"ModelSpec.rank_w: expected at most the {channels} input channels (a larger rank "
            f"costs more than full rank), got {spec.rank_w}"
        )
    return time, channels


def activation_shape(spec: ModelSpec, input_shape: tuple[int, int]) -> tuple[int, ...]:
    """Per-sample shape of the connection activation a model of this spec emits.

    Recurrent: the last layer's final hidden state (width,). cnn1d: the feature map after the
    first block (width, T'). dscnn: the feature map after the first conv (width, T', F').
    """
    time, feats = check_input_shape(spec, input_shape)
    if spec.recurrent:
        return (spec.width,)
    if spec.arch == "cnn1d":
        return (spec.width, cnn1d_lengths(spec, time)[0][1])
    return (spec.width, *dscnn_grid(time, feats))


def check_connection_shape(
    spec: ModelSpec, input_shape: tuple[int, int], connection_shape: object
) -> tuple[int, ...] | None:
    """Validate the per-sample shape of the activation a connected model receives.

    Only the channel count may differ from this model's own activation: recurrent models take
    any hidden size (a projection maps it), CNNs concatenate along channels and so need the
    same time (and frequency) extent.
    """
    if connection_shape is None:
        return None
    own = activation_shape(spec, input_shape)
    what = "(hidden,)" if spec.recurrent else f"(channels, {', '.join(map(str, own[1:]))})"
    shape = _positive_ints("connection_shape", connection_shape, len(own), what)
    if shape[1:] != own[1:]:
        raise ModelSpecError(
            f"connection_shape: expected {what} to match the activation after the first block of "
            f"{spec} on input {tuple(input_shape)}, got {shape}; members connect only when their "
            "first blocks give the same time (and frequency) extent (same kernel and stride)"
        )
    return shape
