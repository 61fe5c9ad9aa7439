"""The ``edgekit`` command line. Thin on purpose: each command parses its options, calls one
library function and prints what it returns. Heavy imports happen inside commands, so
``edgekit --help`` answers fast; every user-facing failure prints one clear line, no traceback.

A command lives in one module of this package; adding one is a function decorated with
``@app.command(...)`` in a module imported at the bottom of this file.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from edgekit import __version__
from edgekit.errors import EdgekitError

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
    from edgekit import native_logs

    native_logs.set_verbose(verbose)
    _setup_logging(logging.DEBUG if verbose else logging.INFO)


def _setup_logging(level: int) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False)
    logger = logging.getLogger("edgekit")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def main() -> None:
    """Entry point: runs the app and turns edgekit's own errors into one red line and exit code 2."""
    try:
        app()
    except EdgekitError as exc:
        from rich.console import Console
        from rich.markup import escape

        # escaped: a message quoting `[64, 8]` or a path like `rec[left]1.npy` prints whole
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


# the commands register themselves on `app` (order = order in --help)
from edgekit.cli import data, distill, export, listen, runtime  # noqa: E402, F401

__all__ = ["app", "main"]
