"""One exported member file and what the manifest must say about its tensors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BuiltMember:
    data: bytes
    batch: int | None  # fixed batch the file runs at (None: any)
    io: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> dtype, quantization
    names: dict[str, str] = field(default_factory=dict)  # role -> tensor name in the file
