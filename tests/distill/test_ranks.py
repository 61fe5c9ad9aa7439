"""Candidates over ranks: deterministic ownership, scores gathered, weights shared (gloo, 2 CPUs);
a whole `edgekit distill` under torchrun equals the one-process run and resumes after a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from edgekit.distill.ranks import Ranks
from edgekit.pipelines.teacher import train_teacher
from edgekit.train.faults import FAULT_ENV, FAULT_EXIT
from tests.conftest import REPO, TINY_RUN


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


# ---------------------------------------------------------------- a whole run over two ranks
# The tiny run of the test suite (tests/conftest.py), distilled from one teacher made once, by
# one process and by torchrun with 2 gloo processes; one thread each.
RUN_FILES = [
    *(f"members/{k:02d}/{name}" for k in (1, 2, 3) for name in ("model.pt", "member.json")),
    "metrics.jsonl",
    "stopped.json",
]


def _edgekit(
    out: Path, teacher: Path, ranks: int, fault: str | None = None
) -> CompletedProcess[str]:
    launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks)]
    sets = [a for s in TINY_RUN for a in ("--set", s)]
    args = [sys.executable, *(launcher if ranks > 1 else []), "-m", "edgekit", "distill",
            "synthetic", "--out", str(out), "--device", "cpu", "--teacher", str(teacher), *sets]  # fmt: skip
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "OMP_NUM_THREADS": "1", "COLUMNS": "250"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.pop(FAULT_ENV, None)
    if fault is not None:
        env[FAULT_ENV] = fault
    return subprocess.run(args, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(teacher run, the run of one process with that teacher)."""
    root = tmp_path_factory.mktemp("ranks")
    teacher = root / "teacher"
    train_teacher("synthetic", teacher, overrides=TINY_RUN, device="cpu")
    done = _edgekit(root / "one", teacher, 1)
    assert done.returncode == 0, done.stderr[-3000:]
    return teacher, root / "one"


def _same_run(a: Path, b: Path) -> None:
    for name in RUN_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"


@pytest.mark.slow
def test_two_ranks_give_the_one_process_run_byte_for_byte(
    one_process: tuple[Path, Path], tmp_path: Path
) -> None:
    teacher, one = one_process
    done = _edgekit(tmp_path / "two", teacher, 2)
    assert done.returncode == 0, done.stderr[-3000:]
    _same_run(one, tmp_path / "two")
    assert done.stdout.count("B-DISTIL on synthetic") == 1  # rank 0 alone prints the table
    trained = [d for d in (tmp_path / "two" / "rounds").glob("*/*") if (d / "score.json").exists()]
    assert len(trained) == sum(len(json.loads(r)["tried"]) for r in _rows(one))
    assert not list((tmp_path / "two").rglob("*.tmp"))


def _rows(run: Path) -> list[str]:
    return (run / "metrics.jsonl").read_text().splitlines()


@pytest.mark.slow
def test_a_rank_killed_mid_round_resumes_on_restart(
    one_process: tuple[Path, Path], tmp_path: Path
) -> None:
    """Rank 0 exits (as kill -9 would) after epoch 3 of round 2's third candidate, its second
    (the first, candidate 1, is scored by then); torchrun stops rank 1. The same command again:
    candidate 1's score is reused, candidate 3 continues from epoch 3, and the run equals the
    uninterrupted one-process run byte for byte."""
    teacher, one = one_process
    out = tmp_path / "two"
    killed = _edgekit(out, teacher, 2, fault="round 2 cand 3/@3")
    assert killed.returncode != 0 and f"exitcode  : {FAULT_EXIT}" in killed.stderr
    assert (out / "members" / "01" / "member.json").exists()
    assert not (out / "members" / "02").exists()
    round2 = {d.name: d for d in (out / "rounds" / "02").iterdir()}
    first = json.loads(_rows(one)[1])["tried"][0]["candidate"]
    third = json.loads(_rows(one)[1])["tried"][2]["candidate"]
    scored = (round2[first] / "score.json").stat().st_mtime_ns
    epochs = (round2[third] / "metrics.jsonl").read_text().splitlines()
    assert len(epochs) == 3 and not (round2[third] / "score.json").exists()
    done = _edgekit(out, teacher, 2)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (round2[first] / "score.json").stat().st_mtime_ns == scored  # reused, not retrained
    assert "resuming after epoch 3" in done.stderr
    assert (round2[third] / "metrics.jsonl").read_text().splitlines()[:3] == epochs
    _same_run(one, out)


@pytest.mark.slow
def test_two_ranks_train_the_teacher_and_the_baselines_too(tmp_path: Path) -> None:
    """Without --teacher: the teacher trains with DDP over both ranks, then the rounds and
    --baselines run in the same process group (a call that found a group leaves it open)."""
    out = tmp_path / "run"
    sets = ["teacher_train.epochs=2", "student_train.epochs=1", "students=cnn1d-8",
            "distill.objectives=hybrid", "distill.max_members=1"]  # fmt: skip
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
            "2", "-m", "edgekit", "distill", "synthetic", "--out", str(out), "--device", "cpu",
            "--baselines", *(a for s in sets for a in ("--set", s))]  # fmt: skip
    env = {**os.environ, "EDGEKIT_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((out / "teacher" / "summary.json").read_text())["best_epoch"] >= 1
    assert (out / "members" / "01" / "member.json").exists()
    assert [b["k"] for b in json.loads((out / "baselines.json").read_text())["resched"]] == [1]
