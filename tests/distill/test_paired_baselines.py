"""Paired baselines (common random numbers): RESCHED's student standing for member k is built
and trained from member k's seeds, so where B-DISTIL's member is that same independent student
the two are the same model, epoch for epoch; unpaired students are not."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from edgekit.checkpoint import load_checkpoint
from edgekit.pipelines.distill import distill
from tests.conftest import TINY_RUN

SETS = [
    *TINY_RUN[:-1], "students=cnn1d-8", "distill.objectives=independent",
    "distill.connections=off", "distill.max_members=2", "distill.inits=2", "distill.gamma_min=0",
]  # fmt: skip


def _member_weights(path: Path) -> dict[str, torch.Tensor]:
    """The member's weights at the trainer's last epoch (checkpoint.pt, not the best epoch)."""
    state = load_checkpoint(path / "checkpoint.pt")["model"]
    return {k: v for k, v in state.items() if k.startswith("member.")}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_paired_students_are_the_members_own_training(tmp_path: Path) -> None:
    out = tmp_path / "run"
    distill("synthetic", out, overrides=[*SETS, "distill.paired_baselines=true"], device="cpu",
            baselines=True)  # fmt: skip
    students = out / "baselines" / "students"
    names = sorted(p.name for p in students.iterdir())
    assert names == ["cnn1d-8-member1-0", "cnn1d-8-member1-1", "cnn1d-8-member2-0"]
    rounds = out / "rounds"
    pairs = [
        ("01/cnn1d-8-independent", "cnn1d-8-member1-0"),
        ("01/cnn1d-8-independent-init2", "cnn1d-8-member1-1"),
        ("02/cnn1d-8-independent", "cnn1d-8-member2-0"),
    ]
    for member, student in pairs:
        assert _same(_member_weights(rounds / member), _member_weights(students / student))
    baselines = json.loads((out / "baselines.json").read_text())
    assert [b["spec"] for b in baselines["resched"]] == ["cnn1d-8", "cnn1d-8"]
    assert baselines["paired"] is True  # the record says how its students were drawn
    # NO-RESCHED's cnn1d-8 is RESCHED's first (no student trained for it alone)
    assert baselines["no_resched"][0]["val_accuracy"] == baselines["resched"][0]["val_accuracy"]

    # the same run with its own-seed baselines (the default): other students, other numbers
    distill("synthetic", out, overrides=SETS, device="cpu", baselines=True)
    assert json.loads((out / "baselines.json").read_text())["paired"] is False
    own = _member_weights(students / "cnn1d-8-0")
    assert not _same(own, _member_weights(rounds / "01/cnn1d-8-independent"))


def _kept(path: Path) -> dict[str, torch.Tensor]:
    """The member's weights at the epoch its trainer kept (best.pt)."""
    state = load_checkpoint(path / "best.pt")["model"]
    return {k: v for k, v in state.items() if k.startswith("member.")}


def test_own_epoch_members_are_their_paired_twins_and_sum_as_resched(tmp_path: Path) -> None:
    """distill.keep_epoch=own: an independent member keeps the epoch of its own lowest held-out
    loss, as its twin does, so the kept models are equal; with step=unit the prefixes are
    RESCHED's to the digit. The default (sum) keeps member 2 at another epoch here."""
    own = ["distill.paired_baselines=true", "distill.step=unit", "distill.inits=1"]
    out = tmp_path / "own"
    distill("synthetic", out, overrides=[*SETS, *own, "distill.keep_epoch=own"], device="cpu",
            baselines=True)  # fmt: skip
    students, rounds = out / "baselines" / "students", out / "rounds"
    pairs = [("01/cnn1d-8-independent", "cnn1d-8-member1-0"),
             ("02/cnn1d-8-independent", "cnn1d-8-member2-0")]  # fmt: skip
    for member, student in pairs:
        assert _same(_kept(rounds / member), _kept(students / student))
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    resched = json.loads((out / "baselines.json").read_text())["resched"]
    assert [r["val_accuracy"] for r in rows] == [b["val_accuracy"] for b in resched]

    out = tmp_path / "sum"
    distill("synthetic", out, overrides=[*SETS, *own], device="cpu")
    assert not _same(_kept(out / "rounds" / pairs[1][0]), _kept(students / pairs[1][1]))
