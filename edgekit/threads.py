"""How many threads training should use: the CPUs this process may actually run on.

torch defaults to every core of the machine, ignoring the process's CPU affinity and its cgroup
quota (containers, CI runners, ``taskset``). With 2 threads and another job on 2 cores, the DSA-19
teacher trained at 33-100 samples/s against 1,300-1,440 with one thread (docs/training.md):
oversubscription costs 10-40x. Results also differ slightly with the thread count (reductions
are summed in another order), so the count used is recorded in the run's config.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_V2 = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1 = (
    Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
    Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
)


def _cgroup_quota(v2: Path = CGROUP_V2, v1: tuple[Path, Path] = CGROUP_V1) -> float | None:
    """CPUs allowed by the cgroup's bandwidth quota, or None when there is no quota."""
    try:
        quota, period = v2.read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us, period_us = (int(p.read_text()) for p in v1)
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def available_cpus(v2: Path = CGROUP_V2, v1: tuple[Path, Path] = CGROUP_V1) -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup quota (at least 1)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota(v2, v1)
    if quota is not None:
        cpus = min(cpus, max(1, math.floor(quota)))
    return max(1, cpus)


def choose_threads(requested: int | None = None) -> int:
    """``requested`` when given (>= 1), else what :func:`available_cpus` says.

    ``OMP_NUM_THREADS`` in the environment counts as a request, as torch itself honours it.
    """
    if requested is None:
        env = os.environ.get("OMP_NUM_THREADS", "").strip()
        if env.isdigit() and int(env) > 0:
            requested = int(env)
    if requested is not None:
        if requested < 1:
            raise ValueError(f"--threads must be >= 1, got {requested}")
        return requested
    return available_cpus()


def apply_threads(requested: int | None = None) -> int:
    """Set torch's intra-op thread count (see :func:`choose_threads`); the count used."""
    import torch

    threads = choose_threads(requested)
    torch.set_num_threads(threads)
    return threads
