"""Every manifest field a hand edit can break is refused as a BundleError naming the field."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edgekit.errors import BundleError
from edgekit.features import FrontEndParams
from edgekit.runtime import load_bundle
from edgekit.runtime.manifest import parse_manifest


@pytest.fixture
def bundle(onnx_bundle: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(onnx_bundle, tmp_path / "b"))


def refused(bundle: Path, change: Callable[[dict[str, Any]], object], pattern: str) -> None:
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    with pytest.raises(BundleError, match=pattern):
        parse_manifest(json.dumps(manifest), str(path))


def channels(m: dict[str, Any]) -> int:
    return int(m["input_shape"][-1])


def test_normalization_of_the_wrong_length(bundle: Path) -> None:
    def change(m: dict[str, Any]) -> None:
        m["normalization"] = {"mean": [0.0] * (channels(m) + 1), "std": [1.0] * channels(m)}

    refused(bundle, change, r"normalization\.mean: \d+ values, expected \d+ \(one per feature")


def test_normalization_with_zero_std(bundle: Path) -> None:
    def change(m: dict[str, Any]) -> None:
        m["normalization"] = {"mean": [0.0] * channels(m), "std": [1.0] * channels(m)}
        m["normalization"]["std"][2] = 0

    refused(bundle, change, r"normalization\.std: channel\(s\) \[2\] have std <= 0")


def test_normalization_that_is_not_numbers(bundle: Path) -> None:
    def change(m: dict[str, Any]) -> None:
        m["normalization"] = {"mean": ["a"] * channels(m), "std": [1.0] * channels(m)}

    refused(bundle, change, r"normalization\.mean: every value must be a finite number")
    refused(bundle, lambda m: m.update(normalization=[1, 2]), r"normalization: must be an object")


def test_connected_from_of_the_wrong_type(bundle: Path) -> None:
    refused(
        bundle,
        lambda m: m["members"][1].update(connected_from="1"),
        r"members\[1\]: field 'connected_from' must be null or an int >= 1, got '1'",
    )


def test_member_file_written_with_dot_slash(bundle: Path) -> None:
    refused(
        bundle,
        lambda m: m["members"][0].update(file="./" + m["members"][0]["file"]),
        r"members\[0\]: field 'file' must name the file as the bundle stores it",
    )


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("class_names", [], r"class_names must be a non-empty list of strings"),
        ("class_names", [1, 2], r"class_names must be a non-empty list of strings"),
        ("precision", "int4", r"precision must be one of float32, int8, got 'int4'"),
        ("target", "tensorrt", r"target must be one of onnx, tflite, got 'tensorrt'"),
        ("parity", [1], r"field 'parity' must be an object"),
        ("frontend", {"n_mels": 32, "typo": 1}, r"frontend: front end: unknown fields \['typo'\]"),
        ("frontend", "mel", r"frontend: must be an object"),
    ],
)
def test_top_level_fields(bundle: Path, field: str, value: object, pattern: str) -> None:
    refused(bundle, lambda m: m.update({field: value}), pattern)


def test_frontend_that_disagrees_with_the_input_shape(bundle: Path) -> None:
    refused(
        bundle,
        lambda m: m.update(frontend=FrontEndParams().to_dict()),
        r"frontend: gives features \[99, 32\], but input_shape is",
    )


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("batch", 0, r"field 'batch' must be null or an int >= 1, got 0"),
        ("bytes", -1, r"field 'bytes' must be >= 0, got -1"),
        ("sha256", "abc", r"field 'sha256' must be 64 lowercase hex digits"),
        ("dtype", "int3", r"dtype must be one of float32, int8, got 'int3'"),
    ],
)
def test_member_fields(bundle: Path, field: str, value: object, pattern: str) -> None:
    refused(bundle, lambda m: m["members"][0].update({field: value}), pattern)


def test_a_good_manifest_still_loads(bundle: Path) -> None:
    assert len(load_bundle(bundle).manifest.members) == 3
