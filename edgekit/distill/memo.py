"""The teacher's logits per augmented batch, kept for every model of one run (distill/targets.py).

Equal keys (the batch indices and the generator state the augmentation draws from) mean equal
augmented inputs, so a stored logit is exactly what the teacher would compute again.
"""

from __future__ import annotations

import hashlib

import torch
from torch import Tensor


class TeacherMemo:
    """The teacher's logits per augmented batch, shared by every model of one run (in memory).

    Stops storing (never evicts) past ``max_bytes``: later batches are then computed each time.
    """

    def __init__(self, max_bytes: int = 512 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.stored = 0
        self.hits = 0
        self.misses = 0
        self._logits: dict[bytes, Tensor] = {}

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
