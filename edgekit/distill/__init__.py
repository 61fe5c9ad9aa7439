"""B-DISTIL: progressive ensemble distillation (DESIGN section 3).

Importing this package is light; the pipeline (torch) loads from ``edgekit.distill.pipeline``.
"""

from edgekit.distill.config import DistillConfig

__all__ = ["DistillConfig"]
