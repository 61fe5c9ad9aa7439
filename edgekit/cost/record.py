"""Cost records: what one layer and one model cost per inference, and how bytes are counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class LayerCost:
    """Cost of one layer, named by its module path in the built model (e.g. ``blocks.1.conv``).

    ``params`` counts trainable parameters as trained (BatchNorm's scale and shift included).
    The int8 fields describe the layer as deployed, with BatchNorm folded into its conv:
    ``int8_weights`` weight elements at 1 byte, ``int8_scales`` per-output-channel float32
    scales (symmetric int8 weights need no zero point), ``int32_values`` biases (folded or not)
    and scalars at 4 bytes.
    """

    name: str
    kind: str
    params: int
    macs: int
    int8_weights: int = 0
    int8_scales: int = 0
    int32_values: int = 0

    @property
    def bytes_int8(self) -> int:
        return self.int8_weights + 4 * self.int8_scales + 4 * self.int32_values


@dataclass(frozen=True)
class Cost:
    """Cost of one model (or, summed with ``+``, of several) for one inference on one sample.

    - ``params``: trainable parameters, BatchNorm scale and shift included.
    - ``macs``: multiply-accumulates of convolutions, linear layers and recurrent matrix
      products (every time step). BatchNorm counts as folded into its conv (0 MACs); pooling,
      activations, gates' elementwise products and additions are not MACs and not counted.
    - ``bytes_float32``: ``params * 4``, the weights as trained.
    - ``bytes_int8``: weights as an int8 export stores them, BatchNorm folded into its conv:
      1 byte per weight element, plus one float32 scale (4 bytes) per output channel of every
      weight tensor (per-channel symmetric quantisation, zero points 0 and not stored), plus
      4 bytes (int32) per bias element (a folded BatchNorm leaves one per channel) and per
      scalar (FastGRNN's zeta, nu). Graph and tensor metadata are not counted.
    """

    params: int
    macs: int
    bytes_float32: int
    bytes_int8: int

    @classmethod
    def of(cls, layers: Iterable[LayerCost]) -> Cost:
        """Sum the layers of one model."""
        layers = tuple(layers)
        params = sum(layer.params for layer in layers)
        return cls(
            params=params,
            macs=sum(layer.macs for layer in layers),
            bytes_float32=4 * params,
            bytes_int8=sum(layer.bytes_int8 for layer in layers),
        )

    def __add__(self, other: Cost) -> Cost:
        """The cost of running both models (an ensemble prefix adds its members' costs)."""
        if not isinstance(other, Cost):
            return NotImplemented
        return Cost(
            self.params + other.params,
            self.macs + other.macs,
            self.bytes_float32 + other.bytes_float32,
            self.bytes_int8 + other.bytes_int8,
        )


ZERO_COST = Cost(0, 0, 0, 0)
