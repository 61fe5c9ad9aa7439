"""Checkpoints: written atomically, read with ``weights_only=True`` (never arbitrary unpickling)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from edgekit.atomic import atomic_write
from edgekit.errors import EdgekitError

__all__ = ["load_checkpoint", "save_checkpoint"]


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """``torch.save`` through an atomic write: a kill never leaves a torn checkpoint."""
    atomic_write(path, lambda fh: torch.save(payload, fh))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Tensors, numbers, strings, lists and dicts only: anything else is refused, not executed."""
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise EdgekitError(f"{path}: no such checkpoint") from None
    except Exception as exc:
        raise EdgekitError(f"{path}: not a readable edgekit checkpoint ({exc})") from exc
    if not isinstance(payload, dict):
        raise EdgekitError(f"{path}: expected a dict checkpoint, got {type(payload).__name__}")
    return payload
