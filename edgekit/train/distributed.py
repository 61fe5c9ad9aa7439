"""Process-group set-up for ``torchrun``: one place decides rank, device and backend."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor
from torch.utils.data import DistributedSampler

from edgekit.config import TrainConfig


@dataclass(frozen=True)
class Context:
    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present; an explicit ``cuda`` without a GPU is a clear error."""
    from edgekit.errors import ConfigError

    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA GPU is visible to torch; use --device cpu")
    if requested not in ("cpu", "cuda") and not requested.startswith("cuda:"):
        raise ConfigError(f"--device: expected auto, cpu, cuda or cuda:N, got {requested!r}")
    return torch.device(requested)


def setup(requested_device: str = "auto") -> Context:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1), else run alone.

    gloo on CPU, nccl on GPU; each rank takes the GPU of its LOCAL_RANK.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Context(0, 1, pick_device(requested_device))
    device = pick_device(requested_device)
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Context(dist.get_rank(), dist.get_world_size(), device)


def shard_batches(n: int, config: TrainConfig, ctx: Context, epoch: int) -> list[Tensor]:
    """This rank's batches of sample indices for ``epoch`` (a shuffle seeded by seed and epoch)."""
    sampler: DistributedSampler[int] = DistributedSampler(
        range(n),  # type: ignore[arg-type]
        num_replicas=ctx.world_size,
        rank=ctx.rank,
        shuffle=True,
        seed=config.seed,
    )
    sampler.set_epoch(epoch)
    idx = torch.tensor(list(sampler), dtype=torch.long)
    return list(torch.split(idx, config.batch_size // ctx.world_size))


def teardown(ctx: Context) -> None:
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()
