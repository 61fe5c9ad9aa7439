"""The model zoo: recurrent (lstm, gru, fastgrnn) and convolutional (cnn1d, dscnn) members.

Specs and shape arithmetic import without torch (cost accounting and the runtime use them);
the torch modules load on first access to ``EdgeModel``, ``MemberOutput`` or ``build_model``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from edgekit.models.shapes import activation_shape, check_connection_shape, check_input_shape
from edgekit.models.spec import ARCHS, ModelSpec, ModelSpecError, parse_spec

if TYPE_CHECKING:
    from edgekit.models.base import EdgeModel, MemberOutput
    from edgekit.models.build import build_model

_LAZY = {
    "EdgeModel": "edgekit.models.base",
    "MemberOutput": "edgekit.models.base",
    "build_model": "edgekit.models.build",
}

__all__ = [
    "ARCHS",
    "EdgeModel",
    "MemberOutput",
    "ModelSpec",
    "ModelSpecError",
    "activation_shape",
    "build_model",
    "check_connection_shape",
    "check_input_shape",
    "parse_spec",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
