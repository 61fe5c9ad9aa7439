"""Analytic cost of a model from its spec, without building it (and without torch).

Layer names are the module paths of the built model, so a per-layer count measured on the
module (the tests hook every conv and linear) can be compared with these one to one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edgekit.cost.formulas import conv_bn, linear, matrix, vectors
from edgekit.cost.record import Cost, LayerCost
from edgekit.models.shapes import (
    DSCNN_DW_KERNEL,
    DSCNN_STEM_KERNEL,
    check_connection_shape,
    check_input_shape,
    check_num_classes,
    cnn1d_lengths,
    dscnn_grid,
)
from edgekit.models.spec import ModelSpec, as_spec

if TYPE_CHECKING:
    from edgekit.models.base import EdgeModel


def _recurrent(
    spec: ModelSpec, time: int, channels: int, conn: tuple[int, ...] | None
) -> list[LayerCost]:
    hidden = spec.width
    layers = [] if conn is None else [linear("connect", conn[0], hidden)]
    for layer in range(spec.layers):
        inp = channels if layer == 0 else hidden
        cell = f"cells.{layer}"
        if spec.arch == "fastgrnn":
            layers += matrix(f"{cell}.w", inp, hidden, spec.rank_w, time)
            layers += matrix(f"{cell}.u", hidden, hidden, spec.rank_u, time)
            layers.append(vectors(cell, 2 * hidden + 2))  # gate and update biases, zeta, nu
        else:
            gates = 4 if spec.arch == "lstm" else 3
            layers.append(linear(f"{cell}.ih", inp, gates * hidden, calls=time))
            # LSTM: one bias per gate (in ih); GRU: hh keeps its own, the reset gate scales it.
            bias = spec.arch == "gru"
            layers.append(linear(f"{cell}.hh", hidden, gates * hidden, bias=bias, calls=time))
    return layers


def _cnn1d(
    spec: ModelSpec, time: int, channels: int, conn: tuple[int, ...] | None
) -> list[LayerCost]:
    extra = 0 if conn is None else conn[0]
    layers = []
    for block, (conv_len, _) in enumerate(cnn1d_lengths(spec, time)):
        in_ch = channels if block == 0 else spec.width + (extra if block == 1 else 0)
        layers.append(
            conv_bn(f"blocks.{block}.conv", "conv1d", in_ch, spec.width, spec.kernel, conv_len)
        )
    return layers


def _dscnn(spec: ModelSpec, time: int, feats: int, conn: tuple[int, ...] | None) -> list[LayerCost]:
    grid_t, grid_f = dscnn_grid(time, feats)
    positions = grid_t * grid_f
    stem_elems = DSCNN_STEM_KERNEL[0] * DSCNN_STEM_KERNEL[1]
    layers = [conv_bn("stem.conv", "conv2d", 1, spec.width, stem_elems, positions)]
    for block in range(spec.layers):
        in_ch = spec.width + (conn[0] if conn is not None and block == 0 else 0)
        dw_elems = DSCNN_DW_KERNEL * DSCNN_DW_KERNEL
        layers.append(
            conv_bn(f"blocks.{block}.dw", "dwconv2d", in_ch, in_ch, dw_elems, positions, in_ch)
        )
        layers.append(conv_bn(f"blocks.{block}.pw", "conv2d", in_ch, spec.width, 1, positions))
    return layers


def layer_costs(
    spec: ModelSpec | str,
    input_shape: tuple[int, int],
    num_classes: int,
    connection_shape: tuple[int, ...] | None = None,
) -> tuple[LayerCost, ...]:
    """Per-layer cost of the model ``build_model`` would build from the same arguments."""
    spec = as_spec(spec)
    time, channels = check_input_shape(spec, input_shape)
    num_classes = check_num_classes(num_classes)
    conn = check_connection_shape(spec, (time, channels), connection_shape)
    if spec.recurrent:
        layers = _recurrent(spec, time, channels, conn)
    elif spec.arch == "cnn1d":
        layers = _cnn1d(spec, time, channels, conn)
    else:
        layers = _dscnn(spec, time, channels, conn)
    layers.append(linear("head", spec.width, num_classes))
    return tuple(layers)


def model_cost(
    spec: ModelSpec | str,
    input_shape: tuple[int, int],
    num_classes: int,
    connection_shape: tuple[int, ...] | None = None,
) -> Cost:
    """Cost of one inference on one sample (see ``Cost`` for what is counted and how)."""
    return Cost.of(layer_costs(spec, input_shape, num_classes, connection_shape))


def model_cost_of(model: EdgeModel) -> Cost:
    """Cost of a built model, from its spec and shapes (the weights are not read)."""
    return model_cost(model.spec, model.input_shape, model.num_classes, model.connection_shape)
