"""Candidates over ranks: deterministic ownership, scores gathered, weights shared (gloo, 2 CPUs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from edgekit.distill.ranks import Ranks


def test_ownership_is_round_robin_by_position() -> None:
    two = [Ranks(0, 2), Ranks(1, 2)]
    assert [two[0].owner(j) for j in range(1, 6)] == [0, 1, 0, 1, 0]
    assert all(sum(r.owns(j) for r in two) == 1 for j in range(1, 9))
    alone = Ranks()
    assert alone.owns(7) and alone.gather({3: "x"}) == {3: "x"} and alone.share(5, 0) == 5


def _worker(rank: int, init: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    try:
        ranks = Ranks.current()
        assert (ranks.rank, ranks.world) == (rank, 2)
        mine = {j: {"edge": j / 10, "by": rank} for j in range(1, 6) if ranks.owns(j)}
        scores = ranks.gather(mine)
        weights = ranks.share({"w": torch.full((2,), 7.0)} if rank == 1 else None, src=1)
        if rank == 0:
            torch.save({"scores": scores, "weights": weights}, out)
        ranks.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_ranks_gather_scores_and_share_weights(tmp_path: Path) -> None:
    init = f"file://{tmp_path / 'rendezvous'}"
    out = tmp_path / "result.pt"
    mp.spawn(_worker, args=(init, str(out)), nprocs=2, join=True)
    result = torch.load(out)
    assert {j: s["by"] for j, s in result["scores"].items()} == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}
    assert torch.equal(result["weights"]["w"], torch.full((2,), 7.0))
