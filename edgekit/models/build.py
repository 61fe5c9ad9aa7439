"""One entry point from a spec (or its short string) to a built model."""

from __future__ import annotations

from edgekit.models.base import EdgeModel
from edgekit.models.cnn1d import CNN1d
from edgekit.models.dscnn import DSCNN
from edgekit.models.recurrent import RecurrentModel
from edgekit.models.spec import ModelSpec, as_spec

_CLASSES: dict[str, type[EdgeModel]] = {
    "lstm": RecurrentModel,
    "gru": RecurrentModel,
    "fastgrnn": RecurrentModel,
    "cnn1d": CNN1d,
    "dscnn": DSCNN,
}


def build_model(
    spec: ModelSpec | str,
    input_shape: tuple[int, int],
    num_classes: int,
    connection_shape: tuple[int, ...] | None = None,
) -> EdgeModel:
    """Build a freshly initialised model for inputs [B, *input_shape] and ``num_classes`` logits.

    With ``connection_shape`` (the previous member's ``activation_shape``) the model has a
    connection port and requires that activation in ``forward``. Raises ``ModelSpecError`` (a
    ``ValueError``) for a bad spec, input shape or connection shape.
    """
    spec = as_spec(spec)
    return _CLASSES[spec.arch](spec, input_shape, num_classes, connection_shape)
