"""A member as the C runtime sees it: tensors (constants or working-memory regions), operators
and the roles of its input and output tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edgekit.export.c.layout import KINDS, MAX_DIMS

__all__ = ["KINDS", "MAX_DIMS", "CGraph", "COp", "CTensor"]


@dataclass
class CTensor:
    dtype: str  # f32, i8, i32
    shape: tuple[int, ...]
    data: np.ndarray | None = None  # constants
    scale: float = 0.0
    zero_point: int = 0
    offset: int = -1  # working-memory byte offset (intermediates)
    scales: list[float] = field(default_factory=list)  # per channel (weights) or one

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * (1 if self.dtype == "i8" else 4)


@dataclass
class COp:
    kind: str  # the TFLite operator name (a key of KINDS)
    inputs: list[int]
    output: int
    params: dict[str, int] = field(default_factory=dict)  # ek_op's integer fields
    axes: list[int] = field(default_factory=list)
    act: tuple[int, int] = (-128, 127)
    fact: tuple[float, float] = (-math.inf, math.inf)
    mult: list[int] = field(default_factory=list)
    shift: list[int] = field(default_factory=list)


@dataclass
class CGraph:
    tensors: list[CTensor]
    ops: list[COp]
    work_bytes: int
    roles: dict[str, int]  # features / connection / logits / activation -> tensor index
    params: int  # weights and biases (elements)
    flash_bytes: int  # constant data
    # the connection's int8 rescale folded into the boundary: (mult, shift, scale, zero point)
    connection_rescale: tuple[int, int, float, int] | None = None
