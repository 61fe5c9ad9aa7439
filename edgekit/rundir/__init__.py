"""The run directory: every path and record ``train-teacher`` and ``distill`` write, in one place.

Layout (each record is one schema, defined here)::

    config.json              RunConfig: the resolved recipe (a dict) and the data record
    teacher/                 the teacher's trainer files + summary.json (TeacherSummary)
    teacher-logits.*         the cached teacher logits (an ArrayCache entry, LOGITS)
    metrics.jsonl            one row per accepted round (a dict; distill/rows.py fills it)
    members/NN/              model.pt, then member.json (MemberRecord; written last: finished)
    rounds/NN/<candidate>/   the candidate's trainer files + score.json
    baselines/students/<spec>-<j>/   a baseline student's trainer files + done.json
    baselines.json stopped.json summary.md summary.json accuracy_cost.png report.md
    augment_choice.json augment_cv/ affinity_choice.json affinity_plain_teacher/   (*_choice.py)

Every other module names these files through :class:`RunDir` (a test greps the package for the
literals), so the layout changes in one place and readers (export, report) need no training code.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgekit.atomic import atomic_write_json, atomic_write_text
from edgekit.errors import EdgekitError
from edgekit.rundir.records import (
    MemberRecord,
    RunConfig,
    Stopped,
    TeacherSummary,
    data_record,
    differing_keys,
    read_warning_list,
)

if TYPE_CHECKING:
    import torch

    from edgekit.models import EdgeModel

log = logging.getLogger(__name__)

LOGITS = "teacher-logits"  # ArrayCache entry name (the cache adds its own suffixes)


@dataclass(frozen=True)
class TrainerFiles:
    """What one :class:`~edgekit.train.trainer.Trainer` writes into its directory."""

    root: Path

    @property
    def checkpoint(self) -> Path:  # the last epoch: decides where a resumed run continues
        return self.root / "checkpoint.pt"

    @property
    def best(self) -> Path:  # the best epoch's weights only
        return self.root / "best.pt"

    @property
    def metrics(self) -> Path:  # one row per epoch
        return self.root / "metrics.jsonl"


class RunDir:
    """One run directory: its paths, and a reader/writer per record."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RunDir({str(self.root)!r})"

    # ------------------------------------------------------------------------------ paths
    @property
    def config_path(self) -> Path:
        return self.root / "config.json"

    @property
    def teacher_dir(self) -> Path:
        return self.root / "teacher"

    @property
    def teacher_summary_path(self) -> Path:
        return self.root / "teacher" / "summary.json"

    @property
    def metrics_path(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def baselines_path(self) -> Path:
        return self.root / "baselines.json"

    @property
    def stopped_path(self) -> Path:
        return self.root / "stopped.json"

    @property
    def summary_md(self) -> Path:
        return self.root / "summary.md"

    @property
    def summary_json(self) -> Path:
        return self.root / "summary.json"

    @property
    def plot(self) -> Path:
        return self.root / "accuracy_cost.png"

    @property
    def report(self) -> Path:
        return self.root / "report.md"

    @property
    def teacher(self) -> TrainerFiles:
        return TrainerFiles(self.teacher_dir)

    def member_dir(self, index: int) -> Path:
        return self.root / "members" / f"{index:02d}"

    def member_record_path(self, index: int) -> Path:
        return self.member_dir(index) / "member.json"

    def member_weights(self, index: int) -> Path:
        return self.member_dir(index) / "model.pt"

    def candidate(self, round_index: int, name: str) -> TrainerFiles:
        return TrainerFiles(self.root / "rounds" / f"{round_index:02d}" / name)

    def candidate_score_path(self, round_index: int, name: str) -> Path:
        return self.candidate(round_index, name).root / "score.json"

    def baseline_student(self, spec: str, occurrence: int) -> TrainerFiles:
        return TrainerFiles(self.root / "baselines" / "students" / f"{spec}-{occurrence}")

    @staticmethod
    def done_path(files: TrainerFiles) -> Path:
        return files.root / "done.json"

    def bundles(self) -> list[tuple[Path, dict[str, Any]]]:
        """Exported bundles inside the run (directories holding a manifest), with it parsed."""
        found = []
        for manifest in sorted(self.root.glob("*/manifest.json")):
            try:
                found.append((manifest.parent, json.loads(manifest.read_text())))
            except json.JSONDecodeError:
                continue
        return found

    def bench_results(self) -> list[Path]:
        return sorted(self.root.glob("*-bench/bench.json"))

    # ----------------------------------------------------------------------------- config
    def has_config(self) -> bool:
        return self.config_path.exists()

    def read_config(self) -> RunConfig:
        path = self.config_path
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            raise EdgekitError(
                f"{self.root}: not a run directory (no {path.name}); run `edgekit distill` first"
            ) from None
        except json.JSONDecodeError as exc:
            raise EdgekitError(f"{path}: malformed JSON ({exc})") from exc
        if not isinstance(raw, dict) or "recipe" not in raw or "data" not in raw:
            raise EdgekitError(f"{path}: expected an object with 'recipe' and 'data'")
        threads = raw.get("threads")
        return RunConfig(raw["recipe"], raw["data"], threads if isinstance(threads, int) else None)

    def write_config(self, config: RunConfig) -> None:
        atomic_write_json(self.config_path, config.to_dict())

    def check_resumable(
        self,
        recipe: dict[str, Any],
        may_change: Iterable[str],
        data: dict[str, Any] | None = None,
        data_keys: Iterable[str] = (),
        threads: int | None = None,
    ) -> None:
        """Refuse to continue a run that was started with other settings (or other data);
        warn when it continues with another thread count than it was trained with.

        ``recipe`` is the resolved recipe as a dict; ``may_change`` are its keys free to differ
        (``distill.max_members``); ``data_keys`` are the fields of the data record ``data`` that
        must match. Nothing is overwritten on refusal.
        """
        if not self.has_config():
            return
        free, keys = tuple(may_change), list(data_keys)
        saved = self.read_config()
        differs = [f"recipe.{k}" for k in differing_keys(saved.recipe, recipe, free)]
        if data is not None and keys:
            old = {k: saved.data.get(k) for k in keys}
            differs += [f"data.{k}" for k in differing_keys(old, {k: data.get(k) for k in keys})]
        if saved.threads and threads and saved.threads != threads:
            log.warning(
                "%s was trained with %d threads, now %d: results differ slightly with the thread "
                "count (pass --threads %d to match)",
                self.root, saved.threads, threads, saved.threads,
            )  # fmt: skip
        if differs:
            raise EdgekitError(
                f"{self.root} holds a run with other settings or data ({', '.join(differs)}); "
                f"resume with the same ones (only {', '.join(free) or 'nothing'} may change) "
                "or choose another --out"
            )

    # ---------------------------------------------------------------------------- teacher
    def read_teacher(self) -> TeacherSummary | None:
        path = self.teacher_summary_path
        return TeacherSummary.from_dict(json.loads(path.read_text())) if path.exists() else None

    def write_teacher(self, summary: TeacherSummary) -> None:
        atomic_write_json(self.teacher_summary_path, summary.to_dict())

    # ----------------------------------------------------------------------------- rounds
    def read_rounds(self) -> list[dict[str, Any]]:
        """The accepted rounds; a damaged last line (a writer killed mid-line) is skipped, said."""
        path = self.metrics_path
        if not path.exists():
            return []
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        rows = []
        for number, line in enumerate(lines, start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                if number < len(lines):
                    raise EdgekitError(f"{path}: line {number} is not valid JSON ({exc})") from None
                log.warning(
                    "%s: skipped its damaged last line %d (an interrupted write)", path, number
                )
        return rows

    def write_rounds(self, rows: list[dict[str, Any]]) -> None:
        atomic_write_text(self.metrics_path, "".join(json.dumps(r) + "\n" for r in rows))

    def read_score(self, round_index: int, name: str) -> dict[str, Any] | None:
        path = self.candidate_score_path(round_index, name)
        return dict(json.loads(path.read_text())) if path.exists() else None

    def write_score(self, round_index: int, name: str, score: dict[str, Any]) -> None:
        atomic_write_json(self.candidate_score_path(round_index, name), score)

    def write_stopped(self, stopped: Stopped) -> None:
        atomic_write_json(self.stopped_path, dataclasses.asdict(stopped))

    def clear_stopped(self) -> None:
        """Forget why an earlier call stopped (the run is growing past that point)."""
        self.stopped_path.unlink(missing_ok=True)

    def read_stopped(self) -> Stopped | None:
        path = self.stopped_path
        return Stopped(**json.loads(path.read_text())) if path.exists() else None

    @property
    def warnings_path(self) -> Path:  # the data warnings a run carries (issue 18)
        return self.root / "warnings.json"

    def write_warnings(self, warnings: Iterable[str]) -> None:
        atomic_write_json(self.warnings_path, list(warnings))

    def read_warnings(self) -> list[str]:
        return read_warning_list(self.warnings_path)

    def read_baselines(self) -> dict[str, Any]:
        path = self.baselines_path
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def write_baselines(self, result: dict[str, Any]) -> None:
        atomic_write_json(self.baselines_path, result)

    # ---------------------------------------------------------------------------- members
    def read_member_records(self) -> list[MemberRecord]:
        """Finished members in order (member.json is written last, so it marks one finished)."""
        records = []
        index = 1
        while (path := self.member_record_path(index)).exists():
            records.append(MemberRecord(**json.loads(path.read_text())))
            index += 1
        return records

    def write_member(
        self, record: MemberRecord, state: dict[str, torch.Tensor], rounds: list[dict[str, Any]]
    ) -> None:
        """Save a finished member: its weights, the rounds' rows, then member.json (last: a
        member whose member.json exists is complete)."""
        from edgekit.checkpoint import save_checkpoint

        save_checkpoint(
            self.member_weights(record.index), {"model": state, "meta": record.to_dict()}
        )
        self.write_rounds(rounds)
        atomic_write_json(self.member_record_path(record.index), record.to_dict())

    def load_members(
        self, config: RunConfig | None = None
    ) -> tuple[list[MemberRecord], list[EdgeModel]]:
        """The finished members as eval-mode models on the CPU, each wired to its predecessor."""
        from edgekit.checkpoint import load_checkpoint
        from edgekit.models import build_model

        config = config or self.read_config()
        records = self.read_member_records()
        members: list[EdgeModel] = []
        for record in records:
            conn = members[-1].activation_shape if record.connected and members else None
            model = build_model(record.spec, config.feature_shape, config.num_classes, conn)
            model.load_state_dict(load_checkpoint(self.member_weights(record.index))["model"])
            members.append(model.eval())
        return records, members

    # ---------------------------------------------------------------------------- results
    def results(self) -> dict[str, Any]:
        """What reports show: the teacher, the rounds, the baselines, why the rounds stopped."""
        teacher = self.read_teacher()
        if teacher is None:
            raise EdgekitError(
                f"{self.root}: no {self.teacher_summary_path.relative_to(self.root)}; "
                "is this an `edgekit distill` run directory?"
            )
        stopped = self.read_stopped()
        return {
            "teacher": teacher.to_dict(),
            "rounds": self.read_rounds(),
            "baselines": self.read_baselines(),
            "stopped": None if stopped is None else dataclasses.asdict(stopped),
        }


__all__ = [
    "LOGITS",
    "MemberRecord",
    "RunConfig",
    "RunDir",
    "Stopped",
    "TeacherSummary",
    "TrainerFiles",
    "data_record",
    "differing_keys",
]
