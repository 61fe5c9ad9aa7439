"""The KWS family (DS-CNN, connected) through TFLite float and int8, run under LiteRT and TFLM.

The tiny synthetic run covers cnn1d members; this covers the speech recipes' members."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekit.export.tflite import export_tflite
from edgekit.export.wrap import exportable
from edgekit.models import build_model
from edgekit.runtime.backends import open_session
from edgekit.runtime.manifest import MemberEntry, TensorSpec
from edgekit.runtime.quant import to_file_dtype, to_float

SHAPE = (99, 32)


@pytest.mark.parametrize("int8", [False, True])
def test_connected_dscnn_member_runs_under_tflm(int8: bool) -> None:
    torch.manual_seed(0)
    first = build_model("dscnn-8x2", SHAPE, 8).eval()
    member = build_model("dscnn-8x2", SHAPE, 8, first.activation_shape).eval()
    x = np.random.default_rng(0).standard_normal((48, *SHAPE)).astype(np.float32)
    with torch.no_grad():
        act = first(torch.as_tensor(x)).activation.numpy()
        want = member(torch.as_tensor(x), torch.as_tensor(act)).logits.numpy()
    built = export_tflite(
        exportable(member, True, False),
        (torch.as_tensor(x[:2]), torch.as_tensor(act[:2])),
        ["features", "connection"],
        ["logits"],
        [x, act] if int8 else None,
    )

    def spec(role: str, shape: tuple[int, ...]) -> TensorSpec:
        info = built.io[role]
        return TensorSpec(built.names[role], role, shape, info["dtype"], info.get("quantization"))

    ins = (spec("features", SHAPE), spec("connection", tuple(first.activation_shape)))
    out = spec("logits", (8,))
    entry = MemberEntry(
        1,
        "m.tflite",
        "tflite",
        "int8" if int8 else "float32",
        "dscnn-8x2",
        "",
        0,
        1,
        ins,
        (out,),
        None,
        0,
        0,
        0,
    )
    feeds = {
        ins[0].name: to_file_dtype(x[:16], ins[0]),
        ins[1].name: to_file_dtype(act[:16], ins[1]),
    }
    scale = float(np.abs(want).max())
    results = {}
    for backend in ("litert", "tflm"):
        results[backend] = to_float(
            open_session(entry, built.data, backend).run(feeds)[out.name], out
        )
    if int8:
        assert out.quantization is not None
        assert np.abs(results["tflm"] - results["litert"]).max() <= 4.001 * out.quantization.scale
        assert np.abs(results["tflm"] - want[:16]).max() <= 0.1 * scale  # int8 vs float, loose
    else:
        for got in results.values():
            assert np.abs(got - want[:16]).max() <= 1e-4 * scale


@pytest.mark.parametrize("int8", [False, True])
def test_recurrent_member_runs_under_tflm_as_an_unrolled_window(int8: bool) -> None:
    """GRU members export as a whole-window graph of their own single-step cells (no sequence
    concatenation, which TFLM rejected for torch.nn.GRU over 99 steps) and run under TFLM."""
    torch.manual_seed(0)
    shape = (12, 6)
    member = build_model("gru-4", shape, 5).eval()
    x = np.random.default_rng(1).standard_normal((32, *shape)).astype(np.float32)
    with torch.no_grad():
        want = member(torch.as_tensor(x)).logits.numpy()
    built = export_tflite(
        exportable(member, False, False),
        (torch.as_tensor(x[:2]),),
        ["features"],
        ["logits"],
        [x] if int8 else None,
    )
    fin, fout = built.io["features"], built.io["logits"]
    ins = TensorSpec(
        built.names["features"], "features", shape, fin["dtype"], fin.get("quantization")
    )
    out = TensorSpec(built.names["logits"], "logits", (5,), fout["dtype"], fout.get("quantization"))
    entry = MemberEntry(
        1,
        "m.tflite",
        "tflite",
        "int8" if int8 else "float32",
        "gru-4",
        "",
        0,
        1,
        (ins,),
        (out,),
        None,
        0,
        0,
        0,
    )
    feeds = {ins.name: to_file_dtype(x[:8], ins)}
    got = {
        b: to_float(open_session(entry, built.data, b).run(feeds)[out.name], out)
        for b in ("litert", "tflm")
    }
    scale = float(np.abs(want).max())
    limit = 0.1 * scale if int8 else 1e-4 * scale
    assert all(np.abs(g - want[:8]).max() <= limit for g in got.values())
