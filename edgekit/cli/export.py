"""``edgekit export``: a run's members as a bundle (ONNX, TFLite) or C tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgekit.cli import app
from edgekit.cli.options import CacheDirOpt, DataDirOpt, ForceOpt


def _export_c(
    source: Path,
    dest: Path,
    int8: bool,
    calib: int,
    data_dir: Path | None,
    cache_dir: Path | None,
    force: bool,
) -> str:
    """Generate the C tables into ``dest`` (claimed first, marked after); the printout."""
    from edgekit.export.c import export_c, summary_text
    from edgekit.outputs import claim_output, mark_output

    claim_output(dest, "c-export", force=force)
    written = export_c(source, dest, int8, calib, data_dir, cache_dir)
    mark_output(written, "c-export")
    return summary_text(written)


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
    force: ForceOpt = False,
    max_int8_drop: Annotated[
        float,
        typer.Option(
            help="int8: the most accuracy points any prefix may lose against float before the "
            "bundle is refused (one validation sample's flip is always allowed)."
        ),
    ] = 1.0,
) -> None:
    """Export every member to one model file plus manifest.json, checked against PyTorch.

    The bundle is loaded back through the torch-free runtime and compared with PyTorch on the
    validation split before it is moved into place (float: logits within 1e-4 x their scale;
    int8: accuracy of every prefix, reported against float).

    Example: edgekit export runs/dsa19 --target tflite --int8 --zip

    For microcontrollers: edgekit export runs/dsa19 --target c --int8 --out fw/dsa19
    """
    # long: one typer option per export setting makes the signature; the body is short
    from edgekit.outputs import claim_output

    precision = "int8" if int8 else "float"
    dest = out or run_dir / f"bundle-{target}-{precision}"
    if target == "c":
        typer.echo(_export_c(run_dir, dest, int8, calib, data_dir, cache_dir, force))
        return
    claim_output(dest, "bundle", force=force)
    if make_zip:
        claim_output(dest.with_suffix(".zip"), "bundle-zip", force=force)
    from edgekit.export.exporter import ExportOptions, export_bundle
    from edgekit.export.report import print_bundle

    options = ExportOptions(
        target=target, int8=int8, calib=calib, max_int8_drop=max_int8_drop / 100
    )
    print_bundle(export_bundle(run_dir, dest, options, data_dir, make_zip, cache_dir))
