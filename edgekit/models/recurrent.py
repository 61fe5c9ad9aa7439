"""Recurrent members (lstm, gru, fastgrnn): a stack of single-step cells and a linear head.

The whole-sequence forward is literally ``initial_state``, then ``step`` per frame, then
``readout``, so a device that runs the exported step cell frame by frame computes the same.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from edgekit.models.base import EdgeModel, MemberOutput
from edgekit.models.cells import FastGRNNCell, GRUCell, LSTMCell, RecurrentCell, State
from edgekit.models.spec import ModelSpec


def _cell(spec: ModelSpec, input_size: int) -> RecurrentCell:
    if spec.arch == "lstm":
        return LSTMCell(input_size, spec.width)
    if spec.arch == "gru":
        return GRUCell(input_size, spec.width)
    return FastGRNNCell(input_size, spec.width, spec.rank_w, spec.rank_u)


class RecurrentModel(EdgeModel):
    """Stacked cells; logits from the last layer's final hidden state, which is also the
    connection activation [B, width].

    A connected model maps the incoming hidden state through ``connect`` (a linear projection)
    to its first layer's initial h (an LSTM's c starts at zero); other layers start at zero.
    The state is flat: each layer's ``state_size`` tensors in layer order, e.g. an LSTM's
    (h0, c0, h1, c1).
    """

    def __init__(
        self,
        spec: ModelSpec,
        input_shape: tuple[int, int],
        num_classes: int,
        connection_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(spec, input_shape, num_classes, connection_shape)
        channels = self.input_shape[1]
        self.cells = nn.ModuleList(
            [_cell(spec, channels if layer == 0 else spec.width) for layer in range(spec.layers)]
        )
        self.connect = (
            nn.Linear(self.connection_shape[0], spec.width)
            if self.connection_shape is not None
            else None
        )
        self.head = nn.Linear(spec.width, num_classes)

    def _cells(self) -> list[RecurrentCell]:
        return [cell for cell in self.cells if isinstance(cell, RecurrentCell)]

    def initial_state(self, batch: int, conn: Tensor | None = None) -> State:
        """The state before the first frame (zeros, or the projected connection)."""
        self.check_conn(conn, batch)
        weight = self.head.weight
        state: list[Tensor] = []
        for layer, cell in enumerate(self._cells()):
            layer_state = [
                torch.zeros(batch, cell.hidden, dtype=weight.dtype, device=weight.device)
                for _ in range(cell.state_size)
            ]
            if layer == 0 and self.connect is not None and conn is not None:
                layer_state[0] = self.connect(conn)
            state.extend(layer_state)
        return tuple(state)

    def step(self, x_t: Tensor, state: State) -> State:
        """Advance every layer by one frame x_t [B, C]."""
        new: list[Tensor] = []
        at = 0
        inp = x_t
        for cell in self._cells():
            layer_state = cell(inp, state[at : at + cell.state_size])
            at += cell.state_size
            new.extend(layer_state)
            inp = cell.output(layer_state)
        return tuple(new)

    def readout(self, state: State) -> MemberOutput:
        """Logits and connection activation from the last layer's hidden state."""
        last = self._cells()[-1]
        h = last.output(state[len(state) - last.state_size :])
        logits: Tensor = self.head(h)
        return MemberOutput(logits, h)

    def forward(self, x: Tensor, conn: Tensor | None = None) -> MemberOutput:
        self.check_input(x)
        state = self.initial_state(x.shape[0], conn)
        for t in range(x.shape[1]):
            state = self.step(x[:, t], state)
        return self.readout(state)
