"""The ``edgekit`` command line. Thin on purpose: heavy imports happen inside commands, so
``edgekit --help`` answers fast; every user-facing failure prints one clear line, no traceback."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from edgekit import __version__
from edgekit.errors import EdgekitError
from edgekit.listen_cli import listen_cmd

app = typer.Typer(
    name="edgekit",
    help=(
        "Distill a large speech or sensor classifier into a progressive ensemble of tiny models "
        "for devices (B-DISTIL).\n\nExample: edgekit data info synthetic"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
data_app = typer.Typer(
    help="Inspect and fetch datasets (google13, kws8, dsa19, arrays, synthetic).",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")

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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edgekit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every fix-up and step.")
    ] = False,
) -> None:
    _setup_logging(logging.DEBUG if verbose else logging.INFO)


def _setup_logging(level: int) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False)
    logger = logging.getLogger("edgekit")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


@data_app.command("info")
def data_info(
    task: Annotated[str, typer.Argument(help="google13, kws8, dsa19, arrays or synthetic.")],
    data_dir: DataDirOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Recompute features; store nothing.")
    ] = False,
) -> None:
    """Print per-split, per-class counts and feature shapes of a task's data.

    Example: edgekit data info dsa19 --data-dir ../shared/data/dsa19_p1-p6.tar.xz
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
    from edgekit.data.download import download_google13
    from edgekit.data.registry import default_data_root

    if task != "google13":
        hint = {
            "dsa19": "get the UCI zip from the UCI repository (Daily and Sports Activities) by hand",
            "kws8": "kws8 is a subset shipped for tests; use google13 for the full data",
            "synthetic": "synthetic is generated, nothing to download",
        }.get(task, "known tasks: google13, kws8, dsa19, arrays, synthetic")
        raise EdgekitError(f"no download for {task!r}: {hint}")
    tree = download_google13(dest or default_data_root(), keep_archive=keep_archive)
    typer.echo(f"google13 data ready at {tree}")


DeviceOpt = Annotated[str, typer.Option(help="auto (CUDA when present), cpu, cuda or cuda:N.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a recipe value, e.g. --set teacher_train.epochs=5 (repeatable). "
        "Unknown keys are refused with the valid ones listed.",
    ),
]


@app.command("train-teacher")
def train_teacher_cmd(
    task: Annotated[str, typer.Argument(help="google13, kws8, dsa19, arrays or synthetic.")],
    data_dir: DataDirOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run directory [default: runs/TASK].")
    ] = None,
    overrides: SetOpt = None,
    device: DeviceOpt = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run in --out.")
    ] = False,
    cache_dir: CacheDirOpt = None,
) -> None:
    """Train the recipe's teacher for TASK and save it in RUN_DIR/teacher.

    Example: edgekit train-teacher dsa19 --data-dir ../shared/data/dsa19_p1-p6.tar.xz

    Multi-GPU or multi-process: torchrun --nproc_per_node 2 -m edgekit train-teacher ...
    """
    from edgekit.train.teacher import train_teacher

    summary = train_teacher(
        task,
        out or Path("runs") / task,
        data_dir=data_dir,
        overrides=overrides or [],
        device=device,
        resume=resume,
        cache_dir=cache_dir,
    )
    if summary.out_dir and _is_main_process():
        from rich.console import Console

        test = "absent" if summary.test_accuracy is None else f"{summary.test_accuracy:.2%}"
        Console().print(
            f"teacher {summary.spec} on {task}: val accuracy {summary.val_accuracy:.2%} "
            f"(best epoch {summary.best_epoch}), test {test}; {summary.params:,} params, "
            f"{summary.macs:,} MACs; trained in {summary.train_seconds:.0f} s on {summary.device} "
            f"({summary.samples_per_second:,.0f} samples/s) -> {summary.out_dir}/teacher",
            highlight=False,
        )


@app.command("distill")
def distill_cmd(
    task: Annotated[str, typer.Argument(help="google13, kws8, dsa19, arrays or synthetic.")],
    data_dir: DataDirOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run directory [default: runs/TASK].")
    ] = None,
    teacher: Annotated[
        Path | None,
        typer.Option(
            "--teacher",
            help="Use this teacher (a train-teacher run directory or its best.pt) instead of "
            "training one.",
        ),
    ] = None,
    overrides: SetOpt = None,
    device: DeviceOpt = "auto",
    baselines: Annotated[
        bool, typer.Option("--baselines", help="Also train RESCHED and NO-RESCHED to compare.")
    ] = False,
    cache_dir: CacheDirOpt = None,
) -> None:
    """Distill TASK's teacher into a progressive ensemble (B-DISTIL) and report it.

    Trains the teacher unless --teacher gives one, then runs FIND-WL rounds, saving every member,
    metrics.jsonl, summary.md and accuracy_cost.png in the run directory. Killed at any moment,
    the same command resumes with every finished member intact.

    Example: edgekit distill dsa19 --data-dir ../shared/data/dsa19_p1-p6.tar.xz --baselines
    """
    from edgekit.distill.pipeline import Distiller

    distiller = Distiller(
        task,
        out or Path("runs") / task,
        data_dir=data_dir,
        overrides=overrides or [],
        device=device,
        teacher=teacher,
        cache_dir=cache_dir,
    )
    distiller.prepare()
    distiller.run()
    if baselines:
        from edgekit.distill.baselines import train_baselines

        train_baselines(distiller)
    distiller.finish()
    from edgekit.distill.report import print_run

    print_run(distiller.out_dir)


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option(help="Run directory for the demo.")] = Path("runs/demo"),
    device: DeviceOpt = "auto",
) -> None:
    """The whole pipeline on the synthetic task, no download: teacher, B-DISTIL rounds, an int8
    TFLite bundle, then the torch-free runtime under a deadline. Prints the accuracy/cost table
    and where the plot and bundle are. Rerunning resumes.

    Example: edgekit demo --out runs/demo
    """
    from edgekit.demo import run_demo

    run_demo(out, device)


@app.command("baselines")
def baselines_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A finished `edgekit distill` run directory.")],
    data_dir: DataDirOpt = None,
    device: DeviceOpt = "auto",
    cache_dir: CacheDirOpt = None,
) -> None:
    """Train RESCHED and NO-RESCHED for a distill run and add them to its table and plot.

    Example: edgekit baselines runs/dsa19 --data-dir ../shared/data/dsa19_p1-p6.tar.xz
    """
    from edgekit.distill.baselines import train_baselines
    from edgekit.distill.pipeline import Distiller
    from edgekit.distill.report import print_run
    from edgekit.train.teacher import read_config

    config = read_config(run_dir)
    from edgekit.recipe import Recipe, apply_overrides, load_recipe

    task = config["recipe"]["task"]
    recipe: Recipe = apply_overrides(load_recipe(task), _flatten_overrides(config["recipe"]))
    distiller = Distiller(
        task, run_dir, data_dir=data_dir, device=device, cache_dir=cache_dir, recipe=recipe
    )
    distiller.prepare()
    if not distiller.records:
        raise EdgekitError(f"{run_dir}: no finished members yet; run `edgekit distill` first")
    train_baselines(distiller)
    distiller.finish()
    print_run(run_dir)


@app.command("export")
def export_cmd(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="A finished `edgekit distill` run directory (for --target c also a TFLite bundle)."
        ),
    ],
    target: Annotated[
        str,
        typer.Option(
            help="onnx (onnxruntime), tflite (LiteRT, TFLite Micro) or c (firmware_stubs/ tables, "
            "generated from a TFLite bundle written beside them)."
        ),
    ] = "onnx",
    int8: Annotated[
        bool,
        typer.Option("--int8", help="Static full-integer int8, calibrated on training samples."),
    ] = False,
    calib: Annotated[int, typer.Option(help="Calibration samples from the training split.")] = 256,
    out: Annotated[
        Path | None,
        typer.Option(help="Bundle directory [default: RUN_DIR/bundle-TARGET-PRECISION]."),
    ] = None,
    make_zip: Annotated[
        bool, typer.Option("--zip", help="Also write the bundle as one .zip beside it.")
    ] = False,
    data_dir: DataDirOpt = None,
    cache_dir: CacheDirOpt = None,
) -> None:
    """Export every member to one model file plus manifest.json, checked against PyTorch.

    The bundle is loaded back through the torch-free runtime and compared with PyTorch on the
    validation split before it is moved into place (float: logits within 1e-4 x their scale;
    int8: accuracy of every prefix, reported against float).

    Example: edgekit export runs/dsa19 --target tflite --int8 --zip

    For microcontrollers: edgekit export runs/dsa19 --target c --int8 --out fw/dsa19
    """
    precision = "int8" if int8 else "float"
    dest = out or run_dir / f"bundle-{target}-{precision}"
    if target == "c":
        import json

        from edgekit.export.c_export import export_c

        gen = export_c(run_dir, dest, int8, calib, data_dir, cache_dir)
        model = json.loads((gen / "model.json").read_text())
        for m in model["members"]:
            typer.echo(
                f"member {m['index']} {m['spec']}: flash {m['flash_bytes']:,} B, working memory "
                f"{m['work_bytes']:,} B, {m['ops']} ops, {m['macs']:,} MACs"
            )
        typer.echo(
            f"arena (RAM for ek_run): {model['arena_bytes']:,} B; flash in all "
            f"{model['flash_bytes']:,} B; C files in {dest} (build with firmware_stubs/); "
            f"the TFLite bundle they were generated from: {dest / 'bundle'}"
        )
        return
    from edgekit.export.exporter import ExportOptions, export_bundle
    from edgekit.export.report import print_bundle

    options = ExportOptions(target=target, int8=int8, calib=calib)
    bundle = export_bundle(run_dir, dest, options, data_dir, make_zip, cache_dir)
    print_bundle(bundle)


BackendOpt = Annotated[
    str,
    typer.Option(help="auto, onnxruntime, litert, tflite-runtime or tflm (the TFLM reference)."),
]


@app.command("run")
def run_cmd(
    bundle: Annotated[
        Path, typer.Argument(help="A bundle directory or .zip from `edgekit export`.")
    ],
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="A WAV/FLAC clip, a .npy of raw features, or a DSA-19 segment .txt.",
        ),
    ],
    max_members: Annotated[int | None, typer.Option(help="Run at most K members.")] = None,
    budget_macs: Annotated[
        int | None, typer.Option(help="Never go past M cumulative MACs.")
    ] = None,
    deadline_ms: Annotated[
        float | None,
        typer.Option(help="Start no member after D ms (anytime: the answer so far is returned)."),
    ] = None,
    margin: Annotated[
        float | None, typer.Option(help="Stop once the top-2 logit margin reaches T.")
    ] = None,
    backend: BackendOpt = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Classify one input with a bundle, running members until the budget is spent.

    Example: edgekit run runs/kws8/bundle-tflite-int8 yes.wav --deadline-ms 5
    """
    import json

    from edgekit.runtime import Policy, ProgressiveEnsemble, read_input

    ensemble = ProgressiveEnsemble.load(bundle, backend)
    policy = Policy(
        max_members=max_members, budget_macs=budget_macs, deadline_ms=deadline_ms, margin=margin
    )
    pred = ensemble.predict(read_input(input_path, ensemble.manifest), policy)
    result = pred.to_dict()
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(
        f"{result['class_name']} (class {result['label']}): {pred.members_run} of "
        f"{len(ensemble)} members, {pred.macs:,} MACs, {pred.elapsed_ms:.2f} ms, "
        f"stopped by {pred.stopped_by}"
    )
    typer.echo("logits: " + " ".join(f"{v:.3f}" for v in pred.logits[0]))


app.command("listen")(listen_cmd)  # streaming keyword spotting: edgekit/listen_cli.py


@app.command("bench")
def bench_cmd(
    bundle: Annotated[
        Path, typer.Argument(help="A bundle directory or .zip from `edgekit export`.")
    ],
    data: Annotated[
        Path | None,
        typer.Option(help="The task's data (as for --data-dir); its validation split is used."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write bench.md/.json/.png [default: BUNDLE-bench]."),
    ] = None,
    samples: Annotated[int, typer.Option(help="Inputs timed at batch 1.")] = 200,
    backend: BackendOpt = "auto",
    cache_dir: CacheDirOpt = None,
) -> None:
    """Measure a bundle: per-member latency (median, p99), per-prefix accuracy, the early-exit
    trade-off, and per-device latency estimates; writes Markdown, JSON and a PNG plot.

    Example: edgekit bench runs/dsa19/bundle-tflite-int8 --data ../shared/data/dsa19_p1-p6.tar.xz
    """
    from edgekit.bench import bench_bundle

    dest = out or bundle.with_name(bundle.name.removesuffix(".zip") + "-bench")
    bench_bundle(bundle, data, dest, samples, backend, cache_dir=cache_dir)
    typer.echo((dest / "bench.md").read_text())
    typer.echo(f"wrote {dest / 'bench.md'}, bench.json and bench.png")


@app.command("report")
def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="An `edgekit distill` run directory.")],
) -> None:
    """Write RUN_DIR/report.md: rounds, costs, the accuracy/cost plot against the baselines,
    every exported bundle's size and parity, and per-member latency from `edgekit bench`.

    Example: edgekit report runs/demo
    """
    from edgekit.run_report import write_run_report

    typer.echo(f"wrote {write_run_report(run_dir)}")


def _flatten_overrides(saved: dict[str, object], prefix: str = "") -> list[str]:
    """A saved recipe as --set items, so a run is rebuilt exactly as it was configured."""
    items: list[str] = []
    for key, value in saved.items():
        if isinstance(value, dict):
            items += _flatten_overrides(value, f"{prefix}{key}.")
        elif isinstance(value, list | tuple):
            items.append(f"{prefix}{key}={','.join(str(v) for v in value)}")
        elif value is None:
            items.append(f"{prefix}{key}=none")
        else:
            items.append(f"{prefix}{key}={value}")
    return items


def _is_main_process() -> bool:
    import os

    return os.environ.get("RANK", "0") == "0"


def main() -> None:
    """Entry point: runs the app and turns edgekit's own errors into one red line and exit code 2."""
    try:
        app()
    except EdgekitError as exc:
        from rich.console import Console

        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
