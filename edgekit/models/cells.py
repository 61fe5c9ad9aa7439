"""Single-step recurrent cells in plain ops (matmul, add, sigmoid, tanh, mul).

Each cell advances one layer by one frame. Models run them frame by frame, so the same cell
exports as a single-step graph for TensorFlow Lite Micro. Every matrix product is an
``nn.Linear`` (the cost tests count MACs by hooking them).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

State = tuple[Tensor, ...]


class RecurrentCell(nn.Module):
    """One recurrent layer. Its state is ``state_size`` tensors of shape [B, hidden]."""

    state_size = 1

    def __init__(self, input_size: int, hidden: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden = hidden

    def __call__(self, x: Tensor, state: State) -> State:
        return super().__call__(x, state)  # type: ignore[no-any-return]

    def forward(self, x: Tensor, state: State) -> State:
        raise NotImplementedError

    def output(self, state: State) -> Tensor:
        """The hidden state h that the next layer and the readout see."""
        return state[0]

    def _uniform_init(self) -> None:
        # PyTorch's LSTM/GRU initialisation: U(-1/sqrt(H), 1/sqrt(H)) for every parameter.
        bound = 1.0 / math.sqrt(self.hidden)
        for param in self.parameters():
            nn.init.uniform_(param, -bound, bound)


class LSTMCell(RecurrentCell):
    """LSTM with PyTorch's gate order (i, f, g, o) and one bias per gate. State: (h, c)."""

    state_size = 2

    def __init__(self, input_size: int, hidden: int) -> None:
        super().__init__(input_size, hidden)
        self.ih = nn.Linear(input_size, 4 * hidden)
        self.hh = nn.Linear(hidden, 4 * hidden, bias=False)
        self._uniform_init()

    def forward(self, x: Tensor, state: State) -> State:
        h, c = state
        gates = self.ih(x) + self.hh(h)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class GRUCell(RecurrentCell):
    """GRU as PyTorch defines it (reset gate applied after the hidden matmul). State: (h,)."""

    def __init__(self, input_size: int, hidden: int) -> None:
        super().__init__(input_size, hidden)
        self.ih = nn.Linear(input_size, 3 * hidden)
        self.hh = nn.Linear(hidden, 3 * hidden)
        self._uniform_init()

    def forward(self, x: Tensor, state: State) -> State:
        (h,) = state
        xr, xz, xn = self.ih(x).chunk(3, dim=1)
        hr, hz, hn = self.hh(h).chunk(3, dim=1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return ((1 - z) * n + z * h,)


def _matrix(in_features: int, out_features: int, rank: int | None) -> nn.Module:
    """A bias-free linear map, factored as in_features -> rank -> out_features when low rank."""
    if rank is None:
        return nn.Linear(in_features, out_features, bias=False)
    return nn.Sequential(
        nn.Linear(in_features, rank, bias=False), nn.Linear(rank, out_features, bias=False)
    )


class FastGRNNCell(RecurrentCell):
    """FastGRNN (Kusupati et al., NeurIPS 2018): one W and one U shared by gate and candidate.

    z = sigmoid(Wx + Uh + b_z), c = tanh(Wx + Uh + b_h),
    h' = (sigmoid(zeta) (1 - z) + sigmoid(nu)) c + z h. Initialised as EdgeML does
    (matrices N(0, 0.1^2), biases 1, zeta 1, nu -4). State: (h,).
    """

    def __init__(
        self, input_size: int, hidden: int, rank_w: int | None = None, rank_u: int | None = None
    ) -> None:
        super().__init__(input_size, hidden)
        self.w = _matrix(input_size, hidden, rank_w)
        self.u = _matrix(hidden, hidden, rank_u)
        self.bias_gate = nn.Parameter(torch.ones(hidden))
        self.bias_update = nn.Parameter(torch.ones(hidden))
        self.zeta = nn.Parameter(torch.full((1,), 1.0))
        self.nu = nn.Parameter(torch.full((1,), -4.0))
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.1)

    def forward(self, x: Tensor, state: State) -> State:
        (h,) = state
        pre = self.w(x) + self.u(h)
        z = torch.sigmoid(pre + self.bias_gate)
        c = torch.tanh(pre + self.bias_update)
        return ((torch.sigmoid(self.zeta) * (1 - z) + torch.sigmoid(self.nu)) * c + z * h,)
