"""``edgekit train-teacher | distill | baselines | demo``: the training side."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from edgekit.cli import app
from edgekit.cli.options import (
    TASKS,
    CacheDirOpt,
    DataDirOpt,
    DeviceOpt,
    RecipeOpt,
    SetOpt,
    ThreadsOpt,
    default_out,
)

OptionalTaskArg = Annotated[
    str | None, typer.Argument(help=f"{TASKS} (or leave out and pass --recipe).")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Run directory [default: runs/TASK].")]


@app.command("train-teacher")
def train_teacher_cmd(
    task: OptionalTaskArg = None,
    recipe: RecipeOpt = None,
    data_dir: DataDirOpt = None,
    out: OutOpt = None,
    overrides: SetOpt = None,
    device: DeviceOpt = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run in --out.")
    ] = False,
    cache_dir: CacheDirOpt = None,
    threads: ThreadsOpt = None,
) -> None:
    """Train the recipe's teacher for TASK and save it in RUN_DIR/teacher.

    Example: edgekit train-teacher dsa19 --data-dir dsa19.zip

    Multi-GPU or multi-process: torchrun --nproc_per_node 2 -m edgekit train-teacher ...
    """
    from edgekit.pipelines.distill import resolve_recipe
    from edgekit.pipelines.teacher import summary_text, train_teacher
    from edgekit.threads import apply_threads

    apply_threads(threads)
    chosen = resolve_recipe(task, recipe, overrides)
    summary = train_teacher(
        chosen.task,
        out or default_out(task, recipe),
        data_dir=data_dir,
        device=device,
        resume=resume,
        cache_dir=cache_dir,
        recipe=chosen,
    )
    if summary.out_dir and os.environ.get("RANK", "0") == "0":  # one line, from rank 0
        typer.echo(summary_text(summary))


@app.command("distill")
def distill_cmd(
    task: OptionalTaskArg = None,
    recipe: RecipeOpt = None,
    data_dir: DataDirOpt = None,
    out: OutOpt = None,
    teacher: Annotated[
        Path | None,
        typer.Option(
            "--teacher",
            help="Use this teacher (a train-teacher run directory or its best checkpoint file) instead of "
            "training one.",
        ),
    ] = None,
    overrides: SetOpt = None,
    device: DeviceOpt = "auto",
    baselines: Annotated[
        bool, typer.Option("--baselines", help="Also train RESCHED and NO-RESCHED to compare.")
    ] = False,
    cache_dir: CacheDirOpt = None,
    threads: ThreadsOpt = None,
) -> None:
    """Distill TASK's teacher into a progressive ensemble (B-DISTIL) and report it.

    Trains the teacher unless --teacher gives one, then runs FIND-WL rounds, saving every member,
    metrics.jsonl, summary.md and accuracy_cost.png in the run directory. Killed at any moment,
    the same command resumes with every finished member intact.

    Example: edgekit distill dsa19 --data-dir dsa19.zip --baselines

    Your own recipe: edgekit distill --recipe my_recipe.py --data-dir mine.npz

    Candidates over processes, GPUs or machines: torchrun --nproc_per_node 2 -m edgekit distill ...
    """
    from edgekit.distill.report import print_run
    from edgekit.pipelines.distill import distill, resolve_recipe
    from edgekit.threads import apply_threads

    apply_threads(threads)
    distiller = distill(
        resolve_recipe(task, recipe, overrides),
        out or default_out(task, recipe),
        baselines=baselines,
        data_dir=data_dir,
        device=device,
        teacher=teacher,
        cache_dir=cache_dir,
    )
    if distiller.ranks.is_main:  # under torchrun: one table, from rank 0
        print_run(distiller.ctx.run)


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option(help="Run directory for the demo.")] = Path("runs/demo"),
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = None,
) -> None:
    """The whole pipeline on the synthetic task, no download: teacher, B-DISTIL rounds, an int8
    TFLite bundle, then the torch-free runtime under a deadline. Prints the accuracy/cost table
    and where the plot and bundle are. Rerunning resumes.

    Example: edgekit demo --out runs/demo
    """
    from edgekit.pipelines.demo import run_demo
    from edgekit.threads import apply_threads

    apply_threads(threads)
    run_demo(out, device)


@app.command("baselines")
def baselines_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A finished `edgekit distill` run directory.")],
    data_dir: DataDirOpt = None,
    device: DeviceOpt = "auto",
    cache_dir: CacheDirOpt = None,
    threads: ThreadsOpt = None,
) -> None:
    """Train RESCHED and NO-RESCHED for a distill run and add them to its table and plot.

    Example: edgekit baselines runs/dsa19 --data-dir dsa19.zip
    """
    from edgekit.distill.report import print_run
    from edgekit.pipelines.distill import DistillOptions, add_baselines
    from edgekit.threads import apply_threads

    apply_threads(threads)
    distiller = add_baselines(run_dir, DistillOptions(data_dir, device, None, cache_dir))
    if distiller.ranks.is_main:
        print_run(distiller.ctx.run)
