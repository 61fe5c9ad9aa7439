"""``edgekit listen BUNDLE AUDIO``: keyword spotting over a long recording (the streaming runtime).

One command of the CLI package: this module parses the options into a
:class:`~edgekit.runtime.streaming.StreamConfig`, calls :func:`~edgekit.runtime.listen.listen_file`
and prints its result. Heavy imports happen inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgekit.cli import app


@app.command("listen")
def listen_cmd(
    bundle: Annotated[
        Path, typer.Argument(help="A bundle directory or .zip from `edgekit export`.")
    ],
    audio: Annotated[
        Path, typer.Argument(metavar="AUDIO", help="A WAV/FLAC recording of any length.")
    ],
    stride_ms: Annotated[float, typer.Option(help="Run a window every S ms.")] = 100.0,
    smooth_ms: Annotated[
        float, typer.Option(help="Average window posteriors over the last S ms.")
    ] = 300.0,
    threshold: Annotated[
        float, typer.Option(help="Smoothed posterior a detection needs (0-1].")
    ] = 0.8,
    min_gap_ms: Annotated[
        float, typer.Option(help="No detection within G ms of the previous one.")
    ] = 1000.0,
    max_members: Annotated[
        int | None, typer.Option(help="Per window: run at most K members.")
    ] = None,
    budget_macs: Annotated[
        int | None, typer.Option(help="Per window: never go past M cumulative MACs.")
    ] = None,
    deadline_ms: Annotated[
        float | None, typer.Option(help="Per window: start no member after D ms.")
    ] = None,
    margin: Annotated[
        float | None,
        typer.Option(help="Per window: stop once the top-2 logit margin reaches T (early exit)."),
    ] = None,
    compute_share: Annotated[
        float | None,
        typer.Option(help="Spend at most this fraction of real time on the ensemble (0-1]."),
    ] = None,
    quiet_gate: Annotated[
        float | None,
        typer.Option(
            help="Windows less than G nats (1 nat = 4.3 dB) above the background run no member "
            "and cannot fire; 0 turns it off. Default: the runtime's (see docs/runtime.md)."
        ),
    ] = None,
    skip_suppressed: Annotated[
        bool,
        typer.Option(
            "--skip-suppressed/--run-suppressed",
            help="Windows that cannot change a detection (inside the gap after one) run member 1 "
            "alone; the detections are the same either way.",
        ),
    ] = True,
    backend: Annotated[
        str,
        typer.Option(help="auto, onnxruntime, litert, tflite-runtime, tflm or litert-ref."),
    ] = "auto",
    windows: Annotated[
        bool, typer.Option("--windows", help="With --json: include every window's result.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Listen to a recording: a window every stride, members per window by policy, smoothed
    posteriors, one detection per word. Prints the detections, the members used per window
    and the real-time factor.

    Example: edgekit listen runs/kws8/bundle-tflite-int8 meeting.wav (add --quiet-gate 0
    --run-suppressed to run every member on every window)
    """
    # long: one typer option per stream setting makes the signature; the body is short
    import json

    from edgekit.runtime import Policy, ProgressiveEnsemble, StreamConfig
    from edgekit.runtime.detection import QUIET_GATE
    from edgekit.runtime.listen import listen_file

    policy = Policy(
        max_members=max_members, budget_macs=budget_macs, deadline_ms=deadline_ms, margin=margin
    )
    config = StreamConfig(
        stride_ms=stride_ms,
        smooth_ms=smooth_ms,
        threshold=threshold,
        min_gap_ms=min_gap_ms,
        policy=policy,
        compute_share=compute_share,
        skip_suppressed=skip_suppressed,
        quiet_gate=QUIET_GATE if quiet_gate is None else (quiet_gate or None),
    )
    ensemble = ProgressiveEnsemble.load(bundle, backend)
    result = listen_file(ensemble, audio, config, keep_windows=windows and as_json)
    typer.echo(json.dumps(result.to_dict()) if as_json else result.text())
