"""The interface every ensemble member shares: input, logits, connection port and activation."""

from __future__ import annotations

from typing import NamedTuple, cast

from torch import Tensor, nn

from edgekit.models.shapes import (
    activation_shape,
    check_connection_shape,
    check_input_shape,
    check_num_classes,
)
from edgekit.models.spec import ModelSpec


class MemberOutput(NamedTuple):
    """What one member returns: its logits [B, L] and the activation the next member may take."""

    logits: Tensor
    activation: Tensor


class EdgeModel(nn.Module):
    """Base of every model: ``forward(x [B, T, C], conn=None) -> MemberOutput``.

    A model built with ``connection_shape=None`` has no connection port; one built with a
    connection shape requires the previous member's activation of that (per-sample) shape.
    Build the next member with ``connection_shape=prev.activation_shape``.
    """

    def __init__(
        self,
        spec: ModelSpec,
        input_shape: tuple[int, int],
        num_classes: int,
        connection_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.input_shape = check_input_shape(spec, input_shape)
        self.num_classes = check_num_classes(num_classes)
        self.connection_shape = check_connection_shape(spec, self.input_shape, connection_shape)
        self.activation_shape = activation_shape(spec, self.input_shape)

    def __call__(self, x: Tensor, conn: Tensor | None = None) -> MemberOutput:
        # Typed wrapper: nn.Module.__call__ returns Any; hooks still run through it.
        return cast(MemberOutput, super().__call__(x, conn))

    def forward(self, x: Tensor, conn: Tensor | None = None) -> MemberOutput:
        raise NotImplementedError

    def check_input(self, x: Tensor) -> None:
        """Raise ``ValueError`` unless ``x`` is [B, T, C] with this model's (T, C)."""
        if x.dim() != 3 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"{self.spec}: expected input [batch, {self.input_shape[0]}, "
                f"{self.input_shape[1]}], got {list(x.shape)}"
            )

    def check_conn(self, conn: Tensor | None, batch: int) -> None:
        """Raise ``ValueError`` unless ``conn`` matches the connection port (or its absence)."""
        if self.connection_shape is None:
            if conn is not None:
                raise ValueError(
                    f"{self.spec}: built without a connection port (connection_shape=None) but "
                    f"got a connection of shape {list(conn.shape)}"
                )
            return
        if conn is None:
            raise ValueError(
                f"{self.spec}: built with connection_shape={self.connection_shape} and needs the "
                "previous member's activation, got conn=None"
            )
        if tuple(conn.shape) != (batch, *self.connection_shape):
            raise ValueError(
                f"{self.spec}: expected a connection of shape "
                f"{[batch, *self.connection_shape]}, got {list(conn.shape)}"
            )
