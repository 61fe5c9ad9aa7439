"""``edgekit distill`` and ``edgekit baselines``: the B-DISTIL sequence, written once.

prepare (settings checked against the run, data, teacher trained or imported, teacher logits)
-> rounds -> baselines (optional) -> report. The CLI, the demo and the benchmarks call these.
Killed at any moment, the same call resumes with every finished member intact. Under
``torchrun`` every rank runs these calls; the rounds spread their candidates over the ranks
(distill/rounds.py) and rank 0 alone writes the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from edgekit.config import Recipe, apply_overrides, load_recipe
from edgekit.data import load_dataset
from edgekit.distill.baselines import train_baselines
from edgekit.distill.context import prepare_context
from edgekit.distill.ranks import Ranks
from edgekit.distill.report import write_report
from edgekit.distill.rounds import Distiller
from edgekit.errors import EdgekitError
from edgekit.outputs import claim_output
from edgekit.pipelines.choose_affinity import saved_affinity
from edgekit.pipelines.choose_augment import choose_slicing
from edgekit.pipelines.sizing import joined_data, sized_recipe
from edgekit.pipelines.teacher import ensure_teacher
from edgekit.rundir import RunDir
from edgekit.tasks import task_info
from edgekit.train.distributed import setup

DISTILL_MAY_CHANGE = (
    "distill.max_members",  # a finished run may be extended
    "distill.paired_baselines",  # its baselines (paired students have folders of their own)
)


@dataclass(frozen=True)
class DistillOptions:
    """Where the data, the teacher and the device come from (everything but the recipe)."""

    data_dir: Path | None = None
    device: str = "auto"
    teacher: Path | None = None  # a train-teacher run directory or its best.pt
    cache_dir: Path | None = None


def resolve_recipe(
    task: str | Path | None, recipe_file: Path | None = None, overrides: list[str] | None = None
) -> Recipe:
    """The recipe for a task name or a recipe file (``--recipe``, or a path given as the task),
    with ``--set`` items applied."""
    if recipe_file is not None:
        recipe = load_recipe(recipe_file)
        if task is not None and str(task) != recipe.task:
            raise EdgekitError(
                f"{recipe_file} is a recipe for {recipe.task!r}, not {str(task)!r}; "
                "drop the task or pass a recipe for it"
            )
    elif task is not None:
        recipe = load_recipe(task)
    else:
        raise EdgekitError("name a task (e.g. synthetic) or pass --recipe path/to/recipe.py")
    return apply_overrides(recipe, overrides or [])


def prepare(recipe: Recipe, out_dir: Path, options: DistillOptions) -> Distiller:
    """Everything before the first round; returns the Distiller at the run's last member."""
    setup(options.device)  # under torchrun: join the process group (the rounds span the ranks)
    claim_output(out_dir, "run")  # a folder edgekit did not write is never written into
    run = RunDir(out_dir)
    # waveforms only where members train on augmented clips (train_teacher loads its own)
    audio = task_info(recipe.task).speech and recipe.student_train.augment
    data = load_dataset(
        recipe.task,
        options.data_dir or recipe.data_dir,
        options.cache_dir,
        with_audio=audio,
        users=recipe.users.as_dict(),
    )
    # issue 18: training (and cnn1d layouts) sized to the data before the resume check; a tiny
    # validation split joins the training split first (as train_teacher does), after the
    # teacher's window slicing is chosen by CV on the training split alone (if the recipe asks)
    recipe, _ = choose_slicing(recipe, data, out_dir, options.device)
    data = joined_data(recipe, data)
    recipe = sized_recipe(recipe, len(data.train), data.feature_shape[0])
    recipe = saved_affinity(recipe, out_dir)  # the teacher's warping, where its affinity chose it
    run.check_resumable(recipe.to_dict(), DISTILL_MAY_CHANGE, threads=torch.get_num_threads())
    Ranks.current().barrier()  # every rank has checked the folder before any rank writes to it
    teacher = ensure_teacher(
        recipe,
        run,
        data,
        options.device,
        source=options.teacher,
        data_dir=options.data_dir,
        cache_dir=options.cache_dir,
    )
    recipe = saved_affinity(recipe, out_dir)  # chosen while the teacher trained, if just now
    return Distiller(prepare_context(recipe, run, data, teacher, options.device, Ranks.current()))


def distill(
    task: str | Path | Recipe,
    out_dir: Path,
    *,
    overrides: list[str] | None = None,
    baselines: bool = False,
    data_dir: Path | None = None,
    device: str = "auto",
    teacher: Path | None = None,
    cache_dir: Path | None = None,
) -> Distiller:
    """Run (or resume) every phase for a task name, a recipe file or a Recipe; returns the
    finished Distiller (members, records, rounds)."""
    recipe = task if isinstance(task, Recipe) else resolve_recipe(task)
    recipe = apply_overrides(recipe, overrides or [])
    distiller = prepare(recipe, out_dir, DistillOptions(data_dir, device, teacher, cache_dir))
    distiller.run()
    if baselines:
        train_baselines(distiller.ctx, distiller.records, distiller.rounds)
    _finish(distiller)
    return distiller


def _finish(distiller: Distiller) -> None:
    """Rank 0 writes the report; under torchrun every rank then leaves the process group.
    The teacher's memo of augmented batches is released: nothing trains after this."""
    distiller.ctx.teacher_memo.release()
    if distiller.ranks.is_main:
        write_report(distiller.ctx.run)
    distiller.ranks.barrier()
    if dist.is_initialized():
        dist.destroy_process_group()


def add_baselines(run_dir: Path, options: DistillOptions | None = None) -> Distiller:
    """Train RESCHED and NO-RESCHED for a finished run, with the recipe it saved."""
    run = RunDir(run_dir)
    recipe = Recipe.from_dict(run.read_config().recipe)
    distiller = prepare(recipe, run_dir, options or DistillOptions())
    if not distiller.records:
        raise EdgekitError(f"{run_dir}: no finished members yet; run `edgekit distill` first")
    train_baselines(distiller.ctx, distiller.records, distiller.rounds)
    _finish(distiller)
    return distiller
