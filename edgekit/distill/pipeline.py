"""``edgekit distill``: the B-DISTIL pipeline as one object with explicit phases.

``prepare`` (data, selection split, teacher trained or loaded, teacher logits cached) ->
``run`` (rounds of FIND-WL, each finished member saved atomically) -> ``finish`` (summary,
plot). Every phase reads what an earlier, possibly killed, run left: finished members are
loaded, finished candidates are not retrained, a half-trained candidate resumes from its
last epoch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from edgekit.atomic import atomic_write_json, atomic_write_text
from edgekit.cost import model_cost
from edgekit.data import Dataset, Split, load_dataset
from edgekit.distill.ensemble import Ensemble, MemberRecord, Stage, fold_step
from edgekit.distill.findwl import Candidate, candidates, find_weak_learner
from edgekit.distill.objectives import StageOutput, logit_edge, member_loss
from edgekit.distill.scoring import (
    best_step,
    calibrated_loss,
    ensemble_stats,
    heldout_loss,
    relative_edge,
)
from edgekit.errors import EdgekitError
from edgekit.models import EdgeModel, build_model
from edgekit.recipe import Recipe, apply_overrides, load_recipe
from edgekit.train.checkpoint import load_checkpoint, save_checkpoint
from edgekit.train.distributed import pick_device
from edgekit.train.loop import BEST, Trainer, load_best, predict_logits
from edgekit.train.sizing import sized_recipe

log = logging.getLogger(__name__)

LOGITS = "teacher-logits"  # ArrayCache entry name in the run directory
METRICS = "metrics.jsonl"


def split_selection(train: Split, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(member-train indices, selection indices) carved from the training split.

    By group (speaker, user) where the split has groups, so selection data is as new to the
    members as validation data is; else by sample. Never touches the validation split.
    """
    rng = np.random.default_rng(seed + 7919)
    n = len(train)
    if train.groups is not None and len(np.unique(train.groups)) >= 2:
        groups = np.unique(train.groups)
        count = max(1, round(fraction * len(groups)))
        chosen = rng.choice(groups, size=count, replace=False)
        mask = np.isin(train.groups, chosen)
    else:
        mask = np.zeros(n, dtype=bool)
        mask[rng.choice(n, size=max(1, round(fraction * n)), replace=False)] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


@dataclass
class Parts:
    """The arrays the rounds work on: member-train, selection, validation (and test)."""

    fit: Split
    selection: Split
    val: Split
    test: Split | None


def _subset(split: Split, idx: np.ndarray) -> Split:
    return Split(
        split.x[idx], split.y[idx], None, None if split.groups is None else split.groups[idx]
    )


class Distiller:
    """One B-DISTIL run in ``out_dir``; rerunning the same command resumes it."""

    def __init__(
        self,
        task: str,
        out_dir: Path,
        data_dir: Path | None = None,
        overrides: list[str] | None = None,
        device: str = "auto",
        teacher: Path | None = None,
        cache_dir: Path | None = None,
        recipe: Recipe | None = None,
    ) -> None:
        self.task = task
        self.out_dir = Path(out_dir)
        self.data_dir = data_dir
        self.recipe = apply_overrides(recipe or load_recipe(task), overrides or [])
        self.device = pick_device(device)
        self.device_name = device
        self.teacher_source = teacher
        self.cache_dir = cache_dir
        self.members: list[EdgeModel] = []
        self.records: list[MemberRecord] = []
        self.rounds: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ phase 1: prepare
    def prepare(self) -> None:
        self.data: Dataset = load_dataset(
            self.task, self.data_dir or self.recipe.data_dir, self.cache_dir
        )
        # issue 18: training (and cnn1d layouts) sized to the data before the resume check
        self.recipe = sized_recipe(self.recipe, len(self.data.train), self.data.feature_shape[0])
        self._check_existing_run()
        cfg = self.recipe.teacher_train
        fit_idx, sel_idx = split_selection(
            self.data.train, self.recipe.distill.selection_fraction, cfg.seed
        )
        self.parts = Parts(
            _subset(self.data.train, fit_idx),
            _subset(self.data.train, sel_idx),
            self.data.val,
            self.data.test,
        )
        self.teacher = self._teacher()
        self.teacher_macs = model_cost(
            self.recipe.teacher, self.data.feature_shape, self.data.num_classes
        ).macs
        self.logits = self._teacher_logits()
        self._load_members()

    def _check_existing_run(self) -> None:
        config = self.out_dir / "config.json"
        if not config.exists():
            return
        saved = json.loads(config.read_text())["recipe"]
        current = self.recipe.to_dict()
        saved_distill = {k: v for k, v in saved.get("distill", {}).items() if k != "max_members"}
        current_distill = {k: v for k, v in current["distill"].items() if k != "max_members"}
        differs = [
            k
            for k in current
            if k != "distill" and _jsonable(saved.get(k)) != _jsonable(current[k])
        ]
        differs += [
            f"distill.{k}"
            for k in current_distill
            if _jsonable(saved_distill.get(k)) != _jsonable(current_distill[k])
        ]
        if differs:
            raise EdgekitError(
                f"{self.out_dir} holds a run with other settings ({', '.join(differs)}); rerun with the "
                "same settings to resume it (only distill.max_members may change) or choose another --out"
            )

    def _teacher(self) -> EdgeModel:
        from edgekit.train.teacher import TEACHER_DIR, train_teacher

        teacher_dir = self.out_dir / TEACHER_DIR
        model = build_model(self.recipe.teacher, self.data.feature_shape, self.data.num_classes)
        if not (teacher_dir / "summary.json").exists():
            if self.teacher_source is not None:
                self._import_teacher(teacher_dir, model)
            else:
                train_teacher(
                    self.task,
                    self.out_dir,
                    self.data_dir,
                    device=self.device_name,
                    resume=(self.out_dir / "config.json").exists()
                    or (teacher_dir / "checkpoint.pt").exists(),
                    cache_dir=self.cache_dir,
                    recipe=self.recipe,
                )
        load_best(model, teacher_dir)
        model.to(self.device).eval()
        for p in model.parameters():
            p.requires_grad_(False)
        return model

    def _import_teacher(self, teacher_dir: Path, model: EdgeModel) -> None:
        """Copy an existing teacher (a run directory or its best.pt) into this run."""
        from edgekit.train.teacher import CONFIG, dataset_record

        source = Path(self.teacher_source)  # type: ignore[arg-type]
        ckpt = source / "teacher" / BEST if source.is_dir() else source
        payload = load_checkpoint(ckpt)
        spec = payload.get("meta", {}).get("spec")
        if spec is not None and spec != self.recipe.teacher:
            raise EdgekitError(
                f"{ckpt}: holds a {spec} teacher but the recipe names {self.recipe.teacher}; "
                f"add --set teacher={spec}"
            )
        try:
            model.load_state_dict(payload["model"])
        except (RuntimeError, KeyError) as exc:
            raise EdgekitError(
                f"{ckpt}: weights do not fit {self.recipe.teacher} on {self.task} ({exc})"
            ) from exc
        teacher_dir.mkdir(parents=True, exist_ok=True)
        save_checkpoint(
            teacher_dir / BEST,
            {
                "model": model.state_dict(),
                "epoch": payload.get("epoch", 0),
                "meta": {
                    "spec": self.recipe.teacher,
                    "task": self.task,
                    "imported_from": str(ckpt),
                },
            },
        )
        atomic_write_json(
            self.out_dir / CONFIG,
            {"recipe": self.recipe.to_dict(), "data": dataset_record(self.data)},
        )
        model.to(self.device).eval()
        from edgekit.train.losses import accuracy

        val_acc = accuracy(
            predict_logits(model, self.data.val.x, self.device), torch.as_tensor(self.data.val.y)
        )
        cost = model_cost(self.recipe.teacher, self.data.feature_shape, self.data.num_classes)
        atomic_write_json(
            teacher_dir / "summary.json",
            {
                "task": self.task,
                "spec": self.recipe.teacher,
                "val_accuracy": val_acc,
                "params": cost.params,
                "macs": cost.macs,
                "imported_from": str(ckpt),
            },
        )

    def _teacher_logits(self) -> dict[str, Tensor]:
        """Teacher logits on every part, computed once and cached in the run.

        The cache entry is keyed by the teacher's weights and the parts' sizes and verified by
        digest on load (``ArrayCache``): a torn or stale file is recomputed, never trusted.
        """
        from edgekit.data.cache import ArrayCache, cache_key
        from edgekit.train.teacher import TEACHER_DIR

        names = ["fit", "selection", "val"] + (["test"] if self.parts.test is not None else [])
        teacher_file = self.out_dir / TEACHER_DIR / BEST
        key = cache_key(
            teacher=hashlib.sha256(teacher_file.read_bytes()).hexdigest(),
            sizes={k: len(getattr(self.parts, k)) for k in names},
        )
        cache = ArrayCache(self.out_dir)
        cached = cache.load(LOGITS, key)
        if cached is not None:
            return {k: torch.from_numpy(cached[k]) for k in names}

        logits = {
            k: predict_logits(self.teacher, getattr(self.parts, k).x, self.device) for k in names
        }
        cache.save(LOGITS, key, {k: v.numpy() for k, v in logits.items()})
        return logits

    def _member_dir(self, index: int) -> Path:
        return self.out_dir / "members" / f"{index:02d}"

    def _load_members(self) -> None:
        """Finished members (member.json written last) from an earlier run."""
        self.members, self.records = [], []
        index = 1
        while (self._member_dir(index) / "member.json").exists():
            record = MemberRecord(
                **json.loads((self._member_dir(index) / "member.json").read_text())
            )
            model = self._build(record.spec, record.connected)
            model.load_state_dict(load_checkpoint(self._member_dir(index) / "model.pt")["model"])
            model.to(self.device).eval()
            self.members.append(model)
            self.records.append(record)
            index += 1
        metrics = self.out_dir / METRICS
        if metrics.exists():
            self.rounds = [json.loads(line) for line in metrics.read_text().splitlines()][
                : len(self.records)
            ]

    def _build(self, spec: str, connected: bool) -> EdgeModel:
        conn = self.members[-1].activation_shape if connected and self.members else None
        return build_model(spec, self.data.feature_shape, self.data.num_classes, conn)

    # ------------------------------------------------------------------ phase 2: rounds
    def ensemble(self) -> Ensemble | None:
        if not self.members:
            return None
        return Ensemble(self.members, [r.connected for r in self.records]).to(self.device).eval()

    def _ensemble_logits(self, part: str) -> Tensor:
        """F_t on a part (zeros before the first member)."""
        split: Split = getattr(self.parts, part)
        ens = self.ensemble()
        if ens is None:
            return torch.zeros(len(split), self.data.num_classes)
        outs = []
        with torch.no_grad():
            xs = torch.as_tensor(split.x)
            for i in range(0, len(xs), 512):
                outs.append(ens(xs[i : i + 512].to(self.device))[0].float().cpu())
        return torch.cat(outs)

    def run(self) -> None:
        cfg = self.recipe.distill
        temperature = self.recipe.student_train.kd_temperature
        while len(self.members) < cfg.max_members:
            index = len(self.members) + 1
            used = sum(r.macs for r in self.records)
            budget_left = cfg.budget * self.teacher_macs - used
            prev_act = self.members[-1].activation_shape if self.members else None
            cands, skipped = candidates(
                self.recipe.students,
                cfg,
                self.data.feature_shape,
                self.data.num_classes,
                prev_act,
                budget_left,
                index == 1,
            )
            if not cands:
                log.warning("round %d: no candidate fits the remaining budget; stopping", index)
                self._stop(index, "budget", skipped)
                break
            prev_sel = self._ensemble_logits("selection")
            scale = 1.0
            if cfg.calibrated and self.members:
                scale = calibrated_loss(prev_sel, self.logits["selection"], temperature)[0]
            prev_sel = scale * prev_sel  # F_{t-1} at its calibrated scale (Stage says why)
            loss_before = heldout_loss(
                prev_sel, self.logits["selection"], temperature, cfg.calibrated
            )
            score = functools.partial(
                self._try_in_round, index, cands, prev_sel, loss_before, scale
            )
            chosen, tried = find_weak_learner(cands, score, cfg.gamma_min)
            if chosen is None:
                log.warning("round %d: no candidate lowers the held-out loss; stopping", index)
                self._stop(index, "no candidate helps", skipped, tried)
                break
            self._accept(index, chosen[0], chosen[1], tried, skipped)

    def _try_in_round(
        self,
        index: int,
        cands: list[Candidate],
        prev_sel: Tensor,
        loss_before: float,
        scale: float,
        cand: Candidate,
    ) -> dict[str, Any]:
        return self._try(
            index, cands.index(cand) + 1, len(cands), cand, prev_sel, loss_before, scale
        )

    def _try(
        self,
        index: int,
        j: int,
        total: int,
        cand: Candidate,
        prev_sel: Tensor,
        loss_before: float,
        scale: float,
    ) -> dict[str, Any]:
        """Train one candidate (or read its finished score) and score it on the selection data."""
        cand_dir = self.out_dir / "rounds" / f"{index:02d}" / cand.name
        score_path = cand_dir / "score.json"
        if score_path.exists():
            return dict(json.loads(score_path.read_text()))
        stage = self._stage(cand, scale)
        cfg, train_cfg = self.recipe.distill, self.recipe.student_train
        teacher_fit = self.logits["fit"]
        sel_x = torch.as_tensor(self.parts.selection.x)
        temperature = train_cfg.kd_temperature

        def loss(out: StageOutput, idx: Tensor, labels: Tensor) -> Tensor:
            target = teacher_fit[idx].to(out.logits.device)
            return member_loss(
                cand.objective, out, target, temperature, cfg.eta_for(cand.objective), cfg.beta
            )

        def validate(model: torch.nn.Module) -> dict[str, float]:
            f = predict_logits(model, sel_x, self.device, output="member")
            value = heldout_loss(
                prev_sel + f, self.logits["selection"], temperature, cfg.calibrated
            )
            acc = float(
                ((prev_sel + f).argmax(1) == torch.as_tensor(self.parts.selection.y))
                .double()
                .mean()
            )
            return {"val_loss": value, "score": -value, "val_accuracy": acc}

        torch.manual_seed(train_cfg.seed * 1000 + index * 31 + j)
        trainer = Trainer(
            stage,
            self.parts.fit,
            self.parts.selection,
            train_cfg,
            cand_dir,
            device=self.device_name,
            loss=loss,
            label=f"round {index} cand {j}/{total} {cand.name}",
            validate=validate,
            score_key="score",
            patience=cfg.patience or None,
        )
        trainer.fit(resume=(cand_dir / "checkpoint.pt").exists())
        stage.load_state_dict(load_checkpoint(cand_dir / BEST)["model"])
        f = predict_logits(stage, sel_x, self.device, output="member")
        alpha, loss_after = best_step(
            prev_sel, f, self.logits["selection"], temperature, cfg.alpha_max, cfg.calibrated
        )
        score = {
            "candidate": cand.name,
            "spec": cand.spec,
            "connected": cand.connected,
            "objective": cand.objective,
            "macs": cand.macs,
            "params": cand.params,
            "alpha": alpha,
            "previous_scale": scale,
            "fold": alpha / scale,  # what the member's head is multiplied by
            "selection_loss_before": loss_before,
            "selection_loss_after": loss_after,
            "edge": relative_edge(loss_before, loss_after),
            "logit_edge": logit_edge(prev_sel, alpha * f, self.logits["selection"], cfg.logit_eta),
        }
        atomic_write_json(score_path, score)
        return score

    def _stage(self, cand: Candidate, scale: float = 1.0) -> Stage:
        member = self._build(cand.spec, cand.connected)
        return Stage(self.ensemble(), member, cand.connected, scale)

    def _accept(
        self,
        index: int,
        cand: Candidate,
        score: dict[str, Any],
        tried: list[dict[str, Any]],
        skipped: list[Any],
    ) -> None:
        stage = self._stage(cand)
        cand_dir = self.out_dir / "rounds" / f"{index:02d}" / cand.name
        stage.load_state_dict(load_checkpoint(cand_dir / BEST)["model"])
        member = stage.member.to(self.device).eval()
        fold = float(score.get("fold", score["alpha"]))
        fold_step(member, fold)
        record = MemberRecord(
            index,
            cand.spec,
            cand.connected,
            cand.objective,
            fold,
            score["edge"],
            cand.macs,
            cand.params,
        )
        self.members.append(member)
        self.records.append(record)
        row = self._round_row(record, tried, skipped)
        self.rounds.append(row)
        member_dir = self._member_dir(index)
        save_checkpoint(
            member_dir / "model.pt", {"model": member.state_dict(), "meta": record.to_dict()}
        )
        atomic_write_text(
            self.out_dir / METRICS, "".join(json.dumps(r) + "\n" for r in self.rounds)
        )
        atomic_write_json(
            member_dir / "member.json", record.to_dict()
        )  # last: marks the member finished
        log.info(
            "round %d: chose %s (edge %.3f, alpha %.2f); val accuracy of F_%d %.2f%% at %.1f%% of the teacher's MACs",
            index, cand.name, score["edge"], score["alpha"], index, 100 * row["val_accuracy"], 100 * row["teacher_fraction"],
        )  # fmt: skip

    def _round_row(
        self, record: MemberRecord, tried: list[dict[str, Any]], skipped: list[Any]
    ) -> dict[str, Any]:
        cfg, temperature = self.recipe.distill, self.recipe.student_train.kd_temperature
        cumulative = sum(r.macs for r in self.records)
        row: dict[str, Any] = {
            "round": record.index,
            "chosen": f"{record.spec}{'+conn' if record.connected else ''}-{record.objective}",
            "spec": record.spec,
            "connected": record.connected,
            "objective": record.objective,
            "edge": record.edge,
            "alpha": record.alpha,
            "member_macs": record.macs,
            "cumulative_macs": cumulative,
            "teacher_macs": self.teacher_macs,
            "teacher_fraction": cumulative / self.teacher_macs,
            "tried": tried,
            "skipped": [s.__dict__ for s in skipped],
        }
        for part in ("fit", "selection", "val", "test"):
            split = getattr(self.parts, part)
            if split is None:
                continue
            stats = ensemble_stats(
                self._ensemble_logits(part),
                self.logits[part],
                torch.as_tensor(split.y),
                temperature,
                cfg.logit_eta,
            )
            row.update(
                stats.to_dict(
                    {"fit": "train", "selection": "selection", "val": "val", "test": "test"}[part]
                )
            )
        return row

    def _stop(
        self, index: int, reason: str, skipped: list[Any], tried: list[dict[str, Any]] | None = None
    ) -> None:
        atomic_write_json(
            self.out_dir / "stopped.json",
            {
                "round": index,
                "reason": reason,
                "tried": tried or [],
                "skipped": [s.__dict__ for s in skipped],
            },
        )

    # ------------------------------------------------------------------ phase 3: report
    def finish(self) -> Path:
        from edgekit.distill.report import write_report

        return write_report(self.out_dir)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


def distill(task: str, out_dir: Path, **kwargs: Any) -> Distiller:
    """Run every phase; returns the finished distiller (members, records, rounds)."""
    distiller = Distiller(task, out_dir, **kwargs)
    distiller.prepare()
    distiller.run()
    distiller.finish()
    return distiller


__all__ = ["Distiller", "distill", "split_selection"]
