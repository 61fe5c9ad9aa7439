"""benchmarks/distill.py: saved validation logits are refreshed where they lack bench's copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.distill import lacks_copies


def test_logits_saved_before_the_copies_rule_are_refreshed_for_sensor_tasks(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.val-logits.npz"
    np.savez(old, member_logits=np.zeros((2, 3, 4)), labels=np.zeros(3, dtype=np.int64))
    new = tmp_path / "new.val-logits.npz"
    np.savez(
        new,
        member_logits=np.zeros((2, 3, 4)),
        labels=np.zeros(3, dtype=np.int64),
        perturbed_member_logits=np.zeros((4, 2, 3, 4)),
    )
    assert lacks_copies(old, "dsa19")  # DSA-19's recipe augments sensors: bench perturbs
    assert not lacks_copies(new, "dsa19")
    assert not lacks_copies(old, "kws8")  # no sensor augmentation: no copies to add
