"""``edgekit run | bench | report``: using a bundle, and reporting a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from edgekit.cli import app
from edgekit.cli.options import BackendOpt, CacheDirOpt, ForceOpt


def _load_noting_fixups(path: Path, manifest: Any, long_audio: str) -> Any:
    """The input's features; each fix-up applied to it printed as a note on stderr."""
    from edgekit.errors import ConfigError
    from edgekit.runtime import load_input

    if long_audio not in ("refuse", "loudest"):
        raise ConfigError(f"--long-audio: expected refuse or loudest, got {long_audio!r}")
    loaded = load_input(path, manifest, long_audio)  # type: ignore[arg-type]
    for note in loaded.fixups:
        typer.echo(f"note: {path}: {note}", err=True)
    return loaded


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
    long_audio: Annotated[
        str,
        typer.Option(
            help="Audio longer than the model's clip: refuse (say how to cut it) or loudest "
            "(keep its loudest clip-long window, and say so)."
        ),
    ] = "refuse",
) -> None:
    """Classify one input with a bundle, running members until the budget is spent.

    Every fix-up of the input (stereo mixed down, another sample rate resampled, a long clip
    cropped with --long-audio loudest) is printed as a note and listed in --json as "fixups".

    Example: edgekit run runs/kws8/bundle-tflite-int8 yes.wav --deadline-ms 5
    """
    import json

    from edgekit.runtime import Policy, ProgressiveEnsemble

    ensemble = ProgressiveEnsemble.load(bundle, backend)
    policy = Policy(
        max_members=max_members, budget_macs=budget_macs, deadline_ms=deadline_ms, margin=margin
    )
    loaded = _load_noting_fixups(input_path, ensemble.manifest, long_audio)
    pred = ensemble.predict(loaded.features, policy)
    result = {**pred.to_dict(), "fixups": loaded.fixups}
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(
        f"{result['class_name']} (class {result['label']}): {pred.members_run} of "
        f"{len(ensemble)} members, {pred.macs:,} MACs, {pred.elapsed_ms:.2f} ms, "
        f"stopped by {pred.stopped_by}"
    )
    typer.echo("logits: " + " ".join(f"{v:.3f}" for v in pred.logits[0]))


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
    force: ForceOpt = False,
    split: Annotated[
        str, typer.Option(help="The split accuracy is measured on: val or test (where present).")
    ] = "val",
    perturb_copies: Annotated[
        int,
        typer.Option(
            help="Copies of the split under the task recipe's sensor augmentation (DSA-19) that "
            "the recommended margin must not change decisions on either; 0: the split alone."
        ),
    ] = 4,
) -> None:
    """Measure a bundle: per-member latency (median, p99), per-prefix accuracy, the early-exit
    trade-off, and per-device latency estimates; writes Markdown, JSON and a PNG plot.

    It recommends the early-exit margin that changes none of the full ensemble's decisions on
    the data given, nor on perturbed copies of it where the task's recipe augments sensors (for
    `edgekit run --margin`): a margin picked for equal accuracy alone swaps errors, and one
    picked at the edge of the given users alone lost points on new users.

    Example: edgekit bench runs/dsa19/bundle-tflite-int8 --data dsa19.zip
    """
    from edgekit.bench import bench_bundle
    from edgekit.errors import ConfigError
    from edgekit.outputs import claim_output, mark_output

    if samples < 1:
        raise ConfigError(f"--samples must be >= 1 (inputs timed at batch 1), got {samples}")
    if perturb_copies < 0:
        raise ConfigError(f"--perturb-copies must be >= 0 (0: no copies), got {perturb_copies}")
    if data is not None and not data.exists():
        raise ConfigError(f"--data {data}: no such file or folder")
    dest = out or bundle.with_name(bundle.name.removesuffix(".zip") + "-bench")
    claim_output(dest, "bench", force=force)
    bench_bundle(
        bundle, data, dest, samples, backend, cache_dir=cache_dir, split=split,
        perturb_copies=perturb_copies,
    )  # fmt: skip
    mark_output(dest, "bench")
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
    from edgekit.pipelines.report import write_run_report

    typer.echo(f"wrote {write_run_report(run_dir)}")
