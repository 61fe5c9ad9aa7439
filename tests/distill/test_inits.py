"""Member 1 from several inits: each is trained and scored, the best held-out loss is kept."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from edgekit.checkpoint import load_checkpoint
from edgekit.pipelines.distill import distill
from tests.conftest import TINY_RUN


def test_member_one_is_the_best_of_three_inits(tmp_path: Path) -> None:
    sets = [*TINY_RUN[:-1], "students=cnn1d-8", "distill.objectives=hybrid"]
    sets += ["distill.max_members=1", "distill.inits=3"]
    run = distill("synthetic", tmp_path / "run", overrides=sets, device="cpu", baselines=True)
    round1 = tmp_path / "run" / "rounds" / "01"
    names = sorted(p.name for p in round1.iterdir())
    assert names == ["cnn1d-8-hybrid", "cnn1d-8-hybrid-init2", "cnn1d-8-hybrid-init3"]
    score = json.loads((round1 / "cnn1d-8-hybrid" / "score.json").read_text())
    losses = score["inits"]
    assert len(losses) == 3 and len(set(losses)) == 3  # three different inits
    best = min(range(3), key=lambda i: losses[i])
    assert score["selection_loss_after"] == losses[best]
    assert score["init_dir"] == names[best]
    chosen = load_checkpoint(round1 / names[best] / "best.pt")["model"]
    member = run.members[0].state_dict()
    weights = [k for k in member if "weight" in k and "bn" not in k and k in {
        key.removeprefix("member.") for key in chosen}]  # fmt: skip
    # every layer but the folded head equals the chosen init's trained weights
    assert any(torch.equal(member[k], chosen[f"member.{k}"]) for k in weights)
    students = sorted(p.name for p in (tmp_path / "run" / "baselines" / "students").iterdir())
    assert students == ["cnn1d-8-0", "cnn1d-8-1000", "cnn1d-8-2000"]  # RESCHED's member 1 too
