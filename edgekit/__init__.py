"""edgekit: progressive ensemble distillation (B-DISTIL) of classifiers into tiny device models.

Importing the package is cheap on purpose (no torch, no numpy): the CLI's ``--help`` and the
torch-free runtime both start here.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
