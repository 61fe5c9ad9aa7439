"""Export a tiny synthetic run to every target and precision; hold each bundle to its parity."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from edgekit.data import load_dataset
from edgekit.errors import EdgekitError
from edgekit.export.exporter import ExportOptions, export_bundle
from edgekit.export.reference import torch_outputs
from edgekit.export.run_loader import load_run
from edgekit.export.targets import calib_batch_size
from edgekit.export.tflite import export_tflite
from edgekit.export.wrap import exportable
from edgekit.models import build_model
from edgekit.runtime import MemberRunner, load_bundle, prefix_accuracies


@pytest.fixture(scope="module")
def val(tiny_run: Path) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    data = load_dataset("synthetic")
    run = load_run(tiny_run)
    return data.val.x, data.val.y, [lg for lg, _ in torch_outputs(run, data.val.x)]


@pytest.mark.parametrize("name", ["onnx-float", "tflite-float"])
def test_float_members_match_pytorch(bundles: dict[str, Path], val: tuple, name: str) -> None:  # type: ignore[type-arg]
    x, _, reference = val
    logits = MemberRunner(load_bundle(bundles[name])).member_logits(x)
    for got, want in zip(logits, reference, strict=True):
        assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()
    manifest = json.loads((bundles[name] / "manifest.json").read_text())
    assert all(m["parity"]["relative"] <= 1e-4 for m in manifest["members"])


@pytest.mark.parametrize("name", ["onnx-int8", "tflite-int8"])
def test_int8_prefixes_lose_at_most_one_point(
    bundles: dict[str, Path], val: tuple, name: str
) -> None:  # type: ignore[type-arg]
    x, y, reference = val
    got = prefix_accuracies(MemberRunner(load_bundle(bundles[name])).member_logits(x), y)
    want = prefix_accuracies(reference, y)
    assert max(w - g for w, g in zip(want, got, strict=True)) <= 0.01
    parity = json.loads((bundles[name] / "manifest.json").read_text())["parity"]
    assert parity["int8_within_allowed_drop"] and parity[
        "exported_prefix_accuracy"
    ] == pytest.approx(got)


def test_tflite_int8_is_integer_end_to_end(bundles: dict[str, Path]) -> None:
    manifest = load_bundle(bundles["tflite-int8"]).manifest
    for m in manifest.members:
        for t in (*m.inputs, *m.outputs):
            assert t.dtype == "int8" and t.quantization is not None and t.quantization.scale > 0


@pytest.mark.parametrize("name", ["tflite-float", "tflite-int8"])
def test_every_tflite_member_runs_under_tflm(
    bundles: dict[str, Path], val: tuple, name: str
) -> None:  # type: ignore[type-arg]
    """TFLM (the microcontroller interpreter) agrees with LiteRT's reference kernels member by
    member on identical inputs: float to 1e-5 x scale, int8 to 1 quantisation step."""
    bundle = load_bundle(bundles[name])
    x = val[0][:64]
    litert, tflm = MemberRunner(bundle, "litert-ref"), MemberRunner(bundle, "tflm")
    acts: dict[int, np.ndarray] = {}
    for m in bundle.manifest.members:
        want, act = litert.run_member(m.index, x, acts)
        got, _ = tflm.run_member(m.index, x, acts)
        logits = m.output("logits")
        assert logits is not None
        limit = (
            1.001 * logits.quantization.scale if logits.quantization else 1e-5 * np.abs(want).max()
        )
        assert np.abs(got - want).max() <= limit
        if act is not None:
            acts[m.index] = act
    parity = json.loads((bundles[name] / "manifest.json").read_text())["parity"]
    assert (
        "tflm" in parity["backends"]["compared"] and parity["backends"]["reference"] == "litert-ref"
    )


def test_int8_file_is_at_most_35_percent_of_float_for_a_weight_dominated_member() -> None:
    torch.manual_seed(0)
    member = build_model("cnn1d-64", (64, 8), 8).eval()
    module = exportable(member, False, False)
    x = np.random.default_rng(0).standard_normal((64, 64, 8)).astype(np.float32)
    samples = (torch.as_tensor(x[:2]),)
    float_bytes = len(export_tflite(module, samples, ["features"], ["logits"], None).data)
    int8_bytes = len(export_tflite(module, samples, ["features"], ["logits"], [x]).data)
    params = sum(p.numel() for p in member.parameters())
    assert 4 * params > 0.75 * float_bytes  # weights are most of the float file
    assert int8_bytes <= 0.35 * float_bytes, (int8_bytes, float_bytes)


def test_manifest_describes_wiring_cost_and_files(bundles: dict[str, Path], tiny_run: Path) -> None:
    manifest = json.loads((bundles["tflite-int8"] / "manifest.json").read_text())
    run = load_run(tiny_run)
    assert manifest["format_version"] == 1 and "do not edit" in manifest["banner"]
    assert manifest["class_names"] == run.data["class_names"]
    cumulative = 0
    for m, record in zip(manifest["members"], run.records, strict=True):
        cumulative += record.macs
        assert m["spec"] == record.spec and m["cumulative_macs"] == cumulative
        assert m["connected_from"] == (m["index"] - 1 if record.connected else None)
        assert (bundles["tflite-int8"] / m["file"]).stat().st_size == m["bytes"]
    assert any(m["connected_from"] for m in manifest["members"])  # the tiny run has connections


def test_failed_export_leaves_an_existing_bundle_untouched(
    tiny_run: Path, onnx_bundle: Path, tmp_path: Path
) -> None:
    dest = Path(shutil.copytree(onnx_bundle, tmp_path / "bundle"))
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    with pytest.raises(EdgekitError, match="calib"):
        export_bundle(tiny_run, dest, ExportOptions("onnx", calib=0))
    run_copy = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    shutil.rmtree(run_copy / "members")
    with pytest.raises(EdgekitError, match="no finished members"):
        export_bundle(run_copy, dest, ExportOptions("onnx"))
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_onnx_int8_calibrates_on_a_count_that_is_not_a_multiple_of_the_batch(
    tiny_run: Path, tmp_path: Path
) -> None:
    assert [calib_batch_size(n) for n in (128, 45, 31, 7, 1)] == [32, 15, 31, 7, 1]
    out = export_bundle(tiny_run, tmp_path / "b", ExportOptions("onnx", int8=True, calib=45))
    assert len(load_bundle(out).manifest.members) == 3
