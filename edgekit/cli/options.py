"""Options several commands share (one definition, one help text)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgekit.tasks import task_names

TASKS = task_names()

TaskArg = Annotated[str, typer.Argument(help=f"{TASKS}.")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the task's data is: a Speech Commands tree (google13, kws8), the DSA zip/tar/"
        "folder (dsa19) or your .npz (arrays). google13 defaults to the download location.",
    ),
]
CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Feature cache folder [default: $EDGEKIT_CACHE_DIR or ~/.cache/edgekit].",
    ),
]
DeviceOpt = Annotated[str, typer.Option(help="auto (CUDA when present), cpu, cuda or cuda:N.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a recipe value, e.g. --set teacher_train.epochs=5 (repeatable). "
        "Unknown keys are refused with the valid ones listed.",
    ),
]
RecipeOpt = Annotated[
    Path | None,
    typer.Option(
        "--recipe",
        help="A recipe file of your own (defining RECIPE = Recipe(...)) instead of the task's "
        "shipped one; TASK may then be left out.",
    ),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="torch threads for training [default: the CPUs this process may use (affinity and "
        "cgroup quota), or $OMP_NUM_THREADS]. Recorded in the run: results differ slightly with it.",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace an edgekit output of another kind at --out (never a file or folder "
        "edgekit did not write).",
    ),
]
BackendOpt = Annotated[
    str,
    typer.Option(help="auto, onnxruntime, litert, tflite-runtime or tflm (the TFLM reference)."),
]


def default_out(task: str | None, recipe: Path | None) -> Path:
    """runs/TASK (or runs/<recipe file's name>)."""
    return Path("runs") / (task or (recipe.stem if recipe else "run"))
