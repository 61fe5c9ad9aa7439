"""``edgekit data info|download``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgekit.cli import app
from edgekit.cli.options import TASKS, CacheDirOpt, DataDirOpt, TaskArg

data_app = typer.Typer(
    help=f"Inspect and fetch datasets ({TASKS}).\n\nExample: edgekit data info synthetic",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")


@data_app.command("info")
def data_info(
    task: TaskArg,
    data_dir: DataDirOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Recompute features; store nothing.")
    ] = False,
) -> None:
    """Print per-split, per-class counts and feature shapes of a task's data.

    Example: edgekit data info dsa19 --data-dir dsa19.zip
    """
    import time

    from edgekit.data import load_dataset
    from edgekit.data.report import print_dataset_info

    start = time.perf_counter()
    dataset = load_dataset(task, data_dir, cache_dir, use_cache=not no_cache)
    print_dataset_info(dataset, time.perf_counter() - start)


@data_app.command("download")
def data_download(
    task: Annotated[str, typer.Argument(help="The dataset to fetch: google13.")],
    dest: Annotated[
        Path | None,
        typer.Option(
            help="Folder to put it in [default: $EDGEKIT_DATA_DIR or ~/.local/share/edgekit]."
        ),
    ] = None,
    keep_archive: Annotated[bool, typer.Option(help="Keep the .tar.gz after extracting.")] = False,
) -> None:
    """Download and extract a dataset (checksummed; rerun to resume an interrupted download).

    Example: edgekit data download google13
    """
    from edgekit.data.download import fetch

    typer.echo(fetch(task, dest, keep_archive=keep_archive))
