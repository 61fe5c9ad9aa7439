"""FIND-WL's candidates spread over torchrun ranks: who trains what, and how scores meet.

A round's candidates are independent, so under ``torchrun`` each rank trains whole candidates
(on its own device) and the scores are gathered; every rank then applies the same rule to the
same scores, so no rank needs to be told the decision. The chosen member's weights travel from
the rank that trained it. Candidate ``j`` of a round (its position in FIND-WL's order, from 1)
belongs to rank ``(j - 1) % world``: the assignment, like the candidate's seed, depends on the
round and the candidate, never on timing, so a run is the same whatever the number of ranks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import torch.distributed as dist

T = TypeVar("T")


@dataclass(frozen=True)
class Ranks:
    """This process's place among the candidates' trainers (rank 0 of 1 when alone)."""

    rank: int = 0
    world: int = 1

    @classmethod
    def current(cls) -> Ranks:
        if dist.is_available() and dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size())
        return cls()

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def owner(self, position: int) -> int:
        """The rank that trains the candidate at ``position`` (1-based) of a round."""
        return (position - 1) % self.world

    def owns(self, position: int) -> bool:
        return self.owner(position) == self.rank

    def gather(self, local: dict[int, T]) -> dict[int, T]:
        """Every rank's ``{position: value}`` merged, on every rank (positions are disjoint)."""
        if self.world == 1:
            return dict(local)
        parts: list[dict[int, T] | None] = [None] * self.world
        dist.all_gather_object(parts, local)
        merged: dict[int, T] = {}
        for part in parts:
            merged.update(part or {})
        return merged

    def share(self, value: T | None, src: int) -> T:
        """``value`` as rank ``src`` has it, on every rank (e.g. the chosen member's weights)."""
        if self.world == 1:
            assert value is not None
            return value
        box: list[Any] = [value if self.rank == src else None]
        dist.broadcast_object_list(box, src=src)
        return box[0]  # type: ignore[no-any-return]

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()
