"""ModelSpec: defaults, short string form, dict form and validation messages."""

from __future__ import annotations

from typing import Any

import pytest

from edgekit.errors import ConfigError
from edgekit.models import ModelSpec, ModelSpecError, parse_spec


def test_defaults_resolve_so_equal_models_have_equal_specs() -> None:
    spec = ModelSpec("cnn1d", 16)
    assert spec == ModelSpec("cnn1d", 16, layers=3, kernel=5, stride=2, pool=2)
    assert (spec.layers, spec.kernel, spec.stride, spec.pool) == (3, 5, 2, 2)
    assert ModelSpec("dscnn", 64).layers == 4
    assert ModelSpec("lstm", 32).layers == 1
    assert ModelSpec("fastgrnn", 32).kernel == 0  # not applicable stays 0


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (ModelSpec("cnn1d", 16), "cnn1d-16"),
        (ModelSpec("cnn1d", 16, layers=4, kernel=3, pool=1), "cnn1d-16x4-k3-p1"),
        (ModelSpec("cnn1d", 8, stride=1), "cnn1d-8-s1"),
        (ModelSpec("dscnn", 64), "dscnn-64x4"),
        (ModelSpec("dscnn", 8, layers=2), "dscnn-8x2"),
        (ModelSpec("lstm", 128), "lstm-128"),
        (ModelSpec("gru", 32, layers=2), "gru-32x2"),
        (ModelSpec("fastgrnn", 32, rank_w=8, rank_u=8), "fastgrnn-32-r8"),
        (ModelSpec("fastgrnn", 32, rank_w=4), "fastgrnn-32-rw4"),
        (ModelSpec("fastgrnn", 32, layers=2, rank_w=4, rank_u=16), "fastgrnn-32x2-rw4-ru16"),
    ],
)
def test_short_form_round_trips(spec: ModelSpec, text: str) -> None:
    assert str(spec) == text
    assert parse_spec(text) == spec
    assert ModelSpec.parse(text) == spec
    assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_parse_accepts_explicit_defaults() -> None:
    assert parse_spec("cnn1d-16x3-k5-s2-p2") == ModelSpec("cnn1d", 16)
    assert parse_spec(" LSTM-64 ") == ModelSpec("lstm", 64)


@pytest.mark.parametrize(
    ("kwargs", "field", "expected"),
    [
        ({"arch": "transformer", "width": 8}, "arch", "one of lstm, gru, fastgrnn, cnn1d, dscnn"),
        ({"arch": "cnn1d", "width": 0}, "width", "an integer in [1, 4096]"),
        ({"arch": "cnn1d", "width": True}, "width", "an integer"),
        ({"arch": "cnn1d", "width": 8.0}, "width", "an integer"),
        ({"arch": "lstm", "width": 8, "layers": 3}, "layers", "[1, 2]"),
        ({"arch": "cnn1d", "width": 8, "layers": 1}, "layers", "[2, 8]"),
        ({"arch": "dscnn", "width": 8, "layers": -1}, "layers", "[1, 8]"),
        ({"arch": "gru", "width": 8, "kernel": 3}, "kernel", "cnn1d only"),
        ({"arch": "cnn1d", "width": 8, "stride": -2}, "stride", "an integer in [1, 64]"),
        ({"arch": "gru", "width": 8, "rank_w": 2}, "rank_w", "fastgrnn only"),
        ({"arch": "fastgrnn", "width": 8, "rank_w": 0}, "rank_w", "an integer"),
        ({"arch": "fastgrnn", "width": 8, "rank_u": 9}, "rank_u", "at most width=8"),
    ],
)
def test_bad_spec_names_field_expected_and_got(
    kwargs: dict[str, Any], field: str, expected: str
) -> None:
    with pytest.raises(ValueError, match=r"ModelSpec\." + field) as info:
        ModelSpec(**kwargs)
    message = str(info.value)
    assert expected in message
    assert f"got {kwargs[field]!r}" in message
    assert isinstance(info.value, ConfigError)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("cnn1d", "expected ARCH-WIDTH"),
        ("cnn1d-x", "expected ARCH-WIDTH"),
        ("cnn1d-16-q3", "unknown option -q3"),
        ("cnn1d-16-k0", "ModelSpec.kernel"),
        ("cnn1d-16x0", "ModelSpec.layers"),
        ("cnn1d-16-k3-k5", "kernel is given twice"),
        ("fastgrnn-16-r4-rw2", "rank_w is given twice"),
        ("transformer-8", "ModelSpec.arch"),
        ("lstm-8-k3", "ModelSpec.kernel"),
    ],
)
def test_bad_short_form_is_a_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(ModelSpecError) as info:
        parse_spec(text)
    assert fragment in str(info.value)


def test_from_dict_rejects_unknown_fields() -> None:
    with pytest.raises(ModelSpecError, match="unknown fields"):
        ModelSpec.from_dict({"arch": "gru", "width": 8, "depth": 2})


def test_spec_is_frozen() -> None:
    spec = ModelSpec("gru", 8)
    with pytest.raises(AttributeError):
        spec.width = 9  # type: ignore[misc]
