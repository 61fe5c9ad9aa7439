"""``edgekit train-teacher``: recipe + data -> a trained teacher in ``RUN_DIR/teacher``.

The run directory holds ``config.json`` (the resolved recipe and the data record: class names,
front end and normalisation, everything export will need) and the teacher's trainer files with
its summary (see :mod:`edgekit.rundir`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from edgekit.atomic import atomic_write_json
from edgekit.checkpoint import load_checkpoint, save_checkpoint
from edgekit.config import Recipe, apply_overrides, load_recipe
from edgekit.cost import model_cost
from edgekit.data import Dataset, load_dataset
from edgekit.data.fit_checks import run_warnings
from edgekit.data.registry import task_info
from edgekit.errors import EdgekitError
from edgekit.models import EdgeModel, build_model
from edgekit.outputs import claim_output
from edgekit.pipelines.choose_affinity import (
    check_saved_choice,
    choose_warping,
    plain_set_aside,
    record_choice,
    restore_plain,
    wants_affinity,
    with_affinity,
)
from edgekit.pipelines.choose_augment import choose_slicing
from edgekit.pipelines.sizing import joined_data, sized_recipe
from edgekit.rundir import RunConfig, RunDir, TeacherSummary, data_record
from edgekit.rundir.affinity_choice import affinity_path, read_affinity
from edgekit.train.augment import speech_augmenter
from edgekit.train.distributed import pick_device, setup, teardown
from edgekit.train.losses import accuracy
from edgekit.train.predict import load_best, predict_logits
from edgekit.train.result import TrainResult
from edgekit.train.trainer import StepHook, Trainer

log = logging.getLogger(__name__)

# what a resumed teacher run may change, and the data facts it must share with the saved run
TEACHER_MAY_CHANGE = ("teacher_train.epochs",)
TEACHER_DATA_KEYS = ("task", "source", "class_names", "feature_shape", "sizes")


def _sized_data(
    recipe: Recipe, data_dir: Path | None, cache_dir: Path | None, root: Path, device: str
) -> tuple[Recipe, Dataset]:
    """The teacher's data (a tiny validation split joined to the training split), and the recipe
    sized to it (issue 18: steps floor, member layout; idempotent, see train/sizing.py), its
    window slicing chosen by CV inside the training split where the recipe asks for it."""
    data = load_dataset(
        recipe.task,
        data_dir or recipe.data_dir,
        cache_dir,
        with_audio=task_info(recipe.task).speech and recipe.teacher_train.augment,
        users=recipe.users.as_dict(),
    )
    recipe, _ = choose_slicing(recipe, data, root, device)  # before the join: train split only
    data = joined_data(recipe, data)
    return sized_recipe(recipe, len(data.train), data.feature_shape[0]), data


def train_teacher(
    task: str | Path,
    out_dir: Path,
    data_dir: Path | None = None,
    overrides: list[str] | None = None,
    device: str = "auto",
    resume: bool = False,
    cache_dir: Path | None = None,
    on_step: StepHook | None = None,
    recipe: Recipe | None = None,
) -> TeacherSummary:
    """Train the recipe's teacher (``task``: a task name or a recipe file); rerun with
    ``resume=True`` to continue a killed run. Where the recipe asks (``affinity_warp``), the
    plain teacher's affinity for window warping decides whether it is trained again with it."""
    recipe = apply_overrides(recipe or load_recipe(task), overrides or [])
    claim_output(Path(out_dir), "run")  # a folder edgekit did not write is never written into
    recipe, data = _sized_data(recipe, data_dir, cache_dir, Path(out_dir), device)
    run = RunDir(out_dir)
    saved = read_affinity(run.root)
    check_saved_choice(recipe, saved, run.root)
    recipe = with_affinity(recipe, saved)
    pending = saved is None and wants_affinity(recipe)
    joined_here = not dist.is_initialized()
    ctx = setup(device)  # under torchrun: one process group for both fits and the choice
    # killed while setting the plain teacher aside: resume it, do not train a new one (every
    # rank looks before rank 0 moves it back)
    restoring = pending and plain_set_aside(run)
    if ctx.distributed:
        dist.barrier()
    if restoring and ctx.is_main:
        restore_plain(run)
    if ctx.distributed:
        dist.barrier()
    resume = resume or restoring
    # a pending choice keeps the plain teacher's summary unwritten: a run killed before the
    # choice is written resumes here (ensure_teacher skips a teacher whose summary exists)
    summary, model = _fit(recipe, data, run, device, resume, on_step, final=not pending)
    if pending:
        choice = choose_warping(recipe, model, data.train, ctx.device)
        if ctx.is_main:  # one rank moves the plain teacher aside and writes the choice
            record_choice(run, choice)
        if ctx.distributed:
            dist.barrier()
            choice = read_affinity(run.root) or choice  # rank 0's, so every rank branches alike
        if choice.series_warp:
            warped = with_affinity(recipe, choice)
            summary, _ = _fit(warped, data, run, device, False, on_step, final=True)
        elif ctx.is_main:
            run.write_teacher(summary)  # the plain teacher stays: now it is the run's teacher
    if joined_here:
        teardown(ctx)
    return summary


def _fit(
    recipe: Recipe,
    data: Dataset,
    run: RunDir,
    device: str,
    resume: bool,
    on_step: StepHook | None,
    *,
    final: bool,
) -> tuple[TeacherSummary, EdgeModel]:
    """Train (or resume) ``recipe``'s teacher in ``run`` on ``data``; its summary and model. The
    summary (which marks the run's teacher as done) is written only where ``final``."""
    cfg = recipe.teacher_train
    warnings = run_warnings(data, recipe)  # issue 18: logged now, repeated in summary.md
    config = RunConfig(recipe.to_dict(), data_record(data), torch.get_num_threads())
    if run.has_config():
        if not resume:
            raise EdgekitError(
                f"{run.root} already holds a run; pass --resume to continue it or choose another --out"
            )
        run.check_resumable(
            config.recipe, TEACHER_MAY_CHANGE, config.data, TEACHER_DATA_KEYS, config.threads
        )
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    model: EdgeModel = build_model(recipe.teacher, data.feature_shape, data.num_classes)
    trainer = Trainer(
        model,
        data.train,
        data.val,
        cfg,
        run.teacher_dir,
        device=device,
        label=f"teacher {recipe.teacher}",
        on_step=on_step,
        meta={"spec": recipe.teacher, "task": recipe.task},
        patience=cfg.patience or None,  # issue 18: early stopping on validation
        keep_last=recipe.joins_val(len(data.val)),  # validation was trained on: no picking
    )
    trainer.features = speech_augmenter(data, cfg, trainer.ctx.device)
    result = trainer.fit(resume=resume)
    if trainer.ctx.is_main and not run.has_config():
        run.write_config(config)
    if trainer.ctx.is_main:
        run.write_warnings(warnings)
    load_best(model, run.teacher_dir)
    summary = _summary(recipe, data, model, trainer.ctx.device, result, run.root)
    if trainer.ctx.is_main and final:
        run.write_teacher(summary)
    return summary, model


def _summary(
    recipe: Recipe,
    data: Dataset,
    model: EdgeModel,
    device: torch.device,
    result: TrainResult,
    out_dir: Path,
) -> TeacherSummary:
    """The trained teacher's record: accuracy of its best epoch, cost, training time."""

    def acc(split: str) -> float | None:
        part = getattr(data, split)
        if part is None:
            return None
        return accuracy(predict_logits(model, part.x, device), torch.as_tensor(part.y))

    cost = model_cost(recipe.teacher, data.feature_shape, data.num_classes)
    return TeacherSummary(
        task=recipe.task,
        spec=recipe.teacher,
        val_accuracy=float(acc("val") or 0.0),
        test_accuracy=acc("test"),
        best_epoch=result.best_epoch,
        params=cost.params,
        macs=cost.macs,
        train_seconds=result.total_seconds,
        samples_per_second=result.samples_per_second,
        device=str(device),
        out_dir=str(out_dir),
    )


def ensure_teacher(
    recipe: Recipe,
    run: RunDir,
    data: Dataset,
    device: str,
    *,
    source: Path | None = None,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> EdgeModel:
    """The run's teacher, frozen, on ``device``: trained here unless the run has one, or copied
    from ``source`` (a train-teacher run directory or its best.pt)."""
    model = build_model(recipe.teacher, data.feature_shape, data.num_classes)
    if run.read_teacher() is None:
        if source is not None:
            if not dist.is_initialized() or dist.get_rank() == 0:  # rank 0 writes, once
                import_teacher(recipe, run, data, model, source, device)
            if dist.is_initialized():
                dist.barrier()
        else:
            train_teacher(
                recipe.task,
                run.root,
                data_dir,
                device=device,
                resume=run.has_config() or run.teacher.checkpoint.exists(),
                cache_dir=cache_dir,
                recipe=recipe,
            )
    load_best(model, run.teacher_dir)
    model.to(pick_device(device)).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def import_teacher(
    recipe: Recipe, run: RunDir, data: Dataset, model: EdgeModel, source: Path, device: str
) -> None:
    """Copy an existing teacher (a run directory or its best.pt) into ``run``; the affinity
    choice of the run it comes from comes with it (its members then warp as its teacher did)."""
    source = Path(source)
    origin = _source_run(source)
    choice = None if origin is None else read_affinity(origin)
    recipe = with_affinity(recipe, choice)
    ckpt = RunDir(source).teacher.best if source.is_dir() else source
    payload = load_checkpoint(ckpt)
    spec = payload.get("meta", {}).get("spec")
    if spec is not None and spec != recipe.teacher:
        raise EdgekitError(
            f"{ckpt}: holds a {spec} teacher but the recipe names {recipe.teacher}; "
            f"add --set teacher={spec}"
        )
    try:
        model.load_state_dict(payload["model"])
    except (RuntimeError, KeyError) as exc:
        raise EdgekitError(
            f"{ckpt}: weights do not fit {recipe.teacher} on {recipe.task} ({exc})"
        ) from exc
    if choice is not None:  # once the weights fit; before the config that applies it
        atomic_write_json(affinity_path(run.root), choice.to_dict())
    meta = {"spec": recipe.teacher, "task": recipe.task, "imported_from": str(ckpt)}
    save_checkpoint(
        run.teacher.best,
        {"model": model.state_dict(), "epoch": payload.get("epoch", 0), "meta": meta},
    )
    run.write_config(RunConfig(recipe.to_dict(), data_record(data), torch.get_num_threads()))
    on = pick_device(device)
    model.to(on).eval()
    val_acc = accuracy(predict_logits(model, data.val.x, on), torch.as_tensor(data.val.y))
    cost = model_cost(recipe.teacher, data.feature_shape, data.num_classes)
    run.write_teacher(
        TeacherSummary(
            task=recipe.task,
            spec=recipe.teacher,
            val_accuracy=val_acc,
            params=cost.params,
            macs=cost.macs,
            imported_from=str(ckpt),
        )
    )


def _source_run(source: Path) -> Path | None:
    """The train-teacher or distill run ``source`` belongs to: the directory itself, or the run
    holding ``RUN/teacher/best.pt`` (a plain teacher set aside, ``RUN/affinity_plain_teacher``,
    belongs to no choice)."""
    if source.is_dir():
        return source
    run = RunDir(source.parent.parent)
    if source.parent.name == run.teacher_dir.name and run.has_config():
        return run.root
    return None


def summary_text(summary: TeacherSummary) -> str:
    """One line for the terminal: accuracy, size, cost and time of a trained teacher."""
    test = "absent" if summary.test_accuracy is None else f"{summary.test_accuracy:.2%}"
    return (
        f"teacher {summary.spec} on {summary.task}: val accuracy {summary.val_accuracy:.2%} "
        f"(best epoch {summary.best_epoch}), test {test}; {summary.params:,} params, "
        f"{summary.macs:,} MACs; trained in {summary.train_seconds or 0:.0f} s on {summary.device} "
        f"({summary.samples_per_second or 0:,.0f} samples/s) -> {summary.out_dir}/teacher"
    )
