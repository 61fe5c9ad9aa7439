"""B-DISTIL: progressive ensemble distillation (docs/distill.md).

Importing this package is light; the rounds (torch) load from ``edgekit.distill.rounds``.
"""
