"""int8 TFLite export pins each connection input to its source's activation quantization, so the
runtime hands the int8 bytes over unchanged; the table path (old bundles) gives the same answers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from edgekit.data import load_dataset
from edgekit.export.tflite import export_tflite
from edgekit.export.wrap import exportable
from edgekit.models import build_model
from edgekit.runtime import MemberRunner, load_bundle
from edgekit.runtime.manifest import Quantization
from edgekit.runtime.quant import requantize_table, translation


def test_connection_input_has_its_source_activation_quantization(
    bundles: dict[str, Path],
) -> None:
    manifest = load_bundle(bundles["tflite-int8"]).manifest
    connected = [m for m in manifest.members if m.connected_from is not None]
    assert connected, "the tiny run has connected members"
    for m in connected:
        assert m.connected_from is not None
        source = manifest.members[m.connected_from - 1].output("activation")
        connection = m.input("connection")
        assert source is not None and connection is not None
        assert connection.dtype == source.dtype == "int8"
        assert connection.quantization == source.quantization, m.index


def test_runtime_passes_the_bytes_and_equals_the_table_path(bundles: dict[str, Path]) -> None:
    bundle = load_bundle(bundles["tflite-int8"])
    direct, tabled = MemberRunner(bundle), MemberRunner(bundle)
    connected = [k for k, io in enumerate(direct._io) if io.connection is not None]
    assert connected and all(direct._io[k].passthrough for k in connected)
    assert all(direct._io[k].table is None for k in connected)
    for k in connected:  # the path a bundle with different scales takes: the 256-entry table
        io = tabled._io[k]
        assert io.source is not None and io.connection is not None
        table = requantize_table(io.source, io.connection)
        assert table is not None
        tabled._io[k] = replace(io, passthrough=False, table=table, translated=translation(table))
    x = load_dataset("synthetic").val.x[:48]
    want = tabled.member_logits(x)
    got = direct.member_logits(x)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("spec", "shape"), [("dscnn-8x2", (99, 32)), ("gru-4", (12, 6))])
def test_pinned_connection_input_of_each_family_has_the_pin(
    spec: str, shape: tuple[int, int]
) -> None:
    """DS-CNN concatenates the connection (the pin goes on the concatenation's shared group); a
    recurrent member projects it into its initial state (the pin goes on the projection's input)."""
    torch.manual_seed(0)
    first = build_model(spec, shape, 5).eval()
    member = build_model(spec, shape, 5, first.activation_shape).eval()
    x = np.random.default_rng(0).standard_normal((32, *shape)).astype(np.float32)
    with torch.no_grad():
        act = first(torch.as_tensor(x)).activation.numpy()
    pin = Quantization(float(np.float32(act.max() / 200)), -128)  # not what calibration gives
    built = export_tflite(
        exportable(member, True, False),
        (torch.as_tensor(x[:2]), torch.as_tensor(act[:2])),
        ["features", "connection"],
        ["logits"],
        [x, act],
        {"connection": pin},
    )
    assert built.io["connection"]["quantization"] == pin
