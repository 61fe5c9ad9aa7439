"""The consoles edgekit prints tables and notes on.

Two things rich does by default that hurt here: it reads ``[...]`` in text as markup (so an
error quoting ``[64, 8]`` or a path like ``rec[left]1.npy`` lost those parts), and off a
terminal it wraps at 80 columns (so a table written to a log lost columns). Text that carries
user strings goes through :func:`escape`; consoles off a terminal get a wide fixed width.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

LOG_WIDTH = 160  # wide enough for every table edgekit prints, in a log file or CI output


def console(stderr: bool = False) -> Console:
    """A console that keeps whole table rows when written to a file or a pipe."""
    out = Console(stderr=stderr)
    return out if out.is_terminal else Console(stderr=stderr, width=LOG_WIDTH)


__all__ = ["LOG_WIDTH", "console", "escape"]
