"""A finished B-DISTIL run as export sees it: members in order, their wiring, data facts.

A thin view over :class:`~edgekit.rundir.RunDir` (the only reader of run directories): needs no
teacher and no training code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.errors import EdgekitError
from edgekit.models import EdgeModel
from edgekit.rundir import MemberRecord, RunConfig, RunDir


@dataclass
class ExportRun:
    """A run's members in order, with what the manifest needs to describe them."""

    run_dir: Path
    config: RunConfig
    teacher: dict[str, Any]  # the teacher summary ({} where the run has none)
    records: list[MemberRecord]
    members: list[EdgeModel]

    @property
    def data(self) -> dict[str, Any]:  # task, class names, shape, front end, normalisation
        return self.config.data

    @property
    def recipe(self) -> dict[str, Any]:
        return self.config.recipe

    @property
    def feature_shape(self) -> tuple[int, int]:
        return self.config.feature_shape

    @property
    def num_classes(self) -> int:
        return self.config.num_classes

    def exports_activation(self, index: int) -> bool:
        """Member ``index`` (1-based) hands its activation on if the next member is connected."""
        return index < len(self.records) and self.records[index].connected


def load_run(run_dir: Path) -> ExportRun:
    run = RunDir(run_dir)
    config = run.read_config()
    teacher = run.read_teacher()
    records, members = run.load_members(config)
    if not members:
        raise EdgekitError(
            f"{run_dir}: the run has no finished members yet "
            f"({run.member_record_path(1).relative_to(run.root)} missing); "
            "let `edgekit distill` finish at least one round"
        )
    return ExportRun(
        run.root, config, {} if teacher is None else teacher.to_dict(), records, members
    )
