"""Load a finished B-DISTIL run directory for export: members, their wiring, data facts.

Reads only what ``edgekit distill`` wrote (config.json, members/NN/member.json + model.pt via
``weights_only`` checkpoints, teacher/summary.json); needs no teacher and no training code paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.distill.ensemble import MemberRecord
from edgekit.errors import EdgekitError
from edgekit.models import EdgeModel, build_model
from edgekit.train.checkpoint import load_checkpoint


@dataclass
class ExportRun:
    """A run's members in order, with what the manifest needs to describe them."""

    run_dir: Path
    data: dict[str, Any]  # config.json "data": task, class names, shape, front end, normalisation
    recipe: dict[str, Any]
    teacher: dict[str, Any]  # teacher/summary.json
    records: list[MemberRecord]
    members: list[EdgeModel]

    @property
    def feature_shape(self) -> tuple[int, int]:
        t, c = self.data["feature_shape"]
        return int(t), int(c)

    @property
    def num_classes(self) -> int:
        return len(self.data["class_names"])

    def exports_activation(self, index: int) -> bool:
        """Member ``index`` (1-based) hands its activation on if the next member is connected."""
        return index < len(self.records) and self.records[index].connected


def load_run(run_dir: Path) -> ExportRun:
    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise EdgekitError(
            f"{run_dir}: not a run directory (no config.json); run `edgekit distill` first"
        )
    config = json.loads(config_path.read_text())
    teacher_path = run_dir / "teacher" / "summary.json"
    teacher = json.loads(teacher_path.read_text()) if teacher_path.exists() else {}
    data = config["data"]
    shape = tuple(data["feature_shape"])
    classes = len(data["class_names"])
    records: list[MemberRecord] = []
    members: list[EdgeModel] = []
    index = 1
    while (marker := run_dir / "members" / f"{index:02d}" / "member.json").exists():
        record = MemberRecord(**json.loads(marker.read_text()))
        conn = members[-1].activation_shape if record.connected else None
        model = build_model(record.spec, shape, classes, conn)
        model.load_state_dict(load_checkpoint(marker.parent / "model.pt")["model"])
        members.append(model.eval())
        records.append(record)
        index += 1
    if not members:
        raise EdgekitError(
            f"{run_dir}: the run has no finished members yet (members/01/member.json missing); "
            "let `edgekit distill` finish at least one round"
        )
    return ExportRun(run_dir, data, config["recipe"], teacher, records, members)
