"""The teacher's logits per augmented batch, kept for every model of one run (distill/targets.py).

Equal keys (the batch indices and the generator state the augmentation draws from) mean equal
augmented inputs, so a stored logit is exactly what the teacher would compute again. The
augmented inputs themselves are kept too, while they fit ``max_feature_bytes``, with the
generator's state after their draw: a later model sets that state instead of drawing again, so
its batches and every later draw are the ones it would have made (speech: the waveform
augmentation and front end cost about as much as training a dscnn-16x4 member). Kept inputs
live in host memory, not on an accelerator: up to ``max_feature_bytes`` of GPU memory would
otherwise be taken from training on a small GPU; a kept batch costs one copy to the device.
"""

from __future__ import annotations

import hashlib

import torch
from torch import Tensor


class TeacherMemo:
    """The teacher's logits per augmented batch, shared by every model of one run (in memory).

    Stops storing (never evicts) past ``max_bytes`` (logits) and ``max_feature_bytes``
    (augmented inputs): later batches are then computed each time.
    """

    def __init__(self, max_bytes: int = 512 * 2**20, max_feature_bytes: int = 4 * 2**30) -> None:
        self.max_bytes = max_bytes
        self.max_feature_bytes = max_feature_bytes
        self.stored = 0
        self.feature_bytes = 0
        self.hits = 0
        self.misses = 0
        self._logits: dict[bytes, Tensor] = {}
        self._inputs: dict[bytes, tuple[Tensor, Tensor]] = {}  # key -> (inputs, state after)

    @staticmethod
    def key(idx: Tensor, gen: torch.Generator) -> bytes:
        """The batch's identity: its indices and the generator state its draws start from."""
        digest = hashlib.sha1(idx.detach().cpu().numpy().tobytes())
        digest.update(gen.get_state().numpy().tobytes())
        return digest.digest()

    def get(self, key: bytes) -> Tensor | None:
        found = self._logits.get(key)
        self.hits += found is not None
        self.misses += found is None
        return found

    def put(self, key: bytes, logits: Tensor) -> None:
        size = logits.numel() * logits.element_size()
        if self.stored + size <= self.max_bytes:
            self._logits[key] = logits
            self.stored += size

    def get_inputs(self, key: bytes) -> tuple[Tensor, Tensor] | None:
        """The batch's augmented inputs and the generator state after their draw, if kept."""
        return self._inputs.get(key)

    def put_inputs(self, key: bytes, inputs: Tensor, state_after: Tensor) -> None:
        size = inputs.numel() * inputs.element_size()
        if key not in self._inputs and self.feature_bytes + size <= self.max_feature_bytes:
            self._inputs[key] = (inputs.detach().cpu(), state_after)  # host memory (above)
            self.feature_bytes += size

    def release(self) -> None:
        """Drop every kept logit and input (the run is over): a finished Distiller that a
        caller keeps, or one not yet collected, would otherwise hold up to ``max_bytes +
        max_feature_bytes`` (two DSA-19 benchmark processes of several runs each filled 24 GB).
        The counters stay, so what the memo saved can still be read."""
        self._logits.clear()
        self._inputs.clear()
        self.stored = self.feature_bytes = 0
