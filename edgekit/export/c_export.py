"""Kept for edgekit/cli.py until it imports :mod:`edgekit.export.c` (the C export's home)."""

from edgekit.export.c import export_c

__all__ = ["export_c"]
